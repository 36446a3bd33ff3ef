"""Reads of alerts shared by the API and the pages, each in a constant number of queries."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, When

from alerts.choices import OPEN_STATUSES, AlertKind
from alerts.models import Alert, NotificationPreference
from registry.choices import RiskLevel
from registry.models import Contract, OwnershipEvent, Vendor

#: Critical first: the rank of each severity in the inbox.
URGENCY = Case(
    *(When(severity=level, then=rank) for rank, level in enumerate(reversed(RiskLevel.values))),
    output_field=IntegerField(),
)


#: The permission that makes a user someone who may act on an alert (Procurement, Risk analyst).
ACT_PERMISSION = ("alerts", "resolve_alert")


def alert_assignable_users() -> QuerySet[AbstractBaseUser]:
    """Active users who may act on an alert, so may be given one: superusers and users
    holding the resolve permission through a role or directly (never a Viewer), by username."""
    app_label, codename = ACT_PERMISSION
    through_group = Q(
        groups__permissions__codename=codename,
        groups__permissions__content_type__app_label=app_label,
    )
    direct = Q(
        user_permissions__codename=codename,
        user_permissions__content_type__app_label=app_label,
    )
    may_act = get_user_model().objects.filter(Q(is_superuser=True) | through_group | direct)
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=may_act.values("pk"))
        .order_by("username")
    )


def alert_list() -> QuerySet[Alert]:
    """Alerts, newest first."""
    return Alert.objects.all()


def alert_inbox() -> QuerySet[Alert]:
    """Alerts with what the inbox shows of them, most urgent first: by severity, then the
    soonest due date, then the newest."""
    return (
        Alert.objects.select_related("vendor__entity", "contract", "assignee", "event")
        .annotate(urgency=URGENCY)
        .order_by("urgency", F("due_date").asc(nulls_last=True), "-created_at", "-id")
    )


#: The permissions of acting on an alert; a user with none of them (a Viewer) has nothing to do.
ALERT_ACTION_PERMISSIONS = (
    "alerts.acknowledge_alert",
    "alerts.resolve_alert",
    "alerts.dismiss_alert",
    "alerts.assign_alert",
)


def alerts_needing_action() -> QuerySet[Alert]:
    """Alerts still to be handled: open or acknowledged, neither resolved nor dismissed. The
    inbox's default filter (``status=active``) and the navigation badge both count these."""
    return Alert.objects.filter(status__in=OPEN_STATUSES)


def alert_action_count(*, user) -> int:
    """How many alerts need action by ``user``'s role: every open or acknowledged alert for a
    role that may act on alerts (Procurement, Risk analyst, superusers), none for one that may
    only read them (a Viewer) or for a visitor who is not signed in."""
    if not getattr(user, "is_authenticated", False) or not any(
        user.has_perm(permission) for permission in ALERT_ACTION_PERMISSIONS
    ):
        return 0
    return alerts_needing_action().count()


def vendors_with_open_alerts(*, limit: int) -> list[Vendor]:
    """Vendors with an alert open or acknowledged, by name, at most ``limit``."""
    return list(
        Vendor.objects.filter(alerts__status__in=OPEN_STATUSES)
        .select_related("entity")
        .order_by("entity__name", "pk")
        .distinct()[:limit]
    )


def open_alerts_by_severity() -> list[dict]:
    """``[{"severity", "label", "count"}]`` of alerts still needing attention, critical first."""
    counts = dict(
        Alert.objects.filter(status__in=OPEN_STATUSES)
        .values_list("severity")
        .annotate(n=Count("id"))
        .values_list("severity", "n")
    )
    return [
        {"severity": value, "label": label, "count": counts.get(value, 0)}
        for value, label in reversed(RiskLevel.choices)
    ]


@dataclass
class Deadlines:
    """Open change-of-control alerts: those due from today to the horizon, soonest first, and
    the overdue ones apart, most overdue first — each list capped, each count complete."""

    upcoming: list[Alert]
    upcoming_count: int
    overdue: list[Alert]
    overdue_count: int


