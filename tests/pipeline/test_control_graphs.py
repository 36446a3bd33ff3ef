"""The change-of-control review reads the graph above its vendors on the day before the event
and on its day in one walk; each day's graph must tell control exactly as that day's own
walk does, including edges that end on the first day or start on the second."""

import datetime
from decimal import Decimal

import pytest

from registry.choices import Interest
from registry.risk import engine
from registry.risk.loader import RECURSIVE_LIMIT, control_graphs, load_subgraph
from tests.factories import EntityFactory, OwnershipFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2025, 6, 13)
BEFORE = DAY - datetime.timedelta(days=1)


def _controlled(graph, party, among):
    return sorted(set(engine.controlled_entities(graph, {party})) & among)


def test_each_day_of_the_walk_gives_that_days_control():
    seller = EntityFactory(name="Seller plc")
    buyer = EntityFactory(name="Buyer plc")
    middle = EntityFactory(name="Middle Ltd")
    sold = EntityFactory(name="Sold Ltd")
    bought = EntityFactory(name="Bought Ltd")
    steady = EntityFactory(name="Steady Ltd")
    # The seller held 60% of Middle (over Sold) until the day before; the buyer holds 60% of
    # Bought from the day; a 70% stake in Steady runs through both days; one that ended the
    # day before that and one that starts the day after it count on neither.
    OwnershipFactory(owner=seller, owned=middle, share=Decimal(60), end_date=BEFORE)
    OwnershipFactory(owner=middle, owned=sold, share=Decimal(100))
    OwnershipFactory(owner=buyer, owned=bought, share=Decimal(60), start_date=DAY)
    OwnershipFactory(owner=buyer, owned=steady, share=Decimal(70))
    OwnershipFactory(
        owner=seller, owned=steady, share=Decimal(30), end_date=BEFORE - (DAY - BEFORE)
    )
    OwnershipFactory(owner=seller, owned=bought, share=Decimal(40), start_date=DAY + (DAY - BEFORE))
    OwnershipFactory(
        owner=EntityFactory(name="A director", kind="person"),
        owned=sold,
        interest=Interest.BOARD_MEMBER,
        share=None,
    )
    targets = {sold.pk, bought.pk, steady.pk}

    before, after = control_graphs(targets | {seller.pk}, days=(BEFORE, DAY))

    assert _controlled(before, seller.pk, targets) == [sold.pk]
    assert _controlled(after, seller.pk, targets) == []
    assert _controlled(before, buyer.pk, targets) == [steady.pk]
    assert _controlled(after, buyer.pk, targets) == sorted([bought.pk, steady.pk])
    # Exactly as each day's own walk tells it, for every party.
    for day, graph in ((BEFORE, before), (DAY, after)):
        walked = load_subgraph(targets, as_of=day).graph()
        for party in (seller, buyer, middle):
            assert _controlled(graph, party.pk, targets) == _controlled(walked, party.pk, targets)


def test_more_vendors_than_one_recursive_query_takes_are_walked_day_by_day():
    many = [EntityFactory().pk for _ in range(RECURSIVE_LIMIT + 1)]
    assert control_graphs(many, days=(BEFORE, DAY)) is None


def test_the_days_must_follow_each_other():
    with pytest.raises(ValueError, match="consecutive"):
        control_graphs([EntityFactory().pk], days=(BEFORE - datetime.timedelta(days=1), DAY))
