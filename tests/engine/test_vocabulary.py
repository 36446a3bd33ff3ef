"""One vocabulary: the Django choices, the models and the engine speak the same codes."""

import subprocess
import sys
from pathlib import Path

import pytest

from registry import choices
from registry.models import Ownership, RiskFactor, RiskPolicy, WatchlistEntry
from registry.risk import engine, vocabulary


def members(terms) -> list[tuple[str, str, str]]:
    return [(term.name, str(term.value), str(term.label)) for term in terms]


@pytest.mark.parametrize(
    ("plain", "django"),
    [
        (vocabulary.Interest, choices.Interest),
        (vocabulary.WatchlistCategory, choices.WatchlistCategory),
        (vocabulary.Severity, choices.RiskLevel),
        (vocabulary.FactorCode, choices.FactorCode),
        (vocabulary.DataAccess, choices.DataAccess),
    ],
    ids=lambda terms: terms.__name__,
)
def test_django_choices_have_the_vocabularys_members_codes_and_labels(plain, django):
    assert members(django) == members(plain)


def test_the_models_choose_from_the_vocabulary():
    def field_choices(model, name):
        return [code for code, _ in model._meta.get_field(name).choices]

    assert field_choices(Ownership, "interest") == list(vocabulary.Interest)
    assert field_choices(WatchlistEntry, "category") == list(vocabulary.WatchlistCategory)
    assert field_choices(RiskFactor, "code") == list(vocabulary.FactorCode)
    assert field_choices(RiskFactor, "severity") == list(vocabulary.Severity)
    assert "control" in field_choices(Ownership, "interest")


def test_the_engine_grades_with_the_vocabularys_severities_and_codes():
    assert tuple(choices.RiskLevel.values) == engine.SEVERITIES
    assert list(choices.RISK_ORDER) == list(vocabulary.Severity)
    assert set(engine.ESCALATING_CODES) <= set(choices.FactorCode.values)
    assert set(engine.SCORE_BAND_FLOOR) == set(choices.RiskLevel.values)
    assert choices.KEY_PERSON_INTERESTS == vocabulary.KEY_PERSON_INTERESTS


def test_policy_defaults_are_the_same_for_the_engine_and_the_stored_policy():
    stored = {
        name: RiskPolicy._meta.get_field(name).default
        for name in (
            "critical_share",
            "high_share",
            "medium_share",
            "escalate_restricted",
            "interlock_severity",
        )
    }
    rules = engine.DEFAULT_POLICY

    assert stored == {
        "critical_share": 50,
        "high_share": 25,
        "medium_share": 10,
        "escalate_restricted": True,
        "interlock_severity": "high",
    }
    assert stored == {name: getattr(rules, name) for name in stored}
    assert stored == {name: getattr(vocabulary.POLICY_DEFAULTS, name) for name in stored}


def test_vocabulary_imports_without_django():
    root = Path(__file__).resolve().parents[2]
    script = (
        "import sys, registry.risk.vocabulary; "
        "sys.exit(any(name.split('.')[0] == 'django' for name in sys.modules))"
    )

    assert subprocess.run([sys.executable, "-c", script], cwd=root).returncode == 0
