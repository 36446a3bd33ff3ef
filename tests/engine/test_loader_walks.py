"""The loader's two ways of walking the graph — one statement for a few start entities, one
query per level for a large batch — find the same edges and entities, cycles included."""

import datetime
import random
from decimal import Decimal

import pytest

from registry.choices import Interest
from registry.models import Entity, Ownership
from registry.risk import loader

DAY = datetime.date(2025, 6, 13)


def _random_registry(seed: int) -> list[int]:
    """40 entities, about 90 edges of every interest (cross-holdings and loops included), some
    ended before ``DAY`` or starting after it; returns the entity ids."""
    rng = random.Random(seed)
    ids = [Entity.objects.create(name=f"E{seed}-{n}", country="GB").pk for n in range(40)]
    interests = [Interest.SHAREHOLDING] * 5 + [Interest.VOTING_RIGHTS, Interest.CONTROL]
    interests += [Interest.BOARD_MEMBER]
    pairs = set()
    for _ in range(90):
        owner, owned = rng.sample(ids, 2)
        interest = rng.choice(interests)
        if (owner, owned, interest) in pairs:
            continue
        pairs.add((owner, owned, interest))
        start = DAY - datetime.timedelta(days=rng.randint(-30, 900))
        end = start + datetime.timedelta(days=rng.randint(10, 400)) if rng.random() < 0.2 else None
        share = None
        if interest in (Interest.SHAREHOLDING, Interest.VOTING_RIGHTS):
            share = (
                Decimal(rng.randint(0, 2)) if rng.random() < 0.1 else Decimal(rng.randint(1, 20))
            )
        Ownership.objects.create(
            owner_id=owner,
            owned_id=owned,
            interest=interest,
            share=share,
            start_date=start,
            end_date=end,
        )
    return ids


def _by_level(monkeypatch):
    monkeypatch.setattr(loader, "RECURSIVE_LIMIT", 0)


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(6))
def test_recursive_and_level_walks_agree(seed, monkeypatch):
    ids = _random_registry(seed)
    starts = [ids[:1], ids[5:8], ids[10:20:3]]
    recursive = [
        (
            sorted(loader.load_subgraph(start, as_of=DAY).edges),
            sorted(loader.entities_below(start, as_of=DAY)),
            sorted(e.id for e in loader.edges_above(start, as_of=DAY)),
        )
        for start in starts
    ]
    _by_level(monkeypatch)
    by_level = [
        (
            sorted(loader.load_subgraph(start, as_of=DAY).edges),
            sorted(loader.entities_below(start, as_of=DAY)),
            sorted(e.id for e in loader.edges_above(start, as_of=DAY)),
        )
        for start in starts
    ]
    assert recursive == by_level
    # Not vacuous: the walks reach beyond their start.
    assert any(len(edges) > 3 and len(below) > 3 for edges, below, _ in recursive)


