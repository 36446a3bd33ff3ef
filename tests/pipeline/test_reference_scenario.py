"""The reference scenario ends exactly as docs/risk-rules.md says (in-process tasks)."""

import datetime

import pytest

from alerts.models import Alert
from registry.choices import EventStatus
from registry.selectors import vendor_latest_assessment
from tests.pipeline.scenario import build_reference_registry, log_reference_events


@pytest.fixture
def reference(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ref = build_reference_registry()
    with django_capture_on_commit_callbacks(execute=True):
        events = log_reference_events(ref)
    return ref, events


def _factors(vendor):
    assessment = vendor_latest_assessment(vendor=vendor)
    return assessment, {
        f.code: (
            f.severity,
            f.party_id,
            None if f.effective_share is None else float(f.effective_share),
            f.path,
        )
        for f in assessment.factors.all()
    }


def test_scale_ai_is_critical_through_ownership_and_interlock(reference):
    ref, _ = reference
    assessment, factors = _factors(ref.scale_vendor)
    assert assessment.level == "critical"
    assert factors["competitor_ownership"] == (
        "high",
        ref.meta.pk,
        pytest.approx(49.0),
        [ref.meta.pk, ref.scale.pk],
    )
    assert factors["key_person_interlock"] == (
        "high",
        ref.meta.pk,
        None,
        [ref.meta.pk, ref.ceo.pk, ref.scale.pk],
    )
    assert set(factors) == {"competitor_ownership", "key_person_interlock"}


def test_remotasks_is_high_though_nobody_logged_anything_about_it(reference):
    ref, _ = reference
    assessment, factors = _factors(ref.remotasks_vendor)
    assert assessment.level == "high"
    assert factors == {
        "competitor_ownership": (
            "high",
            ref.meta.pk,
            pytest.approx(49.0),
            [ref.meta.pk, ref.scale.pk, ref.remotasks.pk],
        )
    }


def test_scale_contract_gets_change_of_control_alert_due_in_30_days(reference):
    ref, (acquisition, move) = reference
    alert = Alert.objects.get(kind="change_of_control")
    assert alert.contract == ref.scale_contract
    assert alert.event == acquisition
    assert alert.vendor == ref.scale_vendor
    assert alert.due_date == datetime.date(2025, 7, 13)


def test_events_are_processed_with_their_affected_vendors(reference):
    ref, (acquisition, move) = reference
    acquisition.refresh_from_db()
    move.refresh_from_db()
    assert acquisition.status == move.status == EventStatus.PROCESSED
    assert set(acquisition.affected_vendors.all()) == {ref.scale_vendor, ref.remotasks_vendor}
    # Rule 6: the subject and everything below it, whatever the kind of event.
    assert set(move.affected_vendors.all()) == {ref.scale_vendor, ref.remotasks_vendor}


def test_risk_increased_once_per_vendor_whose_level_rose(reference):
    ref, (acquisition, move) = reference
    rises = Alert.objects.filter(kind="risk_increased").order_by("vendor__entity__name")
    assert [(a.vendor, a.severity, a.event, a.contract) for a in rises] == [
        (ref.remotasks_vendor, "high", acquisition, None),
        (ref.scale_vendor, "critical", acquisition, None),
    ]


def test_scale_ai_risk_alert_says_it_was_raised_to_critical_for_restricted_data(reference):
    ref, _ = reference
    alert = Alert.objects.get(kind="risk_increased", vendor=ref.scale_vendor, status="open")

    first, *rest = alert.detail.splitlines()

    assert first == (
        "Raised to critical: restricted data access and high competitor ownership and "
        "key-person interlock factors."
    )
    assert rest and all(line.startswith("- ") for line in rest)


def test_remotasks_risk_alert_names_its_highest_factor(reference):
    ref, _ = reference
    alert = Alert.objects.get(kind="risk_increased", vendor=ref.remotasks_vendor, status="open")

    assert (
        alert.detail.splitlines()[0] == "High: its highest factor (competitor ownership) is high."
    )
