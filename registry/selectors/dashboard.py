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


def latest_assessment_ids(*, as_of: datetime.date | None = None) -> QuerySet:
    """Ids of every vendor's latest assessment, as a subquery; with ``as_of``, the latest one
    made on or before that day (what the registry said then)."""
    latest = RiskAssessment.objects.filter(vendor=OuterRef("vendor_id"))
    assessments = RiskAssessment.objects.all()
    if as_of is not None:
        latest = latest.filter(assessed_at__date__lte=as_of)
        assessments = assessments.filter(assessed_at__date__lte=as_of)
    latest = latest.order_by("-assessed_at", "-id")
    return assessments.filter(pk=Subquery(latest.values("pk")[:1])).values("pk")


def factor_code_filter(code: str) -> Q:
    """Vendors whose latest assessment has a factor of ``code``, as a ``Vendor`` filter."""
    return Q(
        pk__in=RiskFactor.objects.filter(
            code=code, assessment_id__in=latest_assessment_ids()
        ).values("assessment__vendor_id")
    )


@dataclass
class LevelSummary:
    """Vendors by risk level, critical first (``rows``: level, label, count, percent of the
    largest bar, and ``undisclosed``: those with an ``undisclosed_ownership`` factor); ``total``
    is the sum of the rows, and ``offboarded`` the vendors left out."""

    rows: list[dict]
    total: int
    offboarded: int


def vendors_by_risk_level() -> LevelSummary:
    """Vendors not offboarded by risk level, and how many offboarded ones that leaves out.
    One query."""
    counts: dict[str, int] = defaultdict(int)
    undisclosed: dict[str, int] = defaultdict(int)
    offboarded = 0
    for status, level, n, n_undisclosed in (
        Vendor.objects.values_list("status", "risk_level")
        .annotate(
            n=Count("id"),
            undisclosed=Count("id", filter=factor_code_filter(FactorCode.UNDISCLOSED_OWNERSHIP)),
        )
        .values_list("status", "risk_level", "n", "undisclosed")
    ):
        if status == VendorStatus.OFFBOARDED:
            offboarded += n
        else:
            counts[level] += n
            undisclosed[level] += n_undisclosed
    top = max(counts.values(), default=0)
    rows = [
        {
            "level": value,
            "label": label,
            "count": counts[value],
            "percent": round(100 * counts[value] / top) if top else 0,
            "undisclosed": undisclosed[value],
        }
        for value, label in reversed(RiskLevel.choices)
    ]
    return LevelSummary(rows=rows, total=sum(row["count"] for row in rows), offboarded=offboarded)


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
    """Contract value under one watchlisted party's influence, per currency; ``ranked_value``
    is its value in the ranking's currency."""

    party: Entity
    categories: list[str]
    vendor_count: int
    totals: list[tuple[str, Decimal]] = field(default_factory=list)
    ranked_value: Decimal = Decimal("0")


@dataclass
class ExposureRanking:
    """Exposures ranked by contract value in ``currency``: the only currency, or, when values
    come in several and no exchange rates are kept, the most common one (``mixed``); values
    in the other currencies are shown beside it, not converted."""

    rows: list[Exposure]
    currency: str = ""
    mixed: bool = False
    other_currencies: list[str] = field(default_factory=list)


def influencing_party_filter(party_id: int, *, as_of: datetime.date | None = None) -> Q:
    """Vendors whose latest assessment (on or before ``as_of`` if given) has a factor naming
    ``party_id``, as a ``Vendor`` filter."""
    return Q(
        pk__in=RiskFactor.objects.filter(
            party_id=party_id, assessment_id__in=latest_assessment_ids(as_of=as_of)
        ).values("assessment__vendor_id")
    )


def exposure_by_influencing_party(*, today: datetime.date | None = None) -> ExposureRanking:
    """Contract value (contracts not yet ended) grouped by each watchlisted party that holds
    influence over vendors through their latest assessments, ranked by value in the ranking
    currency (then by vendor count, then by name). Four queries."""
    today = today or timezone.localdate()
    links = set(
        RiskFactor.objects.filter(
            assessment_id__in=latest_assessment_ids(),
            party__watchlist_entries__isnull=False,
        ).values_list("party_id", "assessment__vendor_id")
    )
    if not links:
        return ExposureRanking(rows=[])
    vendors_of: dict[int, set[int]] = defaultdict(set)
    for party_id, vendor_id in links:
        vendors_of[party_id].add(vendor_id)
    all_vendor_ids = set().union(*vendors_of.values())
    values: dict[int, dict[str, Decimal]] = defaultdict(dict)
    contracts_in: dict[str, int] = defaultdict(int)
    value_in: dict[str, Decimal] = defaultdict(Decimal)
    for vendor_id, currency, total, n in (
        Contract.objects.filter(vendor_id__in=all_vendor_ids)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .values_list("vendor_id", "currency")
        .annotate(total=Sum("value"), n=Count("id"))
        .values_list("vendor_id", "currency", "total", "n")
    ):
        values[vendor_id][currency] = total
        contracts_in[currency] += n
        value_in[currency] += total
    # The most common currency by number of contracts (then by value, then by code).
    currencies = sorted(contracts_in, key=lambda c: (-contracts_in[c], -value_in[c], c))
    currency = currencies[0] if currencies else ""
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
            for code, total in values[vendor_id].items():
                per_currency[code] += total
        exposures.append(
            Exposure(
                party=parties[party_id],
                categories=categories[party_id],
                vendor_count=len(vendor_ids),
                totals=sorted(per_currency.items(), key=lambda item: (-item[1], item[0])),
                ranked_value=per_currency.get(currency, Decimal("0")),
            )
        )
    exposures.sort(
        key=lambda e: (-e.ranked_value, -e.vendor_count, e.party.name.lower(), e.party.pk)
    )
    return ExposureRanking(
        rows=exposures,
        currency=currency,
        mixed=len(currencies) > 1,
        other_currencies=currencies[1:],
    )
