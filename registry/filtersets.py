"""One FilterSet per registry model, shared by the API viewsets and the web list views.

A value a filter cannot read (an unknown choice, an id that is no number, an identifier without
its scheme) is a validation error naming the filter, never an empty or unfiltered list.
"""

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.utils import timezone

from registry.choices import (
    EntityKind,
    EventKind,
    EventStatus,
    Interest,
    RiskLevel,
    VendorCategory,
    VendorStatus,
    WatchlistCategory,
)
from registry.models import (
    Contract,
    Entity,
    Ownership,
    OwnershipEvent,
    Vendor,
    WatchlistEntry,
)
from registry.selectors import identifier_match

#: ``SCHEME:ID``, e.g. ``GB-COH:00445790``; the id may itself contain colons.
IDENTIFIER_PATTERN = r"^[^:\s]+:\S.*$"


class StrictBooleanField(forms.Field):
    """``true`` or ``false`` (also ``1``/``0``); anything else is refused rather than ignored."""

    TRUE = {"true", "1"}
    FALSE = {"false", "0"}

    def to_python(self, value: object) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Enter true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class EntityFilterSet(django_filters.FilterSet):
    """Entities by name (``search``), LEI, identifier (``SCHEME:ID``), kind and country."""

    search = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label="Name contains", max_length=255
    )
    lei = django_filters.CharFilter(field_name="lei", label="LEI", max_length=20)
    identifier = django_filters.CharFilter(
        method="filter_identifier",
        label="Identifier (SCHEME:ID)",
        max_length=97,
        validators=[
            RegexValidator(IDENTIFIER_PATTERN, "Give the identifier as SCHEME:ID, e.g. DUNS:123.")
        ],
    )
    kind = django_filters.ChoiceFilter(choices=EntityKind.choices)
    country = django_filters.CharFilter(max_length=2)

    class Meta:
        model = Entity
        fields = ["search", "lei", "identifier", "kind", "country"]

    def filter_identifier(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # The validator has made sure the value is SCHEME:ID, so there is a match to apply.
        return queryset.filter(identifier_match(value))


class WatchlistEntryFilterSet(django_filters.FilterSet):
    """Watchlist entries by category and entity."""

    category = django_filters.ChoiceFilter(choices=WatchlistCategory.choices)
    entity = django_filters.ModelChoiceFilter(queryset=Entity.objects.all())

    class Meta:
        model = WatchlistEntry
        fields = ["category", "entity"]


class OwnershipFilterSet(django_filters.FilterSet):
    """Edges by owner, owned, interest, and ``active=true`` for those valid today."""

    owner = django_filters.ModelChoiceFilter(queryset=Entity.objects.all())
    owned = django_filters.ModelChoiceFilter(queryset=Entity.objects.all())
    interest = django_filters.ChoiceFilter(choices=Interest.choices)
    active = StrictBooleanFilter(method="filter_active", label="Active today")

    class Meta:
        model = Ownership
        fields = ["owner", "owned", "interest", "active"]

    def filter_active(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        today = timezone.localdate()
        active = Q(start_date__lte=today) & (Q(end_date__isnull=True) | Q(end_date__gte=today))
        return queryset.filter(active) if value else queryset.exclude(active)


class VendorFilterSet(django_filters.FilterSet):
    """Vendors by risk level, entity, status, category, tier and name (``search``)."""

    risk_level = django_filters.ChoiceFilter(choices=RiskLevel.choices)
    entity = django_filters.ModelChoiceFilter(queryset=Entity.objects.all())
    status = django_filters.ChoiceFilter(choices=VendorStatus.choices)
    category = django_filters.ChoiceFilter(choices=VendorCategory.choices)
    tier = django_filters.TypedChoiceFilter(
        choices=[(tier, str(tier)) for tier in range(1, 5)], coerce=int
    )
    search = django_filters.CharFilter(
        field_name="entity__name", lookup_expr="icontains", label="Name contains", max_length=255
    )

    class Meta:
        model = Vendor
        fields = ["risk_level", "entity", "status", "category", "tier", "search"]


class ContractFilterSet(django_filters.FilterSet):
    """Contracts by vendor and whether they carry a change-of-control clause."""

    vendor = django_filters.ModelChoiceFilter(queryset=Vendor.objects.all())
    change_of_control_clause = StrictBooleanFilter(label="Has a change-of-control clause")

    class Meta:
        model = Contract
        fields = ["vendor", "change_of_control_clause"]


class OwnershipEventFilterSet(django_filters.FilterSet):
    """Ownership events by processing status, kind and subject."""

    status = django_filters.ChoiceFilter(choices=EventStatus.choices)
    kind = django_filters.ChoiceFilter(choices=EventKind.choices)
    subject = django_filters.ModelChoiceFilter(queryset=Entity.objects.all())

    class Meta:
        model = OwnershipEvent
        fields = ["status", "kind", "subject"]
