"""Reminders that people see, sent once a day (``reminders_send``).

- A change-of-control deadline (an open review alert's due date) and a contract's end date
  remind the person who handles it — the alert's assignee, or the contract's owner, else the
  vendor's business owner — on each of the policy's ``reminder_days`` before it and on the day.
- An open change-of-control alert past its due date is escalated to every risk analyst, once.
- Everyone with something new, due or overdue gets a daily digest of it, unless they opted out
  (``notification_preference_set``).

Each reminder is a ``Reminder`` row whose key (the alert or contract, the kind, the day, the
recipient) is unique, written with its e-mail in the outbox in one transaction: running the job
again for the same day, or on a later day for an escalation, sends nothing twice.
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
from alerts.models import Alert, NotificationPreference, Reminder
from alerts.notifications import reminder_emails_queue
from alerts.services import default_assignee, risk_analysts
from alerts.webhooks import alert_link, site_link
from registry.models import Contract
from registry.services.risk import policy_current

logger = logging.getLogger(__name__)


@dataclass
class ReminderRun:
    """What one run sent, by kind (reminders already sent are not counted again)."""

    day: datetime.date
    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ReminderKind.values, 0))

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    def __str__(self) -> str:
        labels = dict(ReminderKind.choices)
        counts = ", ".join(f"{labels[kind]}: {count}" for kind, count in self.sent.items())
        return f"Reminders for {self.day:%Y-%m-%d}: {self.total} sent ({counts})."


@dataclass(frozen=True)
class _Planned:
    """A reminder to record, with the e-mail that says it."""

    reminder: Reminder
    subject: str
    body: str

    @property
    def key(self) -> tuple:
        r = self.reminder
        return (r.kind, r.day, r.recipient_id, r.alert_id, r.contract_id)


def _reachable(user: AbstractBaseUser | None) -> bool:
    return user is not None and user.is_active and bool(user.email)


def _when(days: int) -> str:
    return "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"


def _contract_link(contract: Contract) -> str:
    return site_link(reverse("web:contract-detail", args=[contract.pk]))


def _coc_deadline_reminders(day: datetime.date, offsets: list[int]) -> Iterable[_Planned]:
    due_days = {day + datetime.timedelta(days=offset): offset for offset in offsets}
    for alert in selectors.coc_alerts_due_on(days=list(due_days)):
        recipient = alert.assignee or default_assignee(vendor=alert.vendor, contract=alert.contract)
        if not _reachable(recipient):
            continue
        offset = due_days[alert.due_date]
        context = {"alert": alert, "when": _when(offset), "link": alert_link(alert)}
        reference = alert.contract.reference if alert.contract else alert.vendor.name
        yield _Planned(
            Reminder(
                kind=ReminderKind.COC_DEADLINE,
                day=day,
                recipient=recipient,
                alert=alert,
                contract=alert.contract,
                deadline=alert.due_date,
            ),
            f"Change-of-control deadline {_when(offset)} ({alert.due_date:%Y-%m-%d}): {reference}",
            render_to_string("alerts/email/coc_deadline.txt", context),
        )


def _contract_end_reminders(day: datetime.date, offsets: list[int]) -> Iterable[_Planned]:
    wanted = set(offsets)
    last = day + datetime.timedelta(days=max(offsets))
    for contract in selectors.contracts_ending_between(first=day, last=last):
        offset = (contract.end_date - day).days
        if offset not in wanted:
            continue
        recipient = default_assignee(vendor=contract.vendor, contract=contract)
        if not _reachable(recipient):
            continue
        context = {"contract": contract, "when": _when(offset), "link": _contract_link(contract)}
        yield _Planned(
            Reminder(
                kind=ReminderKind.CONTRACT_END,
                day=day,
                recipient=recipient,
                contract=contract,
                deadline=contract.end_date,
            ),
            f"Contract {contract.reference} ({contract.vendor.name}) ends {_when(offset)}, "
            f"on {contract.end_date:%Y-%m-%d}: renew or let it end",
            render_to_string("alerts/email/contract_end.txt", context),
        )


def _escalations(day: datetime.date) -> Iterable[_Planned]:
    overdue = selectors.coc_alerts_overdue(day=day)
    if not overdue:
        return
    analysts = [analyst for analyst in risk_analysts() if _reachable(analyst)]
    for alert in overdue:
        # The key's day is the first day the alert was overdue, whatever day the job runs:
        # an analyst is told once, not every day it stays overdue.
        first_overdue = alert.due_date + datetime.timedelta(days=1)
        context = {
            "alert": alert,
            "days_overdue": (day - alert.due_date).days,
            "link": alert_link(alert),
        }
        body = render_to_string("alerts/email/coc_overdue.txt", context)
        for analyst in analysts:
            yield _Planned(
                Reminder(
                    kind=ReminderKind.COC_OVERDUE,
                    day=first_overdue,
                    recipient=analyst,
                    alert=alert,
                    contract=alert.contract,
                    deadline=alert.due_date,
                ),
                f"Overdue change of control, was due {alert.due_date:%Y-%m-%d}: {alert.title}",
                body,
            )


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


def _record(planned: list[_Planned]) -> list[_Planned]:
    """Insert the reminders not yet recorded, and return those that are new. One read of the
    keys already there and one insert; should a concurrent run insert one of them first, fall
    back to one at a time (the unique key decides)."""
    planned = list({item.key: item for item in planned}.values())
    if not planned:
        return []
    existing = set(
        Reminder.objects.filter(
            day__in={item.reminder.day for item in planned},
            recipient_id__in={item.reminder.recipient_id for item in planned},
            kind__in={item.reminder.kind for item in planned},
        ).values_list("kind", "day", "recipient_id", "alert_id", "contract_id")
    )
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
    outbox, in one transaction, and sent after commit; a second run for the same day sends
    nothing. Returns what was sent, by kind."""
    day = day or timezone.localdate()
    offsets = sorted({0, *policy_current().reminder_days})
    run = ReminderRun(day=day)
    with transaction.atomic():
        planned = [
            *_coc_deadline_reminders(day, offsets),
            *_contract_end_reminders(day, offsets),
            *_escalations(day),
            *_digests(day, horizon=max(offsets)),
        ]
        recorded = _record(planned)
        reminder_emails_queue((item.reminder, item.subject, item.body) for item in recorded)
    for item in recorded:
        run.sent[item.reminder.kind] += 1
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
