"""Rows the list tests need in bulk, written directly (the services are tested elsewhere)."""

import datetime

from alerts.models import Alert
from registry.models import RiskAssessment, RiskFactor, RiskPolicy, Vendor
from tests.factories import ContractFactory, EntityFactory, VendorFactory, WatchlistEntryFactory


def assessed_vendor(*, party, level: str = "high", value: str = "1000.00") -> Vendor:
    """A vendor with one contract whose latest assessment names ``party`` in a factor."""
    vendor = VendorFactory(risk_level=level)
    ContractFactory(vendor=vendor, value=value, currency="USD")
    policy = RiskPolicy.objects.order_by("-version").first()
    assessment = RiskAssessment.objects.create(
        vendor=vendor,
        level=level,
        score=60,
        as_of=datetime.date(2025, 6, 13),
        policy=policy,
        policy_version=policy.version,
    )
    RiskFactor.objects.create(
        assessment=assessment,
        code="competitor_ownership",
        severity=level,
        summary="Held by a competitor.",
        party=party,
        effective_share=30,
        path=[party.pk, vendor.entity_id],
    )
    return vendor


def competitor(name: str):
    entity = EntityFactory(name=name)
    WatchlistEntryFactory(entity=entity, category="competitor")
    return entity


def alerts_for(vendors: list[Vendor], *, severity: str = "high", due=None) -> list[Alert]:
    return [
        Alert.objects.create(
            kind="risk_increased",
            severity=severity,
            title=f"{vendor.entity.name}: risk rose",
            vendor=vendor,
            due_date=due,
            dedup_key=f"test:{vendor.pk}:{severity}",
        )
        for vendor in vendors
    ]
