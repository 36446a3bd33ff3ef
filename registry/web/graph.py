"""Draw a vendor's ownership graph as inline SVG, laid out in layers on the server.

The vendor sits at the bottom, its owners above it, their owners above them. A layer with many
entities wraps into several staggered rows so that 30 owners stay readable. Watchlisted entities
are marked both by colour and by a text label, so the mark does not depend on colour vision; an
entity whose owners are undisclosed gets a dashed outline around its box, said in its title too.
"""

import heapq
import itertools
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from registry.choices import WatchlistCategory
from registry.selectors import GraphNode, OwnershipGraphView
from registry.selectors.graph import GraphEdge

NODE_W = 196
NODE_H = 64
COL_W = NODE_W + 28
ROW_GAP = 64
LAYER_GAP = 96
PADDING = 40
MAX_PER_ROW = 5
#: Lines per name (the box is sized for two), the name's font size and the width a line
#: may take inside its box, in the drawing's units.
NAME_LINES = 2
NAME_SIZE = 12.5
NAME_WIDTH = NODE_W - 16
#: Advance widths in em of a wide bold sans-serif (DejaVu Sans Bold, the widest of the
#: usual system faces), so that a line measured with them fits whichever face is used.
_EM = {
    **dict.fromkeys("abdeghknopquvxy", 0.7),
    **dict.fromkeys("cszL", 0.64),
    **dict.fromkeys("frtIJijl.,:;'!|", 0.5),
    "m": 1.05,
    "w": 0.89,
    "M": 1.0,
    "W": 1.12,
    " ": 0.35,
    "-": 0.42,
}
#: Any other character (capitals, digits, accented letters, symbols).
_EM_OTHER = 0.86
#: Line height of a wrapped name, in the drawing's units.
NAME_LINE_H = 15
#: At most this many chains are listed for narrow screens (a dense graph has many paths).
MAX_CHAINS = 60
#: How far an arc between two boxes of the same row rises above them.
ARC_RISE = 46
#: Edge labels: font size (px at 1:1), box height, padding either side of the text, and the
#: least room kept between two labels or a label and a box.
LABEL_SIZE = 12
LABEL_H = 18
LABEL_PAD = 5
LABEL_GAP = 2
#: The two edges of a cross-holding are drawn this far either side of the centre line.
CROSS_OFFSET = 14
#: The smallest text of the drawing at 1:1, in px: nothing is drawn smaller.
MIN_TEXT_PX = 11
TAG_SIZE = 11

#: (fill, stroke, text) per watchlist category; the text colours keep 4.5:1 on their fill.
CATEGORY_COLOURS = {
    WatchlistCategory.COMPETITOR: ("#fdecea", "#b42318", "#912018"),
    WatchlistCategory.SANCTIONED: ("#f5e6ff", "#6b21a8", "#581c87"),
    WatchlistCategory.STATE_OWNED: ("#fff4e5", "#b54708", "#7a2e0e"),
    WatchlistCategory.OTHER: ("#eef2f6", "#344054", "#1d2939"),
}
VENDOR_COLOURS = ("#e8f0fe", "#1d4ed8", "#1e3a8a")
#: The dashed outline of an entity whose owners are undisclosed (3:1 on the page's background).
UNDISCLOSED_STROKE = "#475467"
PLAIN_COLOURS = ("#ffffff", "#667085", "#344054")


def _svg(template: str, *args: object) -> SafeString:
    """``format_html`` for SVG markup: numbers are written with one decimal, text escaped."""
    return format_html(
        template,
        *(
            f"{arg:.1f}" if isinstance(arg, int | float) and not isinstance(arg, bool) else arg
            for arg in args
        ),
    )


@dataclass
class _Box:
    x: float
    y: float
    #: For an entity in a layer wrapped into several rows: the height of the bus line that
    #: runs under the whole layer; its edges reach it through the gaps between columns.
    bus_y: float | None = None

    @property
    def centre(self) -> float:
        return self.x + NODE_W / 2


