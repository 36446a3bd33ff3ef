"""Alert lifecycle: raise (idempotent), acknowledge, resolve, dismiss, assign."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.sql import InsertQuery
from django.utils import timezone

from alerts.choices import OPEN_STATUSES, AlertStatus
from alerts.models import Alert
from alerts.notifications import notification_queue, notifications_queue
from alerts.selectors import alert_assignable_users
from alerts.webhooks import deliveries_create, deliveries_create_bulk
from core.people import person_label
from registry.models import Contract, OwnershipEvent, Vendor
from registry.roles import RISK_ANALYST

if TYPE_CHECKING:
    from imports.models import ImportRun

logger = logging.getLogger(__name__)


def default_assignee(*, vendor: Vendor | None, contract: Contract | None):
    """The contract's owner, else the vendor's business owner, else nobody."""
    if contract is not None and contract.owner_id:
        return contract.owner
    if vendor is not None and vendor.business_owner_id:
        return vendor.business_owner
    return None


def _assignee_message(alert: Alert) -> tuple[str, str]:
    """The subject and body of the assignee's e-mail about ``alert``."""
    return (
        f"{alert.get_severity_display()}: {alert.title}",
        f"{alert.title}\n\n{alert.detail}\n\n"
        + (f"Due: {alert.due_date:%Y-%m-%d}\n" if alert.due_date else ""),
    )


def _notify_assignee(alert: Alert) -> None:
    """Queue the assignee's e-mail about ``alert`` in the current transaction (the outbox)."""
    if alert.assignee is None or not alert.assignee.email:
        return
    subject, body = _assignee_message(alert)
    notification_queue(alert=alert, recipients=[alert.assignee.email], subject=subject, body=body)


def alert_raise(
    *,
    dedup_key: str,
    kind: str,
    severity: str,
    title: str,
    detail: str = "",
    vendor: Vendor | None = None,
    contract: Contract | None = None,
    event: OwnershipEvent | None = None,
    due_date: date | None = None,
    assignee: AbstractBaseUser | None = None,
    import_run: "ImportRun | None" = None,
) -> tuple[Alert, bool]:
    """Raise an alert once: a second call with the same ``dedup_key`` returns the first alert
    and ``False``. The assignee's e-mail and the webhook deliveries are recorded with the alert
    and sent after commit."""
    existing = Alert.objects.filter(dedup_key=dedup_key).first()
    if existing is not None:
        return existing, False
    alert = Alert(
        dedup_key=dedup_key,
        kind=kind,
        severity=severity,
        title=title[:255],
        detail=detail,
        vendor=vendor,
        contract=contract,
        event=event,
        import_run=import_run,
        due_date=due_date,
        assignee=assignee or default_assignee(vendor=vendor, contract=contract),
    )
    try:
        # A savepoint, so losing a race to a concurrent raiser does not spoil the caller's
        # transaction: the unique key decides, and the loser returns the winner's row.
        with transaction.atomic():
            alert.save()
    except IntegrityError:
        return Alert.objects.get(dedup_key=dedup_key), False
    # Rows before requests: its e-mail and webhook deliveries commit with the alert, and are
    # sent after commit (or by the sweepers if that send is lost).
    _notify_assignee(alert)
    deliveries_create(alert=alert)
    return alert, True


@dataclass(frozen=True)
class AlertSpec:
    """One alert to raise, as :func:`alert_raise` takes it."""

    dedup_key: str
    kind: str
    severity: str
    title: str
    detail: str = ""
    vendor: Vendor | None = None
    contract: Contract | None = None
    event: OwnershipEvent | None = None
    due_date: date | None = None
    assignee: AbstractBaseUser | None = None
    import_run: "ImportRun | None" = None

    def alert(self) -> Alert:
        return Alert(
            dedup_key=self.dedup_key,
            kind=self.kind,
            severity=self.severity,
            title=self.title[:255],
            detail=self.detail,
            vendor=self.vendor,
            contract=self.contract,
            event=self.event,
            import_run=self.import_run,
            due_date=self.due_date,
            assignee=self.assignee or default_assignee(vendor=self.vendor, contract=self.contract),
        )


