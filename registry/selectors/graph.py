"""The vendor page's ownership graph: everything above a vendor's entity on one date.

The walk upward is the risk loader's (``registry.risk.loader.edges_above``), so the page draws
the same edges the engine reads; this module only lays them out in layers and adds what the
page shows besides (names, labels, watchlist marks, interlocking seats).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from registry.choices import KEY_PERSON_INTERESTS, EntityKind, Interest, WatchlistCategory
from registry.models import Entity, Ownership, Vendor, WatchlistEntry
from registry.risk.loader import edges_above

if TYPE_CHECKING:
    from imports.models import ImportRun

#: Bounds of the drawn ownership graph: layers above the vendor and entities drawn.
GRAPH_MAX_DEPTH = 8
GRAPH_MAX_NODES = 120


@dataclass
class GraphNode:
    entity: Entity
    layer: int
    watchlist: list[str] = field(default_factory=list)
    is_vendor: bool = False

    @property
    def watchlist_labels(self) -> list[str]:
        """The watchlist categories as people read them ("state-owned", not "state_owned")."""
        return [WatchlistCategory(category).label.lower() for category in self.watchlist]


@dataclass
class GraphEdge:
    owner_id: int
    owned_id: int
    label: str
    interest: str
    is_seat: bool
    #: A shareholding's share in percent (the upper bound of a range, as risk reads it);
    #: None for every other interest.
    share: Decimal | None = None
    #: Who wrote the edge: an import run (with the record it came from), else an event (and
    #: the import run that logged the event, if one did).
    import_run: "ImportRun | None" = None
    import_record: str = ""
    source_event_id: int | None = None
    source_event_run: "ImportRun | None" = None

    @classmethod
    def of(cls, edge: Ownership, *, is_seat: bool) -> "GraphEdge":
        return cls(
            owner_id=edge.owner_id,
            owned_id=edge.owned_id,
            label=_edge_label(edge),
            interest=edge.interest,
            is_seat=is_seat,
            share=(edge.share if edge.share is not None else edge.share_max)
            if edge.interest == Interest.SHAREHOLDING
            else None,
            import_run=edge.import_run,
            import_record=edge.import_record,
            source_event_id=edge.source_event_id,
            source_event_run=edge.source_event.import_run if edge.source_event_id else None,
        )


@dataclass
class OwnershipGraphView:
    """Everything above a vendor's entity as of one date, ready to be laid out."""

    nodes: dict[int, GraphNode]
    edges: list[GraphEdge]
    truncated: bool
    as_of: datetime.date
    #: The vendor's own entity (the bottom of the drawing).
    root_id: int | None = None


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


def _edges_into(root: Entity, as_of: datetime.date) -> dict[int, list[Ownership]]:
    """The loader's edges above ``root``, as rows with their owners, grouped by the entity
    they lead into (each group by owner name)."""
    edge_ids = [edge.id for edge in edges_above([root.pk], as_of=as_of)]
    into: dict[int, list[Ownership]] = defaultdict(list)
    if edge_ids:
        rows = (
            Ownership.objects.filter(pk__in=edge_ids)
            .select_related("owner", "import_run", "source_event__import_run")
            .order_by("owned_id", "owner__name", "id")
        )
        for row in rows:
            into[row.owned_id].append(row)
    return into


def vendor_ownership_graph(
    *, vendor: Vendor, as_of: datetime.date | None = None
) -> OwnershipGraphView:
    """Every path upward from the vendor's entity to its owners as of ``as_of`` (today by
    default), drawn up to ``GRAPH_MAX_DEPTH`` layers and ``GRAPH_MAX_NODES`` entities, plus
    the seats that people on the way hold in watchlisted entities (key-person interlocks).
    One query per layer of the loader's walk and four more."""
    as_of = as_of or timezone.localdate()
    root = vendor.entity
    into = _edges_into(root, as_of)
    nodes = {root.pk: GraphNode(entity=root, layer=0, is_vendor=True)}
    edges: list[GraphEdge] = []
    frontier = {root.pk}
    truncated = False
    for depth in range(1, GRAPH_MAX_DEPTH + 1):
        if not frontier:
            break
        found = [edge for owned_id in sorted(frontier) for edge in into[owned_id]]
        frontier = set()
        for edge in found:
            if edge.owner_id not in nodes:
                if len(nodes) >= GRAPH_MAX_NODES:
                    truncated = True
                    continue
                nodes[edge.owner_id] = GraphNode(entity=edge.owner, layer=depth)
                frontier.add(edge.owner_id)
            edges.append(GraphEdge.of(edge, is_seat=edge.interest in KEY_PERSON_INTERESTS))
    else:
        truncated = truncated or bool(frontier)
    people = [pk for pk, node in nodes.items() if node.entity.kind == EntityKind.PERSON]
    listed = WatchlistEntry.objects.values_list("entity_id", flat=True)
    seats = (
        Ownership.objects.active_on(as_of)
        .filter(owner_id__in=people, interest__in=KEY_PERSON_INTERESTS, owned_id__in=listed)
        .exclude(owned_id__in=list(nodes))
        .select_related("owned", "import_run", "source_event__import_run")
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
        edges.append(GraphEdge.of(seat, is_seat=True))
    for entity_id, category in WatchlistEntry.objects.filter(entity_id__in=list(nodes)).values_list(
        "entity_id", "category"
    ):
        nodes[entity_id].watchlist.append(category)
    # Our other vendors on the way are drawn as vendors, not as any other owner.
    for entity_id in Vendor.objects.filter(entity_id__in=list(nodes)).values_list(
        "entity_id", flat=True
    ):
        nodes[entity_id].is_vendor = True
    return OwnershipGraphView(
        nodes=nodes, edges=edges, truncated=truncated, as_of=as_of, root_id=root.pk
    )
