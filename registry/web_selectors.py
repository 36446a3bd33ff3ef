"""Reads that build the web pages (dashboard, vendor page, pickers), each in a constant number
of queries whatever the size of the registry."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, When
from django.db.models.functions import Lower
from django.utils import timezone

from alerts.choices import OPEN_STATUSES, AlertKind
from alerts.models import Alert
from registry.choices import KEY_PERSON_INTERESTS, EntityKind, RiskLevel, VendorStatus
from registry.models import (
    Contract,
    Entity,
    Ownership,
    OwnershipEvent,
    RiskAssessment,
    RiskFactor,
    Vendor,
    WatchlistEntry,
)

#: How far ahead the dashboard looks for deadlines and renewals.
DASHBOARD_HORIZON_DAYS = 90
#: The most matches an entity picker returns.
PICKER_LIMIT = 20
#: Bounds of the drawn ownership graph: layers above the vendor and entities drawn.
GRAPH_MAX_DEPTH = 8
GRAPH_MAX_NODES = 120


# --- pickers -------------------------------------------------------------------------------------
def entity_search(
    *, query: str, kind: str | None = None, limit: int = PICKER_LIMIT
) -> list[Entity]:
    """Entities matching ``query`` — an id, an LEI, an identifier ``SCHEME:ID`` or part of the
    name — names that start with it first, at most ``limit``. One query."""
    # A NUL character cannot be sent to PostgreSQL and matches no name anyway.
    query = query.replace("\x00", "").strip()
    if not query:
        return []
    entities = Entity.objects.all()
    if kind:
        entities = entities.filter(kind=kind)
    match = Q(name__icontains=query)
    if query.isdigit():
        match |= Q(pk=int(query))
    if len(query) == 20:
        match |= Q(lei=query.upper())
    scheme, colon, value = query.partition(":")
    if colon and scheme and value:
        match |= Q(identifiers__scheme__iexact=scheme.strip(), identifiers__value=value.strip())
    starts = Case(When(name__istartswith=query, then=0), default=1, output_field=IntegerField())
    return list(
        entities.filter(match)
        .annotate(starts=starts)
        .order_by("starts", Lower("name"), "id")
        .distinct()[:limit]
    )


# --- dashboard -----------------------------------------------------------------------------------
def latest_assessment_ids() -> QuerySet:
    """Ids of every vendor's latest assessment, as a subquery."""
    latest = RiskAssessment.objects.filter(vendor=OuterRef("vendor_id")).order_by(
        "-assessed_at", "-id"
    )
    return RiskAssessment.objects.filter(pk=Subquery(latest.values("pk")[:1])).values("pk")


def open_alerts_by_severity() -> list[dict]:
    """``[{"severity", "label", "count"}]`` of alerts still needing attention, critical first."""
    counts = dict(
        Alert.objects.filter(status__in=OPEN_STATUSES)
        .values_list("severity")
        .annotate(n=Count("id"))
        .values_list("severity", "n")
    )
    return [
        {"severity": value, "label": label, "count": counts.get(value, 0)}
        for value, label in reversed(RiskLevel.choices)
    ]


def vendors_by_risk_level() -> list[dict]:
    """``[{"level", "label", "count", "percent"}]`` of vendors not offboarded, critical first."""
    counts = dict(
        Vendor.objects.exclude(status=VendorStatus.OFFBOARDED)
        .values_list("risk_level")
        .annotate(n=Count("id"))
        .values_list("risk_level", "n")
    )
    top = max(counts.values(), default=0)
    return [
        {
            "level": value,
            "label": label,
            "count": counts.get(value, 0),
            "percent": round(100 * counts.get(value, 0) / top) if top else 0,
        }
        for value, label in reversed(RiskLevel.choices)
    ]


def change_of_control_deadlines(*, today: datetime.date | None = None) -> list[Alert]:
    """Open change-of-control alerts due within the horizon, and overdue ones, soonest first."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=DASHBOARD_HORIZON_DAYS)
    return list(
        Alert.objects.filter(
            kind=AlertKind.CHANGE_OF_CONTROL,
            status__in=OPEN_STATUSES,
            due_date__isnull=False,
            due_date__lte=horizon,
        )
        .select_related("vendor__entity", "contract")
        .order_by("due_date", "id")[:20]
    )


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


def recent_events(*, limit: int = 6) -> list[OwnershipEvent]:
    """The latest logged ownership events with their parties."""
    return list(
        OwnershipEvent.objects.select_related("subject", "counterparty", "person").order_by(
            "-created_at", "-id"
        )[:limit]
    )


# --- vendor page ---------------------------------------------------------------------------------
@dataclass
class GraphNode:
    entity: Entity
    layer: int
    watchlist: list[str] = field(default_factory=list)
    is_vendor: bool = False


@dataclass
class GraphEdge:
    owner_id: int
    owned_id: int
    label: str
    interest: str
    is_seat: bool


@dataclass
class OwnershipGraphView:
    """Everything above a vendor's entity as of one date, ready to be laid out."""

    nodes: dict[int, GraphNode]
    edges: list[GraphEdge]
    truncated: bool
    as_of: datetime.date


def _edge_label(edge: Ownership) -> str:
    if edge.interest == "shareholding":
        return edge.share_display
    short = {
        "voting_rights": "votes",
        "board_member": "board",
        "senior_managing_official": "officer",
        "other_influence": "influence",
        "control": "control",
    }[edge.interest]
    return f"{short} {edge.share_display}" if edge.share_display != "—" else short


