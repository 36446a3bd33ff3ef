"""Rule 3 control: by shares or votes (the larger weighs), by ``control`` edges, through what a
competitor already controls; and a competitor with control always gets both factors."""

import pytest

from registry.risk.engine import assess_vendor, controlled_entities
from tests.engine.builders import codes, control, graph, holding, only, seat, votes

A, B, C, P, S, OTHER, PERSON, V = 1, 2, 3, 4, 5, 6, 7, 9
NAMES = {A: "A", B: "B", C: "C", P: "Parent", S: "S", OTHER: "Other", PERSON: "Pat", V: "V"}


# --- Both factors with control, always ------------------------------------------------------------


def test_control_through_a_closed_loop_gives_both_factors_with_a_zero_look_through():
    # A and B hold each other entirely (no look-through share is defined); B holds 90% of V.
    edges = graph(
        holding(A, B, 100),
        holding(B, A, 100),
        holding(B, V, 90),
        holding(OTHER, V, 10),
        watchlist={A: ["competitor"]},
        names=NAMES,
    )

    assessment = assess_vendor(edges, V, data_access="none")

    assert codes(assessment) == ["competitor_control", "competitor_ownership", "data_problem"]
    ownership = only(assessment, "competitor_ownership")
    assert (ownership.severity, ownership.effective_share, ownership.path) == (
        "critical",
        0.0,
        (A, B, V),
    )
    assert only(assessment, "competitor_control").path == (A, B, V)


def test_a_vendor_that_is_itself_a_competitor_gets_both_factors_at_one_hundred_percent():
    assessment = assess_vendor(graph(watchlist={V: ["competitor"]}), V, data_access="none")

    assert codes(assessment) == ["competitor_control", "competitor_ownership"]
    for factor in assessment.factors:
        assert (factor.severity, factor.party, factor.effective_share, factor.path) == (
            "critical",
            V,
            100.0,
            (V,),
        )


# --- Control by votes -----------------------------------------------------------------------------


def test_a_competitor_with_most_of_the_votes_and_no_shares_controls_the_vendor():
    edges = graph(votes(C, V, 60), watchlist={C: ["competitor"]}, names=NAMES)

    assessment = assess_vendor(edges, V, data_access="none")

    assert codes(assessment) == ["competitor_control", "competitor_ownership"]
    factor = only(assessment, "competitor_control")
    assert (factor.severity, factor.effective_share, factor.path) == ("critical", 0.0, (C, V))
    assert "votes" in factor.summary
    assert assessment.level == "critical"


def test_the_larger_of_shares_and_votes_weighs_for_control_but_only_shares_look_through():
    # C holds 30% of S's shares and 55% of its votes; S holds 60% of V.
    edges = graph(
        holding(C, S, 30),
        votes(C, S, 55),
        holding(S, V, 60),
        watchlist={C: ["competitor"]},
    )

    assessment = assess_vendor(edges, V, data_access="none")

    control = only(assessment, "competitor_control")
    assert control.effective_share == pytest.approx(18.0, abs=1e-9)
    assert control.path == (C, S, V)
    assert only(assessment, "competitor_ownership").severity == "critical"


def test_votes_and_shares_of_one_owner_do_not_add_up():
    edges = graph(holding(C, V, 30), votes(C, V, 30), watchlist={C: ["competitor"]})

    assert controlled_entities(edges, {C}) == {C: 100.0}
    assert codes(assess_vendor(edges, V, data_access="none")) == ["competitor_ownership"]


def test_votes_of_controlled_entities_add_up_with_shares_of_the_competitor():
    edges = graph(holding(C, S, 60), votes(S, V, 30), holding(C, V, 25))

    assert controlled_entities(edges, {C}) == pytest.approx({C: 100.0, S: 60.0, V: 55.0})


# --- Control by control edges ---------------------------------------------------------------------


def test_a_control_edge_on_the_vendors_parent_makes_the_competitor_control_the_vendor():
    edges = graph(
        control(C, P),
        holding(P, V, 60),
        holding(OTHER, V, 40),
        watchlist={C: ["competitor"]},
        names=NAMES,
    )

    assessment = assess_vendor(edges, V, data_access="none")

    assert codes(assessment) == ["competitor_control", "competitor_ownership"]
    factor = only(assessment, "competitor_control")
    assert (factor.effective_share, factor.path) == (0.0, (C, P, V))
    assert factor.summary.startswith("C (competitor) controls V")


def test_a_control_edge_on_the_vendor_itself_is_control():
    edges = graph(control(C, V), watchlist={C: ["competitor"]}, names=NAMES)

    factor = only(assess_vendor(edges, V, data_access="none"), "competitor_control")

    assert factor.path == (C, V)
    assert "it holds a control edge on it" in factor.summary


def test_a_control_edge_of_an_entity_the_competitor_controls_is_control():
    edges = graph(holding(C, S, 51), control(S, V), watchlist={C: ["competitor"]}, names=NAMES)

    factor = only(assess_vendor(edges, V, data_access="none"), "competitor_control")

    assert factor.path == (C, S, V)
    assert "S, which it controls, holds a control edge on it" in factor.summary


def test_a_control_edge_of_an_entity_the_competitor_does_not_control_is_not():
    edges = graph(holding(C, S, 50), control(S, V), watchlist={C: ["competitor"]})

    assert assess_vendor(edges, V, data_access="none").factors == ()


def test_control_edges_carry_no_look_through_share():
    edges = graph(control(C, P), holding(P, V, 100), watchlist={C: ["competitor"]})

    ownership = only(assess_vendor(edges, V, data_access="none"), "competitor_ownership")

    assert (ownership.effective_share, ownership.effective_share_min) == (0.0, 0.0)
    assert "holds no look-through share" in ownership.summary


def test_state_control_through_votes_is_critical():
    edges = graph(votes(S, V, 70), watchlist={S: ["state_owned"]})

    factor = only(assess_vendor(edges, V, data_access="none"), "state_ownership")

    assert (factor.severity, factor.effective_share) == ("critical", 0.0)


# --- Rule 4 with the same notion of control -------------------------------------------------------


def test_an_interlock_through_an_entity_the_competitor_controls_by_a_control_edge():
    edges = graph(
        control(C, S),
        seat(PERSON, S),
        seat(PERSON, V, "senior_managing_official"),
        watchlist={C: ["competitor"]},
    )

    factor = only(assess_vendor(edges, V, data_access="none"), "key_person_interlock")

    assert (factor.party, factor.path, factor.severity) == (C, (C, S, PERSON, V), "high")


def test_an_interlock_through_an_entity_the_competitor_controls_by_votes():
    edges = graph(
        votes(C, S, 75),
        seat(PERSON, S),
        seat(PERSON, V),
        watchlist={C: ["competitor"]},
    )

    factor = only(assess_vendor(edges, V, data_access="none"), "key_person_interlock")

    assert factor.path == (C, S, PERSON, V)