def _as_read(subgraph: loader.Subgraph) -> tuple:
    return (
        sorted(subgraph.edges),
        subgraph.names,
        subgraph.kinds,
        sorted(subgraph.undisclosed),
    )


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(6))
def test_walks_read_together_are_each_what_its_own_walk_reads(
    seed, django_assert_num_queries, monkeypatch
):
    ids = _random_registry(seed)
    people = [Entity.objects.create(name=f"P{seed}-{n}", kind="person").pk for n in range(3)]
    rng = random.Random(seed)
    for person in people:
        for seat in rng.sample(ids, 3):
            Ownership.objects.create(
                owner_id=person,
                owned_id=seat,
                interest=Interest.BOARD_MEMBER,
                start_date=DAY - datetime.timedelta(days=rng.randint(-30, 300)),
            )
    Entity.objects.filter(pk__in=ids[::7]).update(owners_undisclosed=True)
    earlier = DAY - datetime.timedelta(days=200)
    walks = [
        loader.Walk(frozenset(ids[:3]), as_of=DAY, also=frozenset(ids[30:32])),
        loader.Walk(frozenset(ids[10:20:3]), as_of=earlier, people=frozenset(people[:2])),
        loader.Walk(frozenset(ids[5:6]), as_of=DAY - datetime.timedelta(days=1)),
    ]
    # Each walk on its own by level (a few entities' walk is itself one statement of this kind).
    _by_level(monkeypatch)
    each = [
        _as_read(
            loader.load_subgraph(
                walk.entity_ids, as_of=walk.as_of, also=walk.also, people=walk.people
            )
        )
        for walk in walks
    ]
    watchlist = loader.watchlist_map()
    with django_assert_num_queries(1):
        together = [_as_read(s) for s in loader.load_subgraphs(walks, watchlist=watchlist)]
    assert together == each
    # Not vacuous: the walks reach beyond their start, on dates that differ.
    assert max(len(edges) for edges, *_ in each) > 5
    assert each[1][1] != each[0][1]


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(4))
def test_the_vendors_reached_are_those_of_the_entities_reached(seed, monkeypatch):
    from registry.models import Vendor

    ids = _random_registry(seed)
    rng = random.Random(seed)
    people = [Entity.objects.create(name=f"P{seed}-{n}", kind="person").pk for n in range(3)]
    for person in people:
        for seat in rng.sample(ids, 4):
            Ownership.objects.create(
                owner_id=person,
                owned_id=seat,
                interest=Interest.BOARD_MEMBER,
                start_date=DAY - datetime.timedelta(days=rng.randint(-30, 300)),
            )
    for entity in rng.sample(ids, 20):
        Vendor.objects.create(entity_id=entity, category="software", tier=2)
    days = [DAY, DAY - datetime.timedelta(days=200)]
    reaches = loader.reach_on(ids[:2], days=days)

    def expected(person_ids):
        entities = set()
        for day in days:
            entities |= loader.reached_entities(reaches[day], person_ids=person_ids, as_of=day)
        return sorted(Vendor.objects.filter(entity_id__in=entities).values_list("pk", flat=True))

    for person_ids in ([], people[:1]):
        assert loader.reached_vendor_ids(reaches, person_ids=person_ids) == expected(person_ids)
        monkeypatch.setattr(loader, "CHUNK", 1)  # a hub's reach, read in chunks
        assert loader.reached_vendor_ids(reaches, person_ids=person_ids) == expected(person_ids)
        monkeypatch.undo()
    # Not vacuous: the seats bring vendors the entities below do not.
    below = set().union(*(reaches[day].below for day in days))
    assert set(expected(people[:1])) - set(
        Vendor.objects.filter(entity_id__in=below).values_list("pk", flat=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [3, 11])
def test_reach_on_each_day_is_what_that_days_walk_and_seats_give(seed):
    """``reach_on`` walks several days in one statement and dates the seats itself: each
    day's answer is the day's own walk down and the key people on what it reached, with seats
    that start or end between the days."""
    ids = _random_registry(seed)
    rng = random.Random(seed)
    days = [DAY - datetime.timedelta(days=200), DAY]
    people = [Entity.objects.create(name=f"S{seed}-{n}", kind="person").pk for n in range(6)]
    for person in people:
        for seat in rng.sample(ids, 5):
            start = DAY - datetime.timedelta(days=rng.randint(0, 400))
            ended = rng.random() < 0.4 and start < DAY - datetime.timedelta(days=1)
            Ownership.objects.create(
                owner_id=person,
                owned_id=seat,
                interest=rng.choice([Interest.BOARD_MEMBER, Interest.SENIOR_MANAGING_OFFICIAL]),
                start_date=start,
                end_date=start + (DAY - start) / 2 if ended else None,
            )
    reaches = loader.reach_on(ids[:3], days=days)
    for day in days:
        below = loader.entities_below(ids[:3], as_of=day)
        seated = {pk for (pk,) in loader._rows(loader._KEY_PEOPLE_ON, sorted(below), [day, day])}
        assert reaches[day].below == below
        assert reaches[day].key_people == seated
    differ = reaches[days[0]].key_people != reaches[days[1]].key_people
    assert differ  # not vacuous: the seats of the two days are not the same
