"""Alerts become signed webhook deliveries, sent to a real receiver on loopback."""

import hashlib
import hmac
import json
import socket
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from alerts.choices import AlertKind, DeliveryStatus
from alerts.models import WebhookAttempt, WebhookDelivery
from alerts.services import alert_raise
from alerts.tasks import deliver_webhook, sweep_webhook_deliveries
from alerts.webhooks import deliveries_create, delivery_resend, webhook_endpoint_save
from registry.choices import RiskLevel

SECRET = "whsec-scale-review-0123456789"


def verify(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    """The receiver's recipe, as docs/api.md gives it."""
    timestamp = headers["X-VendorRegistry-Timestamp"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(headers["X-VendorRegistry-Signature"], f"v1={expected.hexdigest()}")


def endpoint_for(receiver, **fields):
    defaults = {"name": "Ticketing", "url": receiver.url(), "secret": SECRET}
    return webhook_endpoint_save(**(defaults | fields))


def test_raised_alert_reaches_the_receiver_signed(receiver, raise_coc_alert):
    endpoint = endpoint_for(receiver)

    alert = raise_coc_alert()

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.method == "POST"
    assert request.path == "/hooks/vendor-registry"
    assert request.headers["Content-Type"] == "application/json"
    assert verify(SECRET, request.headers, request.body)
    assert not verify("another-secret", request.headers, request.body)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, alert=alert)
    assert request.headers["X-VendorRegistry-Delivery"] == str(delivery.pk)
    assert request.json() == {
        "id": alert.pk,
        "kind": "change_of_control",
        "severity": "high",
        "title": "Change of control at Scale AI: review contract SCALE-2024-001",
        "status": "open",
        "vendor": {"id": alert.vendor_id, "name": "Scale AI"},
        "contract": {"id": alert.contract_id, "reference": "SCALE-2024-001"},
        "event": None,
        "due_date": "2025-07-13",
        "created_at": alert.created_at.isoformat(),
    }
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempt_count == 1
    assert delivery.delivered_at is not None
    attempt = delivery.attempts.get()
    assert attempt.status_code == 200
    assert attempt.error == ""
    assert 0 <= attempt.duration_ms < 5000


def test_tampered_body_fails_the_signature_check(receiver, raise_coc_alert):
    endpoint_for(receiver)
    raise_coc_alert()

    request = receiver.requests[0]
    tampered = request.body.replace(b'"severity":"high"', b'"severity":"low"')
    assert tampered != request.body
    assert not verify(SECRET, request.headers, tampered)


def test_receiver_error_is_retried_and_every_attempt_recorded(receiver, raise_coc_alert):
    receiver.script = [(500, {}), (503, {}), (200, {})]
    endpoint = endpoint_for(receiver)

    alert = raise_coc_alert()

    delivery = WebhookDelivery.objects.get(endpoint=endpoint, alert=alert)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempt_count == 3
    assert [a.status_code for a in delivery.attempts.order_by("id")] == [500, 503, 200]
    assert [a.error for a in delivery.attempts.order_by("id")] == ["HTTP 500", "HTTP 503", ""]
    # A retry is the same delivery, freshly timestamped and signed.
    assert {r.headers["X-VendorRegistry-Delivery"] for r in receiver.requests} == {str(delivery.pk)}
    assert all(verify(SECRET, r.headers, r.body) for r in receiver.requests)


def test_receiver_that_keeps_failing_gets_six_attempts_then_failed(
    receiver, raise_coc_alert, settings
):
    receiver.script = [(500, {})]
    endpoint = endpoint_for(receiver)

    alert = raise_coc_alert()

    delivery = WebhookDelivery.objects.get(endpoint=endpoint, alert=alert)
    assert settings.WEBHOOK_MAX_ATTEMPTS == 6
    assert len(receiver.requests) == 6
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempt_count == 6
    assert delivery.next_attempt_at is None
    assert delivery.delivered_at is None
    assert list(delivery.attempts.values_list("status_code", flat=True)) == [500] * 6


def test_redirect_is_recorded_and_not_followed(receiver, raise_coc_alert, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.script = [(302, {"Location": receiver.url("/elsewhere")})]
    endpoint = endpoint_for(receiver)

    alert = raise_coc_alert()

    assert [(r.method, r.path) for r in receiver.requests] == [
        ("POST", "/hooks/vendor-registry"),
        ("POST", "/hooks/vendor-registry"),
    ]
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, alert=alert)
    assert delivery.status == DeliveryStatus.FAILED
    attempt = delivery.attempts.first()
    assert attempt.status_code == 302
    assert attempt.error == f"Redirect to '{receiver.url('/elsewhere')}' not followed."


def test_unreachable_receiver_is_recorded_as_an_error(receiver, raise_coc_alert, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    endpoint = endpoint_for(receiver, url=f"http://127.0.0.1:{closed_port}/hook")

    alert = raise_coc_alert()

    delivery = WebhookDelivery.objects.get(endpoint=endpoint, alert=alert)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts.count() == 2
    attempt = delivery.attempts.first()
    assert attempt.status_code is None
    assert attempt.error.startswith("ConnectionRefusedError")


def test_only_matching_active_endpoints_get_a_delivery(receiver, raise_coc_alert):
    everything = endpoint_for(receiver, name="Everything")
    coc_only = endpoint_for(receiver, name="CoC", alert_kinds=[AlertKind.CHANGE_OF_CONTROL])
    high_up = endpoint_for(receiver, name="High and up", min_severity=RiskLevel.HIGH)
    endpoint_for(receiver, name="Critical only", min_severity=RiskLevel.CRITICAL)
    endpoint_for(receiver, name="Risk only", alert_kinds=[AlertKind.RISK_INCREASED])
    endpoint_for(receiver, name="Switched off", is_active=False)

    alert = raise_coc_alert()

    assert set(WebhookDelivery.objects.filter(alert=alert).values_list("endpoint", flat=True)) == {
        everything.pk,
        coc_only.pk,
        high_up.pk,
    }
    assert len(receiver.requests) == 3


def test_creating_deliveries_twice_makes_no_second_row(
    receiver, raise_coc_alert, django_capture_on_commit_callbacks
):
    endpoint_for(receiver)
    alert = raise_coc_alert()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        deliveries_create(alert=alert)

    assert WebhookDelivery.objects.filter(alert=alert).count() == 1
    assert callbacks == []
    assert len(receiver.requests) == 1


def test_broker_down_leaves_the_delivery_pending_for_the_sweeper(
    receiver, raise_coc_alert, monkeypatch
):
    endpoint_for(receiver)

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    with monkeypatch.context() as patched:
        patched.setattr(deliver_webhook, "delay", broker_down)
        alert = raise_coc_alert()

    delivery = WebhookDelivery.objects.get(alert=alert)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempt_count == 0
    assert receiver.requests == []

    assert sweep_webhook_deliveries() == 0  # not overdue yet
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert sweep_webhook_deliveries() == 1

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert len(receiver.requests) == 1


def test_failed_delivery_can_be_resent(receiver, raise_coc_alert, settings, superuser):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.script = [(500, {}), (204, {})]
    endpoint = endpoint_for(receiver)
    alert = raise_coc_alert()
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, alert=alert)
    assert delivery.status == DeliveryStatus.FAILED

    delivery = delivery_resend(delivery=delivery, actor=superuser)
    assert delivery.status == DeliveryStatus.PENDING
    deliver_webhook.apply(args=[delivery.pk])

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempt_count == 1
    assert list(delivery.attempts.order_by("id").values_list("status_code", flat=True)) == [
        500,
        204,
    ]
    with pytest.raises(ValidationError) as refused:
        delivery_resend(delivery=delivery)
    assert refused.value.message_dict == {
        "status": ["Only a failed delivery can be re-sent; this one is delivered."]
    }


def test_a_delivered_delivery_is_not_sent_again(receiver, raise_coc_alert):
    endpoint_for(receiver)
    alert = raise_coc_alert()
    delivery = WebhookDelivery.objects.get(alert=alert)

    assert deliver_webhook.apply(args=[delivery.pk]).get() == "skipped"
    assert len(receiver.requests) == 1
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 1


def test_deactivated_endpoint_fails_its_pending_delivery_without_a_request(
    receiver, scale_contract, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver)
    alert, _ = alert_raise(
        dedup_key="risk:scale",
        kind=AlertKind.RISK_INCREASED,
        severity=RiskLevel.CRITICAL,
        title="Scale AI is now critical",
        vendor=scale_contract.vendor,
    )
    deliveries_create(alert=alert)  # rows only: the task waits for a commit that never comes
    endpoint.is_active = False
    endpoint.save()

    assert deliver_webhook.apply(args=[alert.deliveries.get().pk]).get() == "failed"
    assert receiver.requests == []
    assert alert.deliveries.get().attempts.get().error == "The endpoint is inactive."


def test_host_name_is_sent_while_connecting_to_the_vetted_address(
    receiver, raise_coc_alert, monkeypatch
):
    real_getaddrinfo = socket.getaddrinfo
    lookups = []

    def fake_dns(host, port, *args, **kwargs):
        if host == "hooks.example.test":
            lookups.append(host)
            return real_getaddrinfo("127.0.0.1", port, *args, **kwargs)
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    endpoint_for(receiver, url=f"http://hooks.example.test:{receiver.port}/in?source=vr")

    raise_coc_alert()

    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["Host"] == f"hooks.example.test:{receiver.port}"
    assert receiver.requests[0].path == "/in?source=vr"
    # Resolved once when saved and once right before the request: never by the HTTP client.
    assert lookups == ["hooks.example.test", "hooks.example.test"]


def test_payload_is_frozen_when_the_delivery_is_created(receiver, raise_coc_alert):
    endpoint_for(receiver)
    alert = raise_coc_alert()
    delivery = WebhookDelivery.objects.get(alert=alert)

    assert delivery.payload == json.loads(receiver.requests[0].body)
    assert delivery.payload["status"] == "open"


def documented_recipe():
    """The ``verify_signature`` function exactly as docs/api.md prints it."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    section = text.split("### Verifying a webhook", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, "docs/api.md", "exec"), namespace)
    return namespace["verify_signature"]


def test_documented_recipe_verifies_a_real_delivery(receiver, raise_coc_alert, monkeypatch):
    verify_signature = documented_recipe()
    endpoint_for(receiver)
    raise_coc_alert()
    request = receiver.requests[0]

    assert verify_signature(SECRET, request.headers, request.body)
    assert not verify_signature("wrong-secret", request.headers, request.body)
    assert not verify_signature(SECRET, request.headers, request.body + b" ")
    sent_at = int(request.headers["X-VendorRegistry-Timestamp"])
    monkeypatch.setattr(time, "time", lambda: sent_at + 301)
    assert not verify_signature(SECRET, request.headers, request.body)
