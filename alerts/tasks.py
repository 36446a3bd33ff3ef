"""Celery tasks of the alerts app: each takes ids, loads, and calls a service."""

import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from alerts import notifications, webhooks
from alerts.choices import DeliveryStatus


@shared_task(bind=True, max_retries=settings.WEBHOOK_MAX_ATTEMPTS)
def deliver_webhook(self, delivery_id: int) -> str:
    """Make one attempt of a webhook delivery; while it stays pending, retry after the
    backoff the service set (the service counts attempts and decides when to give up)."""
    delivery = webhooks.delivery_attempt(delivery_id=delivery_id)
    if delivery is None:
        return "skipped"
    if delivery.status == DeliveryStatus.PENDING:
        raise self.retry(countdown=webhooks.retry_delay(delivery.attempt_count))
    return delivery.status


@shared_task
def sweep_webhook_deliveries() -> int:
    """Safety net: re-send deliveries whose next attempt is overdue (their task was lost)."""
    older_than = timezone.timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER_SECONDS)
    due = webhooks.deliveries_due(older_than=older_than)
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return len(due)


@shared_task(bind=True, max_retries=settings.EMAIL_MAX_ATTEMPTS)
def send_email_notification(self, notification_id: int) -> str:
    """Make one attempt at an e-mail notification; while it stays pending, retry after the
    backoff the service set."""
    notification = notifications.notification_send(notification_id=notification_id)
    if notification is None:
        return "skipped"
    if notification.status == DeliveryStatus.PENDING:
        raise self.retry(
            countdown=notifications.notification_retry_delay(notification.attempt_count)
        )
    return notification.status


@shared_task
def sweep_email_notifications() -> int:
    """Safety net: send e-mail notifications whose next attempt is overdue (their task was
    lost, e.g. a worker died right after the alert committed)."""
    older_than = timezone.timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER_SECONDS)
    due = notifications.notifications_due(older_than=older_than)
    for notification_id in due:
        send_email_notification.delay(notification_id)
    return len(due)


@shared_task
def send_reminders(day: str | None = None) -> int:
    """The daily reminders and digests (``day`` as YYYY-MM-DD, today by default): the beat
    entry runs it once a day, and running it again sends nothing twice."""
    from alerts.reminders import reminders_send

    run = reminders_send(day=datetime.date.fromisoformat(day) if day else None)
    return run.total
