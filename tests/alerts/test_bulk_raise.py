"""Raising many alerts at once: each once, with its history, e-mail and webhook deliveries
recorded in the same transaction, in a number of statements that does not grow with the batch."""

import pytest
from django.db import IntegrityError, connection, transaction
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


def test_a_key_taken_by_another_raiser_is_left_out_with_nothing_recorded_for_it(buyer, endpoint):
    vendors = _vendors(2, owner=buyer)
    # Another worker committed k1 after this batch was put together.
    won = Alert.objects.create(dedup_key="k1", kind="risk_increased", severity="high", title="won")

    with CaptureQueriesContext(connection) as queries:
        raised = alerts_raise([_spec(vendors[0], "k0"), _spec(vendors[1], "k1")])

    assert [alert.dedup_key for alert in raised] == ["k0"]
    assert Alert.objects.get(dedup_key="k1").title == "won"
    assert Alert.objects.count() == 2
    # The insert itself left k1 out: no look-up of the keys first, no savepoint.
    sql = [query["sql"] for query in queries.captured_queries]
    assert not any("SAVEPOINT" in statement for statement in sql)
    assert (
        sum(
            statement.startswith("INSERT") and 'INTO "alerts_alert" ' in statement
            for statement in sql
        )
        == 1
    )
    assert not any(
        statement.startswith("SELECT") and "alerts_alert" in statement for statement in sql
    )
    assert EmailNotification.objects.filter(alert=won).count() == 0
    assert WebhookDelivery.objects.filter(alert=won).count() == 0
    # Only the winner's own history row.
    assert Alert.history.filter(dedup_key="k1").count() == 1


def test_raising_only_keys_raised_before_costs_the_insert_alone(buyer, endpoint):
    vendors = _vendors(3, owner=buyer)
    first = alerts_raise(_spec(vendor, f"k{vendor.pk}") for vendor in vendors)
    assert len(first) == 3

    with CaptureQueriesContext(connection) as queries:
        again = alerts_raise(_spec(vendor, f"k{vendor.pk}") for vendor in vendors)

    assert again == []
    assert len(queries) == 1
    assert Alert.objects.count() == 3
    assert EmailNotification.objects.count() == 3
    assert WebhookDelivery.objects.count() == 3


def test_an_alert_the_database_refuses_fails_the_batch_rather_than_being_dropped(buyer):
    (vendor,) = _vendors(1, owner=buyer)
    refused = AlertSpec(dedup_key="k-bad", kind="no_such_kind", severity="high", title="?")

    with pytest.raises(IntegrityError), transaction.atomic():
        alerts_raise([_spec(vendor, "k-good"), refused])

    assert not Alert.objects.exists()


def test_nothing_to_raise_costs_no_statement():
    with CaptureQueriesContext(connection) as queries:
        assert alerts_raise([]) == []
    assert len(queries) == 0


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