def vendor_ownership_graph(
    *, vendor: Vendor, as_of: datetime.date | None = None
) -> OwnershipGraphView:
    """Every path upward from the vendor's entity to its owners as of ``as_of`` (today by
    default), plus the seats that people on the way hold in watchlisted entities (key-person
    interlocks). One query per layer (at most ``GRAPH_MAX_DEPTH``) and three more."""
    as_of = as_of or timezone.localdate()
    root = vendor.entity
    nodes = {root.pk: GraphNode(entity=root, layer=0, is_vendor=True)}
    edges: list[GraphEdge] = []
    frontier = {root.pk}
    truncated = False
    active = Ownership.objects.active_on(as_of).select_related("owner")
    for depth in range(1, GRAPH_MAX_DEPTH + 1):
        if not frontier:
            break
        found = list(active.filter(owned_id__in=frontier).order_by("owned_id", "owner__name"))
        frontier = set()
        for edge in found:
            if edge.owner_id not in nodes:
                if len(nodes) >= GRAPH_MAX_NODES:
                    truncated = True
                    continue
                nodes[edge.owner_id] = GraphNode(entity=edge.owner, layer=depth)
                frontier.add(edge.owner_id)
            edges.append(
                GraphEdge(
                    owner_id=edge.owner_id,
                    owned_id=edge.owned_id,
                    label=_edge_label(edge),
                    interest=edge.interest,
                    is_seat=edge.interest in KEY_PERSON_INTERESTS,
                )
            )
    else:
        truncated = truncated or bool(frontier)
    people = [pk for pk, node in nodes.items() if node.entity.kind == EntityKind.PERSON]
    listed = WatchlistEntry.objects.values_list("entity_id", flat=True)
    seats = (
        active.filter(owner_id__in=people, interest__in=KEY_PERSON_INTERESTS, owned_id__in=listed)
        .exclude(owned_id__in=list(nodes))
        .select_related("owned")
        .order_by("owned__name")
        if people
        else []
    )
    for seat in seats:
        if seat.owned_id not in nodes:
            if len(nodes) >= GRAPH_MAX_NODES:
                truncated = True
                continue
            nodes[seat.owned_id] = GraphNode(
                entity=seat.owned, layer=nodes[seat.owner_id].layer + 1
            )
        edges.append(
            GraphEdge(
                owner_id=seat.owner_id,
                owned_id=seat.owned_id,
                label=_edge_label(seat),
                interest=seat.interest,
                is_seat=True,
            )
        )
    for entity_id, category in WatchlistEntry.objects.filter(entity_id__in=list(nodes)).values_list(
        "entity_id", "category"
    ):
        nodes[entity_id].watchlist.append(category)
    return OwnershipGraphView(nodes=nodes, edges=edges, truncated=truncated, as_of=as_of)


def vendor_assessments(*, vendor: Vendor, limit: int = 30) -> list[RiskAssessment]:
    """The vendor's latest assessments, oldest first (for a timeline)."""
    return list(reversed(vendor.assessments.order_by("-assessed_at", "-id")[:limit]))


def vendor_alerts(*, vendor: Vendor, limit: int = 50) -> list[Alert]:
    """The vendor's alerts, open ones first, then the latest."""
    open_first = Case(
        When(status__in=OPEN_STATUSES, then=0), default=1, output_field=IntegerField()
    )
    return list(
        vendor.alerts.select_related("contract", "assignee", "event")
        .annotate(open_first=open_first)
        .order_by("open_first", "-created_at", "-id")[:limit]
    )


@dataclass
class AuditEntry:
    when: datetime.datetime
    who: str
    what: str
    action: str
    changes: list[str]


def _history_entries(records: list, what) -> list[AuditEntry]:
    """Turn history records (newest first, any number of objects) into readable entries."""
    entries = []
    previous_of: dict[int, object] = {}
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        prev = previous_of.get(record.id)
        changes = []
        if prev is not None and record.history_type == "~":
            delta = record.diff_against(prev)
            changes = [
                f"{record.instance._meta.get_field(change.field).verbose_name}: "
                f"{change.old if change.old not in (None, '') else '—'} → "
                f"{change.new if change.new not in (None, '') else '—'}"
                for change in delta.changes
            ]
        previous_of[record.id] = record
        entries.append(
            AuditEntry(
                when=record.history_date,
                who=record.history_user.get_username() if record.history_user else "system",
                what=what(record),
                action={"+": "created", "~": "changed", "-": "deleted"}[record.history_type],
                changes=changes,
            )
        )
    return entries


def vendor_audit_history(*, vendor: Vendor, limit: int = 40) -> list[AuditEntry]:
    """Who changed the vendor, its entity and its contracts, and what, newest first."""
    # The latest records of each (one more than shown, so the oldest shown has its diff).
    vendor_records = list(
        vendor.history.select_related("history_user").order_by("-history_date")[: limit + 1]
    )
    entity_records = list(
        vendor.entity.history.select_related("history_user").order_by("-history_date")[: limit + 1]
    )
    contract_records = list(
        Contract.history.filter(vendor_id=vendor.pk)
        .select_related("history_user")
        .order_by("-history_date")[: limit + 1]
    )
    entries = (
        _history_entries(vendor_records, lambda r: "Vendor")
        + _history_entries(entity_records, lambda r: "Entity")
        + _history_entries(contract_records, lambda r: f"Contract {r.reference}")
    )
    return sorted(entries, key=lambda e: e.when, reverse=True)[:limit]
