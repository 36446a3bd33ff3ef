"""The ownership graph's geometry (``registry.web.graph.graph_drawing``): no label overlaps
another label or a box, cross-holdings are drawn apart, the strongest chain to each
watchlisted party is the largest product of shares, no text is smaller than 11 px, and the
as-of control redraws the graph for its date."""

import datetime
import itertools
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from registry.selectors import vendor_ownership_graph
from registry.web.graph import MIN_TEXT_PX, Rect, graph_drawing
from tests.factories import (
    EntityFactory,
    OwnershipFactory,
    PersonFactory,
    VendorFactory,
    WatchlistEntryFactory,
    cross_held_group,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 1, 1)


def drawing_of(vendor, as_of=TODAY):
    graph = vendor_ownership_graph(vendor=vendor, as_of=as_of)
    return graph, graph_drawing(graph, title="graph", entity_url=lambda pk: f"/e/{pk}/")


def overlapping(boxes: list[Rect]) -> list[tuple[Rect, Rect]]:
    return [(a, b) for a, b in itertools.combinations(boxes, 2) if a.overlaps(b)]


def test_labels_of_a_dense_cross_held_graph_overlap_neither_each_other_nor_a_box():
    group = cross_held_group()
    graph, drawing = drawing_of(group["vendor"])
    assert len(graph.edges) == 16
    assert len(drawing.label_boxes) == 16
    assert overlapping(drawing.label_boxes) == []
    boxes = list(drawing.node_boxes.values())
    assert [
        (label, box) for label in drawing.label_boxes for box in boxes if label.overlaps(box)
    ] == []
    for label in drawing.label_boxes:
        assert label.x >= 0 and label.x + label.w <= drawing.width
        assert label.y >= 0 and label.y + label.h <= drawing.height


@pytest.mark.parametrize("owner_count", [6, 30])
def test_many_owners_of_many_cross_held_entities_keep_their_labels_apart(owner_count):
    vendor = VendorFactory(entity=EntityFactory(name="Knot Ltd"))
    holdcos = [EntityFactory(name=f"Holdco {n}") for n in range(4)]
    for holdco in holdcos:
        OwnershipFactory(owner=holdco, owned=vendor.entity, share=Decimal("20"))
    # Every holdco holds 5% of every other one: twelve cross-holdings between four boxes.
    for a, b in itertools.permutations(holdcos, 2):
        OwnershipFactory(owner=a, owned=b, share=Decimal("5"))
    for n in range(owner_count):
        OwnershipFactory(owner=EntityFactory(), owned=holdcos[n % 4], share=Decimal("1.2345"))
    _, drawing = drawing_of(vendor)
    assert len(drawing.label_boxes) == 4 + 12 + owner_count
    assert overlapping(drawing.label_boxes) == []
    boxes = list(drawing.node_boxes.values())
    assert not any(label.overlaps(box) for label in drawing.label_boxes for box in boxes)


def test_the_two_edges_of_a_cross_holding_are_drawn_apart():
    group = cross_held_group()
    _, drawing = drawing_of(group["vendor"])
    ash, har = group["ashcombe"].pk, group["harwick"].pk
    graph = vendor_ownership_graph(vendor=group["vendor"], as_of=TODAY)
    index = {(e.owner_id, e.owned_id): i for i, e in enumerate(graph.edges)}
    paths = dict(
        re.findall(
            r'<path d="([^"]+)" class="[^"]*" marker-end="[^"]+" data-edge="(\d+)"', drawing.svg
        )
    )
    by_edge = {int(i): d for d, i in paths.items()}
    one, other = by_edge[index[ash, har]], by_edge[index[har, ash]]

    def points(d: str) -> list[tuple[float, float]]:
        return [(float(x), float(y)) for x, y in re.findall(r"([\d.]+),([\d.]+)", d)]

    # Where each leaves or reaches Ashcombe's box: 28 apart, the same side of the box.
    leaves, reaches = points(one)[0], points(other)[-1]
    assert leaves[1] == reaches[1]
    assert abs(leaves[0] - reaches[0]) == pytest.approx(28.0)


def test_the_strongest_chain_is_the_largest_product_of_shares():
    group = cross_held_group()
    graph, drawing = drawing_of(group["vendor"])
    chains = {c.party.entity.name: c for c in drawing.chains}
    assert sorted(chains) == ["Brightmoor", "Halden State Fund"]
    names = {pk: node.entity.name for pk, node in graph.nodes.items()}
    # Brightmoor → Ashcombe → Ledgerline is 30% × 50% = 15%; through Harwick 10% × 30% = 3%.
    brightmoor = chains["Brightmoor"]
    assert [names[pk] for pk in brightmoor.path] == [
        "Brightmoor",
        "Ashcombe Topco",
        "Ledgerline Payroll",
    ]
    assert brightmoor.share == Decimal("15")
    assert [names[pk] for pk in chains["Halden State Fund"].path] == [
        "Halden State Fund",
        "Ledgerline Payroll",
    ]
    strong = re.findall(r'class="edge[^"]*edge-strong"[^>]*data-edge="(\d+)"', drawing.svg)
    assert sorted(int(i) for i in strong) == sorted(
        brightmoor.edges + chains["Halden State Fund"].edges
    )
    assert drawing.svg.count("edge-label-strong") == 3


