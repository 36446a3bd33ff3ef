"""Rule 2 as sharpened: blocked middlemen are visible, and blocking is the least fixed point."""

import pytest

from registry.risk.engine import assess_vendor, blocked_entities
from tests.engine.builders import codes, graph, holding, only

X, Y, A, B, V = 1, 2, 3, 4, 9
NAMES = {X: "X", Y: "Y", A: "A", B: "B", V: "V"}
SANCTIONED = {X: ["sanctioned"]}


# --- Blocked middlemen are visible ----------------------------------------------------------------


def test_a_blocked_holder_is_the_party_with_its_own_share_and_the_listed_entity_behind_it():
    # X (sanctioned) holds 50% of A, so A is blocked; A holds 49% of V, which is not blocked.
    edges = graph(holding(X, A, 50), holding(A, V, 49), watchlist=SANCTIONED, names=NAMES)

    assessment = assess_vendor(edges, V, data_access="none")

    factor = only(assessment, "sanctioned_ownership")
    assert (factor.party, factor.effective_share, factor.path) == (A, 49.0, (A, V))
    assert factor.severity == "high"
    assert "A, blocked under the OFAC 50% rule by X (sanctioned)" in factor.summary
    assert assessment.level == "high"


def test_a_blocked_holder_is_graded_never_above_high():
    edges = graph(holding(X, A, 60), holding(A, V, 49), holding(X, V, 0.5), watchlist=SANCTIONED)

    factor = only(assess_vendor(edges, V, data_access="none"), "sanctioned_ownership")

    # A's 49% and X's direct 0.5% (X's chain through A is counted once, at A).
    assert factor.effective_share == pytest.approx(49.5, abs=1e-9)
    assert (factor.party, factor.severity) == (A, "high")


def test_the_listed_entities_behind_a_chain_of_blocked_holders_are_named():
    edges = graph(
        holding(X, A, 30),
        holding(Y, A, 20),
        holding(A, B, 50),
        holding(B, V, 30),
        watchlist={X: ["sanctioned"], Y: ["sanctioned"]},
        names=NAMES,
    )

    factor = only(assess_vendor(edges, V, data_access="none"), "sanctioned_ownership")

    assert (factor.party, factor.effective_share, factor.severity) == (B, 30.0, "high")
    assert "blocked under the OFAC 50% rule by X (sanctioned) and Y (sanctioned)" in (
        factor.summary
    )


def test_a_listed_holder_larger_than_the_blocked_ones_stays_the_party():
    edges = graph(
        holding(X, A, 50), holding(A, V, 10), holding(X, V, 20), watchlist=SANCTIONED, names=NAMES
    )

    factor = only(assess_vendor(edges, V, data_access="none"), "sanctioned_ownership")

    assert (factor.party, factor.effective_share, factor.severity) == (X, 30.0, "high")
    assert factor.path == (X, V)


def test_a_blocked_vendor_is_still_critical_with_the_aggregate_that_blocked_it():
    edges = graph(holding(X, A, 50), holding(A, V, 50), watchlist=SANCTIONED)

    factor = only(assess_vendor(edges, V, data_access="none"), "sanctioned_ownership")

    assert (factor.severity, factor.party, factor.effective_share) == ("critical", X, 50.0)


# --- The least fixed point ------------------------------------------------------------------------


def test_a_cross_holding_blocks_nothing_by_itself():
    # Were A and B blocked, together with X they would hold 55% of A and 60% of B; but starting
    # from X alone, neither reaches 50%, so nothing is blocked.
    edges = graph(
        holding(X, A, 30),
        holding(B, A, 25),
        holding(A, B, 50),
        holding(X, B, 10),
        watchlist=SANCTIONED,
    )

    assert blocked_entities(edges, {X}) == {X: 100.0}
    for vendor in (A, B):
        factor = only(assess_vendor(edges, vendor, data_access="none"), "sanctioned_ownership")
        assert factor.severity != "critical"
        assert factor.party == X


def test_the_worked_examples_of_rule_two_still_block():
    examples = [
        ([holding(X, A, 50), holding(A, B, 50)], {X}, {A, B}),
        ([holding(X, A, 50), holding(X, B, 10), holding(A, B, 40)], {X}, {A, B}),
        ([holding(X, V, 25), holding(Y, V, 25)], {X, Y}, {V}),
        ([holding(X, A, 40), holding(A, B, 100)], {X}, set()),
    ]
    for edges, listed, expected in examples:
        assert set(blocked_entities(graph(*edges), listed)) - listed == expected


def test_a_vendor_blocked_by_a_listed_entity_and_its_blocked_subsidiary_is_critical():
    edges = graph(holding(X, A, 50), holding(X, V, 10), holding(A, V, 40), watchlist=SANCTIONED)

    assessment = assess_vendor(edges, V, data_access="none")

    assert codes(assessment) == ["sanctioned_ownership"]
    assert only(assessment, "sanctioned_ownership").effective_share == pytest.approx(50.0)
