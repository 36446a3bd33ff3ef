"""The risk engine against brute-force definitions, on random small ownership graphs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.risk.engine import (
    SCORE_BAND_FLOOR,
    SEVERITY_RANK,
    ClosedLoop,
    Edge,
    OwnershipGraph,
    ancestors,
    assess_vendor,
    blocked_entities,
    look_through,
    strongest_path,
)

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)
BOUNDARY_SHARES = [0, 5, 10, 25, 40, 49, 50, 51, 60, 100]


def shareholdings_graph(
    shares: dict[tuple[int, int], tuple[float, float]], **extra
) -> OwnershipGraph:
    """A graph from (owner, owned) -> (lower, upper) percentages."""
    edges = [
        Edge(number, owner, owned, "shareholding", lower, upper)
        for number, ((owner, owned), (lower, upper)) in enumerate(sorted(shares.items()))
    ]
    return OwnershipGraph(edges + extra.pop("seats", []), **extra)


def simple_paths(shares: dict[tuple[int, int], float], start: int, end: int):
    """Every simple chain of holdings from ``start`` to a different entity ``end``."""
    stack = [(start,)]
    while stack:
        path = stack.pop()
        if path[-1] == end:
            yield path
            continue
        for (owner, owned), share in shares.items():
            if owner == path[-1] and share > 0 and owned not in path:
                stack.append((*path, owned))


def path_product(shares: dict[tuple[int, int], float], path: tuple[int, ...]) -> float:
    product = 1.0
    for owner, owned in zip(path, path[1:], strict=False):
        product *= shares[owner, owned] / 100
    return product


@st.composite
def acyclic_ranges(draw):
    """A random DAG of up to 7 entities (owners have lower ids) with range shares."""
    size = draw(st.integers(2, 7))
    shares = {}
    for owner in range(size):
        for owned in range(owner + 1, size):
            if draw(st.booleans()):
                upper = draw(st.floats(1, 100))
                shares[owner, owned] = (draw(st.floats(0, upper)), upper)
    return size, shares


@st.composite
def convergent_cross_holdings(draw):
    """Up to 7 entities holding each other (cycles included), each less than 100% held."""
    size = draw(st.integers(2, 7))
    shares = {}
    for owned in range(size):
        raw = {
            owner: draw(st.floats(0.01, 1))
            for owner in range(size)
            if draw(st.integers(0, 2)) == 0 and (owner != owned or draw(st.booleans()))
        }
        held = draw(st.floats(0.05, 0.95))
        total = sum(raw.values())
        for owner, weight in raw.items():
            percent = 100 * held * weight / total
            shares[owner, owned] = (percent, percent)
    return size, shares


@st.composite
def boundary_graphs(draw):
    """Up to 8 entities, cycles allowed, with shares at and around the 50% thresholds."""
    size = draw(st.integers(2, 8))
    pairs = st.tuples(st.integers(0, size - 1), st.integers(0, size - 1))
    chosen = draw(st.dictionaries(pairs, st.sampled_from(BOUNDARY_SHARES), max_size=3 * size))
    return size, {pair: (share, share) for pair, share in chosen.items()}


def tightened(shares: dict[tuple[int, int], tuple[float, float]]) -> dict:
    """Rule 1's tightening: max(i→j) ≤ 100 − Σ min(k→j) over the other holders k of j."""
    certain: dict[int, float] = {}
    for (_, owned), (lower, _) in shares.items():
        certain[owned] = certain.get(owned, 0.0) + lower
    return {
        (owner, owned): (lower, max(lower, min(upper, 100 - (certain[owned] - lower))))
        for (owner, owned), (lower, upper) in shares.items()
    }


@given(acyclic_ranges())
@PROPERTY_SETTINGS
def test_look_through_equals_the_sum_over_all_chains_on_acyclic_graphs(case):
    size, shares = case
    graph = shareholdings_graph(shares, watchlist={})
    for bound, column in (("max", 1), ("min", 0)):
        bounded = {pair: share[column] for pair, share in tightened(shares).items()}
        for target in range(size):
            computed = look_through(graph, target, bound=bound)
            for party in range(size):
                if party == target:
                    continue
                expected = sum(
                    100 * path_product(bounded, path)
                    for path in simple_paths(bounded, party, target)
                )
                assert computed.get(party, 0.0) == pytest.approx(min(expected, 100), abs=1e-6)


def dense_look_through(size: int, shares: dict[tuple[int, int], tuple[float, float]]):
    """Rule 1 by dense matrices: (plain (I−W)⁻¹W, chains not returning through the holder)."""
    direct = np.zeros((size, size))
    for (owner, owned), (_, upper) in shares.items():
        direct[owner, owned] += upper / 100
    inverse = np.linalg.inv(np.eye(size) - direct)
    plain = inverse @ direct
    return plain, plain / np.diag(inverse)[:, None]


@given(convergent_cross_holdings())
@PROPERTY_SETTINGS
def test_look_through_counts_the_chains_that_do_not_return_through_the_holder(case):
    size, shares = case
    graph = shareholdings_graph(shares, watchlist={})
    plain, expected = dense_look_through(size, shares)
    for target in range(size):
        computed = look_through(graph, target)
        for party in range(size):
            if party == target:
                continue
            share = computed.get(party, 0.0)
            assert 0 <= share <= 100
            assert share == pytest.approx(100 * expected[party, target], abs=1e-7)


