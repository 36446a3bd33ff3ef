"""The risk engine on the worked examples of docs/risk-rules.md (rules 1–5, reference scenario)."""

import subprocess
import sys
from pathlib import Path

import pytest

from registry.risk.engine import (
    SEVERITIES,
    Assessment,
    ClosedLoop,
    Edge,
    Factor,
    OwnershipGraph,
    Policy,
    assess_vendor,
    blocked_entities,
    look_through,
    risk_score,
    strongest_path,
)

META, SCALE_AI, REMOTASKS, CEO = 1, 2, 3, 4


def holding(owner: int, owned: int, share: float | None, upper: float | None = None) -> Edge:
    """A shareholding edge; ``upper`` makes ``share`` the lower end of a range."""
    return Edge(
        id=owner * 1000 + owned,
        owner=owner,
        owned=owned,
        interest="shareholding",
        share_min=share,
        share_max=share if upper is None else upper,
    )


def seat(person: int, entity: int, interest: str = "board_member") -> Edge:
    return Edge(
        id=900_000 + person * 1000 + entity,
        owner=person,
        owned=entity,
        interest=interest,
        share_min=None,
        share_max=None,
    )


def graph(*edges: Edge, watchlist=None, names=None) -> OwnershipGraph:
    return OwnershipGraph(edges, watchlist or {}, names)


def reference_graph() -> OwnershipGraph:
    """the reference scenario of docs/risk-rules.md after both events."""
    return OwnershipGraph(
        [
            holding(META, SCALE_AI, 49),
            holding(SCALE_AI, REMOTASKS, 100),
            seat(CEO, SCALE_AI, "board_member"),
            seat(CEO, META, "senior_managing_official"),
        ],
        {META: ["competitor"]},
        {
            META: "Meta Platforms",
            SCALE_AI: "Scale AI",
            REMOTASKS: "Remotasks",
            CEO: "Alexandr Wang",
        },
        {META: "company", SCALE_AI: "company", REMOTASKS: "company", CEO: "person"},
    )


def codes(assessment: Assessment) -> list[str]:
    return [factor.code for factor in assessment.factors]


def only(assessment: Assessment, code: str) -> Factor:
    (factor,) = [factor for factor in assessment.factors if factor.code == code]
    return factor


# --- The reference scenario -----------------------------------------------------------------------


def test_reference_scale_ai_is_critical_with_ownership_and_interlock():
    assessment = assess_vendor(reference_graph(), SCALE_AI, data_access="restricted")

    assert assessment.level == "critical"
    assert assessment.score == 89
    assert codes(assessment) == ["competitor_ownership", "key_person_interlock"]
    ownership = only(assessment, "competitor_ownership")
    assert ownership.severity == "high"
    assert ownership.party == META
    assert ownership.effective_share == pytest.approx(49.0, abs=1e-3)
    assert ownership.path == (META, SCALE_AI)
    interlock = only(assessment, "key_person_interlock")
    assert interlock.severity == "high"
    assert interlock.party == META
    assert interlock.effective_share is None
    assert interlock.path == (META, CEO, SCALE_AI)


def test_reference_remotasks_is_high_through_scale_ai_without_any_event_about_it():
    assessment = assess_vendor(reference_graph(), REMOTASKS, data_access="confidential")

    assert assessment.level == "high"
    assert assessment.score == 58
    assert codes(assessment) == ["competitor_ownership"]
    ownership = only(assessment, "competitor_ownership")
    assert ownership.severity == "high"
    assert ownership.effective_share == pytest.approx(49.0, abs=1e-3)
    assert ownership.path == (META, SCALE_AI, REMOTASKS)


def test_summary_names_the_party_its_share_and_the_chain():
    assessment = assess_vendor(reference_graph(), SCALE_AI, data_access="restricted")

    assert only(assessment, "competitor_ownership").summary == (
        "Meta Platforms holds 49.00% of Scale AI via Meta Platforms → Scale AI (competitor)."
    )
    assert "Alexandr Wang" in only(assessment, "key_person_interlock").summary


def test_summary_falls_back_to_entity_number_without_a_name():
    assessment = assess_vendor(
        graph(holding(7, 8, 30), watchlist={7: ["competitor"]}), 8, data_access="none"
    )

    assert assessment.factors[0].summary == (
        "entity #7 holds 30.00% of entity #8 via entity #7 → entity #8 (competitor)."
    )