def _order_layers(graph: OwnershipGraphView) -> list[list[GraphNode]]:
    """Nodes per layer, each layer ordered by the mean position of what its nodes own below
    (the barycentre heuristic), which keeps edges from crossing where it can."""
    depth = max(node.layer for node in graph.nodes.values())
    layers: list[list[GraphNode]] = [[] for _ in range(depth + 1)]
    for node in graph.nodes.values():
        layers[node.layer].append(node)
    owned_by: dict[int, list[int]] = {}
    for edge in graph.edges:
        owned_by.setdefault(edge.owner_id, []).append(edge.owned_id)
    position: dict[int, float] = {}
    for index, layer in enumerate(layers):
        if index == 0:
            layer.sort(key=lambda n: (not n.is_vendor, n.entity.name.lower()))
        else:
            layer.sort(
                key=lambda n: (
                    _mean([position[o] for o in owned_by.get(n.entity.pk, []) if o in position]),
                    n.entity.name.lower(),
                    n.entity.pk,
                )
            )
        for rank, node in enumerate(layer):
            position[node.entity.pk] = rank / max(len(layer) - 1, 1)
    return layers


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.5


def _layout(layers: list[list[GraphNode]]) -> tuple[dict[int, _Box], float, float]:
    """Boxes for every node, and the canvas width and height."""
    columns = min(MAX_PER_ROW, max(len(layer) for layer in layers))
    width = columns * COL_W - (COL_W - NODE_W) + 2 * PADDING
    rows_per_layer = [math.ceil(len(layer) / MAX_PER_ROW) for layer in layers]
    total_rows = sum(rows_per_layer)
    height = (
        total_rows * NODE_H
        + (total_rows - len(layers)) * ROW_GAP
        + (len(layers) - 1) * LAYER_GAP
        + 2 * PADDING
    )
    boxes: dict[int, _Box] = {}
    y = PADDING
    for layer, rows in zip(reversed(layers), reversed(rows_per_layer), strict=True):
        grid_x0 = (width - (min(columns, len(layer)) * COL_W - (COL_W - NODE_W))) / 2
        placed = []
        for row in range(rows):
            members = layer[row * MAX_PER_ROW : (row + 1) * MAX_PER_ROW]
            # A short last row keeps to the columns above it, so the gaps between columns
            # stay free for the edges coming down from the rows above.
            x0 = grid_x0 + ((min(columns, len(layer)) - len(members)) // 2) * COL_W
            for i, node in enumerate(members):
                box = _Box(x=x0 + i * COL_W, y=y)
                boxes[node.entity.pk] = box
                placed.append(box)
            y += NODE_H + (ROW_GAP if row < rows - 1 else LAYER_GAP)
        if rows > 1:
            for box in placed:
                box.bus_y = y - LAYER_GAP / 2
    return boxes, width, height


def _bezier(p0, p1, p2, p3, t: float) -> tuple[float, float]:
    u = 1 - t
    return tuple(
        u**3 * a + 3 * u**2 * t * b + 3 * u * t**2 * c + t**3 * d
        for a, b, c, d in zip(p0, p1, p2, p3, strict=True)
    )


@dataclass(frozen=True)
class Rect:
    """An axis-aligned box in the drawing's units."""

    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: "Rect", gap: float = 0.0) -> bool:
        return not (
            self.x + self.w + gap <= other.x
            or other.x + other.w + gap <= self.x
            or self.y + self.h + gap <= other.y
            or other.y + other.h + gap <= self.y
        )


def label_size(label: str) -> tuple[float, float]:
    """The box an edge label takes: its text at ``LABEL_SIZE`` with padding either side."""
    return text_width(label, LABEL_SIZE) + 2 * LABEL_PAD, LABEL_H


@dataclass
class _EdgeShape:
    """One edge's path (``d``) and the points along it where its label may sit, best first."""

    d: str
    anchors: list[tuple[float, float]]


