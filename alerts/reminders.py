"""Reminders that people see, sent once a day (``reminders_send``).

- A change-of-control deadline (an open review alert's due date) and a contract's end date
  remind the person who handles it — the alert's assignee, or the contract's owner, else the
  vendor's business owner — on each of the policy's ``reminder_days`` before it and on the day.
- An open change-of-control alert past its due date is escalated to every risk analyst, once.
- Everyone with something new, due or overdue gets a daily digest of it, unless they opted out
  (``notification_preference_set``).
- Webhook endpoints that post reminders (``posts_reminders``: a Slack or Teams channel, or a
  generic receiver) get the deadline reminders and escalations too, once each, as deliveries.

Each reminder is a ``Reminder`` row whose key (the alert or contract, the kind, the day, the
recipient or endpoint) is unique, written with its e-mail or webhook delivery in the outbox in
one transaction: running the job again for the same day, or on a later day for an escalation,
sends nothing twice.
"""

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from alerts import selectors
from alerts.choices import ReminderKind
from alerts.models import Alert, NotificationPreference, Reminder, WebhookEndpoint
from alerts.notifications import reminder_emails_queue
from alerts.services import default_assignee, risk_analysts
from alerts.webhooks import (
    ChatMessage,
    alert_link,
    endpoint_accepts,
    reminder_deliveries_create,
    reminder_endpoints,
    site_link,
)
from core.people import person_label
from registry.models import Contract
from registry.services.risk import policy_current

logger = logging.getLogger(__name__)


@dataclass
class ReminderRun:
    """What one run sent: e-mails by kind, and posts to webhook endpoints (reminders already
    sent are not counted again)."""

    day: datetime.date
    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ReminderKind.values, 0))
    posted: int = 0

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    def __str__(self) -> str:
        labels = dict(ReminderKind.choices)
        counts = ", ".join(f"{labels[kind]}: {count}" for kind, count in self.sent.items())
        return (
            f"Reminders for {self.day:%Y-%m-%d}: {self.total} e-mailed ({counts}); "
            f"{self.posted} posted to webhook endpoints."
        )


@dataclass(frozen=True)
class _Planned:
    """A reminder to record, with the e-mail that says it to a person, or the message that
    says it to an endpoint."""

    reminder: Reminder
    subject: str = ""
    body: str = ""
    message: ChatMessage | None = None

    @property
    def key(self) -> tuple:
        r = self.reminder
        return (r.kind, r.day, r.recipient_id, r.endpoint_id, r.alert_id, r.contract_id)


def _posts(
    endpoints: list[WebhookEndpoint], reminder: Reminder, message: ChatMessage
) -> Iterable[_Planned]:
    """``reminder`` for each of ``endpoints`` that takes it: those that accept its alert (kind
    and severity), every one for a contract's end."""
    for endpoint in endpoints:
        if reminder.alert is not None and not endpoint_accepts(endpoint, reminder.alert):
            continue
        yield _Planned(
            Reminder(
                kind=reminder.kind,
                day=reminder.day,
                endpoint=endpoint,
                alert=reminder.alert,
                contract=reminder.contract,
                deadline=reminder.deadline,
            ),
            message=message,
        )


def _alert_message(alert: Alert, title: str) -> ChatMessage:
    """What a channel is told of a reminder about ``alert``."""
    facts = [("Vendor", alert.vendor.name)]
    if alert.contract is not None:
        facts.append(("Contract", alert.contract.reference))
    facts.append(("Deadline", alert.due_date.isoformat()))
    if alert.assignee is not None:
        facts.append(("Assignee", person_label(alert.assignee)))
    return ChatMessage(
        title=title,
        summary=title,
        facts=facts,
        link=alert_link(alert),
        link_label="Open the alert",
        severity=alert.severity,
    )


def _reachable(user: AbstractBaseUser | None) -> bool:
    return user is not None and user.is_active and bool(user.email)


def _when(days: int) -> str:
    return "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"


def _contract_link(contract: Contract) -> str:
    return site_link(reverse("web:contract-detail", args=[contract.pk]))