def test_assessment_records_the_policy_version():
    assessment = assess_vendor(reference_graph(), SCALE_AI, data_access="none", policy=Policy(7))

    assert assessment.policy_version == 7


# --- Rule 1: look-through shares ------------------------------------------------------------------


def test_look_through_multiplies_shares_along_a_chain():
    shares = look_through(graph(holding(1, 2, 60), holding(2, 3, 50)), 3)

    assert shares == pytest.approx({1: 30.0, 2: 50.0}, abs=1e-3)


def test_look_through_adds_parallel_chains():
    diamond = graph(holding(1, 2, 50), holding(1, 3, 50), holding(2, 4, 40), holding(3, 4, 20))

    assert look_through(diamond, 4)[1] == pytest.approx(30.0, abs=1e-3)


def test_look_through_solves_cross_holdings():
    ua, a, ub, b = 1, 2, 3, 4
    cross = graph(holding(ua, a, 50), holding(b, a, 50), holding(ub, b, 50), holding(a, b, 50))

    assert look_through(cross, a)[ua] == pytest.approx(66.6667, abs=1e-3)
    assert look_through(cross, b)[ua] == pytest.approx(33.3333, abs=1e-3)
    assert look_through(cross, b)[ub] == pytest.approx(66.6667, abs=1e-3)


def test_cross_holding_share_is_rounded_to_four_decimals_in_the_factor():
    ua, a, ub, b = 1, 2, 3, 4
    cross = graph(
        holding(ua, a, 50),
        holding(b, a, 50),
        holding(ub, b, 50),
        holding(a, b, 50),
        watchlist={ua: ["competitor"]},
    )

    factor = only(assess_vendor(cross, a, data_access="none"), "competitor_ownership")

    assert factor.effective_share == 66.6667
    assert factor.severity == "critical"


def test_look_through_ignores_other_interests_and_missing_shares():
    edges = graph(
        holding(1, 3, None),
        Edge(1, 2, 3, "voting_rights", 60, 60),
        Edge(2, 4, 3, "other_influence", 30, 30),
        seat(5, 3),
    )

    assert look_through(edges, 3) == {}


def test_look_through_carries_both_bounds_of_a_range():
    ranged = graph(holding(1, 2, 25, 50), holding(2, 3, 100))

    assert look_through(ranged, 3)[1] == pytest.approx(50.0, abs=1e-3)
    assert look_through(ranged, 3, bound="min")[1] == pytest.approx(25.0, abs=1e-3)


def test_look_through_only_walks_up_from_the_target():
    edges = graph(holding(1, 2, 60), holding(2, 3, 50), holding(3, 4, 100), holding(9, 4, 1))

    assert set(look_through(edges, 2)) == {1}


def test_closed_loop_without_outside_holder_raises_instead_of_looping():
    with pytest.raises(ClosedLoop) as raised:
        look_through(graph(holding(1, 2, 100), holding(2, 1, 100)), 2)

    assert raised.value.entities == (1, 2)


def test_closed_loop_is_a_data_problem_and_other_factors_are_still_computed():
    loop_a, loop_b, rival, vendor = 1, 2, 3, 4
    edges = graph(
        holding(loop_a, loop_b, 100),
        holding(loop_b, loop_a, 100),
        holding(loop_a, vendor, 30),
        holding(rival, vendor, 20),
        watchlist={rival: ["competitor"], loop_a: ["competitor"]},
        names={loop_a: "Loop A", loop_b: "Loop B"},
    )

    assessment = assess_vendor(edges, vendor, data_access="internal")

    problem = only(assessment, "data_problem")
    assert problem.severity == "medium"
    assert problem.path == (loop_a, loop_b)
    assert problem.party is None
    assert "Loop A" in problem.summary and "Loop B" in problem.summary
    ownership = {f.party: f for f in assessment.factors if f.code == "competitor_ownership"}
    assert ownership[rival].effective_share == pytest.approx(20.0, abs=1e-3)
    assert ownership[loop_a].effective_share == pytest.approx(30.0, abs=1e-3)
    assert assessment.level == "high"


def test_vendor_inside_a_closed_loop_gets_a_data_problem():
    assessment = assess_vendor(
        graph(holding(1, 2, 100), holding(2, 1, 100)), 1, data_access="confidential"
    )

    assert codes(assessment) == ["data_problem"]
    assert assessment.level == "medium"


# --- Strongest chain ------------------------------------------------------------------------------


