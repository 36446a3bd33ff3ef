"""Reads of the dashboard: vendors by risk level, renewals, exposure to watchlisted parties.
The dashboard's alert figures come from ``alerts.selectors``."""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from registry.choices import FactorCode, RiskLevel, VendorStatus
from registry.models import (
    Contract,
    CurrencyRate,
    Entity,
    RiskAssessment,
    RiskFactor,
    Vendor,
    WatchlistEntry,
)

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
class RateUsed:
    """The rate one currency was converted with: one unit is worth ``rate`` of the reporting
    currency, from ``valid_from``."""

    currency: str
    rate: Decimal
    valid_from: datetime.date
    source: str = ""


@dataclass
class Exposure:
    """Contract value under one watchlisted party's influence: ``totals`` per contract
    currency as written, ``value`` their sum in the reporting currency, and ``unconverted``
    the totals in currencies without a rate on the day, which ``value`` leaves out."""

    party: Entity
    categories: list[str]
    vendor_count: int
    totals: list[tuple[str, Decimal]] = field(default_factory=list)
    value: Decimal = Decimal("0")
    unconverted: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def converted(self) -> list[tuple[str, Decimal]]:
        """The totals in other currencies that ``value`` includes, converted."""
        missing = {code for code, _ in self.unconverted}
        return [(code, total) for code, total in self.totals if code not in missing]


@dataclass
class ExposureRanking:
    """Exposures ranked by their value in ``currency`` (the reporting currency), converted at
    the rates in force on ``as_of`` (``rates``, one per other currency that has one);
    ``missing`` names the currencies with no rate on that day, whose values are shown apart
    and counted in no total."""

    rows: list[Exposure]
    currency: str = ""
    as_of: datetime.date | None = None
    rates: list[RateUsed] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def currency_rates_on(date: datetime.date, currencies: Iterable[str]) -> dict[str, RateUsed]:
    """For each of ``currencies`` other than the reporting currency, the latest rate to the
    reporting currency valid on ``date``; a currency without one is absent. One query."""
    wanted = set(currencies) - {settings.REPORTING_CURRENCY}
    if not wanted:
        return {}
    rates: dict[str, RateUsed] = {}
    for row in CurrencyRate.objects.filter(
        currency__in=wanted,
        quote_currency=settings.REPORTING_CURRENCY,
        valid_from__lte=date,
    ).order_by("currency", "-valid_from"):
        rates.setdefault(
            row.currency,
            RateUsed(
                currency=row.currency,
                rate=row.rate,
                valid_from=row.valid_from,
                source=row.source,
            ),
        )
    return rates


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
    influence over vendors through their latest assessments, converted to the reporting
    currency at the rates in force ``today`` and ranked by that value (then by vendor count,
    then by name). A currency without a rate is never summed with the others: its values stay
    apart, named in ``missing``. Five queries."""
    today = today or timezone.localdate()
    reporting = settings.REPORTING_CURRENCY
    links = set(
        RiskFactor.objects.filter(
            assessment_id__in=latest_assessment_ids(),
            party__watchlist_entries__isnull=False,
        ).values_list("party_id", "assessment__vendor_id")
    )
    if not links:
        return ExposureRanking(rows=[], currency=reporting, as_of=today)
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
    currencies = {code for per_vendor in values.values() for code in per_vendor}
    rates = currency_rates_on(today, currencies)
    missing = sorted(currencies - set(rates) - {reporting})
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
        value = sum(
            (
                total if code == reporting else total * rates[code].rate
                for code, total in per_currency.items()
                if code == reporting or code in rates
            ),
            Decimal("0"),
        ).quantize(Decimal("0.01"))
        exposures.append(
            Exposure(
                party=parties[party_id],
                categories=categories[party_id],
                vendor_count=len(vendor_ids),
                totals=sorted(
                    per_currency.items(), key=lambda item: (item[0] != reporting, item[0])
                ),
                value=value,
                unconverted=sorted(
                    (code, total) for code, total in per_currency.items() if code in missing
                ),
            )
        )
    exposures.sort(key=lambda e: (-e.value, -e.vendor_count, e.party.name.lower(), e.party.pk))
    return ExposureRanking(
        rows=exposures,
        currency=reporting,
        as_of=today,
        rates=[rates[code] for code in sorted(rates)],
        missing=missing,
    )
