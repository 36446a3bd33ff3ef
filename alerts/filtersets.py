"""The FilterSet of alerts, shared by the API viewset and the web list view."""

import django_filters

from alerts.choices import AlertKind, AlertStatus
from alerts.models import Alert
from registry.choices import RiskLevel
from registry.models import Contract, OwnershipEvent, Vendor


class AlertFilterSet(django_filters.FilterSet):
    """Alerts by vendor, contract, event, status, kind and severity."""

    vendor = django_filters.ModelChoiceFilter(queryset=Vendor.objects.all())
    contract = django_filters.ModelChoiceFilter(queryset=Contract.objects.all())
    event = django_filters.ModelChoiceFilter(queryset=OwnershipEvent.objects.all())
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices)
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices)
    severity = django_filters.ChoiceFilter(choices=RiskLevel.choices)

    class Meta:
        model = Alert
        fields = ["vendor", "contract", "event", "status", "kind", "severity"]
