"""Rule 5's ``undisclosed_ownership``: a vendor at or below an entity whose owners are declared
undisclosed gets one factor per such entity, graded by the policy (default low)."""

from registry.risk.engine import Policy, assess_vendor, risk_score
from tests.engine.builders import codes, control, graph, holding, only, seat, votes

P, A, V, C, S, X, Q, M = 1, 2, 3, 4, 5, 6, 7, 8
NAMES = {
    P: "Parent",
    A: "Holdco",
    V: "Vendor",
    C: "Controller",
    S: "Subsidiary",
    X: "Person",
    Q: "Elsewhere",
    M: "Meta",
}
UNDISCLOSED = "undisclosed_ownership"


def _chain(*flagged: int, **kwargs):
    """P → A 60%, A → V 50%: P holds 30% of V (rule 1's worked example)."""
    return graph(holding(P, A, 60), holding(A, V, 50), names=NAMES, undisclosed=flagged, **kwargs)


def test_vendor_whose_own_entity_has_undisclosed_owners_gets_the_factor_at_100_percent():
    result = assess_vendor(_chain(V), V, data_access="confidential")
    factor = only(result, UNDISCLOSED)
    assert (factor.severity, factor.party, factor.path) == ("low", V, (V,))
    assert (factor.effective_share, factor.effective_share_min) == (100.0, 100.0)
    assert factor.summary == (
        "The owners of Vendor itself are declared undisclosed in published ownership data."
    )
    # 2 points for a low factor + 100 / 20 for its share = 7.
    assert (result.level, result.score) == ("low", 7)


def test_flagged_grandparent_through_sixty_then_fifty_percent_names_it_with_thirty_percent():
    result = assess_vendor(_chain(P), V, data_access="none")
    factor = only(result, UNDISCLOSED)
    assert (factor.party, factor.path, factor.effective_share) == (P, (P, A, V), 30.0)
    assert factor.summary == (
        "The owners of Parent are declared undisclosed in published ownership data; it holds "
        "30.00% of Vendor via Parent → Holdco → Vendor."
    )
    # 2 + 30 / 20 = 3.5, rounded half up.
    assert (result.level, result.score) == ("low", 4)


def test_two_flagged_entities_give_two_factors_each_naming_its_entity():
    result = assess_vendor(_chain(P, A), V, data_access="none")
    assert codes(result) == [UNDISCLOSED, UNDISCLOSED]
    found = [(f.party, f.effective_share, f.path) for f in result.factors]
    assert found == [(P, 30.0, (P, A, V)), (A, 50.0, (A, V))]
    # (2 + 1.5) + (2 + 2.5) = 8.
    assert (result.level, result.score) == ("low", 8)


def test_policy_grading_undisclosed_owners_medium_makes_the_vendor_medium():
    policy = Policy(version=4, undisclosed_severity="medium")
    result = assess_vendor(_chain(P), V, data_access="none", policy=policy)
    assert only(result, UNDISCLOSED).severity == "medium"
    # Medium band from 25: 4 points + 30 / 20 = 5.5 → 6.
    assert (result.level, result.score, result.policy_version) == ("medium", 31, 4)


def test_without_the_flag_there_is_no_factor_and_the_vendor_stays_low_at_zero():
    result = assess_vendor(_chain(), V, data_access="none")
    assert (result.factors, result.level, result.score) == ((), "low", 0)


def test_an_entity_above_only_through_a_control_edge_counts_with_no_look_through_share():
    flagged = graph(control(C, V), names=NAMES, undisclosed=[C])
    factor = only(assess_vendor(flagged, V, data_access="none"), UNDISCLOSED)
    assert (factor.party, factor.path, factor.effective_share) == (C, (C, V), 0.0)
    assert factor.summary == (
        "The owners of Controller are declared undisclosed in published ownership data; it "
        "holds no look-through share of Vendor (0.00%) but votes or control edges lead down to "
        "it via Controller → Vendor."
    )


def test_votes_and_control_lead_up_to_a_flagged_entity_along_the_shortest_chain():
    flagged = graph(control(C, P), votes(P, A, 80), holding(A, V, 50), names=NAMES, undisclosed=[C])
    factor = only(assess_vendor(flagged, V, data_access="none"), UNDISCLOSED)
    assert (factor.path, factor.effective_share) == ((C, P, A, V), 0.0)


def test_flagged_entities_below_the_vendor_or_behind_a_key_person_do_not_count():
    # V owns S; X sits on V's board and on Elsewhere's, whose owners are undisclosed too.
    edges = (holding(V, S, 100), seat(X, V), seat(X, Q))
    result = assess_vendor(graph(*edges, names=NAMES, undisclosed=[S, Q]), V, data_access="none")
    assert result.factors == ()


def test_a_flagged_holder_of_an_unpublished_minimum_says_it_rests_on_an_upper_bound():
    flagged = graph(holding(P, V, high=10), holding(A, V, 20), names=NAMES, undisclosed=[P])
    factor = only(assess_vendor(flagged, V, data_access="none"), UNDISCLOSED)
    assert (factor.effective_share, factor.effective_share_min) == (10.0, 0.0)
    assert factor.summary.endswith(
        "Parent lies above Vendor only on the upper bound of a range (on the lower bounds it "
        "holds nothing of it)."
    )


def test_a_certain_flagged_holder_has_no_upper_bound_note():
    flagged = graph(holding(P, V, low=20, high=30), names=NAMES, undisclosed=[P])
    factor = only(assess_vendor(flagged, V, data_access="none"), UNDISCLOSED)
    assert (factor.effective_share, factor.effective_share_min) == (30.0, 20.0)
    assert factor.summary == (
        "The owners of Parent are declared undisclosed in published ownership data; it holds "
        "20.00–30.00% (upper bound used) of Vendor via Parent → Vendor."
    )


def test_undisclosed_owners_do_not_escalate_a_restricted_vendor():
    policy = Policy(undisclosed_severity="high")
    result = assess_vendor(_chain(P), V, data_access="restricted", policy=policy)
    assert result.level == "high"


def test_the_highest_severity_wins_beside_a_competitor():
    # Meta (competitor) holds 30% of V beside the flagged chain's Holdco (50%).
    flagged = graph(
        holding(P, A, 60),
        holding(A, V, 50),
        holding(M, V, 30),
        names=NAMES,
        watchlist={M: {"competitor"}},
        undisclosed=[A],
    )
    result = assess_vendor(flagged, V, data_access="none")
    assert codes(result) == ["competitor_ownership", UNDISCLOSED]
    # High band from 50: (6 + 30 / 20) + (2 + 50 / 20) = 12.
    assert (result.level, result.score) == ("high", 62)
    assert risk_score("high", result.factors) == 62