def test_strongest_path_prefers_the_largest_product():
    edges = graph(holding(1, 2, 90), holding(2, 4, 90), holding(1, 3, 50), holding(3, 4, 100))

    assert strongest_path(edges, 1, 4) == (1, 2, 4)


def test_strongest_path_tie_prefers_the_shorter_chain():
    edges = graph(holding(1, 2, 50), holding(2, 4, 50), holding(1, 4, 25))

    assert strongest_path(edges, 1, 4) == (1, 4)


def test_strongest_path_tie_prefers_lower_ids():
    edges = graph(holding(1, 3, 30), holding(3, 5, 20), holding(1, 2, 20), holding(2, 5, 30))

    assert strongest_path(edges, 1, 5) == (1, 2, 5)


def test_strongest_path_uses_upper_bounds():
    edges = graph(holding(1, 2, 10, 90), holding(1, 3, 50), holding(2, 4, 100), holding(3, 4, 100))

    assert strongest_path(edges, 1, 4) == (1, 2, 4)


def test_strongest_path_is_empty_without_a_chain_and_trivial_for_the_target():
    edges = graph(holding(1, 2, 50))

    assert strongest_path(edges, 2, 1) == ()
    assert strongest_path(edges, 2, 2) == (2,)


def test_strongest_path_is_simple_through_cross_holdings():
    edges = graph(holding(1, 2, 60), holding(2, 3, 100), holding(3, 2, 40), holding(3, 4, 50))

    assert strongest_path(edges, 1, 4) == (1, 2, 3, 4)


# --- Rule 2: sanctions (OFAC 50 Percent Rule) -----------------------------------------------------


def test_sanctioned_fifty_percent_blocks_each_step_without_multiplying():
    x, a, b = 1, 2, 3
    edges = graph(holding(x, a, 50), holding(a, b, 50))

    assert blocked_entities(edges, {x}) == {x: 100.0, a: 50.0, b: 50.0}


def test_sanctioned_owner_and_blocked_subsidiary_aggregate_blocks():
    x, a, b = 1, 2, 3
    edges = graph(holding(x, a, 50), holding(x, b, 10), holding(a, b, 40))

    assert blocked_entities(edges, {x})[b] == pytest.approx(50.0, abs=1e-3)


def test_sanctioned_aggregate_of_two_holders_blocks():
    x, y, e = 1, 2, 3
    edges = graph(holding(x, e, 25), holding(y, e, 25))

    assert blocked_entities(edges, {x, y})[e] == pytest.approx(50.0, abs=1e-3)


def test_sanctioned_forty_percent_blocks_nobody_even_through_full_ownership():
    x, a, b = 1, 2, 3
    edges = graph(holding(x, a, 40), holding(a, b, 100))

    assert blocked_entities(edges, {x}) == {x: 100.0}


def test_blocking_terminates_on_cycles():
    x, a, b = 1, 2, 3
    edges = graph(holding(x, a, 60), holding(a, b, 100), holding(b, a, 40))

    assert blocked_entities(edges, {x}) == {x: 100.0, a: 100.0, b: 100.0}


def test_control_needs_more_than_fifty_percent():
    edges = graph(holding(1, 2, 50), holding(1, 3, 51))

    assert set(blocked_entities(edges, {1}, strict=True)) == {1, 3}


def test_blocked_vendor_gets_a_critical_factor_with_the_blocking_share():
    x, a, vendor = 1, 2, 3
    edges = graph(
        holding(x, a, 50), holding(a, vendor, 50), watchlist={x: ["sanctioned"]}, names={x: "X"}
    )

    assessment = assess_vendor(edges, vendor, data_access="none")

    factor = only(assessment, "sanctioned_ownership")
    assert factor.severity == "critical"
    assert factor.effective_share == pytest.approx(50.0, abs=1e-3)
    assert factor.party == x
    assert factor.path == (x, a, vendor)
    assert "OFAC" in factor.summary
    assert assessment.level == "critical"


def test_sanctioned_minority_is_graded_like_competitors():
    x, a, vendor = 1, 2, 3
    edges = graph(holding(x, a, 40), holding(a, vendor, 100), watchlist={x: ["sanctioned"]})

    factor = only(assess_vendor(edges, vendor, data_access="none"), "sanctioned_ownership")

    assert factor.severity == "high"
    assert factor.effective_share == pytest.approx(40.0, abs=1e-3)
    assert factor.path == (x, a, vendor)


