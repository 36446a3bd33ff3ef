"""The web lists' filters: the shared FilterSets, plus what only the pages ask for."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from alerts.choices import OPEN_STATUSES, AlertStatus
from alerts.filtersets import AlertFilterSet
from registry.choices import DataAccess
from registry.filtersets import VendorFilterSet
from registry.models import Entity
from registry.web_selectors import influencing_party_filter


class VendorListFilterSet(VendorFilterSet):
    """Vendors, also by data access and by a watchlisted party that influences them (the
    dashboard's exposure links)."""

    data_access = django_filters.ChoiceFilter(choices=DataAccess.choices)
    influenced_by = django_filters.ModelChoiceFilter(
        queryset=Entity.objects.all(), method="filter_influenced_by", label="Influenced by"
    )

    class Meta(VendorFilterSet.Meta):
        fields = [*VendorFilterSet.Meta.fields, "data_access", "influenced_by"]

    def filter_influenced_by(self, queryset: QuerySet, name: str, value: Entity) -> QuerySet:
        return queryset.filter(influencing_party_filter(value.pk))


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
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)
