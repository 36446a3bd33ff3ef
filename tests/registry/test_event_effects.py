"""Every ownership event kind changes the edges exactly as docs/risk-rules.md says (its table of
event effects), in one transaction with the event row, which stays ``pending`` until its task
runs."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from registry import services
from registry.choices import EventKind, EventStatus, Interest
from registry.models import Entity, Ownership, OwnershipEvent, RecheckRequest
from tests.factories import EntityFactory, OwnershipFactory, PersonFactory

D = datetime.date
ONE_DAY = datetime.timedelta(days=1)
SINCE = D(2020, 1, 1)
DEAL = D(2025, 6, 13)
EVE = D(2025, 6, 12)
ON = DEAL.isoformat()


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_app_config("registry").get_models()
    }


def _shares_on(owned: Entity, day: datetime.date) -> dict[str, Decimal | tuple]:
    return {
        edge.owner.name: edge.share if edge.share is not None else (edge.share_min, edge.share_max)
        for edge in Ownership.objects.shareholdings().active_on(day).filter(owned=owned)
    }


@pytest.fixture
def log(django_capture_on_commit_callbacks):
    """Log an event and check its task is queued for after commit, not run now."""

    def _log(**kwargs) -> OwnershipEvent:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            event = services.ownership_event_log(**kwargs)
        assert len(callbacks) == 1
        event.refresh_from_db()
        assert event.status == EventStatus.PENDING
        return event

    return _log


@pytest.fixture
def subject(db) -> Entity:
    return EntityFactory(name="Target Co")


@pytest.fixture
def alpha(db) -> Entity:
    return EntityFactory(name="Alpha Capital")


@pytest.fixture
def bravo(db) -> Entity:
    return EntityFactory(name="Bravo Partners")


@pytest.fixture
def buyer_co(db) -> Entity:
    return EntityFactory(name="Charlie Acquirer")


@pytest.fixture
def person(db) -> Entity:
    return PersonFactory(name="Pat Example")


# --- acquisition and stake_change -------------------------------------------------------------


def test_acquisition_sets_the_counterpartys_shareholding_from_the_effective_date(
    log, subject, buyer_co
):
    event = log(
        kind=EventKind.ACQUISITION,
        subject=subject,
        counterparty=buyer_co,
        share=Decimal("49"),
        effective_date=DEAL,
    )
    edge = Ownership.objects.get(owner=buyer_co, owned=subject)
    assert (edge.interest, edge.share, edge.start_date, edge.end_date, edge.source_event) == (
        Interest.SHAREHOLDING,
        Decimal("49"),
        DEAL,
        None,
        event,
    )
    assert _shares_on(subject, EVE) == {}
    assert _shares_on(subject, DEAL) == {"Charlie Acquirer": Decimal("49")}
    assert event.dilution == []
    # The event's own task rechecks its edges; no second, generic recheck is requested.
    assert RecheckRequest.objects.count() == 0


def test_stake_change_ends_the_previous_edge_the_day_before(log, subject, buyer_co):
    old = OwnershipFactory(owner=buyer_co, owned=subject, share=Decimal("20"), start_date=SINCE)
    event = log(
        kind=EventKind.STAKE_CHANGE,
        subject=subject,
        counterparty=buyer_co,
        share=Decimal("35"),
        effective_date=DEAL,
    )
    old.refresh_from_db()
    new = Ownership.objects.get(owner=buyer_co, owned=subject, start_date=DEAL)
    assert (old.share, old.end_date, old.source_event) == (Decimal("20"), EVE, None)
    assert (new.share, new.end_date, new.source_event) == (Decimal("35"), None, event)
    assert _shares_on(subject, EVE) == {"Charlie Acquirer": Decimal("20")}
    assert _shares_on(subject, DEAL) == {"Charlie Acquirer": Decimal("35")}


def test_new_stake_dilutes_other_holders_pro_rata(log, subject, alpha, bravo, buyer_co):
    """Alpha 60% + Bravo 40% of Target, then Charlie acquires 50% → 30%, 20%, 50%."""
    OwnershipFactory(owner=alpha, owned=subject, share=Decimal("60"), start_date=SINCE)
    OwnershipFactory(owner=bravo, owned=subject, share=Decimal("40"), start_date=SINCE)
    event = log(
        kind=EventKind.ACQUISITION,
        subject=subject,
        counterparty=buyer_co,
        share=Decimal("50"),
        effective_date=DEAL,
    )
    assert _shares_on(subject, EVE) == {
        "Alpha Capital": Decimal("60"),
        "Bravo Partners": Decimal("40"),
    }
    assert _shares_on(subject, DEAL) == {
        "Alpha Capital": Decimal("30"),
        "Bravo Partners": Decimal("20"),
        "Charlie Acquirer": Decimal("50"),
    }
    # History kept: the old edges end the day before, the new ones were written by the event.
    edges = Ownership.objects.filter(owned=subject).order_by("owner__name", "start_date")
    assert [(e.owner.name, e.share, e.start_date, e.end_date, e.source_event) for e in edges] == [
        ("Alpha Capital", Decimal("60"), SINCE, EVE, None),
        ("Alpha Capital", Decimal("30"), DEAL, None, event),
        ("Bravo Partners", Decimal("40"), SINCE, EVE, None),
        ("Bravo Partners", Decimal("20"), DEAL, None, event),
        ("Charlie Acquirer", Decimal("50"), DEAL, None, event),
    ]
    assert event.dilution == [
        {"owner": alpha.pk, "owner_name": "Alpha Capital", "from": "60%", "to": "30%", "on": ON},
        {"owner": bravo.pk, "owner_name": "Bravo Partners", "from": "40%", "to": "20%", "on": ON},
    ]


def test_raising_an_existing_stake_dilutes_only_the_other_holders(log, subject, alpha, buyer_co):
    OwnershipFactory(owner=alpha, owned=subject, share=Decimal("60"), start_date=SINCE)
    OwnershipFactory(owner=buyer_co, owned=subject, share=Decimal("40"), start_date=SINCE)
    event = log(
        kind=EventKind.STAKE_CHANGE,
        subject=subject,
        counterparty=buyer_co,
        share=Decimal("70"),
        effective_date=DEAL,
    )
    assert _shares_on(subject, DEAL) == {
        "Alpha Capital": Decimal("30"),
        "Charlie Acquirer": Decimal("70"),
    }
    assert event.dilution == [
        {"owner": alpha.pk, "owner_name": "Alpha Capital", "from": "60%", "to": "30%", "on": ON}
    ]


def test_stake_that_fits_in_100_percent_dilutes_nobody(log, subject, alpha, buyer_co):
    kept = OwnershipFactory(owner=alpha, owned=subject, share=Decimal("50"), start_date=SINCE)
    event = log(
        kind=EventKind.ACQUISITION,
        subject=subject,
        counterparty=buyer_co,
        share=Decimal("50"),
        effective_date=DEAL,
    )
    kept.refresh_from_db()
    assert (kept.share, kept.end_date) == (Decimal("50"), None)
    assert event.dilution == []
    assert Ownership.objects.filter(owned=subject).count() == 2


def test_dilution_scales_a_range_by_both_bounds(log, subject, alpha, bravo, buyer_co):
    """Ranges count by their lower bound: 40 + 40 = 80 must fit in 50, a factor of 0.625."""
    OwnershipFactory(
        owner=alpha,
        owned=subject,
        share=None,
        share_min=Decimal("40"),
        share_max=Decimal("60"),
        start_date=SINCE,
    )
    OwnershipFactory(owner=bravo, owned=subject, share=Decimal("40"), start_date=SINCE)
    event = log(
        kind=EventKind.ACQUISITION,
        subject=subject,
        counterparty=buyer_co,
        share=Decimal("50"),
        effective_date=DEAL,
    )
    assert _shares_on(subject, DEAL) == {
        "Alpha Capital": (Decimal("25"), Decimal("37.5")),
        "Bravo Partners": Decimal("25"),
        "Charlie Acquirer": Decimal("50"),
    }
    assert [(d["from"], d["to"]) for d in event.dilution] == [
        ("40–60%", "25–37.5%"),
        ("40%", "25%"),
    ]


def test_dilution_rounds_down_so_the_total_never_exceeds_100_percent(log, subject, buyer_co):
    for n in range(3):
        OwnershipFactory(
            owner=EntityFactory(name=f"Holder {n}"),
            owned=subject,
            share=Decimal("33.3333"),
            start_date=SINCE,
        )
    log(
        kind=EventKind.ACQUISITION,
        subject=subject,
        counterparty=buyer_co,
        share=Decimal("50"),
        effective_date=DEAL,
    )
    shares = _shares_on(subject, DEAL)
    assert sorted(shares.values()) == [Decimal("16.6666")] * 3 + [Decimal("50")]
    assert sum(shares.values()) == Decimal("99.9998")


def test_diluted_stake_keeps_the_end_date_it_already_had(log, subject, alpha, bravo, buyer_co):
    OwnershipFactory(owner=alpha, owned=subject, share=Decimal("60"), start_date=SINCE)
    OwnershipFactory(
        owner=bravo, owned=subject, share=Decimal("40"), start_date=SINCE, end_date=D(2025, 12, 31)
    )
    log(
        kind=EventKind.ACQUISITION,
        subject=subject,
        counterparty=buyer_co,
        share=Decimal("50"),
        effective_date=DEAL,
    )
    diluted = Ownership.objects.get(owner=bravo, owned=subject, start_date=DEAL)
    assert (diluted.share, diluted.end_date) == (Decimal("20"), D(2025, 12, 31))
    assert "Bravo Partners" not in _shares_on(subject, D(2026, 1, 1))


def test_acquisition_of_100_percent_buys_out_the_other_holders(
    log, subject, alpha, bravo, buyer_co
):
    OwnershipFactory(owner=alpha, owned=subject, share=Decimal("60"), start_date=SINCE)
    OwnershipFactory(owner=bravo, owned=subject, share=Decimal("40"), start_date=SINCE)
    event = log(
        kind=EventKind.ACQUISITION,
        subject=subject,
        counterparty=buyer_co,
        share=Decimal("100"),
        effective_date=DEAL,
    )
    assert _shares_on(subject, EVE) == {
        "Alpha Capital": Decimal("60"),
        "Bravo Partners": Decimal("40"),
    }
    assert _shares_on(subject, DEAL) == {"Charlie Acquirer": Decimal("100")}
    assert Ownership.objects.filter(owned=subject, share=0).count() == 0
    assert [(d["owner_name"], d["from"], d["to"]) for d in event.dilution] == [
        ("Alpha Capital", "60%", "0%"),
        ("Bravo Partners", "40%", "0%"),
    ]


# --- divestiture --------------------------------------------------------------------------


def test_divestiture_ends_the_counterpartys_shareholding_the_day_before(log, subject, buyer_co):
    held = OwnershipFactory(owner=buyer_co, owned=subject, share=Decimal("30"), start_date=SINCE)
    log(kind=EventKind.DIVESTITURE, subject=subject, counterparty=buyer_co, effective_date=DEAL)
    held.refresh_from_db()
    assert (held.share, held.end_date) == (Decimal("30"), EVE)
    assert Ownership.objects.filter(owned=subject).count() == 1
    assert _shares_on(subject, EVE) == {"Charlie Acquirer": Decimal("30")}
    assert _shares_on(subject, DEAL) == {}


def test_divestiture_with_a_share_lowers_the_holding_to_it(log, subject, buyer_co):
    held = OwnershipFactory(owner=buyer_co, owned=subject, share=Decimal("30"), start_date=SINCE)
    event = log(
        kind=EventKind.DIVESTITURE,
        subject=subject,
        counterparty=buyer_co,
        share=Decimal("10"),
        effective_date=DEAL,
    )
    held.refresh_from_db()
    lowered = Ownership.objects.get(owner=buyer_co, owned=subject, start_date=DEAL)
    assert (held.end_date, lowered.share, lowered.source_event) == (EVE, Decimal("10"), event)
    assert _shares_on(subject, DEAL) == {"Charlie Acquirer": Decimal("10")}


def test_divestiture_without_a_holding_is_refused_naming_the_counterparty(subject, buyer_co):
    before = _row_counts()
    with pytest.raises(ValidationError) as refused:
        services.ownership_event_log(
            kind=EventKind.DIVESTITURE, subject=subject, counterparty=buyer_co, effective_date=DEAL
        )
    assert refused.value.message_dict == {
        "counterparty": [
            "Charlie Acquirer holds no shares in Target Co on 2025-06-13, "
            "so there is nothing to divest."
        ]
    }
    assert _row_counts() == before


def test_divestiture_that_would_raise_the_stake_is_refused_naming_the_share(subject, buyer_co):
    held = OwnershipFactory(owner=buyer_co, owned=subject, share=Decimal("30"), start_date=SINCE)
    before = _row_counts()
    with pytest.raises(ValidationError) as refused:
        services.ownership_event_log(
            kind=EventKind.DIVESTITURE,
            subject=subject,
            counterparty=buyer_co,
            share=Decimal("45"),
            effective_date=DEAL,
        )
    assert refused.value.message_dict["share"] == [
        "A divestiture lowers a stake: Charlie Acquirer holds 30% of Target Co on 2025-06-13, "
        "so the share after it must be lower."
    ]
    assert _row_counts() == before
    held.refresh_from_db()
    assert held.end_date is None


# --- executive_move and board_appointment -------------------------------------------------


def test_executive_move_makes_the_person_an_officer_of_the_counterparty_and_ends_nothing(
    log, subject, buyer_co, person
):
    seat = OwnershipFactory(
        owner=person, owned=subject, interest=Interest.BOARD_MEMBER, share=None, start_date=SINCE
    )
    event = log(
        kind=EventKind.EXECUTIVE_MOVE,
        subject=subject,
        counterparty=buyer_co,
        person=person,
        effective_date=DEAL,
    )
    officer = Ownership.objects.get(owner=person, owned=buyer_co)
    assert (officer.interest, officer.start_date, officer.end_date, officer.source_event) == (
        Interest.SENIOR_MANAGING_OFFICIAL,
        DEAL,
        None,
        event,
    )
    seat.refresh_from_db()
    assert seat.end_date is None
    assert Ownership.objects.count() == 2


def test_board_appointment_makes_the_person_a_board_member_of_the_subject(
    log, subject, buyer_co, person
):
    event = log(
        kind=EventKind.BOARD_APPOINTMENT,
        subject=subject,
        counterparty=buyer_co,
        person=person,
        effective_date=DEAL,
    )
    seat = Ownership.objects.get()
    assert (seat.owner, seat.owned, seat.interest, seat.start_date, seat.source_event) == (
        person,
        subject,
        Interest.BOARD_MEMBER,
        DEAL,
        event,
    )


def test_board_appointment_without_a_person_seats_the_counterparty(log, subject, buyer_co):
    event = log(
        kind=EventKind.BOARD_APPOINTMENT,
        subject=subject,
        counterparty=buyer_co,
        effective_date=DEAL,
    )
    seat = Ownership.objects.get()
    assert (seat.owner, seat.owned, seat.interest, seat.source_event) == (
        buyer_co,
        subject,
        Interest.BOARD_MEMBER,
        event,
    )


def test_other_event_changes_no_edge(log, subject, alpha, buyer_co):
    OwnershipFactory(owner=alpha, owned=subject, share=Decimal("60"), start_date=SINCE)
    before = list(Ownership.objects.values())
    event = log(
        kind=EventKind.OTHER,
        subject=subject,
        counterparty=buyer_co,
        share=Decimal("50"),
        effective_date=DEAL,
        note="Rumoured talks.",
    )
    assert list(Ownership.objects.values()) == before
    assert (event.kind, event.note, event.dilution) == (EventKind.OTHER, "Rumoured talks.", [])


# --- the reference scenario, a future event, the actor ------------------------------------


def test_reference_scenario_events_write_the_stake_and_the_officer_seat(db, log):
    meta = EntityFactory(name="Meta Platforms")
    scale = EntityFactory(name="Scale AI")
    ceo = PersonFactory(name="Scale AI CEO")
    OwnershipFactory(
        owner=ceo, owned=scale, interest=Interest.BOARD_MEMBER, share=None, start_date=D(2016, 6, 1)
    )
    log(kind="acquisition", subject=scale, counterparty=meta, share=49, effective_date=DEAL)
    log(kind="executive_move", subject=scale, counterparty=meta, person=ceo, effective_date=DEAL)
    active = Ownership.objects.active_on(DEAL).order_by("owner__name", "owned__name")
    assert [(e.owner.name, e.owned.name, e.interest, e.share) for e in active] == [
        ("Meta Platforms", "Scale AI", Interest.SHAREHOLDING, Decimal("49")),
        ("Scale AI CEO", "Meta Platforms", Interest.SENIOR_MANAGING_OFFICIAL, None),
        ("Scale AI CEO", "Scale AI", Interest.BOARD_MEMBER, None),
    ]


def test_event_dated_in_the_future_starts_its_edges_on_that_date(log, subject, alpha, buyer_co):
    today = datetime.date.today()
    closing = today + datetime.timedelta(days=90)
    OwnershipFactory(owner=alpha, owned=subject, share=Decimal("80"), start_date=SINCE)
    event = log(
        kind=EventKind.ACQUISITION,
        subject=subject,
        counterparty=buyer_co,
        share=Decimal("40"),
        effective_date=closing,
        announced_date=today,
    )
    assert _shares_on(subject, today) == {"Alpha Capital": Decimal("80")}
    assert _shares_on(subject, closing - ONE_DAY) == {"Alpha Capital": Decimal("80")}
    assert _shares_on(subject, closing) == {
        "Alpha Capital": Decimal("60"),
        "Charlie Acquirer": Decimal("40"),
    }
    assert Ownership.objects.filter(source_event=event, start_date=closing).count() == 2


def test_event_records_who_logged_it_and_its_edges_record_the_actor(log, subject, buyer_co, buyer):
    event = log(
        kind=EventKind.ACQUISITION,
        subject=subject,
        counterparty=buyer_co,
        share=Decimal("25"),
        effective_date=DEAL,
        actor=buyer,
    )
    edge = Ownership.objects.get(source_event=event)
    assert event.logged_by == buyer
    assert edge.history.first().history_user == buyer


# --- refused events write nothing -----------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"counterparty": "subject"}, "counterparty", id="subject-is-counterparty"),
        pytest.param({"share": Decimal("150")}, "share", id="share-150"),
        pytest.param({"share": Decimal("-1")}, "share", id="share-minus-1"),
        pytest.param(
            {"kind": "executive_move", "person": "alpha"}, "person", id="person-is-a-company"
        ),
        pytest.param({"effective_date": D(1899, 12, 31)}, "effective_date", id="dated-1899"),
        pytest.param({"effective_date": D(2090, 1, 1)}, "effective_date", id="dated-2090"),
        pytest.param(
            {"kind": "executive_move", "counterparty": "person2", "person": "person"},
            "counterparty",
            id="officer-of-a-person",
        ),
        pytest.param(
            {"kind": "board_appointment", "subject": "person2", "person": "person"},
            "subject",
            id="board-of-a-person",
        ),
    ],
)
def test_refused_event_writes_no_event_and_no_edge(
    subject, alpha, bravo, buyer_co, person, change, field
):
    OwnershipFactory(owner=alpha, owned=subject, share=Decimal("60"), start_date=SINCE)
    OwnershipFactory(owner=bravo, owned=subject, share=Decimal("40"), start_date=SINCE)
    parties = {
        "subject": subject,
        "alpha": alpha,
        "person": person,
        "person2": PersonFactory(name="Sam Other"),
    }
    kwargs = {
        "kind": EventKind.ACQUISITION,
        "subject": subject,
        "counterparty": buyer_co,
        "share": Decimal("50"),
        "effective_date": DEAL,
    }
    kwargs.update(
        {
            key: parties[value] if isinstance(value, str) and value in parties else value
            for key, value in change.items()
        }
    )
    before = _row_counts()
    with pytest.raises(ValidationError) as refused:
        services.ownership_event_log(**kwargs)
    assert field in refused.value.message_dict
    assert _row_counts() == before
    assert _shares_on(subject, DEAL) == {
        "Alpha Capital": Decimal("60"),
        "Bravo Partners": Decimal("40"),
    }


def test_new_stake_dilutes_a_holder_whose_stake_starts_later_too(subject, alpha, buyer_co):
    later = EntityFactory(name="Delta Later")
    OwnershipFactory(owner=alpha, owned=subject, share=Decimal("60"), start_date=SINCE)
    OwnershipFactory(owner=later, owned=subject, share=Decimal("40"), start_date=D(2026, 1, 1))
    event = services.ownership_event_log(
        kind=EventKind.ACQUISITION,
        subject=subject,
        counterparty=buyer_co,
        share=Decimal("30"),
        effective_date=DEAL,
    )
    # 60 + 30 fits on the deal date; when Delta's 40% starts, 60 + 40 is scaled to the 70 left.
    assert _shares_on(subject, DEAL) == {
        "Alpha Capital": Decimal("60"),
        "Charlie Acquirer": Decimal("30"),
    }
    assert _shares_on(subject, D(2026, 1, 1)) == {
        "Alpha Capital": Decimal("42"),
        "Delta Later": Decimal("28"),
        "Charlie Acquirer": Decimal("30"),
    }
    assert [(d["owner_name"], d["to"], d["on"]) for d in event.dilution] == [
        ("Alpha Capital", "42%", "2026-01-01"),
        ("Delta Later", "28%", "2026-01-01"),
    ]