def _coc_deadline_reminders(
    day: datetime.date, offsets: list[int], endpoints: list[WebhookEndpoint]
) -> Iterable[_Planned]:
    due_days = {day + datetime.timedelta(days=offset): offset for offset in offsets}
    for alert in selectors.coc_alerts_due_on(days=list(due_days)):
        offset = due_days[alert.due_date]
        reference = alert.contract.reference if alert.contract else alert.vendor.name
        subject = (
            f"Change-of-control deadline {_when(offset)} ({alert.due_date:%Y-%m-%d}): {reference}"
        )
        reminder = {
            "kind": ReminderKind.COC_DEADLINE,
            "day": day,
            "alert": alert,
            "contract": alert.contract,
            "deadline": alert.due_date,
        }
        yield from _posts(endpoints, Reminder(**reminder), _alert_message(alert, subject))
        recipient = alert.assignee or default_assignee(vendor=alert.vendor, contract=alert.contract)
        if not _reachable(recipient):
            continue
        context = {"alert": alert, "when": _when(offset), "link": alert_link(alert)}
        yield _Planned(
            Reminder(recipient=recipient, **reminder),
            subject,
            render_to_string("alerts/email/coc_deadline.txt", context),
        )


def _contract_end_reminders(
    day: datetime.date, offsets: list[int], endpoints: list[WebhookEndpoint]
) -> Iterable[_Planned]:
    wanted = set(offsets)
    last = day + datetime.timedelta(days=max(offsets))
    for contract in selectors.contracts_ending_between(first=day, last=last):
        offset = (contract.end_date - day).days
        if offset not in wanted:
            continue
        subject = (
            f"Contract {contract.reference} ({contract.vendor.name}) ends {_when(offset)}, "
            f"on {contract.end_date:%Y-%m-%d}: renew or let it end"
        )
        reminder = {
            "kind": ReminderKind.CONTRACT_END,
            "day": day,
            "contract": contract,
            "deadline": contract.end_date,
        }
        manager = default_assignee(vendor=contract.vendor, contract=contract)
        facts = [
            ("Vendor", contract.vendor.name),
            ("Contract", f"{contract.reference} — {contract.title}"),
            ("Value", f"{contract.value} {contract.currency}"),
            ("Ends", contract.end_date.isoformat()),
        ]
        if manager is not None:
            facts.append(("Managed by", person_label(manager)))
        message = ChatMessage(
            title=subject,
            summary=subject,
            facts=facts,
            link=_contract_link(contract),
            link_label="Open the contract",
        )
        yield from _posts(endpoints, Reminder(**reminder), message)
        if not _reachable(manager):
            continue
        context = {"contract": contract, "when": _when(offset), "link": _contract_link(contract)}
        yield _Planned(
            Reminder(recipient=manager, **reminder),
            subject,
            render_to_string("alerts/email/contract_end.txt", context),
        )


def _escalations(day: datetime.date, endpoints: list[WebhookEndpoint]) -> Iterable[_Planned]:
    overdue = selectors.coc_alerts_overdue(day=day)
    if not overdue:
        return
    analysts = [analyst for analyst in risk_analysts() if _reachable(analyst)]
    for alert in overdue:
        # The key's day is the first day the alert was overdue, whatever day the job runs:
        # an analyst (or a channel) is told once, not every day it stays overdue.
        escalation = {
            "kind": ReminderKind.COC_OVERDUE,
            "day": alert.due_date + datetime.timedelta(days=1),
            "alert": alert,
            "contract": alert.contract,
            "deadline": alert.due_date,
        }
        subject = f"Overdue change of control, was due {alert.due_date:%Y-%m-%d}: {alert.title}"
        yield from _posts(endpoints, Reminder(**escalation), _alert_message(alert, subject))
        context = {
            "alert": alert,
            "days_overdue": (day - alert.due_date).days,
            "link": alert_link(alert),
        }
        body = render_to_string("alerts/email/coc_overdue.txt", context)
        for analyst in analysts:
            yield _Planned(Reminder(recipient=analyst, **escalation), subject, body)


@dataclass
class _Digest:
    new: list[Alert] = field(default_factory=list)
    due: list[Alert] = field(default_factory=list)
    overdue: list[Alert] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.new or self.due or self.overdue or self.contracts)