def test_a_chain_of_holdings_beats_a_direct_but_smaller_stake_and_ties_go_to_the_shorter():
    vendor = VendorFactory(entity=EntityFactory(name="Vendor"))
    party, middle = EntityFactory(name="Party"), EntityFactory(name="Middle")
    WatchlistEntryFactory(entity=party)
    OwnershipFactory(owner=party, owned=middle, share=Decimal("60"))
    OwnershipFactory(owner=middle, owned=vendor.entity, share=Decimal("50"))
    direct = OwnershipFactory(owner=party, owned=vendor.entity, share=Decimal("20"))
    graph, drawing = drawing_of(vendor)
    (chain,) = drawing.chains
    assert chain.path == [party.pk, middle.pk, vendor.entity_id] and chain.share == Decimal("30")
    direct.share = Decimal("30")
    direct.save()
    _, drawing = drawing_of(vendor)
    (chain,) = drawing.chains
    assert chain.path == [party.pk, vendor.entity_id] and chain.share == Decimal("30")


def test_an_interlock_chain_runs_through_the_person_who_sits_on_both():
    vendor = VendorFactory(entity=EntityFactory(name="Scale AI"))
    rival, ceo = EntityFactory(name="Meta Platforms"), PersonFactory(name="Scale AI CEO")
    WatchlistEntryFactory(entity=rival)
    OwnershipFactory(owner=ceo, owned=vendor.entity, interest="board_member", share=None)
    OwnershipFactory(owner=ceo, owned=rival, interest="senior_managing_official", share=None)
    _, drawing = drawing_of(vendor)
    (chain,) = drawing.chains
    assert chain.path == [rival.pk, ceo.pk, vendor.entity_id]
    assert chain.share is None


def test_our_other_vendors_in_a_chain_are_drawn_as_vendors():
    group = cross_held_group()
    _, drawing = drawing_of(group["vendor"])
    href = f'<a href="/e/{group["sablewood"].pk}/"'
    node = re.search(href + r' class="node([^"]*)".*?class="node-tag"[^>]*>([^<]+)<', drawing.svg)
    assert node.group(1).split() == ["node-vendor"]
    assert node.group(2) == "OUR VENDOR"
    assert "Sablewood Data Services Inc. — our vendor</title>" in drawing.svg


def test_no_text_of_the_drawing_is_smaller_than_11_px():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()
    sizes = [
        float(size)
        for rule in re.findall(r"\.ownership-graph[^{]*\{[^}]*\}", css)
        for size in re.findall(r"font-size:\s*([\d.]+)px", rule)
    ]
    assert len(sizes) >= 3 and min(sizes) >= MIN_TEXT_PX == 11
    group = cross_held_group()
    _, drawing = drawing_of(group["vendor"])
    attrs = [float(v) for v in re.findall(r'font-size="([\d.]+)"', drawing.svg)]
    assert all(size >= 11 for size in attrs)


def test_the_as_of_date_redraws_the_graph_for_that_day(viewer_client):
    group = cross_held_group()
    page = f"/vendors/{group['vendor'].pk}/"
    before = viewer_client.get(page, {"as_of": "2025-06-12"}).content.decode()
    after = viewer_client.get(page, {"as_of": "2025-06-13"}).content.decode()
    assert "as of 2025-06-12 · 13 entities above" in before
    assert "as of 2025-06-13 · 13 entities above" in after
    svg_before = re.search(r"<svg[^>]*ownership-graph.*?</svg>", before, re.S).group(0)
    svg_after = re.search(r"<svg[^>]*ownership-graph.*?</svg>", after, re.S).group(0)
    # Brightmoor's 30% of Ashcombe starts on the 13th: the day before, only its 10% of Harwick.
    assert (
        "Strongest chain from Brightmoor: Brightmoor → Harwick Group → Ledgerline Payroll."
        in svg_before
    )
    assert (
        "Strongest chain from Brightmoor: Brightmoor → Ashcombe Topco → Ledgerline Payroll."
        in svg_after
    )
    assert 'value="2025-06-12"' in before and "aria-invalid" not in before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("13/06/2025", "“13/06/2025” is not a date: enter it as YYYY-MM-DD."),
        ("1850-01-01", "Dates before 1900 are not accepted."),
        ("2999-01-01", "Dates more than 10 years ahead are not accepted."),
        ("<script>", "“&lt;script&gt;” is not a date: enter it as YYYY-MM-DD."),
    ],
)
def test_a_bad_as_of_date_is_named_at_its_field_and_today_is_drawn(viewer_client, value, message):
    group = cross_held_group()
    response = viewer_client.get(f"/vendors/{group['vendor'].pk}/", {"as_of": value})
    assert response.status_code == 200
    html = response.content.decode()
    error = re.search(r'<p class="field-error" id="as_of_error" role="alert">([^<]+)</p>', html)
    assert error.group(1) == f"As of: {message} The graph is drawn as of today."
    assert 'aria-invalid="true"' in html
