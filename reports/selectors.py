"""Reads of the reports, built on the selectors of the dashboard and the vendor page.

A report is as of a day: the vendors' latest assessments made on or before it (what the
registry said then, as the dashboard says it today), the ownership graph read as of that day,
the contracts not yet ended on it, and the alerts raised by then that are still open or
acknowledged.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q

from alerts.choices import OPEN_STATUSES, AlertKind
from alerts.models import Alert
from registry import selectors
from registry.choices import RISK_ORDER, FactorCode
from registry.models import Contract, Entity, RiskAssessment, RiskFactor, Vendor, WatchlistEntry
from registry.selectors import GraphNode, OwnershipGraphView
from registry.selectors.dashboard import latest_assessment_ids

#: Factors that carry a look-through share of the party in the vendor.
SHARE_CODES = (
    FactorCode.COMPETITOR_OWNERSHIP,
    FactorCode.SANCTIONED_OWNERSHIP,
    FactorCode.STATE_OWNERSHIP,
)


@dataclass
class ContractLine:
    """A contract as the reports show it: with the deadline of its open change-of-control
    review (the end of its termination window), if one is open."""

    contract: Contract
    deadline: datetime.date | None = None
    deadline_alert: Alert | None = None


@dataclass
class VendorExposure:
    """One vendor under the party's influence: its level, the party's factors and their
    chains (entity names from the party down to the vendor), its contracts."""

    vendor: Vendor
    assessment: RiskAssessment
    factors: list[RiskFactor]
    chains: list[list[Entity]]
    contracts: list[ContractLine] = field(default_factory=list)
    graph: OwnershipGraphView | None = None

    @property
    def share_factor(self) -> RiskFactor | None:
        shares = [f for f in self.factors if f.code in SHARE_CODES]
        return max(shares, key=lambda f: f.effective_share or 0) if shares else None

    @property
    def control(self) -> bool:
        return any(f.code == FactorCode.COMPETITOR_CONTROL for f in self.factors)

    @property
    def interlock(self) -> bool:
        return any(f.code == FactorCode.KEY_PERSON_INTERLOCK for f in self.factors)


@dataclass
class ExposureReport:
    """A watchlisted party's exposure as of ``as_of``: the vendors under its influence, most
    severe first, their contracts' value per currency, and the open alerts about them."""

    party: Entity
    watchlist: list[WatchlistEntry]
    as_of: datetime.date
    vendors: list[VendorExposure]
    totals: list[tuple[str, Decimal]]
    alerts: list[Alert]

    @property
    def contract_count(self) -> int:
        return sum(len(v.contracts) for v in self.vendors)


def _ongoing(as_of: datetime.date) -> Q:
    """Contracts not yet ended on ``as_of`` (the dashboard's exposure counts these)."""
    return Q(end_date__isnull=True) | Q(end_date__gte=as_of)


def _open_alerts(vendor_ids, as_of: datetime.date) -> list[Alert]:
    return list(
        Alert.objects.filter(
            vendor_id__in=vendor_ids, status__in=OPEN_STATUSES, created_at__date__lte=as_of
        )
        .select_related("vendor__entity", "contract", "assignee")
        .order_by("due_date", "-created_at", "-id")
    )


def _contract_lines(contracts: list[Contract], alerts: list[Alert]) -> list[ContractLine]:
    reviews: dict[int, Alert] = {}
    for alert in alerts:
        if alert.kind == AlertKind.CHANGE_OF_CONTROL and alert.contract_id and alert.due_date:
            # The soonest open review of a contract is its deadline.
            known = reviews.get(alert.contract_id)
            if known is None or alert.due_date < known.due_date:
                reviews[alert.contract_id] = alert
    lines = []
    for contract in contracts:
        review = reviews.get(contract.pk)
        lines.append(
            ContractLine(
                contract=contract,
                deadline=review.due_date if review else None,
                deadline_alert=review,
            )
        )
    return lines


def chain_graph(graph: OwnershipGraphView, *, keep: set[int]) -> OwnershipGraphView:
    """The part of a vendor's ownership graph on the chains of ``keep`` (entity ids): those
    entities and the edges between them, in layers without gaps."""
    kept = {pk: node for pk, node in graph.nodes.items() if pk in keep or node.is_vendor}
    ranks = {layer: rank for rank, layer in enumerate(sorted({n.layer for n in kept.values()}))}
    nodes = {
        pk: GraphNode(
            entity=node.entity,
            layer=ranks[node.layer],
            watchlist=node.watchlist,
            is_vendor=node.is_vendor,
        )
        for pk, node in kept.items()
    }
    edges = [e for e in graph.edges if e.owner_id in nodes and e.owned_id in nodes]
    return OwnershipGraphView(
        nodes=nodes, edges=edges, truncated=graph.truncated, as_of=graph.as_of
    )


