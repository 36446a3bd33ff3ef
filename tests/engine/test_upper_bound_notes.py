"""Rule 1's last sentence: a block, a control or a severity that holds only on the upper bound
of a range says so in its summary, with ``effective_share_min`` beside ``effective_share``."""

from registry.risk.engine import assess_vendor
from tests.engine.builders import graph, holding, only, seat

X, A, B, C, S, P, V = 1, 2, 3, 4, 5, 6, 9
NAMES = {X: "X", A: "A", B: "B", C: "C", S: "S", P: "P", V: "V"}
NOTE = "upper bound of a range"


def test_a_block_that_needs_the_upper_bound_says_so():
    # X (sanctioned) holds 40–60% of A: A is blocked only if X holds 50% or more.
    edges = graph(
        holding(X, A, low=40, high=60),
        holding(A, V, 50),
        watchlist={X: ["sanctioned"]},
        names=NAMES,
    )

    factor = only(assess_vendor(edges, V, data_access="none"), "sanctioned_ownership")

    assert factor.severity == "critical"
    assert (factor.effective_share, factor.effective_share_min) == (50.0, 0.0)
    assert factor.summary.startswith("V is blocked under the OFAC 50% rule")
    assert NOTE in factor.summary
    assert factor.path == (X, A, V)


def test_a_certain_block_has_no_note():
    edges = graph(holding(X, A, low=50, high=60), holding(A, V, 50), watchlist={X: ["sanctioned"]})

    factor = only(assess_vendor(edges, V, data_access="none"), "sanctioned_ownership")

    assert (factor.severity, factor.effective_share, factor.effective_share_min) == (
        "critical",
        50.0,
        50.0,
    )
    assert NOTE not in factor.summary


def test_a_severity_that_needs_the_upper_bound_says_so():
    edges = graph(holding(C, V, low=25, high=50), watchlist={C: ["competitor"]}, names=NAMES)

    factor = only(assess_vendor(edges, V, data_access="none"), "competitor_ownership")

    assert factor.severity == "critical"
    assert (factor.effective_share, factor.effective_share_min) == (50.0, 25.0)
    assert "Critical only on the upper bound of a range (high on the lower bounds)." in (
        factor.summary
    )


def test_a_range_that_keeps_its_severity_on_both_bounds_has_no_note():
    edges = graph(holding(C, V, low=30, high=40), watchlist={C: ["competitor"]})

    factor = only(assess_vendor(edges, V, data_access="none"), "competitor_ownership")

    assert factor.severity == "high"
    assert NOTE not in factor.summary
    assert "30.00–40.00% (upper bound used)" in factor.summary


def test_control_that_needs_the_upper_bound_says_so_on_both_factors():
    # C holds 40–70% of S, S 60% of V: C controls S, and so V, only above 50%.
    edges = graph(
        holding(C, S, low=40, high=70),
        holding(S, V, 60),
        watchlist={C: ["competitor"]},
        names=NAMES,
    )

    assessment = assess_vendor(edges, V, data_access="none")

    control = only(assessment, "competitor_control")
    ownership = only(assessment, "competitor_ownership")
    assert "Control holds only on the upper bound of a range." in control.summary
    assert "Critical only on the upper bound of a range (medium on the lower bounds)." in (
        ownership.summary
    )
    assert (ownership.effective_share, ownership.effective_share_min) == (42.0, 24.0)


def test_a_share_that_exists_only_on_the_upper_bound_says_so():
    edges = graph(holding(C, V, low=0, high=5), watchlist={C: ["competitor"]})

    factor = only(assess_vendor(edges, V, data_access="none"), "competitor_ownership")

    assert (factor.severity, factor.effective_share, factor.effective_share_min) == (
        "low",
        5.0,
        0.0,
    )
    assert "Low only on the upper bound of a range (nothing on the lower bounds)." in (
        factor.summary
    )


def test_a_sanctioned_grade_that_needs_the_upper_bound_says_so():
    edges = graph(holding(X, V, low=5, high=30), watchlist={X: ["sanctioned"]})

    factor = only(assess_vendor(edges, V, data_access="none"), "sanctioned_ownership")

    assert (factor.severity, factor.effective_share_min) == ("high", 5.0)
    assert "High only on the upper bound of a range (low on the lower bounds)." in factor.summary


def test_an_interlock_through_an_entity_controlled_only_on_the_upper_bound_says_so():
    edges = graph(
        holding(C, S, low=40, high=60),
        seat(P, S),
        seat(P, V),
        watchlist={C: ["competitor"]},
        names=NAMES,
    )

    factor = only(assess_vendor(edges, V, data_access="none"), "key_person_interlock")

    assert factor.path == (C, S, P, V)
    assert factor.effective_share is None and factor.effective_share_min is None
    assert "which C (competitor) controls only on the upper bound of a range" in factor.summary


def test_an_interlock_prefers_a_seat_controlled_on_certain_shares():
    far, near = 7, 8
    edges = graph(
        holding(C, S, low=40, high=60),
        holding(C, A, 80),
        holding(A, B, 90),
        seat(near, S),
        seat(near, V),
        seat(far, B),
        seat(far, V),
        watchlist={C: ["competitor"]},
    )

    factor = only(assess_vendor(edges, V, data_access="none"), "key_person_interlock")

    assert factor.path == (C, A, B, far, V)
    assert NOTE not in factor.summary


def test_control_certain_on_the_lower_bound_has_no_note():
    edges = graph(holding(C, V, low=51, high=60), watchlist={C: ["competitor"]})

    assessment = assess_vendor(edges, V, data_access="none")

    assert [factor.code for factor in assessment.factors] == [
        "competitor_control",
        "competitor_ownership",
    ]
    assert all(NOTE not in factor.summary for factor in assessment.factors)


def test_exactly_half_on_the_lower_bound_is_critical_for_sure_but_control_only_above_it():
    edges = graph(holding(C, V, low=50, high=60), watchlist={C: ["competitor"]})

    assessment = assess_vendor(edges, V, data_access="none")

    assert NOTE in only(assessment, "competitor_control").summary
    assert NOTE not in only(assessment, "competitor_ownership").summary