def change_of_control_deadlines(
    *, today: datetime.date, horizon_days: int, limit: int = 20
) -> Deadlines:
    """The dashboard's deadlines: upcoming means due today up to ``today + horizon_days``;
    overdue (due before today) are listed apart with their count. Three queries."""
    horizon = today + datetime.timedelta(days=horizon_days)
    still_open = Alert.objects.filter(
        kind=AlertKind.CHANGE_OF_CONTROL, status__in=OPEN_STATUSES, due_date__isnull=False
    )
    upcoming = Q(due_date__gte=today, due_date__lte=horizon)
    overdue = Q(due_date__lt=today)
    counts = still_open.aggregate(
        upcoming=Count("id", filter=upcoming), overdue=Count("id", filter=overdue)
    )
    rows = still_open.select_related("vendor__entity", "contract")
    return Deadlines(
        upcoming=list(rows.filter(upcoming).order_by("due_date", "id")[:limit]),
        upcoming_count=counts["upcoming"],
        overdue=list(rows.filter(overdue).order_by("due_date", "id")[:limit]),
        overdue_count=counts["overdue"],
    )


def vendor_alerts(*, vendor: Vendor, limit: int = 50) -> list[Alert]:
    """The vendor's alerts, open ones first, then the latest."""
    open_first = Case(
        When(status__in=OPEN_STATUSES, then=0), default=1, output_field=IntegerField()
    )
    return list(
        Alert.objects.filter(vendor=vendor)
        .annotate(open_first=open_first)
        .order_by("open_first", "-created_at", "-id")[:limit]
    )


def contract_alerts(*, contract: Contract) -> list[Alert]:
    """Alerts about the contract, the latest first."""
    return list(Alert.objects.filter(contract=contract).order_by("-created_at", "-id"))


def event_alerts(*, event: OwnershipEvent) -> list[Alert]:
    """Alerts the event's processing raised, the latest first."""
    return list(Alert.objects.filter(event=event).order_by("-created_at", "-id"))


def import_run_alerts(*, run_id: int) -> list[Alert]:
    """Alerts the import run raised: its recheck's, and the change-of-control reviews of
    the events it logged; the most severe first."""
    return list(
        Alert.objects.filter(Q(import_run_id=run_id) | Q(event__import_run_id=run_id))
        .select_related("vendor__entity")
        .annotate(urgency=URGENCY)
        .order_by("urgency", "-created_at", "-id")
    )


# --- Reminders (alerts.reminders) ---------------------------------------------------------------


def coc_alerts_due_on(*, days: list[datetime.date]) -> list[Alert]:
    """Open or acknowledged change-of-control alerts due on one of ``days``, with their vendor,
    contract and assignee. One query."""
    return list(
        Alert.objects.filter(
            kind=AlertKind.CHANGE_OF_CONTROL, status__in=OPEN_STATUSES, due_date__in=days
        )
        .select_related("vendor__entity", "vendor__business_owner", "contract__owner", "assignee")
        .order_by("due_date", "id")
    )


def coc_alerts_overdue(*, day: datetime.date) -> list[Alert]:
    """Open or acknowledged change-of-control alerts due before ``day``, most overdue first.
    One query."""
    return list(
        Alert.objects.filter(
            kind=AlertKind.CHANGE_OF_CONTROL, status__in=OPEN_STATUSES, due_date__lt=day
        )
        .select_related("vendor__entity", "contract", "assignee")
        .order_by("due_date", "id")
    )


def contracts_ending_between(*, first: datetime.date, last: datetime.date) -> list[Contract]:
    """Contracts whose end date falls from ``first`` to ``last``, with the people who manage
    them, soonest first. One query."""
    return list(
        Contract.objects.filter(end_date__gte=first, end_date__lte=last)
        .select_related("vendor__entity", "vendor__business_owner", "owner")
        .order_by("end_date", "reference")
    )


def digest_alerts(
    *, new_since: datetime.datetime, new_until: datetime.datetime, due_by: datetime.date
) -> list[Alert]:
    """Open or acknowledged alerts that have an assignee and are new (created from
    ``new_since`` to before ``new_until``), or due by ``due_by`` (overdue ones included), by
    due date. One query."""
    return list(
        Alert.objects.filter(status__in=OPEN_STATUSES, assignee__isnull=False)
        .filter(
            Q(created_at__gte=new_since, created_at__lt=new_until)
            | Q(due_date__isnull=False, due_date__lte=due_by)
        )
        .select_related("vendor__entity", "contract", "assignee")
        .order_by(F("due_date").asc(nulls_last=True), "id")
    )


def digest_opted_out(*, user_ids: set[int]) -> set[int]:
    """Which of ``user_ids`` asked not to be sent the daily digest. One query."""
    return set(
        NotificationPreference.objects.filter(user_id__in=user_ids, daily_digest=False).values_list(
            "user_id", flat=True
        )
    )


def notification_preference(*, user: AbstractBaseUser) -> NotificationPreference:
    """``user``'s preferences, or the defaults (unsaved) when none are stored."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)