def test_sanctioned_look_through_share_is_capped_at_high_when_not_blocked():
    x, a, vendor = 1, 2, 3
    edges = graph(
        holding(x, vendor, 49),
        holding(x, a, 49),
        holding(a, vendor, 49),
        watchlist={x: ["sanctioned"]},
    )

    factor = only(assess_vendor(edges, vendor, data_access="none"), "sanctioned_ownership")

    assert factor.effective_share == pytest.approx(73.01, abs=1e-3)
    assert factor.severity == "high"


def test_sanctioned_shares_of_several_listed_holders_combine_into_one_factor():
    x, y, vendor = 1, 2, 3
    edges = graph(
        holding(x, vendor, 10),
        holding(y, vendor, 20),
        watchlist={x: ["sanctioned"], y: ["sanctioned"]},
    )

    factor = only(assess_vendor(edges, vendor, data_access="none"), "sanctioned_ownership")

    assert factor.effective_share == pytest.approx(30.0, abs=1e-3)
    assert factor.severity == "high"
    assert factor.party == y


def test_sanctioned_chain_through_two_listed_entities_is_counted_once():
    x, y, vendor = 1, 2, 3
    edges = graph(
        holding(x, y, 100), holding(y, vendor, 30), watchlist={x: ["sanctioned"], y: ["sanctioned"]}
    )

    factor = only(assess_vendor(edges, vendor, data_access="none"), "sanctioned_ownership")

    assert factor.effective_share == pytest.approx(30.0, abs=1e-3)
    assert factor.party == y


def test_vendor_on_the_sanctions_list_is_critical():
    factor = only(
        assess_vendor(graph(watchlist={5: ["sanctioned"]}), 5, data_access="none"),
        "sanctioned_ownership",
    )

    assert (factor.severity, factor.effective_share, factor.path) == ("critical", 100.0, (5,))


# --- Rule 3: competitor influence -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "severity"),
    [
        (5, "low"),
        (10, "medium"),
        (24.99, "medium"),
        (25, "high"),
        (49.99, "high"),
        (50, "critical"),
    ],
)
def test_competitor_share_is_graded_by_policy_thresholds(share, severity):
    edges = graph(holding(1, 2, share), watchlist={1: ["competitor"]})

    factor = only(assess_vendor(edges, 2, data_access="none"), "competitor_ownership")

    assert factor.severity == severity
    assert factor.effective_share == pytest.approx(share, abs=1e-3)


def test_policy_thresholds_change_the_grading():
    edges = graph(holding(1, 2, 20), watchlist={1: ["competitor"]})
    strict = Policy(version=2, critical_share=30, high_share=15, medium_share=5)

    assert assess_vendor(edges, 2, data_access="none", policy=strict).level == "high"


def test_competitor_without_a_share_raises_nothing():
    edges = graph(holding(1, 2, 30), watchlist={3: ["competitor"]})

    assessment = assess_vendor(edges, 2, data_access="restricted")

    assert (assessment.level, assessment.score, assessment.factors) == ("low", 0, ())


def test_competitor_with_control_gets_both_factors():
    edges = graph(holding(1, 2, 60), watchlist={1: ["competitor"]})

    assessment = assess_vendor(edges, 2, data_access="none")

    assert codes(assessment) == ["competitor_control", "competitor_ownership"]
    control = only(assessment, "competitor_control")
    assert (control.severity, control.effective_share, control.path) == ("critical", 60.0, (1, 2))


def test_competitor_controls_through_an_entity_it_controls_despite_a_small_look_through():
    rival, subsidiary, vendor = 1, 2, 3
    edges = graph(
        holding(rival, subsidiary, 60),
        holding(subsidiary, vendor, 60),
        watchlist={1: ["competitor"]},
    )

    assessment = assess_vendor(edges, vendor, data_access="none")

    control = only(assessment, "competitor_control")
    assert control.effective_share == pytest.approx(36.0, abs=1e-3)
    assert control.path == (rival, subsidiary, vendor)
    assert only(assessment, "competitor_ownership").severity == "critical"


def test_competitor_with_exactly_fifty_percent_is_critical_without_control():
    edges = graph(holding(1, 2, 50), watchlist={1: ["competitor"]})

    assessment = assess_vendor(edges, 2, data_access="none")

    assert codes(assessment) == ["competitor_ownership"]
    assert assessment.level == "critical"