def party_exposure_report(*, party: Entity, as_of: datetime.date) -> ExposureReport:
    """The exposure report of ``party``: the vendors whose latest assessment on or before
    ``as_of`` names it in a factor (as ``influencing_party_filter`` finds them for the
    dashboard's links), each with its chains drawn as of that day. Six queries, and the
    graph's per vendor (one per layer of the walk and three more)."""
    factors = list(
        RiskFactor.objects.filter(party=party, assessment_id__in=latest_assessment_ids(as_of=as_of))
        .select_related("assessment__vendor__entity", "assessment__vendor__business_owner")
        .order_by("assessment_id", "id")
    )
    by_vendor: dict[int, list[RiskFactor]] = defaultdict(list)
    for factor in factors:
        by_vendor[factor.assessment.vendor_id].append(factor)
    names = selectors.entities_by_id({pk for f in factors for pk in f.path})
    contracts: dict[int, list[Contract]] = defaultdict(list)
    for contract in (
        Contract.objects.filter(vendor_id__in=list(by_vendor))
        .filter(_ongoing(as_of))
        .order_by("-value", "reference")
    ):
        contracts[contract.vendor_id].append(contract)
    alerts = _open_alerts(list(by_vendor), as_of)
    vendors = []
    for vendor_factors in by_vendor.values():
        assessment = vendor_factors[0].assessment
        vendor = assessment.vendor
        exposure = VendorExposure(
            vendor=vendor,
            assessment=assessment,
            factors=vendor_factors,
            chains=[[names[pk] for pk in f.path if pk in names] for f in vendor_factors],
            contracts=_contract_lines(contracts[vendor.pk], alerts),
        )
        keep = {pk for f in vendor_factors for pk in f.path}
        exposure.graph = chain_graph(
            selectors.vendor_ownership_graph(vendor=vendor, as_of=as_of), keep=keep
        )
        vendors.append(exposure)
    vendors.sort(
        key=lambda v: (
            -RISK_ORDER[v.assessment.level],
            -(v.share_factor.effective_share or 0) if v.share_factor else 0,
            v.vendor.entity.name.lower(),
            v.vendor.pk,
        )
    )
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for exposure in vendors:
        for line in exposure.contracts:
            totals[line.contract.currency] += line.contract.value
    return ExposureReport(
        party=party,
        watchlist=list(WatchlistEntry.objects.filter(entity=party).order_by("category")),
        as_of=as_of,
        vendors=vendors,
        totals=sorted(totals.items(), key=lambda item: (-item[1], item[0])),
        alerts=alerts,
    )


@dataclass
class VendorSummary:
    """A vendor's one-page summary as of ``as_of``: its assessment then, the factors with
    their chains, the graph, the contracts not yet ended and the open alerts."""

    vendor: Vendor
    as_of: datetime.date
    assessment: RiskAssessment | None
    factors: list[tuple[RiskFactor, list[Entity]]]
    graph: OwnershipGraphView
    contracts: list[ContractLine]
    alerts: list[Alert]


def vendor_summary(*, vendor: Vendor, as_of: datetime.date) -> VendorSummary:
    """What the vendor's one-page summary shows. Six queries and the graph's."""
    assessment = (
        RiskAssessment.objects.filter(vendor=vendor, assessed_at__date__lte=as_of)
        .select_related("policy")
        .prefetch_related(Prefetch("factors", RiskFactor.objects.select_related("party")))
        .order_by("-assessed_at", "-id")
        .first()
    )
    factors = list(assessment.factors.all()) if assessment else []
    names = selectors.entities_by_id({pk for f in factors for pk in f.path})
    alerts = _open_alerts([vendor.pk], as_of)
    contracts = list(vendor.contracts.filter(_ongoing(as_of)).order_by("-value", "reference"))
    return VendorSummary(
        vendor=vendor,
        as_of=as_of,
        assessment=assessment,
        factors=[(f, [names[pk] for pk in f.path if pk in names]) for f in factors],
        graph=selectors.vendor_ownership_graph(vendor=vendor, as_of=as_of),
        contracts=_contract_lines(contracts, alerts),
        alerts=alerts,
    )