def _polyline_points(points: list[tuple[float, float]], fractions: list[float]) -> list:
    """Points at the given fractions of the length of a polyline."""
    lengths = [math.dist(a, b) for a, b in itertools.pairwise(points)]
    total = sum(lengths) or 1.0
    out = []
    for fraction in fractions:
        goal, run = fraction * total, 0.0
        for (a, b), length in zip(itertools.pairwise(points), lengths, strict=True):
            if run + length >= goal and length:
                t = (goal - run) / length
                out.append((a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t))
                break
            run += length
        else:
            out.append(points[-1])
    return out


#: Where along its edge a label is tried, in order (near the owner first, which keeps the
#: labels of edges converging on one entity apart).
LABEL_FRACTIONS = [0.22, 0.36, 0.5, 0.64, 0.12, 0.78, 0.3, 0.44, 0.58, 0.7]


def _bus_shape(owner: _Box, owned: _Box, dx_from: float, dx_to: float) -> _EdgeShape:
    """An edge from a wrapped layer: down from the box, along the gap to its right, down to
    the bus under the layer, across to above the owned entity, and down into it."""
    bottom = owner.y + NODE_H
    gap_x = owner.x + NODE_W + (COL_W - NODE_W) / 2
    x0, x1 = owner.centre + dx_from, owned.centre + dx_to
    points = [(x0, bottom)]
    if owner.bus_y - bottom > LAYER_GAP:
        stub_y = bottom + ROW_GAP / 2
        points += [(x0, stub_y), (gap_x, stub_y), (gap_x, owner.bus_y)]
    else:
        points.append((x0, owner.bus_y))
    points += [(x1, owner.bus_y), (x1, owned.y)]
    d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in points)
    # The first stretch, below the owner, is the label's place: the bus is shared.
    anchors = _polyline_points(points[:2], [0.5, 0.3, 0.7, 0.15, 0.85])
    return _EdgeShape(d=d, anchors=anchors + _polyline_points(points, LABEL_FRACTIONS))


def _edge_shape(owner: _Box, owned: _Box, offset: float) -> _EdgeShape:
    """The path of one edge, arrow at the owned end. ``offset`` moves both ends sideways, so
    the two edges of a cross-holding (A holds B, B holds A) are drawn apart."""
    if owner.bus_y is not None and owner.y < owned.y:
        return _bus_shape(owner, owned, offset, offset)
    if owner.y < owned.y:
        start, end = (owner.centre + offset, owner.y + NODE_H), (owned.centre + offset, owned.y)
    elif owner.y > owned.y:
        start, end = (owner.centre + offset, owner.y), (owned.centre + offset, owned.y + NODE_H)
    else:
        # Same row (a person's seat beside the company): an arc over the top of both boxes.
        start, end = (owner.centre + offset, owner.y), (owned.centre + offset, owned.y)
    mid_y = (start[1] + end[1]) / 2
    c1, c2 = (start[0], mid_y), (end[0], mid_y)
    if start[1] == end[1]:
        rise = ARC_RISE + abs(offset)
        c1, c2 = (start[0], start[1] - rise), (end[0], end[1] - rise)
    d = _svg("M{},{} C{},{} {},{} {},{}", *start, *c1, *c2, *end)
    # On an arc the label sits near the owner, so the two arcs of a cross-holding read apart.
    fractions = LABEL_FRACTIONS if start[1] != end[1] else [0.25, 0.35, 0.15, 0.45, 0.6, 0.75]
    return _EdgeShape(d=str(d), anchors=[_bezier(start, c1, c2, end, t) for t in fractions])


