"""Declaring an entity's owners undisclosed (or disclosed again) rechecks the vendors at or below
it, and the ``undisclosed_ownership`` factor it brings raises ``risk_increased`` when the level
rises (docs/risk-rules.md, rule 5)."""

import datetime
from decimal import Decimal

import pytest

from alerts.models import Alert
from registry import services
from registry.choices import RecheckReason
from registry.models import RecheckRequest, RiskAssessment
from tests.factories import orchard_group

SINCE = datetime.date(2020, 1, 1)


@pytest.fixture
def orchard(db, django_capture_on_commit_callbacks):
    """Quarry Trust holds 60% of Orchard Holdco, which holds half of Orchard Data (a vendor),
    which owns all of Orchard Labs (a vendor). Fernway Print, a third vendor, is elsewhere."""
    with django_capture_on_commit_callbacks(execute=True):
        return orchard_group(SINCE)


def _latest(vendor) -> RiskAssessment:
    return RiskAssessment.objects.filter(vendor=vendor).latest()


def _undisclosed(vendor) -> list[tuple]:
    return list(
        _latest(vendor)
        .factors.filter(code="undisclosed_ownership")
        .values_list("party__name", "severity", "effective_share", "path")
    )


def test_declaring_owners_undisclosed_rechecks_below_and_raises_risk_increased(
    orchard, analyst, django_capture_on_commit_callbacks
):
    trust, vendors = orchard["trust"], orchard["vendors"]
    with django_capture_on_commit_callbacks(execute=True):
        policy = services.risk_policy_update(undisclosed_severity="medium", actor=analyst)
    assert {v.name: _latest(v).level for v in vendors.values()} == dict.fromkeys(vendors, "low")
    before = {name: vendor.assessments.count() for name, vendor in vendors.items()}

    with django_capture_on_commit_callbacks(execute=True):
        services.entity_update(entity=trust, owners_undisclosed=True, actor=analyst)

    request = RecheckRequest.objects.latest("pk")
    assert (request.reason, request.entity_ids) == (RecheckReason.DISCLOSURE_CHANGED, [trust.pk])
    assert request.processed_at is not None
    after = {name: vendor.assessments.count() for name, vendor in vendors.items()}
    assert {name: after[name] - before[name] for name in vendors} == {
        "Orchard Data": 1,
        "Orchard Labs": 1,
        "Fernway Print": 0,
    }
    data, labs = vendors["Orchard Data"], vendors["Orchard Labs"]
    chain = [trust.pk, orchard["holdco"].pk, data.entity_id]
    assert _undisclosed(data) == [("Quarry Trust", "medium", Decimal("30.0000"), chain)]
    assert _undisclosed(labs) == [
        ("Quarry Trust", "medium", Decimal("30.0000"), [*chain, labs.entity_id])
    ]
    # Medium band from 25: 4 points + 30 / 20 = 5.5 → 6.
    assert (_latest(data).level, _latest(data).score, _latest(data).policy_version) == (
        "medium",
        31,
        policy.version,
    )
    alerts = Alert.objects.filter(kind="risk_increased", event__isnull=True).order_by("vendor_id")
    assert [(a.vendor_id, a.severity) for a in alerts] == [
        (data.pk, "medium"),
        (labs.pk, "medium"),
    ]
    data.refresh_from_db()
    assert (data.risk_level, data.risk_score) == ("medium", 31)


def test_disclosing_the_owners_again_rechecks_and_drops_the_factor(
    orchard, django_capture_on_commit_callbacks
):
    trust, data = orchard["trust"], orchard["vendors"]["Orchard Data"]
    with django_capture_on_commit_callbacks(execute=True):
        services.entity_update(entity=trust, owners_undisclosed=True)
    # The default policy grades it low: the level does not rise, so nothing alerts.
    chain = [trust.pk, orchard["holdco"].pk, data.entity_id]
    assert _undisclosed(data) == [("Quarry Trust", "low", Decimal("30.0000"), chain)]
    assert (_latest(data).level, _latest(data).score) == ("low", 4)
    assert not Alert.objects.filter(kind="risk_increased").exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.entity_update(entity=trust, owners_undisclosed=False)

    assert RecheckRequest.objects.filter(reason=RecheckReason.DISCLOSURE_CHANGED).count() == 2
    assert _undisclosed(data) == []
    assert (_latest(data).level, _latest(data).score) == ("low", 0)


def test_an_edit_that_leaves_the_flag_as_it_was_asks_for_no_recheck(
    orchard, django_capture_on_commit_callbacks
):
    trust = orchard["trust"]
    with django_capture_on_commit_callbacks(execute=True):
        services.entity_update(entity=trust, owners_undisclosed=False, country="GB")
    assert not RecheckRequest.objects.filter(reason=RecheckReason.DISCLOSURE_CHANGED).exists()


def test_grading_undisclosed_owners_higher_in_the_policy_rechecks_every_vendor(
    orchard, analyst, django_capture_on_commit_callbacks
):
    trust, vendors = orchard["trust"], orchard["vendors"]
    with django_capture_on_commit_callbacks(execute=True):
        services.entity_update(entity=trust, owners_undisclosed=True)
    with django_capture_on_commit_callbacks(execute=True):
        policy = services.risk_policy_update(undisclosed_severity="high", actor=analyst)

    levels = {name: (_latest(v).level, _latest(v).policy_version) for name, v in vendors.items()}
    assert levels == {
        "Orchard Data": ("high", policy.version),
        "Orchard Labs": ("high", policy.version),
        "Fernway Print": ("low", policy.version),
    }
    # High band from 50: 6 points + 30 / 20 = 7.5 → 8.
    assert _latest(vendors["Orchard Data"]).score == 58
    alerts = Alert.objects.filter(kind="risk_increased").order_by("vendor_id")
    assert [(a.vendor_id, a.severity, a.event_id) for a in alerts] == [
        (vendors["Orchard Data"].pk, "high", None),
        (vendors["Orchard Labs"].pk, "high", None),
    ]
    cause = f"under risk policy version {policy.version}"
    assert all(alert.title.endswith(cause) for alert in alerts)
    assert "The owners of Quarry Trust are declared undisclosed" in alerts[0].detail