def test_vendor_that_is_itself_a_competitor_is_under_its_control():
    assessment = assess_vendor(graph(watchlist={5: ["competitor"]}), 5, data_access="none")

    control = only(assessment, "competitor_control")
    assert (control.severity, control.effective_share, control.party, control.path) == (
        "critical",
        100.0,
        5,
        (5,),
    )


def test_range_share_uses_the_upper_bound_and_says_so():
    edges = graph(holding(1, 2, 25, 50), watchlist={1: ["competitor"]}, names={1: "R", 2: "V"})

    factor = only(assess_vendor(edges, 2, data_access="none"), "competitor_ownership")

    assert factor.severity == "critical"
    assert factor.effective_share == pytest.approx(50.0, abs=1e-3)
    assert factor.effective_share_min == pytest.approx(25.0, abs=1e-3)
    assert "25.00–50.00% (upper bound used)" in factor.summary


def test_exact_share_reports_equal_bounds():
    factor = assess_vendor(reference_graph(), SCALE_AI, data_access="none").factors[0]

    assert factor.effective_share_min == factor.effective_share == 49.0
    assert "upper bound" not in factor.summary


# --- Rule 4: key-person interlock and state ownership ---------------------------------------------


def test_interlock_through_an_entity_the_competitor_controls():
    rival, subsidiary, person, vendor = 1, 2, 3, 4
    edges = graph(
        holding(rival, subsidiary, 60),
        seat(person, subsidiary),
        seat(person, vendor, "senior_managing_official"),
        watchlist={rival: ["competitor"]},
    )

    factor = only(assess_vendor(edges, vendor, data_access="none"), "key_person_interlock")

    assert factor.party == rival
    assert factor.path == (rival, subsidiary, person, vendor)
    assert factor.severity == "high"


def test_interlock_needs_control_of_the_other_entity():
    rival, affiliate, person, vendor = 1, 2, 3, 4
    edges = graph(
        holding(rival, affiliate, 40),
        seat(person, affiliate),
        seat(person, vendor),
        watchlist={rival: ["competitor"]},
    )

    assert assess_vendor(edges, vendor, data_access="none").factors == ()


def test_interlock_keeps_one_factor_per_competitor_with_the_shortest_path():
    rival, subsidiary, far_person, near_person, vendor = 1, 2, 3, 4, 5
    edges = graph(
        holding(rival, subsidiary, 80),
        seat(far_person, subsidiary),
        seat(far_person, vendor),
        seat(near_person, rival),
        seat(near_person, vendor),
        watchlist={rival: ["competitor"]},
    )

    factor = only(assess_vendor(edges, vendor, data_access="none"), "key_person_interlock")

    assert factor.path == (rival, near_person, vendor)


def test_interlock_severity_comes_from_the_policy():
    policy = Policy(version=3, interlock_severity="medium")

    assessment = assess_vendor(reference_graph(), SCALE_AI, data_access="none", policy=policy)

    assert only(assessment, "key_person_interlock").severity == "medium"


def test_state_ownership_is_graded_like_competitors():
    state, vendor = 1, 2
    edges = graph(holding(state, vendor, 30), watchlist={state: ["state_owned"]})

    assessment = assess_vendor(edges, vendor, data_access="restricted")

    factor = only(assessment, "state_ownership")
    assert (factor.severity, factor.effective_share, factor.path) == ("high", 30.0, (1, 2))
    assert assessment.level == "high"


def test_state_control_is_critical():
    edges = graph(holding(1, 2, 60), holding(2, 3, 60), watchlist={1: ["state_owned"]})

    assert only(assess_vendor(edges, 3, data_access="none"), "state_ownership").severity == (
        "critical"
    )


# --- Rule 5: level, escalation, score -------------------------------------------------------------


def test_restricted_data_escalates_a_high_competitor_factor_to_critical():
    edges = graph(holding(1, 2, 30), watchlist={1: ["competitor"]})

    assert assess_vendor(edges, 2, data_access="restricted").level == "critical"
    assert assess_vendor(edges, 2, data_access="confidential").level == "high"


def test_escalation_can_be_switched_off_by_policy():
    edges = graph(holding(1, 2, 30), watchlist={1: ["competitor"]})
    policy = Policy(version=2, escalate_restricted=False)

    assert assess_vendor(edges, 2, data_access="restricted", policy=policy).level == "high"