#: Alerts inserted per statement by :func:`alerts_raise` (fewer where the database's limit of
#: parameters per statement says so).
RAISE_BATCH = 1000


def _alerts_insert_new(alerts: list[Alert]) -> list[Alert]:
    """Insert ``alerts`` in one statement, leaving out each whose dedup key is taken — by an
    alert raised before, or by a concurrent raiser, whose insert the database waits for — and
    return those inserted, with their ids. The unique key decides, as in :func:`alert_raise`,
    without a look-up first or a savepoint to recover from losing a race."""
    fields = [field for field in Alert._meta.concrete_fields if not field.primary_key]
    query = InsertQuery(Alert)
    query.insert_values(fields, alerts)
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [Alert._meta.pk, Alert._meta.get_field("dedup_key")]
    ((sql, params),) = compiler.as_sql()
    # Only the dedup key's conflict is left out (PostgreSQL and SQLite alike); any other
    # refusal — a check constraint — still fails the raise. The values are all parameters,
    # so the statement's one RETURNING is its own.
    key = connection.ops.quote_name(Alert._meta.get_field("dedup_key").column)
    sql = sql.replace(" RETURNING ", f" ON CONFLICT ({key}) DO NOTHING RETURNING ", 1)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = {key: pk for pk, key in cursor.fetchall()}
    inserted = []
    for alert in alerts:
        if alert.dedup_key in ids:
            alert.pk = ids[alert.dedup_key]
            alert._state.adding, alert._state.db = False, connection.alias
            inserted.append(alert)
    return inserted


def alerts_raise(specs: Iterable[AlertSpec]) -> list[Alert]:
    """Raise many alerts, each once, and return those that are new: what :func:`alert_raise`
    does for one, in a constant number of statements per batch — one insert that leaves out
    the dedup keys taken (by earlier alerts or a concurrent raiser) and returns what was new,
    then their history, their e-mails and their webhook deliveries, all in the caller's
    transaction. Nothing to raise costs no statement."""
    # In key order, so two raisers of overlapping batches wait for each other's keys in the
    # same order rather than each holding one the other wants.
    pending = sorted(
        {spec.dedup_key: spec for spec in specs}.values(), key=lambda spec: spec.dedup_key
    )
    if not pending:
        return []
    fields = [field for field in Alert._meta.concrete_fields if not field.primary_key]
    size = max(1, min(RAISE_BATCH, connection.ops.bulk_batch_size(fields, pending)))
    raised: list[Alert] = []
    for start in range(0, len(pending), size):
        created = _alerts_insert_new([spec.alert() for spec in pending[start : start + size]])
        if not created:
            continue
        Alert.history.bulk_history_create(created)
        notifications_queue(
            [
                (alert, [alert.assignee.email], *_assignee_message(alert))
                for alert in created
                if alert.assignee is not None and alert.assignee.email
            ]
        )
        deliveries_create_bulk(alerts=created)
        raised += created
    return raised


def alerts_superseded_resolve(*, alert: Alert) -> int:
    """Resolve the vendor's older open or acknowledged alerts of ``alert``'s kind, with a note
    naming ``alert``, so only the newest rise stays open. Returns how many were resolved."""
    return alerts_superseded_resolve_bulk(alerts=[alert])


