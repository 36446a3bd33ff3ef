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


def test_an_alert_about_a_name_with_a_line_break_is_still_mailed_on_one_subject_line(
    scale_contract, django_user_model, django_capture_on_commit_callbacks
):
    # The title carries a name stored before names were validated.
    owner = django_user_model.objects.create_user(username="owner", email="owner@example.com")
    scale_contract.owner = owner
    scale_contract.save()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        alert, _ = alert_raise(
            dedup_key="coc:scale-crlf",
            kind=AlertKind.CHANGE_OF_CONTROL,
            severity=RiskLevel.HIGH,
            title="Change of control at Scale AI\r\nBcc: victim@example.com",
            vendor=scale_contract.vendor,
            contract=scale_contract,
        )

    notification = EmailNotification.objects.get(alert=alert)
    assert notification.status == DeliveryStatus.DELIVERED
    assert notification.subject == (
        "[Vendor Registry] High: Change of control at Scale AI Bcc: victim@example.com"
    )
    (message,) = mail.outbox
    assert message.subject == notification.subject
    assert message.to == ["owner@example.com"]
    assert message.bcc == []


def test_a_stored_subject_with_a_line_break_is_sent_on_one_line(
    scale_contract, django_user_model, django_capture_on_commit_callbacks
):
    owner = django_user_model.objects.create_user(username="owner", email="owner@example.com")
    scale_contract.owner = owner
    scale_contract.save()
    alert, _ = _raise_and_die_after_commit(scale_contract, django_capture_on_commit_callbacks)
    # An outbox row written before subjects were folded onto one line.
    EmailNotification.objects.filter(alert=alert).update(subject="Change\r\nBcc: x@example.com")

    sent = notification_send(notification_id=EmailNotification.objects.get(alert=alert).pk)

    assert (sent.status, sent.last_error) == (DeliveryStatus.DELIVERED, "")
    assert [m.subject for m in mail.outbox] == ["Change Bcc: x@example.com"]


def test_a_failed_send_is_logged_and_recorded_on_the_outbox_row(
    scale_contract, django_user_model, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.webhooks.test_outbox.RefusingBackend"
    settings.EMAIL_MAX_ATTEMPTS = 2
    owner = django_user_model.objects.create_user(username="owner", email="owner@example.com")
    scale_contract.owner = owner
    scale_contract.save()
    alert, _ = _raise_and_die_after_commit(scale_contract, django_capture_on_commit_callbacks)
    notification = EmailNotification.objects.get(alert=alert)

    notification_send(notification_id=notification.pk)
    notification_send(notification_id=notification.pk)

    logged = [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "alerts.notifications"
    ]
    assert logged == [
        (
            "WARNING",
            f"E-mail notification {notification.pk} failed (attempt 1 of 2), will retry: "
            "ConnectionRefusedError: mail server down",
        ),
        (
            "ERROR",
            f"E-mail notification {notification.pk} failed for good after 2 attempts: "
            "ConnectionRefusedError: mail server down",
        ),
    ]
    notification.refresh_from_db()
    assert (notification.status, notification.last_error) == (
        DeliveryStatus.FAILED,
        "ConnectionRefusedError: mail server down",
    )
