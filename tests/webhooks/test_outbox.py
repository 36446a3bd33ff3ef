"""The outbox covers notifications: an alert's webhook deliveries and e-mails are rows written in
the alert's own transaction, so a worker killed between the commit and the send loses nothing —
the sweepers send them later."""

import datetime
from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone

from alerts.choices import AlertKind, DeliveryStatus
from alerts.models import Alert, EmailNotification, WebhookDelivery
from alerts.notifications import notification_send
from alerts.services import alert_raise
from alerts.tasks import sweep_email_notifications, sweep_webhook_deliveries
from alerts.webhooks import webhook_endpoint_save
from registry.choices import RiskLevel


def _raise_and_die_after_commit(contract, django_capture_on_commit_callbacks):
    """Raise the alert and commit, but drop everything that was to run after the commit — as a
    worker killed right then would."""
    with django_capture_on_commit_callbacks(execute=False) as lost, transaction.atomic():
        alert, created = alert_raise(
            dedup_key="coc:scale",
            kind=AlertKind.CHANGE_OF_CONTROL,
            severity=RiskLevel.HIGH,
            title="Change of control at Scale AI: review contract SCALE-2024-001",
            vendor=contract.vendor,
            contract=contract,
            due_date=datetime.date(2025, 7, 13),
        )
    assert created
    return alert, lost


def _overdue(model) -> None:
    past = timezone.now() - timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER_SECONDS + 1)
    model.objects.update(next_attempt_at=past)


def test_a_worker_killed_after_the_alert_commits_still_delivers_webhook_and_email(
    receiver, scale_contract, django_user_model, django_capture_on_commit_callbacks
):
    owner = django_user_model.objects.create_user(username="owner", email="owner@example.com")
    scale_contract.owner = owner
    scale_contract.save()
    webhook_endpoint_save(name="Ticketing", url=receiver.url(), secret="whsec-0123456789abcdef")

    alert, lost = _raise_and_die_after_commit(scale_contract, django_capture_on_commit_callbacks)

    # The sends were lost, the rows were not: one delivery and one e-mail, both pending.
    assert len(lost) == 2
    assert receiver.requests == [] and mail.outbox == []
    delivery = WebhookDelivery.objects.get(alert=alert)
    notification = EmailNotification.objects.get(alert=alert)
    assert (delivery.status, notification.status) == (DeliveryStatus.PENDING,) * 2
    assert notification.recipient == "owner@example.com"

    _overdue(WebhookDelivery)
    _overdue(EmailNotification)
    assert sweep_webhook_deliveries() == 1
    assert sweep_email_notifications() == 1

    assert [request.json()["id"] for request in receiver.requests] == [alert.pk]
    assert [message.to for message in mail.outbox] == [["owner@example.com"]]
    assert mail.outbox[0].subject == f"[Vendor Registry] High: {alert.title}"
    delivery.refresh_from_db()
    notification.refresh_from_db()
    assert delivery.status == notification.status == DeliveryStatus.DELIVERED
    assert notification.attempt_count == 1 and notification.sent_at is not None
    # Sweeping again sends nothing twice.
    assert (sweep_webhook_deliveries(), sweep_email_notifications()) == (0, 0)
    assert len(receiver.requests) == 1 and len(mail.outbox) == 1


def test_a_rolled_back_alert_leaves_no_delivery_and_no_email(
    receiver, scale_contract, django_user_model
):
    owner = django_user_model.objects.create_user(username="owner", email="owner@example.com")
    scale_contract.owner = owner
    scale_contract.save()
    webhook_endpoint_save(name="Ticketing", url=receiver.url(), secret="whsec-0123456789abcdef")

    try:
        with transaction.atomic():
            alert_raise(
                dedup_key="coc:scale",
                kind=AlertKind.CHANGE_OF_CONTROL,
                severity=RiskLevel.HIGH,
                title="Change of control at Scale AI",
                vendor=scale_contract.vendor,
                contract=scale_contract,
            )
            raise RuntimeError("the recheck failed after the alert")
    except RuntimeError:
        pass

    assert (Alert.objects.count(), WebhookDelivery.objects.count()) == (0, 0)
    assert EmailNotification.objects.count() == 0 and mail.outbox == []


def test_a_failing_mail_server_is_retried_then_given_up(
    scale_contract, django_user_model, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.webhooks.test_outbox.RefusingBackend"
    settings.EMAIL_MAX_ATTEMPTS = 2
    owner = django_user_model.objects.create_user(username="owner", email="owner@example.com")
    scale_contract.owner = owner
    scale_contract.save()
    alert, _ = _raise_and_die_after_commit(scale_contract, django_capture_on_commit_callbacks)
    notification = EmailNotification.objects.get(alert=alert)

    first = notification_send(notification_id=notification.pk)
    assert (first.status, first.attempt_count) == (DeliveryStatus.PENDING, 1)
    assert first.last_error == "ConnectionRefusedError: mail server down"
    assert first.next_attempt_at > timezone.now()
    second = notification_send(notification_id=notification.pk)
    assert (second.status, second.attempt_count) == (DeliveryStatus.FAILED, 2)
    assert notification_send(notification_id=notification.pk) is None


class RefusingBackend:
    """An e-mail backend whose server is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")