def alerts_superseded_resolve_bulk(*, alerts: Iterable[Alert]) -> int:
    """:func:`alerts_superseded_resolve` for many new alerts (one per vendor and kind) in a
    constant number of statements. Returns how many older alerts were resolved."""
    newest = {(alert.vendor_id, alert.kind): alert for alert in alerts if alert.vendor_id}
    if not newest:
        return 0
    older = list(
        Alert.objects.select_for_update()
        .filter(
            vendor_id__in={vendor for vendor, _ in newest},
            kind__in={kind for _, kind in newest},
            status__in=OPEN_STATUSES,
        )
        .exclude(pk__in=[alert.pk for alert in newest.values()])
        .order_by("pk")
    )
    now = timezone.now()
    resolved = []
    for previous in older:
        alert = newest.get((previous.vendor_id, previous.kind))
        if alert is None or previous.created_at > alert.created_at:
            continue
        previous.status = AlertStatus.RESOLVED
        previous.handled_at = now
        previous.updated_at = now
        previous.resolution_note = f"Superseded by alert #{alert.pk}: {alert.title}"
        resolved.append(previous)
    Alert.objects.bulk_update(
        resolved, ["status", "handled_at", "resolution_note", "updated_at"], batch_size=500
    )
    Alert.history.bulk_history_create(resolved, update=True)
    return len(resolved)


def _transition(
    alert: Alert,
    *,
    allowed_from: tuple[str, ...],
    to: str,
    actor: AbstractBaseUser | None,
    note: str | None = None,
    note_needed: str = "",
) -> Alert:
    """Move ``alert`` to ``to``. With ``note_needed`` (what the note should say), a note is
    required: an empty or blank one is refused at ``note``, together with a wrong status."""
    errors: dict[str, list[str]] = {}
    if alert.status not in allowed_from:
        errors["status"] = [
            f"An alert that is {alert.get_status_display().lower()} cannot be {to}."
        ]
    if note_needed and not (note or "").strip():
        errors["note"] = [f"A note is required: {note_needed}"]
    if errors:
        raise ValidationError(errors)
    alert.status = to
    alert.handled_by = actor if getattr(actor, "is_authenticated", False) else None
    alert.handled_at = timezone.now()
    if note is not None:
        alert.resolution_note = note.strip()
    if alert.handled_by is not None:
        alert._history_user = alert.handled_by
    alert.save()
    return alert


@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor: AbstractBaseUser | None = None) -> Alert:
    """Someone is on it."""
    return _transition(
        alert, allowed_from=(AlertStatus.OPEN,), to=AlertStatus.ACKNOWLEDGED, actor=actor
    )


@transaction.atomic
def alert_resolve(*, alert: Alert, note: str = "", actor: AbstractBaseUser | None = None) -> Alert:
    """Done, with a note (required) saying what was done."""
    return _transition(
        alert,
        allowed_from=(AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED),
        to=AlertStatus.RESOLVED,
        actor=actor,
        note=note,
        note_needed="say what was done to resolve the alert.",
    )


@transaction.atomic
def alert_dismiss(*, alert: Alert, note: str = "", actor: AbstractBaseUser | None = None) -> Alert:
    """Not a real concern (risk analysts only), with a note (required) saying why."""
    return _transition(
        alert,
        allowed_from=(AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED),
        to=AlertStatus.DISMISSED,
        actor=actor,
        note=note,
        note_needed="say why the alert is not a concern.",
    )


@transaction.atomic
def alert_assign(
    *, alert: Alert, assignee: AbstractBaseUser | None, actor: AbstractBaseUser | None = None
) -> Alert:
    """Give the alert to someone who may act on it (or nobody) and e-mail them."""
    if assignee is not None and not assignee.is_active:
        raise ValidationError({"assignee": ["This user is inactive and cannot be assigned."]})
    if assignee is not None and not alert_assignable_users().filter(pk=assignee.pk).exists():
        raise ValidationError(
            {
                "assignee": [
                    f"{person_label(assignee)} cannot act on alerts (only Procurement, "
                    "Risk analysts and superusers can), so cannot be assigned one."
                ]
            }
        )
    alert.assignee = assignee
    if getattr(actor, "is_authenticated", False):
        alert._history_user = actor
    alert.save()
    _notify_assignee(alert)
    return alert


def risk_analysts() -> list[AbstractBaseUser]:
    """Active users in the Risk analyst role, who receive pipeline failures."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=RISK_ANALYST)
        .order_by("id")
        .distinct()
    )