def test_escalation_ignores_state_ownership():
    edges = graph(holding(1, 2, 30), watchlist={1: ["state_owned"]})

    assert assess_vendor(edges, 2, data_access="restricted").level == "high"


def test_escalation_needs_the_highest_competitor_factor_to_be_high():
    edges = graph(holding(1, 2, 15), watchlist={1: ["competitor"]})

    assert assess_vendor(edges, 2, data_access="restricted").level == "medium"


def test_no_factors_is_low_with_score_zero():
    assessment = assess_vendor(graph(holding(1, 2, 80)), 2, data_access="restricted")

    assert (assessment.level, assessment.score, assessment.factors) == ("low", 0, ())


@pytest.mark.parametrize(
    ("share", "level", "score"),
    [(1, "low", 2), (10, "medium", 30), (25, "high", 57), (50, "critical", 86)],
)
def test_score_sits_in_the_level_band(share, level, score):
    edges = graph(holding(1, 2, share), watchlist={1: ["competitor"]})

    assessment = assess_vendor(edges, 2, data_access="none")

    assert (assessment.level, assessment.score) == (level, score)


def test_score_stops_below_the_next_band():
    many = [
        Factor("competitor_control", "critical", "", party, 100.0, 100.0, (party,))
        for party in range(10)
    ]

    assert risk_score("critical", many) == 99
    assert risk_score("high", many) == 74


def test_low_level_with_a_factor_scores_at_least_one():
    tiny = Factor("competitor_ownership", "low", "", 1, 0.01, 0.01, (1, 2))

    assert risk_score("low", [tiny]) >= 1


def test_factors_are_sorted_by_severity_then_code_then_party():
    vendor = 9
    edges = graph(
        holding(1, vendor, 5),
        holding(2, vendor, 30),
        holding(3, vendor, 30),
        holding(4, vendor, 30),
        watchlist={1: ["competitor"], 2: ["state_owned"], 3: ["competitor"], 4: ["sanctioned"]},
    )

    assessment = assess_vendor(edges, vendor, data_access="none")

    assert [(f.severity, f.code, f.party) for f in assessment.factors] == [
        ("high", "competitor_ownership", 3),
        ("high", "sanctioned_ownership", 4),
        ("high", "state_ownership", 2),
        ("low", "competitor_ownership", 1),
    ]
    assert assessment.level in SEVERITIES


def test_engine_imports_without_django():
    root = Path(__file__).resolve().parents[2]
    script = (
        "import sys, registry.risk.engine; "
        "sys.exit(any(name.split('.')[0] == 'django' for name in sys.modules))"
    )

    assert subprocess.run([sys.executable, "-c", script], cwd=root).returncode == 0


def test_closed_loop_does_not_hide_sanctions_blocking_below_it():
    # X (sanctioned) and A hold each other entirely; A holds 60% of the vendor V.
    x, a, v = 1, 2, 3
    graph = OwnershipGraph(
        [
            Edge(1, x, a, "shareholding", 100.0, 100.0),
            Edge(2, a, x, "shareholding", 100.0, 100.0),
            Edge(3, a, v, "shareholding", 60.0, 60.0),
        ],
        {x: {"sanctioned"}},
    )
    result = assess_vendor(graph, v, data_access="internal")
    by_code = {f.code: f for f in result.factors}
    assert set(by_code) == {"data_problem", "sanctioned_ownership"}
    assert by_code["sanctioned_ownership"].severity == "critical"
    assert by_code["sanctioned_ownership"].effective_share == pytest.approx(60.0)
    assert by_code["sanctioned_ownership"].path == (x, a, v)
    assert result.level == "critical"


def test_closed_loop_does_not_hide_competitor_control_below_it():
    # Competitor C and B hold each other entirely; B holds 60% of M, M all of the vendor V.
    c, b, m, v = 1, 2, 3, 4
    graph = OwnershipGraph(
        [
            Edge(1, c, b, "shareholding", 100.0, 100.0),
            Edge(2, b, c, "shareholding", 100.0, 100.0),
            Edge(3, b, m, "shareholding", 60.0, 60.0),
            Edge(4, m, v, "shareholding", 100.0, 100.0),
        ],
        {c: {"competitor"}},
    )
    result = assess_vendor(graph, v, data_access="internal")
    control = [f for f in result.factors if f.code == "competitor_control"]
    assert [(f.party, f.severity, f.path) for f in control] == [(c, "critical", (c, b, m, v))]
    assert result.level == "critical"
