"""Reads of alerts shared by the API and the pages, each in a constant number of queries."""

from django.db.models import Case, F, IntegerField, QuerySet, When

from alerts.choices import OPEN_STATUSES, AlertStatus
from alerts.models import Alert
from registry.choices import RiskLevel
from registry.models import Vendor

#: Critical first: the rank of each severity in the inbox.
URGENCY = Case(
    *(When(severity=level, then=rank) for rank, level in enumerate(reversed(RiskLevel.values))),
    output_field=IntegerField(),
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


def open_alert_count() -> int:
    """How many alerts nobody has taken up yet (status open)."""
    return Alert.objects.filter(status=AlertStatus.OPEN).count()


def vendors_with_open_alerts(*, limit: int) -> list[Vendor]:
    """Vendors with an alert open or acknowledged, by name, at most ``limit``."""
    return list(
        Vendor.objects.filter(alerts__status__in=OPEN_STATUSES)
        .select_related("entity")
        .order_by("entity__name", "pk")
        .distinct()[:limit]
    )
