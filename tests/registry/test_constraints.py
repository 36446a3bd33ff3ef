"""The database refuses every bad row by itself (issue 2), so the rules hold even for code that
skips ``clean()`` — ``create``, ``bulk_create`` and ``update`` alike — and ``full_clean()``
refuses the same values with an error on the field at fault."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction

from alerts.models import Alert
from registry.models import (
    Contract,
    Entity,
    EntityIdentifier,
    Ownership,
    OwnershipEvent,
    RiskAssessment,
    RiskPolicy,
    Vendor,
    WatchlistEntry,
)
from tests.factories import EntityFactory, PersonFactory, VendorFactory

VALID_LEI = "5493001KJTIIGC8Y1R12"
WRITES = ["create", "bulk_create", "update"]


@dataclass
class World:
    acme: Entity
    beta: Entity
    gamma: Entity
    person: Entity
    vendor: Vendor
    policy: RiskPolicy


@pytest.fixture
def world(db) -> World:
    return World(
        acme=EntityFactory(name="Acme"),
        beta=EntityFactory(name="Beta"),
        gamma=EntityFactory(name="Gamma"),
        person=PersonFactory(name="Pat Example"),
        vendor=VendorFactory(entity=EntityFactory(name="Vendor Co")),
        policy=RiskPolicy.objects.get(version=1),
    )


Row = Callable[[World], tuple[type[models.Model], dict[str, Any]]]


def entity_row(w: World):
    return Entity, {"name": "Delta", "kind": "company", "country": "US", "lei": ""}


def identifier_row(w: World):
    return EntityIdentifier, {"entity": w.acme, "scheme": "DUNS", "value": "150483782"}


def ownership_row(w: World):
    return Ownership, {
        "owner": w.acme,
        "owned": w.beta,
        "interest": "shareholding",
        "share": Decimal("40"),
        "start_date": datetime.date(2020, 1, 1),
    }


def range_ownership_row(w: World):
    return Ownership, {
        "owner": w.acme,
        "owned": w.beta,
        "interest": "shareholding",
        "share_min": Decimal("25"),
        "share_max": Decimal("50"),
        "start_date": datetime.date(2020, 1, 1),
    }


def watchlist_row(w: World):
    return WatchlistEntry, {"entity": w.acme, "category": "competitor", "reason": "Rival."}


def vendor_row(w: World):
    return Vendor, {"entity": w.gamma, "tier": 2, "data_access": "internal"}


def contract_row(w: World):
    return Contract, {
        "vendor": w.vendor,
        "reference": "MSA-2024-001",
        "title": "Master services agreement",
        "value": Decimal("250000.00"),
        "currency": "USD",
        "start_date": datetime.date(2024, 1, 1),
        "end_date": datetime.date(2026, 12, 31),
        "data_classification": "confidential",
    }


def event_row(w: World):
    return OwnershipEvent, {
        "kind": "acquisition",
        "subject": w.beta,
        "counterparty": w.acme,
        "share": Decimal("49"),
        "effective_date": datetime.date(2025, 6, 13),
    }


def policy_row(w: World):
    return RiskPolicy, {
        "version": 2,
        "critical_share": Decimal("50"),
        "high_share": Decimal("25"),
        "medium_share": Decimal("10"),
    }


def assessment_row(w: World):
    return RiskAssessment, {
        "vendor": w.vendor,
        "level": "low",
        "score": 0,
        "as_of": datetime.date(2025, 6, 13),
        "policy": w.policy,
        "policy_version": 1,
    }


def alert_row(w: World):
    return Alert, {
        "kind": "risk_increased",
        "severity": "high",
        "title": "Vendor Co: risk rose to high",
        "vendor": w.vendor,
        "dedup_key": "risk_increased:vendor-co:1",
    }


def _same(name: str) -> Callable[[World], Entity]:
    return lambda w: getattr(w, name)


# (row, bad values, constraint that refuses them, field full_clean() names — None for values
# only the system writes, such as computed risk, statuses and dedup keys, where full_clean()
# reports the constraint itself)
CHECKS = [
    pytest.param(entity_row, {"kind": "robot"}, "entity_kind_valid", "kind", id="entity-kind"),
    pytest.param(
        entity_row, {"country": "us"}, "entity_country_alpha2", "country", id="entity-country-lower"
    ),
    pytest.param(
        entity_row, {"country": "1X"}, "entity_country_alpha2", "country", id="entity-country-digit"
    ),
    pytest.param(
        entity_row,
        {"lei": VALID_LEI.lower()},
        "entity_lei_format",
        "lei",
        id="entity-lei-lower-case",
    ),
    pytest.param(
        entity_row,
        {"lei": "5493001KJTIIGC8Y1RAB"},
        "entity_lei_format",
        "lei",
        id="entity-lei-letters-as-check-digits",
    ),
    pytest.param(
        identifier_row, {"scheme": ""}, "identifier_scheme_not_empty", "scheme", id="id-scheme"
    ),
    pytest.param(
        identifier_row, {"value": ""}, "identifier_value_not_empty", "value", id="id-value"
    ),
    pytest.param(
        ownership_row, {"owned": _same("acme")}, "ownership_not_self", "owned", id="self-ownership"
    ),
    pytest.param(
        ownership_row, {"share": Decimal("150")}, "ownership_share_0_100", "share", id="share-150"
    ),
    pytest.param(
        ownership_row, {"share": Decimal("-1")}, "ownership_share_0_100", "share", id="share-neg"
    ),
    pytest.param(
        range_ownership_row,
        {"share_min": Decimal("-1")},
        "ownership_share_min_0_100",
        "share_min",
        id="share-min-neg",
    ),
    pytest.param(
        range_ownership_row,
        {"share_max": Decimal("150")},
        "ownership_share_max_0_100",
        "share_max",
        id="share-max-150",
    ),
    pytest.param(
        range_ownership_row,
        {"share_min": Decimal("60"), "share_max": Decimal("40")},
        "ownership_share_min_le_max",
        "share_min",
        id="share-min-above-max",
    ),
    pytest.param(
        ownership_row,
        {"end_date": datetime.date(2019, 12, 31)},
        "ownership_end_after_start",
        "end_date",
        id="ownership-end-before-start",
    ),
    pytest.param(
        ownership_row,
        {"interest": "friendship"},
        "ownership_interest_valid",
        "interest",
        id="ownership-interest",
    ),
    pytest.param(
        watchlist_row,
        {"category": "rival"},
        "watchlist_category_valid",
        "category",
        id="watchlist-category",
    ),
    pytest.param(
        watchlist_row, {"reason": ""}, "watchlist_reason_not_empty", "reason", id="watchlist-reason"
    ),
    pytest.param(vendor_row, {"tier": 7}, "vendor_tier_1_4", "tier", id="tier-7"),
    pytest.param(vendor_row, {"tier": 0}, "vendor_tier_1_4", "tier", id="tier-0"),
    pytest.param(vendor_row, {"risk_score": 101}, "vendor_score_0_100", None, id="vendor-score"),
    pytest.param(
        vendor_row, {"status": "closed"}, "vendor_status_valid", "status", id="vendor-status"
    ),
    pytest.param(
        vendor_row,
        {"data_access": "secret"},
        "vendor_data_access_valid",
        "data_access",
        id="vendor-data-access",
    ),
    pytest.param(
        vendor_row,
        {"risk_level": "extreme"},
        "vendor_risk_level_valid",
        None,
        id="vendor-risk-level",
    ),
    pytest.param(
        contract_row,
        {"value": Decimal("-0.01")},
        "contract_value_not_negative",
        "value",
        id="contract-value",
    ),
    pytest.param(
        contract_row,
        {"end_date": datetime.date(2023, 12, 31)},
        "contract_end_after_start",
        "end_date",
        id="contract-end-before-start",
    ),
    pytest.param(
        contract_row,
        {"currency": "usd"},
        "contract_currency_alpha3",
        "currency",
        id="currency-lower",
    ),
    pytest.param(
        contract_row,
        {"currency": "U$D"},
        "contract_currency_alpha3",
        "currency",
        id="currency-symbol",
    ),
    pytest.param(
        contract_row,
        {"change_of_control_clause": True, "coc_termination_window_days": None},
        "contract_coc_clause_has_window",
        "coc_termination_window_days",
        id="coc-clause-without-window",
    ),
    pytest.param(
        contract_row,
        {"data_classification": "top_secret"},
        "contract_classification_valid",
        "data_classification",
        id="contract-classification",
    ),
    pytest.param(
        event_row,
        {"counterparty": _same("beta")},
        "event_counterparty_not_subject",
        "counterparty",
        id="event-counterparty-is-subject",
    ),
    pytest.param(
        event_row, {"share": Decimal("150")}, "event_share_0_100", "share", id="event-share-150"
    ),
    pytest.param(
        event_row, {"share": Decimal("-1")}, "event_share_0_100", "share", id="event-share-neg"
    ),
    pytest.param(
        event_row,
        {"effective_date": datetime.date(1899, 12, 31)},
        "event_date_after_1900",
        "effective_date",
        id="event-date-1899",
    ),
    pytest.param(event_row, {"kind": "merger"}, "event_kind_valid", "kind", id="event-kind"),
    pytest.param(event_row, {"status": "done"}, "event_status_valid", None, id="event-status"),
    pytest.param(
        policy_row,
        {"medium_share": Decimal("0")},
        "policy_thresholds_ordered",
        "medium_share",
        id="policy-medium-zero",
    ),
    pytest.param(
        policy_row,
        {"medium_share": Decimal("30")},
        "policy_thresholds_ordered",
        "high_share",
        id="policy-medium-above-high",
    ),
    pytest.param(
        policy_row,
        {"high_share": Decimal("60")},
        "policy_thresholds_ordered",
        "high_share",
        id="policy-high-above-critical",
    ),
    pytest.param(
        policy_row,
        {"critical_share": Decimal("101")},
        "policy_thresholds_ordered",
        "critical_share",
        id="policy-critical-101",
    ),
    pytest.param(
        assessment_row, {"score": 101}, "assessment_score_0_100", None, id="assessment-score"
    ),
    pytest.param(
        assessment_row,
        {"level": "extreme"},
        "assessment_level_valid",
        "level",
        id="assessment-level",
    ),
    pytest.param(
        alert_row, {"dedup_key": ""}, "alert_dedup_key_not_empty", None, id="alert-dedup-key-empty"
    ),
    pytest.param(alert_row, {"kind": "gossip"}, "alert_kind_valid", "kind", id="alert-kind"),
    pytest.param(alert_row, {"status": "lost"}, "alert_status_valid", "status", id="alert-status"),
    pytest.param(
        alert_row, {"severity": "grave"}, "alert_severity_valid", "severity", id="alert-severity"
    ),
]


def _resolve(world: World, values: dict[str, Any]) -> dict[str, Any]:
    return {key: value(world) if callable(value) else value for key, value in values.items()}


def _write(write: str, model: type[models.Model], good: dict, bad: dict) -> None:
    """Write a row with ``bad`` values through one of the writes that skip ``clean()``."""
    if write == "create":
        model.objects.create(**{**good, **bad})
    elif write == "bulk_create":
        model.objects.bulk_create([model(**{**good, **bad})])
    else:
        row = model.objects.create(**good)
        model.objects.filter(pk=row.pk).update(**bad)


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize(("row", "bad", "constraint", "field"), CHECKS)
def test_check_constraint_refuses_bad_row_in_the_database(
    world, write, row, bad, constraint, field
):
    model, good = row(world)
    before = model.objects.count()
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        _write(write, model, good, _resolve(world, bad))
    # Both SQLite and PostgreSQL name the violated constraint in the error.
    assert constraint in str(refused.value)
    assert model.objects.count() == before


@pytest.mark.parametrize(("row", "bad", "constraint", "field"), CHECKS)
def test_full_clean_names_the_field_of_each_constrained_value(world, row, bad, constraint, field):
    model, good = row(world)
    with pytest.raises(ValidationError) as refused:
        model(**{**good, **_resolve(world, bad)}).full_clean()
    errors = refused.value.message_dict
    if field is None:
        assert errors == {NON_FIELD_ERRORS: [f"Constraint “{constraint}” is violated."]}
    else:
        assert set(errors) == {field}
        assert all(message and "Constraint" not in message for message in errors[field])


@pytest.mark.parametrize(("row", "bad", "constraint", "field"), CHECKS)
def test_good_row_passes_both_checks(world, row, bad, constraint, field):
    model, good = row(world)
    instance = model(**good)
    instance.full_clean()
    instance.save()
    assert model.objects.filter(pk=instance.pk).count() == 1


# (row, changes that make a second row valid on its own, values that keep it distinct until
# an update makes it clash, field full_clean() names)
UNIQUES = [
    pytest.param(
        lambda w: (Entity, {"name": "Delta", "kind": "company", "lei": VALID_LEI}),
        {"name": "Epsilon"},
        {"lei": ""},
        "lei",
        id="entity-lei",
    ),
    pytest.param(
        identifier_row, {"entity": _same("beta")}, {"value": "999999999"}, "value", id="identifier"
    ),
    pytest.param(
        watchlist_row, {"reason": "Also a rival."}, {"category": "other"}, "entity", id="watchlist"
    ),
    pytest.param(vendor_row, {"tier": 1}, {"entity": _same("beta")}, "entity", id="vendor-entity"),
    pytest.param(
        contract_row,
        {"title": "Renewal"},
        {"reference": "MSA-2024-002"},
        "reference",
        id="contract",
    ),
    pytest.param(policy_row, {"note": "Copy"}, {"version": 3}, "version", id="policy-version"),
    pytest.param(
        alert_row,
        {"title": "Same alert again"},
        {"dedup_key": "other-key"},
        "dedup_key",
        id="alert",
    ),
]


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize(("row", "twin", "distinct", "field"), UNIQUES)
def test_unique_constraint_refuses_a_second_row_in_the_database(
    world, write, row, twin, distinct, field
):
    model, good = row(world)
    model.objects.create(**good)
    before = model.objects.count()
    second = {**good, **_resolve(world, twin)}
    with pytest.raises(IntegrityError), transaction.atomic():
        if write == "create":
            model.objects.create(**second)
        elif write == "bulk_create":
            model.objects.bulk_create([model(**second)])
        else:
            other = model.objects.create(**{**second, **_resolve(world, distinct)})
            model.objects.filter(pk=other.pk).update(**{key: good[key] for key in distinct})
    assert model.objects.count() == before


@pytest.mark.parametrize(("row", "twin", "distinct", "field"), UNIQUES)
def test_full_clean_names_the_field_of_a_duplicate(world, row, twin, distinct, field):
    model, good = row(world)
    model.objects.create(**good)
    with pytest.raises(ValidationError) as refused:
        model(**{**good, **_resolve(world, twin)}).full_clean()
    errors = refused.value.message_dict
    assert field in errors
    assert NON_FIELD_ERRORS not in errors


def test_entities_without_lei_do_not_clash(world):
    Entity.objects.bulk_create([Entity(name="No LEI 1"), Entity(name="No LEI 2")])
    assert Entity.objects.filter(lei="").count() == 7