def _place_label(
    anchors: list[tuple[float, float]],
    size: tuple[float, float],
    taken: list[Rect],
    bounds: Rect,
) -> Rect:
    """The first spot for a label, along its edge and then ever further from it, that
    overlaps no node and no label already placed and stays inside the drawing."""
    w, h = size

    def box_at(cx: float, cy: float) -> Rect:
        x = min(max(cx - w / 2, bounds.x), bounds.x + bounds.w - w)
        y = min(max(cy - h / 2, bounds.y), bounds.y + bounds.h - h)
        return Rect(x, y, w, h)

    def free(box: Rect) -> bool:
        return not any(box.overlaps(other, LABEL_GAP) for other in taken)

    for cx, cy in anchors:
        box = box_at(cx, cy)
        if free(box):
            return box
    # Every spot on the edge is taken (a dense knot of cross-holdings): search outwards from
    # the preferred one, a ring at a time, sideways first.
    cx, cy = anchors[0]
    for ring in range(1, 60):
        for dx, dy in (
            (ring * (w / 2 + LABEL_GAP), 0),
            (-ring * (w / 2 + LABEL_GAP), 0),
            (0, ring * (h + LABEL_GAP)),
            (0, -ring * (h + LABEL_GAP)),
            (ring * (w / 2 + LABEL_GAP), ring * (h + LABEL_GAP)),
            (-ring * (w / 2 + LABEL_GAP), ring * (h + LABEL_GAP)),
            (ring * (w / 2 + LABEL_GAP), -ring * (h + LABEL_GAP)),
            (-ring * (w / 2 + LABEL_GAP), -ring * (h + LABEL_GAP)),
        ):
            box = box_at(cx + dx, cy + dy)
            if free(box):
                return box
    return box_at(cx, cy)


def _label_svg(box: Rect, label: str, strong: bool) -> str:
    return _svg(
        '<g class="edge-label{}"><rect x="{}" y="{}" width="{}" height="{}" rx="4"/>'
        '<text x="{}" y="{}" text-anchor="middle">{}</text></g>',
        " edge-label-strong" if strong else "",
        box.x,
        box.y,
        box.w,
        box.h,
        box.x + box.w / 2,
        box.y + box.h / 2 + LABEL_SIZE * 0.36,
        label,
    )


def text_width(text: str, size: float = NAME_SIZE) -> float:
    """The width ``text`` takes at most in the drawing's bold name face."""
    return size * sum(_EM.get(char, _EM_OTHER) for char in text)


def wrap_name(name: str, width: float = NAME_WIDTH, lines: int = NAME_LINES) -> list[str]:
    """``name`` on at most ``lines`` lines no wider than ``width``, broken between words. A
    name too long for the lines ends its last line with "…" after a whole word; only a
    single word wider than a line is itself broken (with a hyphen)."""

    def fits(text: str) -> bool:
        return text_width(text) <= width

    out: list[str] = []
    current = ""
    for word in name.split():
        while not fits(word):
            # A word wider than a line: whatever is on the line goes first, then the word
            # is broken where the line ends.
            if current:
                out.append(current)
                current = ""
            cut = max(n for n in range(1, len(word) + 1) if fits(word[:n] + "-") or n == 1)
            out.append(word[:cut] + "-")
            word = word[cut:]
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
        else:
            out.append(current)
            current = word
    if current:
        out.append(current)
    if len(out) <= lines:
        return out
    kept, rest = out[: lines - 1], out[lines - 1 :]
    last = ""
    for word in " ".join(rest).split():
        candidate = f"{last} {word}" if last else word
        if not fits(candidate + "…"):
            break
        last = candidate
    if not last:
        last = rest[0].rstrip("-")
        while last and not fits(last + "…"):
            last = last[:-1]
    return [*kept, last.rstrip(" -") + "…"]


def _name_svg(lines: list[str], centre: float, top: float, ink: str) -> str:
    """The name's ``<text>``: one line as plain text, more as ``<tspan>`` lines."""
    first = top + (26 if len(lines) == 1 else 19)
    if len(lines) == 1:
        return _svg(
            '<text x="{}" y="{}" text-anchor="middle" class="node-name" fill="{}">{}</text>',
            centre,
            first,
            ink,
            lines[0],
        )
    spans = "".join(
        _svg('<tspan x="{}" y="{}">{}</tspan>', centre, first + i * NAME_LINE_H, line)
        for i, line in enumerate(lines)
    )
    return _svg(
        '<text x="{}" y="{}" text-anchor="middle" class="node-name" fill="{}">{}</text>',
        centre,
        first,
        ink,
        mark_safe(spans),
    )


