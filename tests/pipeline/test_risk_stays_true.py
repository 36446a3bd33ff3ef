"""Stored risk stays true: watchlisted people recheck what they own, a future-dated event alerts
again on its day, the daily run catches up missed days and names the event that ended an edge,
backdated events keep later edges, and change of control follows control (docs/risk-rules.md,
rules 6 and 7 and the alert rules)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from alerts.models import Alert
from registry import services
from registry.choices import EventKind, RecheckReason
from registry.models import Ownership, RecheckRequest, RiskAssessment, ScheduledRecheckDay
from registry.services import pipeline
from tests.factories import (
    ContractFactory,
    EntityFactory,
    OwnershipFactory,
    PersonFactory,
    VendorFactory,
    WatchlistEntryFactory,
)

D = datetime.date
DAY = datetime.timedelta(days=1)
SINCE = D(2020, 1, 1)


@pytest.fixture
def run_on_commit(db, django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _level(vendor) -> str:
    vendor.refresh_from_db()
    return vendor.risk_level


# --- Rule 6: a watchlisted person ------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "listed_level"), [("sanctioned", "critical"), ("competitor", "critical")]
)
def test_listing_a_person_rechecks_the_vendor_they_own(run_on_commit, category, listed_level):
    person = PersonFactory(name="Person X")
    held = EntityFactory(name="Held Co")
    with run_on_commit():
        services.ownership_set(owner=person, owned=held, share=Decimal(60), start_date=SINCE)
        vendor = services.vendor_create(entity=held, category="software", tier=2)
    assert _level(vendor) == "low"

    with run_on_commit():
        entry = services.watchlist_entry_create(entity=person, category=category, reason="Test.")
    assert _level(vendor) == listed_level
    rise = Alert.objects.get(kind="risk_increased", vendor=vendor)
    assert (rise.severity, rise.event) == (listed_level, None)

    with run_on_commit():
        services.watchlist_entry_delete(entry=entry)
    assert _level(vendor) == "low"


# --- Rule 7 and risk_increased per level -----------------------------------------------------


def test_future_dated_event_alerts_when_logged_and_again_on_its_day(run_on_commit):
    rival = EntityFactory(name="Rival Corp")
    WatchlistEntryFactory(entity=rival, category="competitor")
    target = EntityFactory(name="Target Co")
    OwnershipFactory(owner=rival, owned=target, share=Decimal(30), start_date=SINCE)
    vendor = VendorFactory(entity=target)  # never assessed: counts as previously low
    closing = timezone.localdate() + 30 * DAY

    with run_on_commit():
        event = services.ownership_event_log(
            kind=EventKind.STAKE_CHANGE,
            subject=target,
            counterparty=rival,
            share=Decimal(60),
            effective_date=closing,
        )
    assert _level(vendor) == "high"  # today: the 30% it already holds
    with run_on_commit():
        assert pipeline.scheduled_recheck(today=closing) == 1
    assert _level(vendor) == "critical"

    rises = Alert.objects.filter(kind="risk_increased", vendor=vendor).order_by("pk")
    assert [(a.severity, a.event_id, a.status) for a in rises] == [
        ("high", event.pk, "resolved"),
        ("critical", event.pk, "open"),
    ]
    assert rises[0].resolution_note.startswith(f"Superseded by alert #{rises[1].pk}")


def test_daily_run_rechecks_a_large_events_vendors_in_chunks_named_by_the_event(
    run_on_commit, settings
):
    settings.PIPELINE_CHUNK_SIZE = 2
    rival = EntityFactory(name="Rival Corp")
    WatchlistEntryFactory(entity=rival, category="competitor")
    group = EntityFactory(name="Group Holdings")
    vendors = []
    for number in range(5):
        company = EntityFactory(name=f"Group Company {number}")
        OwnershipFactory(owner=group, owned=company, share=Decimal(100), start_date=SINCE)
        vendors.append(VendorFactory(entity=company))
    closing = timezone.localdate() + 30 * DAY
    with run_on_commit():
        event = services.ownership_event_log(
            kind=EventKind.ACQUISITION,
            subject=group,
            counterparty=rival,
            share=Decimal(60),
            effective_date=closing,
        )
    assert {_level(vendor) for vendor in vendors} == {"low"}  # not yet: it closes later

    with run_on_commit():
        assert pipeline.scheduled_recheck(today=closing) == 5

    request = RecheckRequest.objects.get(event=event, reason=RecheckReason.SCHEDULED)
    assert (request.vendors_total, request.vendors_done) == (5, 5)
    assert request.processed_at is not None
    assert request.chunks.count() == 3  # 2 + 2 + 1 vendors
    assert {_level(vendor) for vendor in vendors} == {"critical"}
    rises = Alert.objects.filter(kind="risk_increased", severity="critical", status="open")
    assert sorted(rises.values_list("vendor_id", flat=True)) == [v.pk for v in vendors]
    assert set(rises.values_list("event_id", flat=True)) == {event.pk}


def test_daily_run_catches_up_a_missed_day(run_on_commit):
    holder = EntityFactory(name="Holder")
    target = EntityFactory(name="Target Co")
    vendor = VendorFactory(entity=target)
    day = D(2031, 3, 10)
    ScheduledRecheckDay.objects.create(day=day - DAY)
    OwnershipFactory(owner=holder, owned=target, share=Decimal(40), start_date=day)

    # Beat was down on the 10th; the run on the 11th covers the 10th too.
    with run_on_commit():
        pipeline.scheduled_recheck(today=day + DAY)

    covered = sorted(ScheduledRecheckDay.objects.values_list("day", flat=True))
    assert covered == [day - DAY, day, day + DAY]
    (request,) = RecheckRequest.objects.filter(reason=RecheckReason.SCHEDULED)
    assert (request.entity_ids, request.as_of) == ([target.pk], day + DAY)
    assert request.processed_at is not None
    assert RiskAssessment.objects.filter(vendor=vendor).count() == 1
    # The same day again covers nothing new.
    with run_on_commit():
        assert pipeline.scheduled_recheck(today=day + DAY) == 0
    assert RecheckRequest.objects.filter(reason=RecheckReason.SCHEDULED).count() == 1


def test_the_day_a_divested_stake_ends_is_rechecked_for_the_divestiture(run_on_commit):
    rival = EntityFactory(name="Rival Corp")
    WatchlistEntryFactory(entity=rival, category="competitor")
    target = EntityFactory(name="Target Co")
    with run_on_commit():
        acquisition = services.ownership_event_log(
            kind=EventKind.ACQUISITION,
            subject=target,
            counterparty=rival,
            share=Decimal(30),
            effective_date=SINCE,
        )
        vendor = services.vendor_create(entity=target, category="software", tier=2)
    closing = timezone.localdate() + 10 * DAY
    with run_on_commit():
        divestiture = services.ownership_event_log(
            kind=EventKind.DIVESTITURE, subject=target, counterparty=rival, effective_date=closing
        )
    stake = Ownership.objects.get(owner=rival, owned=target)
    assert (stake.source_event, stake.ended_by_event) == (acquisition, divestiture)
    assert stake.end_date == closing - DAY
    assert _level(vendor) == "high"

    with run_on_commit():
        assert pipeline.scheduled_recheck(today=closing) == 1

    assert _level(vendor) == "low"
    latest = RiskAssessment.objects.filter(vendor=vendor).latest("assessed_at")
    assert latest.event == divestiture
    # The event's own edge went through its own recheck, not a second generic one.
    assert not RecheckRequest.objects.filter(reason=RecheckReason.SCHEDULED).exists()


# --- The timeline rule -----------------------------------------------------------------------


def test_backdated_event_keeps_the_later_edges(run_on_commit):
    holder = EntityFactory(name="M Holdings")
    target = EntityFactory(name="Target Co")
    with run_on_commit():
        services.ownership_set(
            owner=holder, owned=target, share=Decimal(30), start_date=D(2024, 1, 1)
        )
        services.ownership_set(
            owner=holder, owned=target, share=Decimal(10), start_date=D(2027, 1, 1)
        )
        services.ownership_event_log(
            kind=EventKind.STAKE_CHANGE,
            subject=target,
            counterparty=holder,
            share=Decimal(60),
            effective_date=D(2023, 1, 1),
        )
    timeline = list(
        Ownership.objects.filter(owner=holder, owned=target)
        .order_by("start_date")
        .values_list("share", "start_date", "end_date")
    )
    assert timeline == [
        (Decimal("60"), D(2023, 1, 1), D(2023, 12, 31)),
        (Decimal("30"), D(2024, 1, 1), D(2026, 12, 31)),
        (Decimal("10"), D(2027, 1, 1), None),
    ]


# --- change_of_control follows control ---------------------------------------------------------


@pytest.mark.parametrize(("share", "alerts"), [(Decimal(1), 0), (Decimal(60), 1)])
def test_change_of_control_only_where_the_subject_controls_the_vendor(run_on_commit, share, alerts):
    scale = EntityFactory(name="Scale AI")
    meta = EntityFactory(name="Meta Platforms")
    held = EntityFactory(name="Held Vendor Co")
    OwnershipFactory(owner=scale, owned=held, share=share, start_date=SINCE)
    vendor = VendorFactory(entity=held)
    ContractFactory(
        vendor=vendor,
        reference="HELD-1",
        start_date=SINCE,
        change_of_control_clause=True,
        coc_termination_window_days=30,
    )
    with run_on_commit():
        services.ownership_event_log(
            kind=EventKind.ACQUISITION,
            subject=scale,
            counterparty=meta,
            share=Decimal(49),
            effective_date=D(2025, 6, 13),
        )
    coc = Alert.objects.filter(kind="change_of_control", vendor=vendor)
    assert coc.count() == alerts
    if alerts:
        assert coc.get().due_date == D(2025, 7, 13)
