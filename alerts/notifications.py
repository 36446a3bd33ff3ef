"""E-mail about alerts and reminders, kept in an outbox: a notification is a row before it is
a message.

``notification_queue`` records one row per recipient in the caller's transaction (the alert's)
and sends ``alerts.tasks.send_email_notification`` after commit; each run of that task is one
attempt (``notification_send``), retried with backoff until it is sent or
``EMAIL_MAX_ATTEMPTS`` is reached. A worker killed between the commit and the send leaves the
row pending, and the sweeper (``notifications_due``) sends it again.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from alerts.choices import DeliveryStatus
from alerts.models import Alert, EmailNotification, Reminder
from core.validators import single_line

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "[Vendor Registry] "


def _send_task(notification_id: int) -> None:
    from alerts import tasks

    try:
        tasks.send_email_notification.delay(notification_id)
    except Exception:  # broker unreachable: the sweeper sends due notifications later
        logger.warning(
            "Could not send e-mail notification %s; the sweeper will retry it.", notification_id
        )


def notification_queue(
    *, alert: Alert, recipients: Iterable[str], subject: str, body: str
) -> list[EmailNotification]:
    """Record one e-mail per recipient (blank addresses and repeats skipped) in the current
    transaction and send each after commit."""
    return notifications_queue([(alert, recipients, subject, body)])


def notifications_queue(
    messages: Iterable[tuple[Alert, Iterable[str], str, str]],
) -> list[EmailNotification]:
    """:func:`notification_queue` for many alerts at once, ``(alert, recipients, subject,
    body)`` each: one insert for all their rows, and one callback after commit that sends them."""
    return _outbox_insert(
        EmailNotification(alert=alert, recipient=address, subject=subject, body=body)
        for alert, recipients, subject, body in messages
        for address in dict.fromkeys(address for address in recipients if address)
    )


def reminder_emails_queue(messages: Iterable[tuple[Reminder, str, str]]) -> list[EmailNotification]:
    """Record the e-mail of each reminder, ``(reminder, subject, body)``, to its recipient, in
    the current transaction (the reminder's), and send them after commit."""
    return _outbox_insert(
        EmailNotification(
            reminder=reminder,
            alert=reminder.alert,
            recipient=reminder.recipient.email,
            subject=subject,
            body=body,
        )
        for reminder, subject, body in messages
    )


def _outbox_insert(notifications: Iterable[EmailNotification]) -> list[EmailNotification]:
    """Insert ``notifications`` at once, due now, and send them after commit."""
    now = timezone.now()
    rows = []
    for notification in notifications:
        # Names in the subject may predate their validation: a line break in one would make
        # the message unsendable (a header split in two).
        notification.subject = single_line(SUBJECT_PREFIX + notification.subject)[:255]
        notification.next_attempt_at = now
        rows.append(notification)
    notifications = EmailNotification.objects.bulk_create(rows)
    if notifications:
        ids = [notification.pk for notification in notifications]
        transaction.on_commit(lambda: [_send_task(pk) for pk in ids])
    return notifications


def notification_retry_delay(attempt_count: int) -> int:
    """Seconds to wait after attempt number ``attempt_count``: 30 s, 2 min, 8 min … an hour."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return min(base * 4 ** (attempt_count - 1), 3600)


def notification_send(*, notification_id: int) -> EmailNotification | None:
    """Make one attempt at sending a pending notification and record it. Returns it (now
    ``delivered``, ``failed`` after its last attempt, or still ``pending``), or ``None`` when
    there was nothing to do (unknown, already sent, or another worker took this attempt)."""
    with transaction.atomic():
        notification = (
            EmailNotification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if notification is None:
            return None
        notification.attempt_count += 1
        try:
            send_mail(
                subject=single_line(notification.subject),
                message=notification.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[notification.recipient],
            )
        except Exception as exc:  # the mail server refused or was unreachable
            notification.last_error = f"{exc.__class__.__name__}: {exc}"[:1000]
            if notification.attempt_count >= settings.EMAIL_MAX_ATTEMPTS:
                notification.status = DeliveryStatus.FAILED
                notification.next_attempt_at = None
                logger.error(
                    "E-mail notification %s failed for good after %s attempts: %s",
                    notification.pk,
                    notification.attempt_count,
                    notification.last_error,
                )
            else:
                logger.warning(
                    "E-mail notification %s failed (attempt %s of %s), will retry: %s",
                    notification.pk,
                    notification.attempt_count,
                    settings.EMAIL_MAX_ATTEMPTS,
                    notification.last_error,
                )
                notification.next_attempt_at = timezone.now() + timedelta(
                    seconds=notification_retry_delay(notification.attempt_count)
                )
        else:
            notification.status = DeliveryStatus.DELIVERED
            notification.sent_at = timezone.now()
            notification.next_attempt_at = None
            notification.last_error = ""
        notification.save()
    return notification


def notifications_due(*, older_than: timedelta) -> list[int]:
    """Ids of pending notifications whose next attempt is overdue by ``older_than``: their
    task was lost (the broker was down, or a worker died after the alert committed)."""
    cutoff = timezone.now() - older_than
    return list(
        EmailNotification.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=cutoff
        ).values_list("pk", flat=True)
    )