def _node_svg(
    node: GraphNode, box: _Box, href: str, *, is_root: bool = False, on_chain: bool = False
) -> str:
    categories = [WatchlistCategory(c) for c in node.watchlist]
    if categories:
        fill, stroke, ink = CATEGORY_COLOURS[categories[0]]
        tag = " · ".join(c.label.upper() for c in categories)
        if node.is_vendor:
            tag += " · OUR VENDOR"
    elif node.is_vendor:
        fill, stroke, ink = VENDOR_COLOURS
        tag = "OUR VENDOR"
    else:
        fill, stroke, ink = PLAIN_COLOURS
        tag = node.entity.get_kind_display()
    name = node.entity.name
    lines = wrap_name(name)
    radius = NODE_H / 2 if node.entity.is_person else 8
    emphasis = " node-flagged" if categories else (" node-vendor" if node.is_vendor else "")
    if on_chain:
        emphasis += " node-on-chain"
    undisclosed = node.entity.owners_undisclosed
    if undisclosed:
        emphasis += " node-undisclosed"
        if not categories and not node.is_vendor:
            tag = "OWNERS UNDISCLOSED"
    ring = (
        _svg(
            '<rect class="undisclosed-ring" x="{}" y="{}" width="{}" height="{}" rx="{}" '
            'fill="none" stroke="{}"/>',
            box.x - 5,
            box.y - 5,
            NODE_W + 10,
            NODE_H + 10,
            radius + 5,
            UNDISCLOSED_STROKE,
        )
        if undisclosed
        else ""
    )
    return _svg(
        '<a href="{}" class="node{}" data-entity="{}">'
        "<title>{}{}{}</title>"
        "{}"
        '<rect x="{}" y="{}" width="{}" height="{}" rx="{}" fill="{}" stroke="{}"/>'
        "{}"
        '<text x="{}" y="{}" text-anchor="middle" class="node-tag" fill="{}">{}</text>'
        "</a>",
        href,
        emphasis,
        str(node.entity.pk),
        name,
        f" — on the watchlist ({tag.lower()})"
        if categories
        else (" — our vendor" if node.is_vendor and not is_root else ""),
        " — owners undisclosed" if undisclosed else "",
        ring,
        box.x,
        box.y,
        NODE_W,
        NODE_H,
        radius,
        fill,
        stroke,
        mark_safe(_name_svg(lines, box.centre, box.y, ink)),
        box.centre,
        box.y + (46 if len(lines) == 1 else 54),
        ink,
        tag,
    )


@dataclass
class ChainStep:
    node: GraphNode
    #: The interest this entity holds in the next one of the chain ("" for the last).
    label: str = ""


@dataclass
class ChainListing:
    """The graph as text for narrow screens: every path of holdings from a topmost owner
    down to the vendor, and the seats people on those paths hold elsewhere."""

    chains: list[list[ChainStep]]
    seats: list[tuple[GraphNode, str, GraphNode]]
    truncated: bool


def ownership_chains(graph: OwnershipGraphView, *, root_id: int) -> ChainListing:
    """Each chain reads from the top owner down to the vendor (``root_id``); at most
    ``MAX_CHAINS`` of them, the listing says when more were left out."""
    owners_of: dict[int, list] = {}
    seats = []
    for edge in graph.edges:
        upward = graph.nodes[edge.owner_id].layer > graph.nodes[edge.owned_id].layer
        if edge.is_seat and not upward:
            # A person's seat in an entity drawn above them (a key-person interlock).
            seats.append((graph.nodes[edge.owner_id], edge.label, graph.nodes[edge.owned_id]))
        else:
            owners_of.setdefault(edge.owned_id, []).append(edge)
    chains: list[list[ChainStep]] = []
    truncated = False

    def walk(entity_id: int, below: list[ChainStep], seen: frozenset[int]) -> None:
        nonlocal truncated
        above = [e for e in owners_of.get(entity_id, []) if e.owner_id not in seen]
        if not above:
            if below:
                if len(chains) >= MAX_CHAINS:
                    truncated = True
                    return
                chains.append(below)
            return
        for edge in sorted(above, key=lambda e: graph.nodes[e.owner_id].entity.name.lower()):
            step = ChainStep(node=graph.nodes[edge.owner_id], label=edge.label)
            walk(edge.owner_id, [step, *below], seen | {edge.owner_id})

    walk(root_id, [], frozenset({root_id}))
    root = ChainStep(node=graph.nodes[root_id])
    seats.sort(key=lambda s: (s[0].entity.name.lower(), s[2].entity.name.lower()))
    return ChainListing(
        chains=[[*chain, root] for chain in chains], seats=seats, truncated=truncated
    )


