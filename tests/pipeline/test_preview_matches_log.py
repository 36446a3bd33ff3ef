"""The preview projects exactly what logging the event does: both take the event's edge changes
from one rule (``registry.risk.effects``). Each event kind is previewed, then logged for real on
the same registry, and the projected levels and shares are compared with the risk computed from
the edges the real event wrote."""

import datetime
from decimal import Decimal

import pytest

from registry import services
from registry.choices import DataAccess, EventKind, Interest
from registry.models import Ownership
from registry.services.preview import ownership_event_preview
from registry.services.risk import vendor_risk_as_of
from tests.factories import EntityFactory, PersonFactory, VendorFactory, WatchlistEntryFactory

D = datetime.date
SINCE = D(2020, 1, 1)
DEAL = D(2025, 6, 13)


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    """A competitor holding 40% of Target beside a neutral 60% holder, a later-starting holder,
    and a competitor's officer who sits nowhere else yet."""
    rival = EntityFactory(name="Rival Corp")
    WatchlistEntryFactory(entity=rival, category="competitor")
    neutral = EntityFactory(name="Neutral Fund")
    buyer = EntityFactory(name="Buyer Holdings")
    target = EntityFactory(name="Target Co")
    officer = PersonFactory(name="Rival Officer")
    with django_capture_on_commit_callbacks(execute=True):
        services.ownership_set(owner=rival, owned=target, share=Decimal(40), start_date=SINCE)
        services.ownership_set(owner=neutral, owned=target, share=Decimal(60), start_date=SINCE)
        services.ownership_set(
            owner=officer, owned=rival, interest=Interest.SENIOR_MANAGING_OFFICIAL, start_date=SINCE
        )
        vendor = VendorFactory(entity=target, data_access=DataAccess.CONFIDENTIAL)
    return {
        "rival": rival,
        "neutral": neutral,
        "buyer": buyer,
        "target": target,
        "officer": officer,
        "vendor": vendor,
    }


def _projected_and_real(world, django_capture_on_commit_callbacks, **event):
    projected = {
        row["vendor"].pk: row["projected_level"]
        for row in ownership_event_preview(**event).affected_vendors
    }
    with django_capture_on_commit_callbacks(execute=True):
        services.ownership_event_log(**event)
    vendor = world["vendor"]
    real = vendor_risk_as_of(vendor=vendor, as_of=event["effective_date"])
    return projected, real


def _rival_share(assessment) -> float:
    return next(f.effective_share for f in assessment.factors if f.code == "competitor_ownership")


def test_preview_lists_the_dilution_the_logged_event_records(
    world, django_capture_on_commit_callbacks
):
    event = {
        "kind": EventKind.ACQUISITION,
        "subject": world["target"],
        "counterparty": world["buyer"],
        "share": Decimal(70),
        "effective_date": DEAL,
    }
    preview = ownership_event_preview(**event)
    with django_capture_on_commit_callbacks(execute=True):
        logged = services.ownership_event_log(**event)

    changes = [
        (c["owner_name"], c["from_share"], c["to_share"], c["start_date"], c["dilution"])
        for c in preview.edge_changes
    ]
    assert changes == [
        ("Rival Corp", "40%", "12%", DEAL, True),
        ("Neutral Fund", "60%", "18%", DEAL, True),
        ("Buyer Holdings", None, "70%", DEAL, False),
    ]
    assert [(d["owner_name"], d["from"], d["to"], d["on"]) for d in logged.dilution] == [
        (name, before, after, DEAL.isoformat())
        for name, before, after, _, dilution in changes
        if dilution
    ]


def test_acquisition_preview_dilutes_like_the_logged_event(
    world, django_capture_on_commit_callbacks
):
    # Buyer takes 70%: the rival's 40% and the fund's 60% are scaled to the 30% left, so the
    # rival holds 12% (medium), not the 40% (high) an undiluted projection would show.
    projected, real = _projected_and_real(
        world,
        django_capture_on_commit_callbacks,
        kind=EventKind.ACQUISITION,
        subject=world["target"],
        counterparty=world["buyer"],
        share=Decimal(70),
        effective_date=DEAL,
    )
    assert real.level == "medium" and _rival_share(real) == pytest.approx(12.0)
    assert projected == {world["vendor"].pk: real.level}


def test_stake_change_by_the_rival_matches(world, django_capture_on_commit_callbacks):
    # The rival goes to 55%: the fund's 60% is scaled to 45%.
    projected, real = _projected_and_real(
        world,
        django_capture_on_commit_callbacks,
        kind=EventKind.STAKE_CHANGE,
        subject=world["target"],
        counterparty=world["rival"],
        share=Decimal(55),
        effective_date=DEAL,
    )
    shares = dict(
        Ownership.objects.shareholdings()
        .active_on(DEAL)
        .filter(owned=world["target"])
        .values_list("owner__name", "share")
    )
    assert shares == {"Rival Corp": Decimal("55"), "Neutral Fund": Decimal("45")}
    assert real.level == "critical"
    assert projected == {world["vendor"].pk: "critical"}


@pytest.mark.parametrize(("share", "level"), [(Decimal(5), "low"), (None, "low")])
def test_divestiture_matches(world, django_capture_on_commit_callbacks, share, level):
    projected, real = _projected_and_real(
        world,
        django_capture_on_commit_callbacks,
        kind=EventKind.DIVESTITURE,
        subject=world["target"],
        counterparty=world["rival"],
        share=share,
        effective_date=DEAL,
    )
    assert real.level == level
    assert projected == {world["vendor"].pk: level}


def test_board_appointment_matches(world, django_capture_on_commit_callbacks):
    # The rival's officer joins Target's board: a key-person interlock (high) beside 40% (high).
    projected, real = _projected_and_real(
        world,
        django_capture_on_commit_callbacks,
        kind=EventKind.BOARD_APPOINTMENT,
        subject=world["target"],
        person=world["officer"],
        effective_date=DEAL,
    )
    assert "key_person_interlock" in {f.code for f in real.factors}
    assert projected == {world["vendor"].pk: real.level} == {world["vendor"].pk: "high"}


def test_executive_move_matches(world, django_capture_on_commit_callbacks):
    # Target's director becomes an officer of the rival.
    director = PersonFactory(name="Target Director")
    with django_capture_on_commit_callbacks(execute=True):
        services.ownership_set(
            owner=director, owned=world["target"], interest=Interest.BOARD_MEMBER, start_date=SINCE
        )
    projected, real = _projected_and_real(
        world,
        django_capture_on_commit_callbacks,
        kind=EventKind.EXECUTIVE_MOVE,
        subject=world["target"],
        counterparty=world["rival"],
        person=director,
        effective_date=DEAL,
    )
    assert "key_person_interlock" in {f.code for f in real.factors}
    assert projected == {world["vendor"].pk: real.level}


def test_other_event_changes_nothing_in_either(world, django_capture_on_commit_callbacks):
    projected, real = _projected_and_real(
        world,
        django_capture_on_commit_callbacks,
        kind=EventKind.OTHER,
        subject=world["target"],
        counterparty=world["buyer"],
        effective_date=DEAL,
    )
    assert real.level == "high" and _rival_share(real) == pytest.approx(40.0)
    assert projected == {world["vendor"].pk: "high"}