@given(convergent_cross_holdings(), st.randoms(use_true_random=False))
@PROPERTY_SETTINGS
def test_look_through_does_not_depend_on_what_the_graph_was_asked_before(case, random):
    # The graph remembers each entity's fractions and builds on them for the entities below.
    size, shares = case
    asked_before = shareholdings_graph(shares, watchlist={})
    order = list(range(size))
    random.shuffle(order)
    for target in order:
        fresh = shareholdings_graph(shares, watchlist={})
        assert look_through(asked_before, target) == look_through(fresh, target)
        assert look_through(asked_before, target, bound="min") == look_through(
            fresh, target, bound="min"
        )


@given(convergent_cross_holdings())
@PROPERTY_SETTINGS
def test_look_through_is_plain_matrix_solution_for_owners_no_cycle_returns_to(case):
    size, shares = case
    graph = shareholdings_graph(shares, watchlist={})
    plain, _ = dense_look_through(size, shares)
    direct = {pair for pair, (_, upper) in shares.items() if upper > 0}
    for party in range(size):
        if on_a_cycle(direct, party):
            continue
        for target in set(range(size)) - {party}:
            share = look_through(graph, target).get(party, 0.0)
            assert share == pytest.approx(100 * plain[party, target], abs=1e-7)


def on_a_cycle(pairs: set[tuple[int, int]], entity: int) -> bool:
    """Whether a chain of holdings leads from ``entity`` back to itself."""
    seen, frontier = set(), [entity]
    while frontier:
        node = frontier.pop()
        for owner, owned in pairs:
            if owner == node and owned == entity:
                return True
            if owner == node and owned not in seen:
                seen.add(owned)
                frontier.append(owned)
    return False


def naive_blocked(shares, size, sources, strict):
    """Rule 2 by repetition: add every entity that reaches the threshold until nothing changes."""

    def held_by(holders, entity):
        return sum(
            share
            for (owner, owned), (share, _) in shares.items()
            if owned == entity and owner in holders
        )

    blocked = set(sources)
    changed = True
    while changed:
        changed = False
        for entity in set(range(size)) - blocked:
            held = held_by(blocked, entity)
            if (held > 50) if strict else (held >= 50):
                blocked.add(entity)
                changed = True
    return {entity: 100.0 if entity in sources else held_by(blocked, entity) for entity in blocked}


@given(boundary_graphs(), st.data())
@PROPERTY_SETTINGS
def test_blocking_equals_the_naive_repeat_until_stable_loop(case, data):
    size, shares = case
    sources = data.draw(st.sets(st.integers(0, size - 1), min_size=1))
    strict = data.draw(st.booleans())
    graph = shareholdings_graph(shares, watchlist={})

    computed = blocked_entities(graph, sources, strict=strict)

    assert computed == pytest.approx(naive_blocked(shares, size, sources, strict))
    for entity in range(size):
        local = blocked_entities(graph, sources, strict=strict, among=ancestors(graph, entity))
        assert (entity in local) == (entity in computed)


@given(boundary_graphs())
@PROPERTY_SETTINGS
def test_strongest_path_is_the_best_simple_chain(case):
    size, shares = case
    graph = shareholdings_graph(shares, watchlist={})
    upper = {pair: share for pair, (_, share) in shares.items() if pair[0] != pair[1]}
    for party in range(size):
        for target in range(size):
            if party == target:
                continue
            chains = list(simple_paths(upper, party, target))
            best = min(
                chains,
                key=lambda path: (-round(path_product(upper, path), 12), len(path), path),
                default=(),
            )
            assert strongest_path(graph, party, target) == best


CATEGORIES = st.sampled_from(["competitor", "sanctioned", "state_owned", "other"])


@given(boundary_graphs(), st.data())
@PROPERTY_SETTINGS
def test_score_stays_inside_the_band_of_its_level(case, data):
    size, shares = case
    watchlist = data.draw(st.dictionaries(st.integers(0, size - 1), st.sets(CATEGORIES)))
    seats = [
        Edge(1000 + number, person, entity, interest, None, None)
        for number, (person, entity, interest) in enumerate(
            data.draw(
                st.lists(
                    st.tuples(
                        st.integers(0, size - 1),
                        st.integers(0, size - 1),
                        st.sampled_from(["board_member", "senior_managing_official"]),
                    ),
                    max_size=4,
                )
            )
        )
    ]
    graph = shareholdings_graph(shares, watchlist=watchlist, seats=seats)
    access = data.draw(st.sampled_from(["none", "internal", "confidential", "restricted"]))

    for entity in range(size):
        assessment = assess_vendor(graph, entity, data_access=access)

        floor = SCORE_BAND_FLOOR[assessment.level]
        assert floor <= assessment.score <= floor + 24
        assert (assessment.score == 0) == (not assessment.factors)
        order = [-SEVERITY_RANK[factor.severity] for factor in assessment.factors]
        assert order == sorted(order)
        for factor in assessment.factors:
            if factor.effective_share is not None:
                assert factor.effective_share_min <= factor.effective_share + 1e-9


def test_closed_loop_is_detected_on_a_full_cross_holding_of_three():
    graph = shareholdings_graph(
        {(0, 1): (100, 100), (1, 2): (100, 100), (2, 0): (100, 100)}, watchlist={}
    )

    with pytest.raises(ClosedLoop):
        look_through(graph, 0)