@dataclass
class StrongestChain:
    """The strongest chain from a watchlisted party down to the vendor: the entity ids from
    the party to the vendor, the edges along it (indexes into the graph's edges) and the
    product of the shares along it (None when the chain passes a link without a share: a
    seat, control, votes)."""

    party: GraphNode
    path: list[int]
    edges: list[int]
    share: Decimal | None


#: The cost of a link without a share: any chain of holdings is stronger than one that needs
#: a seat or a control link, and of those the one with fewer such links is stronger.
_NO_SHARE_COST = 1e6


def strongest_chains(graph: OwnershipGraphView) -> list[StrongestChain]:
    """For each watchlisted entity drawn, its strongest chain to the vendor: the largest
    product of shares (ties: the shorter, then the lower ids), the rule the risk factors'
    paths follow. Seats are followed either way (a person sits on both the vendor and the
    party); a party that no drawn chain links to the vendor gets none. Dijkstra's search
    from the vendor upwards, with -log(share) as each link's cost."""
    root = graph.root_id
    if root is None or root not in graph.nodes:
        return []
    # Walking up: from the held entity to its holder (and along a seat either way).
    steps: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for index, edge in enumerate(graph.edges):
        steps[edge.owned_id].append((edge.owner_id, index))
        if edge.is_seat:
            steps[edge.owner_id].append((edge.owned_id, index))

    def cost(edge: GraphEdge) -> float:
        if edge.share is None or edge.share <= 0:
            return _NO_SHARE_COST
        return -math.log(min(float(edge.share), 100.0) / 100.0)

    best: dict[int, tuple[float, int, tuple[int, ...]]] = {root: (0.0, 0, (root,))}
    via: dict[int, list[int]] = {root: []}
    queue = [(0.0, 0, (root,))]
    while queue:
        total, length, path = heapq.heappop(queue)
        here = path[-1]
        if best.get(here, (math.inf,))[:3] < (total, length, path):
            continue
        for there, index in steps[here]:
            if there in path:
                continue
            candidate = (total + cost(graph.edges[index]), length + 1, (*path, there))
            known = best.get(there)
            # Costs equal up to rounding count as a tie, settled by length and then ids.
            if known is None or (
                round(candidate[0], 9),
                candidate[1],
                candidate[2],
            ) < (round(known[0], 9), known[1], known[2]):
                best[there] = candidate
                via[there] = [*via[here], index]
                heapq.heappush(queue, candidate)
    chains = []
    for entity_id, node in graph.nodes.items():
        if not node.watchlist or entity_id == root or entity_id not in best:
            continue
        total, _, path = best[entity_id]
        edges = list(reversed(via[entity_id]))
        shares = [graph.edges[i].share for i in edges]
        product = None
        if all(share is not None and share > 0 for share in shares):
            product = Decimal(100)
            for share in shares:
                product = product * share / 100
        chains.append(
            StrongestChain(party=node, path=list(reversed(path)), edges=edges, share=product)
        )
    chains.sort(key=lambda c: (-(c.share or 0), c.party.entity.name.lower(), c.party.entity.pk))
    return chains


