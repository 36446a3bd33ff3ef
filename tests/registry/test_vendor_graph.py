"""The vendor page's ownership graph (``registry.selectors.vendor_ownership_graph``): the
owners above the vendor in layers, bounded in depth, and the interlocking seats of the people
on the way."""

import datetime
from decimal import Decimal

import pytest

from registry.selectors import vendor_ownership_graph
from registry.selectors.graph import GRAPH_MAX_DEPTH
from tests.factories import (
    EntityFactory,
    OwnershipFactory,
    PersonFactory,
    VendorFactory,
    WatchlistEntryFactory,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 1, 15)


def _edges(graph) -> set[tuple[str, str, str]]:
    return {
        (graph.nodes[e.owner_id].entity.name, graph.nodes[e.owned_id].entity.name, e.label)
        for e in graph.edges
    }


def test_owners_are_drawn_in_layers_with_their_shares_and_a_cycle_ends_the_walk():
    vendor = VendorFactory(entity=EntityFactory(name="Vendor Co"))
    holding = EntityFactory(name="Holding")
    fund = EntityFactory(name="Fund")
    OwnershipFactory(owner=holding, owned=vendor.entity, share=Decimal("60"))
    OwnershipFactory(owner=fund, owned=holding, share=None, share_min=Decimal("10"))
    OwnershipFactory(owner=holding, owned=fund, share=Decimal("5"))
    OwnershipFactory(owner=fund, owned=vendor.entity, share=Decimal("1"), end_date=TODAY)
    OwnershipFactory(
        owner=EntityFactory(name="Past owner"),
        owned=vendor.entity,
        share=Decimal("9"),
        end_date=TODAY - datetime.timedelta(days=1),
    )

    graph = vendor_ownership_graph(vendor=vendor, as_of=TODAY)

    layers = {node.entity.name: node.layer for node in graph.nodes.values()}
    assert layers == {"Vendor Co": 0, "Holding": 1, "Fund": 1}
    assert _edges(graph) == {
        ("Holding", "Vendor Co", "60%"),
        ("Fund", "Vendor Co", "1%"),
        ("Fund", "Holding", "10–?%"),
        ("Holding", "Fund", "5%"),
    }
    assert not graph.truncated


def test_a_chain_deeper_than_the_bound_is_drawn_to_the_bound_and_marked_truncated():
    vendor = VendorFactory()
    below = vendor.entity
    for _ in range(GRAPH_MAX_DEPTH + 2):
        above = EntityFactory()
        OwnershipFactory(owner=above, owned=below, share=Decimal("100"))
        below = above

    graph = vendor_ownership_graph(vendor=vendor, as_of=TODAY)

    assert max(node.layer for node in graph.nodes.values()) == GRAPH_MAX_DEPTH
    assert len(graph.edges) == GRAPH_MAX_DEPTH
    assert graph.truncated


def test_a_person_on_the_way_brings_the_watchlisted_entity_they_sit_on():
    vendor = VendorFactory(entity=EntityFactory(name="Vendor Co"))
    ceo = PersonFactory(name="A. Person")
    rival = EntityFactory(name="Rival")
    WatchlistEntryFactory(entity=rival, category="competitor")
    OwnershipFactory(
        owner=ceo, owned=vendor.entity, interest="senior_managing_official", share=None
    )
    OwnershipFactory(owner=ceo, owned=rival, interest="board_member", share=None)
    OwnershipFactory(
        owner=ceo, owned=EntityFactory(name="Unlisted"), interest="board_member", share=None
    )

    graph = vendor_ownership_graph(vendor=vendor, as_of=TODAY)

    assert _edges(graph) == {("A. Person", "Vendor Co", "officer"), ("A. Person", "Rival", "board")}
    assert graph.nodes[rival.pk].layer == 2
    assert graph.nodes[rival.pk].watchlist == ["competitor"]
    assert [e.is_seat for e in graph.edges] == [True, True]
