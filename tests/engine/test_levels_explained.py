"""Levels explained: the sentence that says why a level is what it is (an escalation says so),
and the score broken down step by step to the number ``risk_score`` gives."""

import pytest

from registry.risk.engine import (
    Factor,
    is_escalated,
    level_explanation,
    risk_score,
    score_breakdown,
)


def factor(code: str, severity: str, share: float | None = None) -> Factor:
    return Factor(
        code=code,
        severity=severity,
        summary="",
        party=1,
        effective_share=share,
        effective_share_min=share,
        path=(1, 2),
    )


SCALE_AI = [
    factor("competitor_ownership", "high", 49.0),
    factor("key_person_interlock", "high"),
]


def test_scale_ai_says_it_was_raised_to_critical_for_restricted_data():
    assert level_explanation(SCALE_AI, data_access="restricted", escalate_restricted=True) == (
        "Raised to critical: restricted data access and high competitor ownership and "
        "key-person interlock factors."
    )
    assert is_escalated(SCALE_AI, data_access="restricted", escalate_restricted=True)


def test_one_high_factor_with_restricted_data_names_that_factor():
    factors = [factor("competitor_ownership", "high", 30.0), factor("state_ownership", "high")]
    assert level_explanation(factors, data_access="restricted", escalate_restricted=True) == (
        "Raised to critical: restricted data access and a high competitor ownership factor."
    )


@pytest.mark.parametrize(
    ("factors", "access", "escalate", "expected"),
    [
        (
            SCALE_AI,
            "confidential",
            True,
            "High: its highest factors (competitor ownership and key-person interlock) are high.",
        ),
        (
            SCALE_AI,
            "restricted",
            False,
            "High: its highest factors (competitor ownership and key-person interlock) are high.",
        ),
        (
            [factor("state_ownership", "high")],
            "restricted",
            True,
            "High: its highest factor (state ownership) is high.",
        ),
        (
            [factor("sanctioned_ownership", "critical", 60.0)],
            "restricted",
            True,
            "Critical: its highest factor (sanctioned ownership) is critical.",
        ),
        ([], "restricted", True, "Low: no risk factor was found."),
    ],
)
def test_levels_that_were_not_raised_name_their_highest_factors(
    factors, access, escalate, expected
):
    assert level_explanation(factors, data_access=access, escalate_restricted=escalate) == expected
    assert not is_escalated(factors, data_access=access, escalate_restricted=escalate)


def test_scale_ai_scores_89_as_75_plus_6_plus_2_45_plus_6():
    breakdown = score_breakdown("critical", SCALE_AI)

    assert [
        (line.label, line.weight, line.share_points, line.points) for line in breakdown.lines
    ] == [
        ("Competitor ownership", 6, pytest.approx(2.45), pytest.approx(8.45)),
        ("Key-person interlock", 6, 0.0, 6.0),
    ]
    assert (breakdown.floor, breakdown.points, breakdown.bonus, breakdown.capped) == (
        75,
        pytest.approx(14.45),
        14,
        False,
    )
    assert breakdown.score == 89 == risk_score("critical", SCALE_AI)


@pytest.mark.parametrize(
    ("level", "factors"),
    [
        ("low", []),
        ("low", [factor("data_problem", "low")]),
        ("medium", [factor("competitor_ownership", "medium", 10.0)]),
        ("high", [factor("competitor_ownership", "high", 30.0)] * 5),  # 5 × 7.5 → capped at 24
        ("critical", [factor("sanctioned_ownership", "critical", 50.0)]),
        ("high", [factor("competitor_ownership", "high", 9.99)]),  # 6.4995 rounds to 6
        ("high", [factor("competitor_ownership", "high", 10.0)]),  # 6.5 rounds half up to 7
    ],
)
def test_the_breakdown_always_adds_up_to_the_engines_score(level, factors):
    breakdown = score_breakdown(level, factors)
    assert breakdown.score == risk_score(level, factors)
    assert breakdown.score == breakdown.floor + breakdown.bonus


def test_a_capped_score_says_so():
    breakdown = score_breakdown("high", [factor("competitor_ownership", "high", 30.0)] * 5)
    assert (breakdown.points, breakdown.bonus, breakdown.capped, breakdown.score) == (
        pytest.approx(37.5),
        24,
        True,
        74,
    )