def _digests(day: datetime.date, horizon: int) -> Iterable[_Planned]:
    """One digest per person with something in it: the alerts assigned to them that are new
    (raised the day before), due from today to the horizon, or overdue; and the contracts they
    manage that end from today to the horizon."""
    start_of_day = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    due_by = day + datetime.timedelta(days=horizon)
    new_since = start_of_day - datetime.timedelta(days=1)
    digests: dict[int, _Digest] = defaultdict(_Digest)
    people: dict[int, AbstractBaseUser] = {}
    for alert in selectors.digest_alerts(
        new_since=new_since, new_until=start_of_day, due_by=due_by
    ):
        people[alert.assignee_id] = alert.assignee
        digest = digests[alert.assignee_id]
        if new_since <= alert.created_at < start_of_day:
            digest.new.append(alert)
        if alert.due_date is not None and alert.due_date < day:
            digest.overdue.append(alert)
        elif alert.due_date is not None and alert.due_date <= due_by:
            digest.due.append(alert)
    for contract in selectors.contracts_ending_between(first=day, last=due_by):
        manager = default_assignee(vendor=contract.vendor, contract=contract)
        if manager is not None:
            people[manager.pk] = manager
            digests[manager.pk].contracts.append(contract)
    opted_out = selectors.digest_opted_out(user_ids=set(digests))
    preferences_link = site_link(reverse("web:notification-preferences"))
    for user_id, digest in sorted(digests.items()):
        user = people[user_id]
        if user_id in opted_out or not digest or not _reachable(user):
            continue
        counts = {
            "new": len(digest.new),
            "due": len(digest.due) + len(digest.contracts),
            "overdue": len(digest.overdue),
        }
        context = {
            "day": day,
            "due_by": due_by,
            "counts": counts,
            "new": [(alert, alert_link(alert)) for alert in digest.new],
            "due": [(alert, alert_link(alert)) for alert in digest.due],
            "overdue": [(alert, alert_link(alert)) for alert in digest.overdue],
            "contracts": [(contract, _contract_link(contract)) for contract in digest.contracts],
            "inbox_link": site_link(reverse("web:alert-inbox")),
            "preferences_link": preferences_link,
        }
        yield _Planned(
            Reminder(kind=ReminderKind.DIGEST, day=day, recipient=user),
            f"Daily digest for {day:%Y-%m-%d}: {counts['new']} new, {counts['due']} due, "
            f"{counts['overdue']} overdue",
            render_to_string("alerts/email/digest.txt", context),
        )


def _recorded_keys(planned: list[_Planned]) -> set[tuple]:
    """The keys of ``planned`` reminders already recorded (and some others of their days and
    kinds). One query."""
    return set(
        Reminder.objects.filter(
            day__in={item.reminder.day for item in planned},
            kind__in={item.reminder.kind for item in planned},
        ).values_list("kind", "day", "recipient_id", "endpoint_id", "alert_id", "contract_id")
    )


def _record(planned: list[_Planned]) -> list[_Planned]:
    """Insert the reminders not yet recorded, and return those that are new. One read of the
    keys already there and one insert; should a concurrent run insert one of them first, fall
    back to one at a time (the unique key decides)."""
    planned = list({item.key: item for item in planned}.values())
    if not planned:
        return []
    existing = _recorded_keys(planned)
    new = [item for item in planned if item.key not in existing]
    if not new:
        return []
    try:
        with transaction.atomic():
            Reminder.objects.bulk_create([item.reminder for item in new])
    except IntegrityError:
        recorded = []
        for item in new:
            item.reminder.pk = None
            try:
                with transaction.atomic():
                    item.reminder.save()
            except IntegrityError:
                continue
            recorded.append(item)
        return recorded
    return new


def reminders_send(*, day: datetime.date | None = None) -> ReminderRun:
    """Send the reminders of ``day`` (today by default): deadlines coming and due, overdue
    changes of control escalated, daily digests. Each is recorded once with its e-mail in the
    outbox (an e-mail, or a webhook delivery for an endpoint that posts reminders), in one
    transaction, and sent after commit; a second run for the same day sends nothing. Returns
    what was sent."""
    day = day or timezone.localdate()
    offsets = sorted({0, *policy_current().reminder_days})
    run = ReminderRun(day=day)
    with transaction.atomic():
        endpoints = reminder_endpoints()
        planned = [
            *_coc_deadline_reminders(day, offsets, endpoints),
            *_contract_end_reminders(day, offsets, endpoints),
            *_escalations(day, endpoints),
            *_digests(day, horizon=max(offsets)),
        ]
        recorded = _record(planned)
        emails = [item for item in recorded if item.reminder.endpoint_id is None]
        posts = [item for item in recorded if item.reminder.endpoint_id is not None]
        reminder_emails_queue((item.reminder, item.subject, item.body) for item in emails)
        reminder_deliveries_create([(item.reminder, item.message) for item in posts])
    for item in emails:
        run.sent[item.reminder.kind] += 1
    run.posted = len(posts)
    logger.info("%s", run)
    return run


@transaction.atomic
def notification_preference_set(
    *, user: AbstractBaseUser, daily_digest: bool
) -> NotificationPreference:
    """Store whether ``user`` is sent the daily digest."""
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    preference.daily_digest = bool(daily_digest)
    preference.save()
    return preference
