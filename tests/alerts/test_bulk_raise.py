"""Raising many alerts at once: each once, with its history, e-mail and webhook deliveries
recorded in the same transaction, in a number of statements that does not grow with the batch."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Alert, EmailNotification, WebhookDelivery, WebhookEndpoint
from alerts.services import AlertSpec, alert_raise, alerts_raise, alerts_superseded_resolve_bulk
from tests.factories import EntityFactory, VendorFactory

pytestmark = pytest.mark.django_db


def _vendors(n: int, owner=None):
    return [
        VendorFactory(entity=EntityFactory(name=f"Vendor {i}"), business_owner=owner)
        for i in range(n)
    ]


def _spec(vendor, key: str, severity: str = "high") -> AlertSpec:
    return AlertSpec(
        dedup_key=key,
        kind="risk_increased",
        severity=severity,
        title=f"{vendor.entity.name}: risk rose from low to {severity}",
        vendor=vendor,
    )


@pytest.fixture
def endpoint():
    return WebhookEndpoint.objects.create(
        name="Ticketing", url="https://hooks.example.com/registry", secret="s3cret-value-abcd"
    )


def test_each_alert_is_raised_once_with_its_email_delivery_and_history(buyer, endpoint):
    vendors = _vendors(3, owner=buyer)
    already, _ = alert_raise(**_spec(vendors[0], "k0").__dict__)

    raised = alerts_raise(
        [_spec(vendors[0], "k0"), _spec(vendors[1], "k1"), _spec(vendors[2], "k2")]
        + [_spec(vendors[2], "k2")]  # the same key twice in one batch
    )

    assert sorted(alert.dedup_key for alert in raised) == ["k1", "k2"]
    assert all(alert.pk for alert in raised)
    assert Alert.objects.count() == 3
    assert Alert.objects.get(dedup_key="k0").pk == already.pk
    # The business owner is the default assignee, and gets one e-mail per new alert.
    assert {alert.assignee_id for alert in raised} == {buyer.pk}
    assert EmailNotification.objects.filter(alert__in=raised).count() == 2
    assert WebhookDelivery.objects.filter(endpoint=endpoint, alert__in=raised).count() == 2
    assert WebhookDelivery.objects.count() == 3  # k0's own, from alert_raise
    assert Alert.history.filter(dedup_key__in=["k1", "k2"], history_type="+").count() == 2


def test_a_batch_costs_the_same_statements_for_ten_alerts_as_for_forty(buyer, endpoint):
    # Forty keeps every insert within SQLite's 999 parameters, which would split it.
    vendors = _vendors(40, owner=buyer)

    def count(chosen, prefix):
        with CaptureQueriesContext(connection) as queries:
            raised = alerts_raise(_spec(vendor, f"{prefix}{vendor.pk}") for vendor in chosen)
        assert len(raised) == len(chosen)
        return len(queries)

    assert count(vendors[:10], "a") == count(vendors, "b")
    assert EmailNotification.objects.count() == 50
    assert WebhookDelivery.objects.count() == 50


def test_a_key_inserted_by_a_concurrent_raiser_falls_back_to_one_at_a_time(monkeypatch, buyer):
    vendors = _vendors(2, owner=buyer)
    real_filter = Alert.objects.filter

    def racing_filter(*args, **kwargs):
        found = real_filter(*args, **kwargs)
        if "dedup_key__in" not in kwargs:
            return found
        keys = list(found.values_list("dedup_key", flat=True))
        # Another worker commits k1 between the read of existing keys and the insert.
        Alert.objects.create(dedup_key="k1", kind="risk_increased", severity="high", title="won")
        return SimpleNamespace(values_list=lambda *fields, **options: keys)

    monkeypatch.setattr(Alert.objects, "filter", racing_filter, raising=False)
    raised = alerts_raise([_spec(vendors[0], "k0"), _spec(vendors[1], "k1")])

    assert [alert.dedup_key for alert in raised] == ["k0"]
    assert Alert.objects.get(dedup_key="k1").title == "won"
    assert Alert.objects.count() == 2


def test_superseded_rises_are_resolved_naming_the_newer_alert(buyer):
    first, second = _vendors(2, owner=buyer)
    (old,) = alerts_raise([_spec(first, "old", "medium")])
    (other,) = alerts_raise([_spec(second, "other", "medium")])
    (new,) = alerts_raise([_spec(first, "new", "critical")])

    assert alerts_superseded_resolve_bulk(alerts=[new]) == 1

    old.refresh_from_db()
    other.refresh_from_db()
    assert old.status == "resolved"
    assert old.resolution_note == f"Superseded by alert #{new.pk}: {new.title}"
    assert other.status == "open"  # another vendor's rise is not superseded
    assert Alert.history.filter(id=old.pk, history_type="~", status="resolved").count() == 1
