"""The web lists' filters: the shared FilterSets, plus what only the pages ask for."""

import django_filters
from django.db.models import QuerySet

from registry.choices import DataAccess, FactorCode
from registry.filtersets import VendorFilterSet
from registry.models import Entity
from registry.selectors import factor_code_filter, influencing_party_filter


class VendorListFilterSet(VendorFilterSet):
    """Vendors, also by data access, by a watchlisted party that influences them (the
    dashboard's exposure links) and by a factor of their latest assessment."""

    data_access = django_filters.ChoiceFilter(choices=DataAccess.choices)
    influenced_by = django_filters.ModelChoiceFilter(
        queryset=Entity.objects.all(), method="filter_influenced_by", label="Influenced by"
    )
    factor = django_filters.ChoiceFilter(
        choices=FactorCode.choices, method="filter_factor", label="Risk factor"
    )

    class Meta(VendorFilterSet.Meta):
        fields = [*VendorFilterSet.Meta.fields, "data_access", "influenced_by", "factor"]

    def filter_influenced_by(self, queryset: QuerySet, name: str, value: Entity) -> QuerySet:
        return queryset.filter(influencing_party_filter(value.pk))

    def filter_factor(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(factor_code_filter(value))