@dataclass
class GraphDrawing:
    """The laid-out graph: every box, every label box (in the order of the graph's edges),
    the canvas, and the SVG markup."""

    node_boxes: dict[int, Rect]
    label_boxes: list[Rect]
    width: float
    height: float
    chains: list[StrongestChain]
    svg: SafeString


def _pair_offsets(graph: OwnershipGraphView) -> list[float]:
    """A sideways offset per edge: the edges between the same two entities (a cross-holding,
    or a share and a seat) are spread either side of the centre line."""
    pairs: dict[frozenset, list[int]] = defaultdict(list)
    for index, edge in enumerate(graph.edges):
        pairs[frozenset((edge.owner_id, edge.owned_id))].append(index)
    offsets = [0.0] * len(graph.edges)
    for members in pairs.values():
        if len(members) > 1:
            for rank, index in enumerate(members):
                offsets[index] = (rank - (len(members) - 1) / 2) * 2 * CROSS_OFFSET
    return offsets


def graph_drawing(
    graph: OwnershipGraphView, *, title: str, entity_url: Callable[[int], str]
) -> GraphDrawing:
    """Lay the graph out and draw it; each entity links to ``entity_url(id)``."""
    layers = _order_layers(graph)
    boxes, width, height = _layout(layers)
    chains = strongest_chains(graph)
    strong = {index for chain in chains for index in chain.edges}
    node_rects = {pk: Rect(box.x, box.y, NODE_W, NODE_H) for pk, box in boxes.items()}
    taken: list[Rect] = list(node_rects.values())
    bounds = Rect(4, 4, width - 8, height - 8)
    offsets = _pair_offsets(graph)
    paths, labels, label_boxes = [], [], []
    # Labels of the strongest chains are placed first, so they get the spots on their edges.
    order = sorted(range(len(graph.edges)), key=lambda i: (i not in strong, i))
    placed: dict[int, Rect] = {}
    shapes = {}
    for index in order:
        edge = graph.edges[index]
        shape = _edge_shape(boxes[edge.owner_id], boxes[edge.owned_id], offsets[index])
        shapes[index] = shape
        box = _place_label(shape.anchors, label_size(edge.label), taken, bounds)
        taken.append(box)
        placed[index] = box
    for index, edge in enumerate(graph.edges):
        classes = "edge" + (" edge-bus" if shapes[index].d.count("L") else "")
        classes += " edge-seat" if edge.is_seat else ""
        classes += " edge-strong" if index in strong else ""
        paths.append(
            _svg(
                '<path d="{}" class="{}" marker-end="url(#{})" data-edge="{}"/>',
                shapes[index].d,
                classes,
                "arrow-strong" if index in strong else "arrow",
                str(index),
            )
        )
        label_boxes.append(placed[index])
        labels.append(_label_svg(placed[index], edge.label, index in strong))
    # Strong edges are drawn last among the edges, so they are never hidden under others.
    paths = [p for p in paths if "edge-strong" not in p] + [p for p in paths if "edge-strong" in p]
    on_chain = {pk for chain in chains for pk in chain.path}
    nodes = [
        _node_svg(
            node,
            boxes[node.entity.pk],
            entity_url(node.entity.pk),
            is_root=node.entity.pk == graph.root_id,
            on_chain=node.entity.pk in on_chain,
        )
        for layer in layers
        for node in layer
    ]
    flagged = sorted(n.entity.name for n in graph.nodes.values() if n.watchlist)
    hidden = sorted(n.entity.name for n in graph.nodes.values() if n.entity.owners_undisclosed)
    description = (
        f"{len(graph.nodes) - 1} entities above the vendor, {len(graph.edges)} links."
        + (f" On the watchlist: {', '.join(flagged)}." if flagged else "")
        + (f" Owners undisclosed: {', '.join(hidden)}." if hidden else "")
        + "".join(
            f" Strongest chain from {chain.party.entity.name}: "
            + " → ".join(graph.nodes[pk].entity.name for pk in chain.path)
            + "."
            for chain in chains
        )
    )
    head = _svg(
        '<svg xmlns="http://www.w3.org/2000/svg" class="ownership-graph" role="group" '
        'aria-labelledby="graph-title graph-desc" viewBox="0 0 {} {}" '
        'width="{}" height="{}" data-width="{}" data-height="{}">'
        '<title id="graph-title">{}</title><desc id="graph-desc">{}</desc>'
        "<defs>"
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'class="arrow-head"/></marker>'
        '<marker id="arrow-strong" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" '
        'markerHeight="5" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'class="arrow-head-strong"/></marker>'
        "</defs>",
        width,
        height,
        width,
        height,
        width,
        height,
        title,
        description,
    )
    # Every part was built by format_html, which escaped the names and labels.
    svg = mark_safe(
        head + '<g class="graph-content">' + "".join(paths + nodes + labels) + "</g></svg>"
    )
    return GraphDrawing(
        node_boxes=node_rects,
        label_boxes=label_boxes,
        width=width,
        height=height,
        chains=chains,
        svg=svg,
    )


