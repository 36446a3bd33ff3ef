"""``new_influence``: a recheck that finds a watchlisted party holding a share, control or an
interlock the vendor's previous assessment did not have alerts — whether or not the level rose
(docs/risk-rules.md, alerts)."""

import datetime
from decimal import Decimal

import pytest

from alerts.models import Alert
from registry import services
from registry.choices import EventKind, EventStatus
from registry.models import OwnershipEvent
from registry.services import pipeline
from tests.factories import EntityFactory, WatchlistEntryFactory

SINCE = datetime.date(2020, 1, 1)


@pytest.fixture
def ledgerline(db, django_capture_on_commit_callbacks):
    """A state-owned holder owns all of Ashcombe Topco, which holds half of Ledgerline Payroll."""
    state = EntityFactory(name="State Holdings")
    WatchlistEntryFactory(entity=state, category="state_owned")
    brightmoor = EntityFactory(name="Brightmoor")
    WatchlistEntryFactory(entity=brightmoor, category="competitor")
    topco = EntityFactory(name="Ashcombe Topco")
    payroll = EntityFactory(name="Ledgerline Payroll")
    with django_capture_on_commit_callbacks(execute=True):
        services.ownership_set(owner=state, owned=topco, share=Decimal(100), start_date=SINCE)
        services.ownership_set(owner=topco, owned=payroll, share=Decimal(50), start_date=SINCE)
        vendor = services.vendor_create(entity=payroll, category="payroll", tier=1)
    return {"brightmoor": brightmoor, "topco": topco, "vendor": vendor}


def test_a_competitors_first_stake_alerts_although_the_level_fell(
    ledgerline, django_capture_on_commit_callbacks
):
    vendor = ledgerline["vendor"]
    vendor.refresh_from_db()
    assert vendor.risk_level == "critical"  # the state holds 50% through Topco
    with django_capture_on_commit_callbacks(execute=True):
        event = services.ownership_event_log(
            kind=EventKind.ACQUISITION,
            subject=ledgerline["topco"],
            counterparty=ledgerline["brightmoor"],
            share=Decimal(30),
            effective_date=datetime.date(2025, 6, 13),
        )

    vendor.refresh_from_db()
    # The state is diluted to 70% of Topco (35% of Ledgerline: high); Brightmoor holds 15%.
    assert vendor.risk_level == "high"
    assert not Alert.objects.filter(kind="risk_increased", event=event).exists()
    (alert,) = Alert.objects.filter(kind="new_influence", vendor=vendor, event=event)
    assert alert.severity == "medium"
    assert alert.title == "Ledgerline Payroll: Brightmoor now has a look-through share in it"
    assert "Brightmoor holds 15.00% of Ledgerline Payroll" in alert.detail

    # Processing the event again finds nothing new.
    OwnershipEvent.objects.filter(pk=event.pk).update(status=EventStatus.PENDING)
    pipeline.event_process(event_id=event.pk)
    assert Alert.objects.filter(kind="new_influence", vendor=vendor).count() == 2


def test_the_first_assessment_alerts_each_influence_it_finds_once(ledgerline):
    state_alerts = Alert.objects.filter(kind="new_influence", vendor=ledgerline["vendor"])
    assert [(a.severity, a.title) for a in state_alerts] == [
        ("critical", "Ledgerline Payroll: State Holdings now has a look-through share in it")
    ]
