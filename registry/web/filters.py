"""The web lists' filters: the shared FilterSets, plus what only the pages ask for."""

import django_filters
from django.db.models import Q, QuerySet

from registry.choices import DataAccess, FactorCode, VendorStatus
from registry.filtersets import ContractFilterSet, OwnershipFilterSet, VendorFilterSet
from registry.models import Entity
from registry.selectors import factor_code_filter, influencing_party_filter


class VendorListFilterSet(VendorFilterSet):
    """Vendors, also by data access, by a watchlisted party that influences them (the
    dashboard's exposure links), by a factor of their latest assessment, and without the
    offboarded ones (its risk-level links)."""

    data_access = django_filters.ChoiceFilter(choices=DataAccess.choices)
    influenced_by = django_filters.ModelChoiceFilter(
        queryset=Entity.objects.all(), method="filter_influenced_by", label="Influenced by"
    )
    factor = django_filters.ChoiceFilter(
        choices=FactorCode.choices, method="filter_factor", label="Risk factor"
    )

    current = django_filters.BooleanFilter(
        method="filter_current", label="Leave out offboarded vendors"
    )

    class Meta(VendorFilterSet.Meta):
        fields = [
            *VendorFilterSet.Meta.fields,
            "data_access",
            "influenced_by",
            "factor",
            "current",
        ]

    def filter_current(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        # ``current=true`` (the dashboard's links) leaves out the offboarded vendors, as the
        # dashboard's counts do.
        return queryset.exclude(status=VendorStatus.OFFBOARDED) if value else queryset

    def filter_influenced_by(self, queryset: QuerySet, name: str, value: Entity) -> QuerySet:
        return queryset.filter(influencing_party_filter(value.pk))

    def filter_factor(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(factor_code_filter(value))


class ContractListFilterSet(ContractFilterSet):
    """Contracts, also by a text in their reference, title or vendor's name."""

    search = django_filters.CharFilter(
        method="filter_search", label="Reference, title or vendor", max_length=255
    )

    class Meta(ContractFilterSet.Meta):
        fields = [*ContractFilterSet.Meta.fields, "search"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(reference__icontains=value)
            | Q(title__icontains=value)
            | Q(vendor__entity__name__icontains=value)
        )


class OwnershipListFilterSet(OwnershipFilterSet):
    """Edges, also by a text in the owner's or the owned entity's name."""

    search = django_filters.CharFilter(
        method="filter_search", label="Owner or owned entity", max_length=255
    )

    class Meta(OwnershipFilterSet.Meta):
        fields = [*OwnershipFilterSet.Meta.fields, "search"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(owner__name__icontains=value) | Q(owned__name__icontains=value))
