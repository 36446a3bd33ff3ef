"""The inbox's filters: the alerts FilterSet, plus what only the pages ask for."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from alerts.choices import OPEN_STATUSES, AlertStatus
from alerts.filtersets import AlertFilterSet


class AlertInboxFilterSet(AlertFilterSet):
    """Alerts, also by assignee, and ``status=active`` (the default) for open or acknowledged."""

    ACTIVE = "active"

    status = django_filters.ChoiceFilter(
        choices=[(ACTIVE, "Open or acknowledged"), *AlertStatus.choices],
        method="filter_status",
        empty_label="Any status",
    )
    assignee = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.all())

    class Meta(AlertFilterSet.Meta):
        fields = [*AlertFilterSet.Meta.fields, "assignee"]

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == self.ACTIVE:
            # What needs action, as the navigation badge counts it (alerts_needing_action).
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)