def ownership_graph_svg(
    graph: OwnershipGraphView, *, title: str, entity_url: Callable[[int], str]
) -> SafeString:
    """The graph as an ``<svg>`` element; each entity links to ``entity_url(id)``."""
    return graph_drawing(graph, title=title, entity_url=entity_url).svg


#: Score bands of docs/risk-rules.md, rule 5, drawn behind the score timeline.
BANDS = (
    ("low", 0, 25, "#ecfdf3"),
    ("medium", 25, 50, "#fffaeb"),
    ("high", 50, 75, "#fff4ed"),
    ("critical", 75, 100, "#fef3f2"),
)


def score_timeline_svg(assessments: list) -> SafeString:
    """The score of each assessment (oldest first) as a step line over the level bands."""
    width, height, left, right, top, bottom = 640, 170, 62, 12, 8, 26
    plot_w, plot_h = width - left - right, height - top - bottom

    def y(score: float) -> float:
        return top + plot_h * (1 - score / 100)

    parts = [
        _svg(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" '
            'aria-label="Risk score of the last {} assessments, from {} to {}">',
            width,
            height,
            str(len(assessments)),
            str(assessments[0].score),
            str(assessments[-1].score),
        )
    ]
    for name, low, high, colour in BANDS:
        parts.append(
            _svg(
                '<g class="band"><rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
                '<text x="{}" y="{}" text-anchor="end">{}</text></g>',
                left,
                y(high),
                plot_w,
                y(low) - y(high),
                colour,
                left - 6,
                (y(low) + y(high)) / 2 + 4,
                name,
            )
        )
    step = plot_w / max(len(assessments) - 1, 1)
    points = []
    for i, assessment in enumerate(assessments):
        x = left + (i * step if len(assessments) > 1 else plot_w / 2)
        if points:
            points.append((x, points[-1][1]))
        points.append((x, y(assessment.score)))
    parts.append(
        _svg(
            '<polyline class="line" points="{}"/>',
            " ".join(f"{px:.1f},{py:.1f}" for px, py in points),
        )
    )
    for i, assessment in enumerate(assessments):
        x = left + (i * step if len(assessments) > 1 else plot_w / 2)
        parts.append(
            _svg(
                '<circle class="dot" cx="{}" cy="{}" r="3.5"><title>{}: {} ({})</title></circle>',
                x,
                y(assessment.score),
                f"{assessment.assessed_at:%Y-%m-%d %H:%M}",
                assessment.get_level_display(),
                str(assessment.score),
            )
        )
    for anchor, x, assessment in (
        ("start", left, assessments[0]),
        ("end", width - right, assessments[-1]),
    ):
        parts.append(
            _svg(
                '<text x="{}" y="{}" text-anchor="{}" font-size="11" fill="#475467">{}</text>',
                x,
                height - 6,
                anchor,
                f"{assessment.assessed_at:%Y-%m-%d}",
            )
        )
    # Every part was built by format_html, which escaped what it was given.
    return mark_safe("".join(parts) + "</svg>")
