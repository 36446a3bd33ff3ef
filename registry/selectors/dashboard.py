"""Reads of the dashboard: vendors by risk level, renewals, exposure to watchlisted parties.
The dashboard's alert figures come from ``alerts.selectors``."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from registry.choices import FactorCode, RiskLevel, VendorStatus
from registry.models import Contract, Entity, RiskAssessment, RiskFactor, Vendor, WatchlistEntry

#: How far ahead the dashboard looks for deadlines and renewals.
DASHBOARD_HORIZON_DAYS = 90


def latest_assessment_ids() -> QuerySet:
    """Ids of every vendor's latest assessment, as a subquery."""
    latest = RiskAssessment.objects.filter(vendor=OuterRef("vendor_id")).order_by(
        "-assessed_at", "-id"
    )
    return RiskAssessment.objects.filter(pk=Subquery(latest.values("pk")[:1])).values("pk")


def factor_code_filter(code: str) -> Q:
    """Vendors whose latest assessment has a factor of ``code``, as a ``Vendor`` filter."""
    return Q(
        pk__in=RiskFactor.objects.filter(
            code=code, assessment_id__in=latest_assessment_ids()
        ).values("assessment__vendor_id")
    )


def vendors_by_risk_level() -> list[dict]:
    """``[{"level", "label", "count", "percent", "undisclosed"}]`` of vendors not offboarded,
    critical first; ``undisclosed`` counts those with an ``undisclosed_ownership`` factor
    (undisclosed owners at or above their entity). One query."""
    rows = (
        Vendor.objects.exclude(status=VendorStatus.OFFBOARDED)
        .values_list("risk_level")
        .annotate(
            n=Count("id"),
            undisclosed=Count("id", filter=factor_code_filter(FactorCode.UNDISCLOSED_OWNERSHIP)),
        )
        .values_list("risk_level", "n", "undisclosed")
    )
    counts = {level: (n, undisclosed) for level, n, undisclosed in rows}
    top = max((n for n, _ in counts.values()), default=0)
    return [
        {
            "level": value,
            "label": label,
            "count": counts.get(value, (0, 0))[0],
            "percent": round(100 * counts.get(value, (0, 0))[0] / top) if top else 0,
            "undisclosed": counts.get(value, (0, 0))[1],
        }
        for value, label in reversed(RiskLevel.choices)
    ]


def contract_renewals(*, today: datetime.date | None = None) -> list[Contract]:
    """Contracts ending within the horizon, soonest first."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=DASHBOARD_HORIZON_DAYS)
    return list(
        Contract.objects.filter(end_date__gte=today, end_date__lte=horizon)
        .select_related("vendor__entity")
        .order_by("end_date", "reference")[:20]
    )


@dataclass
class Exposure:
    """Contract value under one watchlisted party's influence, per currency."""

    party: Entity
    categories: list[str]
    vendor_count: int
    totals: list[tuple[str, Decimal]] = field(default_factory=list)


def influencing_party_filter(party_id: int) -> Q:
    """Vendors whose latest assessment has a factor naming ``party_id``, as a ``Vendor`` filter."""
    return Q(
        pk__in=RiskFactor.objects.filter(
            party_id=party_id, assessment_id__in=latest_assessment_ids()
        ).values("assessment__vendor_id")
    )


def exposure_by_influencing_party(*, today: datetime.date | None = None) -> list[Exposure]:
    """Contract value (contracts not yet ended) grouped by each watchlisted party that holds
    influence over vendors through their latest assessments, largest vendor count first.
    Four queries."""
    today = today or timezone.localdate()
    links = set(
        RiskFactor.objects.filter(
            assessment_id__in=latest_assessment_ids(),
            party__watchlist_entries__isnull=False,
        ).values_list("party_id", "assessment__vendor_id")
    )
    if not links:
        return []
    vendors_of: dict[int, set[int]] = defaultdict(set)
    for party_id, vendor_id in links:
        vendors_of[party_id].add(vendor_id)
    all_vendor_ids = set().union(*vendors_of.values())
    values: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for vendor_id, currency, total in (
        Contract.objects.filter(vendor_id__in=all_vendor_ids)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .values_list("vendor_id", "currency")
        .annotate(total=Sum("value"))
        .values_list("vendor_id", "currency", "total")
    ):
        values[vendor_id][currency] = total
    parties = Entity.objects.in_bulk(vendors_of.keys())
    categories: dict[int, list[str]] = defaultdict(list)
    for entry in WatchlistEntry.objects.filter(entity_id__in=vendors_of.keys()).order_by(
        "category"
    ):
        categories[entry.entity_id].append(entry.get_category_display())
    exposures = []
    for party_id, vendor_ids in vendors_of.items():
        per_currency: dict[str, Decimal] = defaultdict(Decimal)
        for vendor_id in vendor_ids:
            for currency, total in values[vendor_id].items():
                per_currency[currency] += total
        exposures.append(
            Exposure(
                party=parties[party_id],
                categories=categories[party_id],
                vendor_count=len(vendor_ids),
                totals=sorted(per_currency.items(), key=lambda item: (-item[1], item[0])),
            )
        )
    return sorted(exposures, key=lambda e: (-e.vendor_count, e.party.name.lower(), e.party.pk))
