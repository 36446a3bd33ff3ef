"""Rule 1 as sharpened: no look-through share above 100%, range bounds tightened to what the
other holders leave, closed loops judged on certain (lower-bound) shares."""

import pytest

from registry.risk.engine import assess_vendor, look_through
from tests.engine.builders import codes, graph, holding, only

UA, A, UB, B, OUTSIDER, C, V = 1, 2, 3, 4, 5, 6, 9
NAMES = {UA: "UA", A: "A", UB: "UB", B: "B", OUTSIDER: "O", C: "C", V: "V"}


# --- No effective share above 100% ----------------------------------------------------------------


def test_cross_holding_member_holds_only_the_chains_that_do_not_return_through_it():
    cross = graph(holding(UA, A, 50), holding(B, A, 50), holding(UB, B, 50), holding(A, B, 50))

    assert look_through(cross, A)[UA] == pytest.approx(66.6667, abs=1e-4)
    assert look_through(cross, B)[UA] == pytest.approx(33.3333, abs=1e-4)
    assert look_through(cross, B)[A] == pytest.approx(50.0, abs=1e-9)
    assert look_through(cross, A)[B] == pytest.approx(50.0, abs=1e-9)


def test_near_total_cross_holding_gives_its_member_its_share_not_thousands_of_percent():
    # A and B hold 99.99% of each other, OUTSIDER the last 0.01% of each; B holds all of V.
    edges = graph(
        holding(A, B, 99.99),
        holding(B, A, 99.99),
        holding(OUTSIDER, A, 0.01),
        holding(OUTSIDER, B, 0.01),
        holding(B, V, 100),
        watchlist={A: ["competitor"]},
    )

    shares = look_through(edges, V)
    ownership = only(assess_vendor(edges, V, data_access="none"), "competitor_ownership")

    assert shares[A] == pytest.approx(99.99, abs=1e-9)
    assert shares[B] == pytest.approx(100.0, abs=1e-9)
    assert ownership.effective_share == 99.99
    assert ownership.path == (A, B, V)


def test_vendor_inside_its_own_cross_holding_is_held_at_most_entirely():
    edges = graph(
        holding(V, A, 60), holding(A, V, 70), holding(OUTSIDER, V, 30), holding(UA, A, 40)
    )

    shares = look_through(edges, V)

    # A's chains to V that do not come back through A: only A → V.
    assert shares[A] == pytest.approx(70.0, abs=1e-9)
    assert shares[UA] == pytest.approx(40 * 0.7 / (1 - 0.42), abs=1e-9)
    assert shares[OUTSIDER] == pytest.approx(30 / (1 - 0.42), abs=1e-9)
    assert all(0 < share <= 100 for share in shares.values())


# --- Ranges tightened, loops judged on certain shares -----------------------------------------


def test_a_loop_open_on_its_lower_bounds_is_no_data_problem_and_keeps_the_competitor():
    # B → A: at least 10% (no maximum; C's 50% leaves at most 50%). A → B: at least 50% (OUTSIDER's
    # 50% leaves at most 50%). On upper bounds A and B hold 50% of each other, not 100%.
    edges = graph(
        holding(C, A, 50),
        holding(B, A, low=10),
        holding(A, B, low=50),
        holding(OUTSIDER, B, 50),
        holding(B, V, 100),
        watchlist={C: ["competitor"]},
        names=NAMES,
    )

    assessment = assess_vendor(edges, V, data_access="restricted")

    assert codes(assessment) == ["competitor_ownership"]
    factor = only(assessment, "competitor_ownership")
    # Upper: 50% × 50% / (1 − 50% × 50%); lower: 50% × 50% / (1 − 50% × 10%).
    assert factor.effective_share == pytest.approx(33.3333, abs=1e-4)
    assert factor.effective_share_min == pytest.approx(26.3158, abs=1e-4)
    assert factor.severity == "high"
    assert factor.path == (C, A, B, V)
    assert assessment.level == "critical"  # high, raised for restricted data


def test_upper_bounds_left_by_the_other_holders_never_add_up_beyond_everything():
    # A and B each hold at least 10% of V, so each at most 90%; C holds all of both.
    edges = graph(
        holding(C, A, 100),
        holding(C, B, 100),
        holding(A, V, low=10),
        holding(B, V, low=10),
        watchlist={C: ["competitor"]},
        names=NAMES,
    )

    upper, lower = look_through(edges, V), look_through(edges, V, bound="min")
    ownership = only(assess_vendor(edges, V, data_access="none"), "competitor_ownership")

    assert upper == pytest.approx({A: 90.0, B: 90.0, C: 100.0})
    assert lower == pytest.approx({A: 10.0, B: 10.0, C: 20.0})
    assert (ownership.effective_share, ownership.effective_share_min) == (100.0, 20.0)


def test_an_upper_bound_is_tightened_to_what_the_other_holders_leave():
    edges = graph(holding(A, V, low=30, high=90), holding(B, V, 25), holding(C, V, low=5))

    assert look_through(edges, V) == pytest.approx({A: 70.0, B: 25.0, C: 45.0})
    assert look_through(edges, V, bound="min") == pytest.approx({A: 30.0, B: 25.0, C: 5.0})


def test_a_loop_closed_on_its_lower_bounds_is_still_a_data_problem():
    edges = graph(holding(A, B, low=100), holding(B, A, 100), holding(B, V, 60), names=NAMES)

    problem = only(assess_vendor(edges, V, data_access="none"), "data_problem")

    assert problem.path == (A, B)
    assert "lower bounds" in problem.summary
