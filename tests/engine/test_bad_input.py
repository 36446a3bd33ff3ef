"""No graph, however odd, makes the engine raise, loop forever or give a share outside 0–100%;
inconsistent data is reported as a ``data_problem`` factor."""

import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.risk.engine import ClosedLoop, Edge, OwnershipGraph, assess_vendor, look_through
from tests.engine.builders import codes, graph, holding, only

A, B, C, V = 1, 2, 3, 9
NAMES = {A: "A", B: "B", C: "C", V: "V"}

ODD_SHARES = st.one_of(
    st.none(),
    st.sampled_from([0.0, 0.01, 10.0, 49.99, 50.0, 50.01, 99.99, 100.0]),
    st.floats(-50, 250, allow_nan=False),
    st.sampled_from([math.nan, math.inf, -math.inf]),
)
INTERESTS = st.sampled_from(
    ["shareholding"] * 4
    + ["voting_rights", "control", "board_member", "senior_managing_official", "other_influence"]
)
CATEGORIES = st.sampled_from(["competitor", "sanctioned", "state_owned", "other"])


@st.composite
def odd_graphs(draw):
    """Up to 8 entities with any interest between any two (self-edges, loops, duplicates),
    shares missing, out of range, not numbers, or ranges upside down."""
    size = draw(st.integers(1, 8))
    ends = st.integers(0, size - 1)
    rows = draw(st.lists(st.tuples(ends, ends, INTERESTS, ODD_SHARES, ODD_SHARES), max_size=24))
    edges = [Edge(number, *row) for number, row in enumerate(rows)]
    watchlist = draw(st.dictionaries(ends, st.sets(CATEGORIES, min_size=1)))
    return size, OwnershipGraph(edges, watchlist)


@given(odd_graphs(), st.sampled_from(["none", "internal", "confidential", "restricted"]))
@settings(max_examples=300, deadline=None)
def test_any_graph_gives_an_assessment_with_every_share_between_0_and_100(case, access):
    size, odd = case
    for entity in range(size):
        assessment = assess_vendor(odd, entity, data_access=access)

        assert assessment.level in ("low", "medium", "high", "critical")
        assert 0 <= assessment.score <= 100
        for factor in assessment.factors:
            if factor.effective_share is not None:
                assert 0 <= factor.effective_share_min <= factor.effective_share <= 100


@given(odd_graphs(), st.sampled_from(["max", "min"]))
@settings(max_examples=300, deadline=None)
def test_any_graph_gives_look_through_shares_between_0_and_100_or_a_closed_loop(case, bound):
    size, odd = case
    for entity in range(size):
        try:
            shares = look_through(odd, entity, bound=bound)
        except ClosedLoop as loop:
            assert loop.entities
            continue
        assert all(0 < share <= 100 for share in shares.values())


def test_a_thousand_deep_chain_is_walked_without_recursion_and_quickly():
    depth = 1000
    edges = graph(
        *(holding(level + 1, level, 99.9) for level in range(depth)),
        watchlist={depth: ["competitor"], depth - 1: ["sanctioned"]},
    )

    started = time.perf_counter()
    assessment = assess_vendor(edges, 0, data_access="restricted")
    elapsed = time.perf_counter() - started

    ownership = only(assessment, "competitor_ownership")
    assert ownership.effective_share == pytest.approx(100 * 0.999**depth, abs=1e-4)
    assert len(ownership.path) == depth + 1
    assert only(assessment, "competitor_control").severity == "critical"
    assert only(assessment, "sanctioned_ownership").severity == "critical"  # blocked all the way
    assert elapsed < 10


def test_a_vendor_inside_its_own_full_loop_is_a_data_problem_and_nothing_more():
    edges = graph(
        holding(V, A, 100), holding(A, B, 100), holding(B, V, 100), watchlist={C: ["competitor"]}
    )

    assessment = assess_vendor(edges, V, data_access="restricted")

    assert codes(assessment) == ["data_problem"]
    assert only(assessment, "data_problem").path == (A, B, V)


def test_a_full_loop_with_a_competitor_in_it_still_gives_control_and_no_share():
    edges = graph(
        holding(A, B, 100), holding(B, A, 100), holding(B, V, 60), watchlist={A: ["competitor"]}
    )

    assessment = assess_vendor(edges, V, data_access="none")

    assert codes(assessment) == ["competitor_control", "competitor_ownership", "data_problem"]
    assert only(assessment, "competitor_ownership").effective_share == 0.0


def test_a_range_with_no_bounds_at_all_holds_nothing_and_is_reported():
    edges = graph(holding(A, V), holding(C, V, 30), watchlist={A: ["competitor"]}, names=NAMES)

    assessment = assess_vendor(edges, V, data_access="none")

    assert look_through(edges, V) == {C: 30.0}
    assert codes(assessment) == ["data_problem"]
    assert "the shareholding of A in V has no share" in assessment.factors[0].summary


def test_lower_bounds_above_one_hundred_percent_are_a_data_problem_and_shares_stay_capped():
    edges = graph(
        holding(A, V, 70),
        holding(B, V, low=60, high=80),
        holding(C, A, 100),
        holding(C, B, 100),
        watchlist={C: ["competitor"]},
        names=NAMES,
    )

    assessment = assess_vendor(edges, V, data_access="none")

    problem = only(assessment, "data_problem")
    assert problem.path == (V,)
    assert "the shareholdings in V add up to 130.00% on their lower bounds" in problem.summary
    ownership = only(assessment, "competitor_ownership")
    assert (ownership.effective_share, ownership.effective_share_min) == (100.0, 100.0)


@pytest.mark.parametrize(
    ("edge", "fragment"),
    [
        (holding(A, V, 150), "lies outside 0–100%"),
        (holding(A, V, -5), "lies outside 0–100%"),
        (holding(A, V, low=60, high=40), "has its minimum above its maximum"),
        (holding(A, V, math.nan), "is not a number"),
    ],
    ids=["above-100", "negative", "min-above-max", "nan"],
)
def test_an_impossible_share_is_reported_and_bounded(edge, fragment):
    edges = graph(edge, watchlist={A: ["competitor"]}, names=NAMES)

    assessment = assess_vendor(edges, V, data_access="none")

    assert fragment in only(assessment, "data_problem").summary
    for share in look_through(edges, V).values():
        assert 0 < share <= 100


def test_an_upper_bound_that_diverges_in_a_loop_is_capped_at_one_hundred_percent():
    # Open on the lower bounds (A and B are certain of nothing), yet each may hold all of
    # the other: the upper bound of C's share is everything.
    edges = graph(
        holding(A, B, low=0, high=100),
        holding(B, A, low=0, high=100),
        holding(C, A, low=0, high=10),
        holding(B, V, 50),
        watchlist={C: ["competitor"]},
    )

    ownership = only(assess_vendor(edges, V, data_access="none"), "competitor_ownership")

    assert (ownership.effective_share, ownership.effective_share_min) == (100.0, 0.0)
