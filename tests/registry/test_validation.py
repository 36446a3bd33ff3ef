"""Every invalid value sent through the services is refused with a message on the field at
fault, and nothing at all is written (issues 2 and 3, "Bad input")."""

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from registry import services
from registry.choices import EventKind
from registry.models import Contract, Entity, Vendor
from tests.factories import (
    ContractFactory,
    EntityFactory,
    OwnershipFactory,
    PersonFactory,
    VendorFactory,
    WatchlistEntryFactory,
)

VALID_LEI = "5493001KJTIIGC8Y1R12"
WRONG_CHECK_DIGIT_LEI = "5493001KJTIIGC8Y1R13"
START = datetime.date(2020, 1, 1)
DEAL = datetime.date(2025, 6, 13)
DECADES_AHEAD = datetime.date(2090, 1, 1)


def _row_counts() -> dict[str, int]:
    """Rows in every registry table, audit history and outbox included."""
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_app_config("registry").get_models()
    }


def refused(call: Callable[[], object], field: str) -> list[str]:
    """Run ``call``; check it is refused on ``field`` and wrote nothing. Return the messages."""
    before = _row_counts()
    with pytest.raises(ValidationError) as error:
        call()
    messages = error.value.message_dict
    assert field in messages, messages
    assert all(len(message) > 10 for message in messages[field])
    assert _row_counts() == before
    return messages[field]


@pytest.fixture
def acme(db) -> Entity:
    return EntityFactory(name="Acme Holdings")


@pytest.fixture
def beta(db) -> Entity:
    return EntityFactory(name="Beta Labs")


@pytest.fixture
def person(db) -> Entity:
    return PersonFactory(name="Pat Example")


# --- Entities -------------------------------------------------------------------------------


def test_valid_lei_is_accepted(db):
    entity = services.entity_create(name="Valid LEI Co", lei=VALID_LEI, country="US")
    assert Entity.objects.get(lei=VALID_LEI) == entity


@pytest.mark.parametrize(
    ("values", "field", "fragment"),
    [
        pytest.param({"lei": WRONG_CHECK_DIGIT_LEI}, "lei", "check digit", id="lei-check-digit"),
        pytest.param({"lei": "5493001KJTIIGC8Y1R"}, "lei", "not a valid LEI", id="lei-short"),
        pytest.param({"lei": VALID_LEI.lower()}, "lei", VALID_LEI, id="lei-lower-case"),
        pytest.param({"country": "ZZ"}, "country", "ISO 3166-1", id="country-unknown"),
        pytest.param({"country": "us"}, "country", "ISO 3166-1", id="country-lower-case"),
        pytest.param({"kind": "robot"}, "kind", "not a valid choice", id="kind-unknown"),
        pytest.param({"name": "   "}, "name", "cannot be blank", id="name-blank"),
    ],
)
def test_entity_create_refuses_bad_value_naming_the_field(db, values, field, fragment):
    call = lambda: services.entity_create(**{"name": "Gamma Corp", **values})  # noqa: E731
    assert any(fragment in message for message in refused(call, field))


def test_entity_create_refuses_an_lei_already_held_naming_the_holder(acme):
    services.entity_update(entity=acme, lei=VALID_LEI)
    messages = refused(lambda: services.entity_create(name="Copycat", lei=VALID_LEI), "lei")
    assert messages == [f"LEI {VALID_LEI} already identifies Acme Holdings."]


def test_entity_update_refuses_unknown_country_and_keeps_the_stored_one(acme):
    refused(lambda: services.entity_update(entity=acme, country="XX"), "country")
    acme.refresh_from_db()
    assert acme.country == "US"


def test_entity_update_refuses_bad_lei_without_touching_identifiers(acme):
    services.entity_update(entity=acme, identifiers=[("DUNS", "150483782")])
    call = lambda: services.entity_update(  # noqa: E731
        entity=acme, lei=WRONG_CHECK_DIGIT_LEI, identifiers=[("GB-COH", "123")]
    )
    refused(call, "lei")
    assert list(acme.identifiers.values_list("scheme", "value")) == [("DUNS", "150483782")]


# --- Ownership --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "fragment"),
    [
        pytest.param({"share": Decimal("150")}, "share", "0 to 100", id="share-150"),
        pytest.param({"share": Decimal("-1")}, "share", "0 to 100", id="share-minus-1"),
        pytest.param(
            {"share": None, "share_min": Decimal("60"), "share_max": Decimal("40")},
            "share_min",
            "minimum share cannot be above the maximum",
            id="min-above-max",
        ),
        pytest.param(
            {"share": None, "share_min": Decimal("-5"), "share_max": Decimal("40")},
            "share_min",
            "0 to 100",
            id="min-negative",
        ),
        pytest.param(
            {"share": None, "share_min": Decimal("25"), "share_max": Decimal("101")},
            "share_max",
            "0 to 100",
            id="max-101",
        ),
        pytest.param(
            {"share": Decimal("30"), "share_min": Decimal("25"), "share_max": Decimal("50")},
            "share",
            "not both",
            id="exact-and-range",
        ),
        pytest.param({"share": None}, "share", "needs a share", id="shareholding-without-share"),
        pytest.param(
            {"end_date": datetime.date(2019, 12, 31)},
            "end_date",
            "before the start date",
            id="end-before-start",
        ),
        pytest.param(
            {"start_date": datetime.date(1899, 12, 31)},
            "start_date",
            "before 1900",
            id="start-1899",
        ),
        pytest.param(
            {"start_date": DECADES_AHEAD}, "start_date", "years ahead", id="start-decades-ahead"
        ),
        pytest.param({"interest": "friendship"}, "interest", "not a valid choice", id="interest"),
    ],
)
def test_ownership_set_refuses_bad_value_naming_the_field(acme, beta, values, field, fragment):
    kwargs = {"owner": acme, "owned": beta, "share": Decimal("40"), "start_date": START}
    messages = refused(lambda: services.ownership_set(**{**kwargs, **values}), field)
    assert any(fragment in message for message in messages), messages


def test_ownership_set_refuses_self_ownership_on_owned(acme):
    call = lambda: services.ownership_set(  # noqa: E731
        owner=acme, owned=acme, share=Decimal("10"), start_date=START
    )
    assert refused(call, "owned") == ["An entity cannot own itself."]


def test_ownership_set_refuses_a_person_as_the_owned_entity(acme, person):
    call = lambda: services.ownership_set(  # noqa: E731
        owner=acme, owned=person, share=Decimal("10"), start_date=START
    )
    assert refused(call, "owned") == ["A person cannot be owned."]


def test_ownership_set_refusal_keeps_the_edge_it_would_have_ended(acme, beta):
    edge = OwnershipFactory(owner=acme, owned=beta, share=Decimal("40"), start_date=START)
    call = lambda: services.ownership_set(  # noqa: E731
        owner=acme, owned=beta, share=Decimal("150"), start_date=datetime.date(2024, 1, 1)
    )
    refused(call, "share")
    edge.refresh_from_db()
    assert (edge.share, edge.end_date) == (Decimal("40"), None)


def test_ownership_end_refuses_an_end_date_decades_ahead(acme, beta):
    edge = OwnershipFactory(owner=acme, owned=beta, start_date=START)
    refused(lambda: services.ownership_end(ownership=edge, end_date=DECADES_AHEAD), "end_date")
    edge.refresh_from_db()
    assert edge.end_date is None


# --- Vendors and contracts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "fragment"),
    [
        pytest.param({"tier": 7}, "tier", "less than or equal to 4", id="tier-7"),
        pytest.param({"tier": 0}, "tier", "greater than or equal to 1", id="tier-0"),
        pytest.param({"data_access": "secret"}, "data_access", "valid choice", id="data-access"),
        pytest.param({"status": "closed"}, "status", "valid choice", id="status"),
        pytest.param({"category": "catering"}, "category", "valid choice", id="category"),
    ],
)
def test_vendor_create_refuses_bad_value_naming_the_field(acme, values, field, fragment):
    messages = refused(lambda: services.vendor_create(entity=acme, **values), field)
    assert any(fragment in message for message in messages)


def test_vendor_create_refuses_an_entity_that_is_already_a_vendor(acme):
    VendorFactory(entity=acme)
    refused(lambda: services.vendor_create(entity=acme, tier=1), "entity")
    assert Vendor.objects.filter(entity=acme).count() == 1


def test_vendor_update_refuses_tier_7_and_keeps_the_stored_tier(acme):
    vendor = VendorFactory(entity=acme, tier=2)
    refused(lambda: services.vendor_update(vendor=vendor, tier=7), "tier")
    assert Vendor.objects.get(pk=vendor.pk).tier == 2


CONTRACT = {
    "reference": "MSA-2025-007",
    "title": "Master services agreement",
    "value": Decimal("250000.00"),
    "currency": "EUR",
    "start_date": datetime.date(2025, 1, 1),
}


@pytest.mark.parametrize(
    ("values", "field", "fragment"),
    [
        pytest.param({"currency": "ABC"}, "currency", "ISO 4217", id="currency-unknown"),
        pytest.param({"currency": "eur"}, "currency", "ISO 4217", id="currency-lower-case"),
        pytest.param(
            {"value": Decimal("-1.00")}, "value", "greater than or equal to 0", id="value"
        ),
        pytest.param(
            {"end_date": datetime.date(2024, 12, 31)},
            "end_date",
            "before the start date",
            id="end-before-start",
        ),
        pytest.param(
            {"change_of_control_clause": True},
            "coc_termination_window_days",
            "termination window",
            id="coc-clause-without-window",
        ),
        pytest.param(
            {"change_of_control_clause": True, "coc_termination_window_days": 4000},
            "coc_termination_window_days",
            "3650",
            id="coc-window-too-long",
        ),
        pytest.param(
            {"data_classification": "top_secret"},
            "data_classification",
            "valid choice",
            id="classification",
        ),
    ],
)
def test_contract_create_refuses_bad_value_naming_the_field(acme, values, field, fragment):
    vendor = VendorFactory(entity=acme)
    call = lambda: services.contract_create(vendor=vendor, **{**CONTRACT, **values})  # noqa: E731
    assert any(fragment in message for message in refused(call, field))


def test_contract_create_refuses_a_reference_already_used(acme):
    existing = ContractFactory(reference=CONTRACT["reference"])
    vendor = VendorFactory(entity=acme)
    refused(lambda: services.contract_create(vendor=vendor, **CONTRACT), "reference")
    assert list(Contract.objects.values_list("pk", flat=True)) == [existing.pk]


def test_contract_update_refuses_end_before_start_and_keeps_the_stored_dates(acme):
    contract = ContractFactory(
        vendor=VendorFactory(entity=acme), end_date=datetime.date(2026, 1, 1)
    )
    call = lambda: services.contract_update(  # noqa: E731
        contract=contract, end_date=datetime.date(2023, 1, 1)
    )
    refused(call, "end_date")
    contract.refresh_from_db()
    assert (contract.start_date, contract.end_date) == (
        datetime.date(2024, 1, 1),
        datetime.date(2026, 1, 1),
    )


# --- Watchlist --------------------------------------------------------------------------------


def test_watchlist_entry_create_refuses_unknown_category(acme):
    call = lambda: services.watchlist_entry_create(  # noqa: E731
        entity=acme, category="rival", reason="Competes."
    )
    refused(call, "category")


def test_watchlist_entry_create_refuses_a_blank_reason(acme):
    call = lambda: services.watchlist_entry_create(  # noqa: E731
        entity=acme, category="sanctioned", reason="   "
    )
    refused(call, "reason")


def test_watchlist_entry_create_refuses_the_same_entity_twice_in_one_category(acme):
    WatchlistEntryFactory(entity=acme, category="competitor")
    call = lambda: services.watchlist_entry_create(  # noqa: E731
        entity=acme, category="competitor", reason="Again."
    )
    assert refused(call, "entity") == ["Acme Holdings is already on the watchlist as competitor."]


# --- Ownership events -------------------------------------------------------------------------


def _log(**values):
    return lambda: services.ownership_event_log(**values)


def test_event_whose_counterparty_is_its_subject_is_refused(acme):
    call = _log(kind="acquisition", subject=acme, counterparty=acme, share=50, effective_date=DEAL)
    assert refused(call, "counterparty") == ["The counterparty cannot be the subject itself."]


@pytest.mark.parametrize("share", [Decimal("150"), Decimal("-1"), Decimal("100.0001")])
def test_event_share_outside_0_to_100_is_refused(acme, beta, share):
    call = _log(
        kind="acquisition", subject=beta, counterparty=acme, share=share, effective_date=DEAL
    )
    assert refused(call, "share") == [
        f"{share}% is not a share: a share runs from 0 to 100 percent."
    ]


def test_event_person_who_is_not_a_person_is_refused(acme, beta):
    other_company = EntityFactory(name="Gamma Corp")
    call = _log(
        kind=EventKind.EXECUTIVE_MOVE,
        subject=beta,
        counterparty=acme,
        person=other_company,
        effective_date=DEAL,
    )
    assert refused(call, "person") == ["The person must be an entity of kind “person”."]


@pytest.mark.parametrize(
    ("effective_date", "fragment"),
    [(datetime.date(1899, 12, 31), "before 1900"), (DECADES_AHEAD, "10 years ahead")],
)
def test_event_effective_date_before_1900_or_decades_ahead_is_refused(
    acme, beta, effective_date, fragment
):
    call = _log(
        kind="acquisition", subject=beta, counterparty=acme, share=30, effective_date=effective_date
    )
    assert any(fragment in message for message in refused(call, "effective_date"))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        pytest.param({"kind": "acquisition", "share": 30}, "counterparty", id="no-counterparty"),
        pytest.param({"kind": "stake_change", "counterparty": "acme"}, "share", id="no-share"),
        pytest.param(
            {"kind": "executive_move", "counterparty": "acme"}, "person", id="move-without-person"
        ),
        pytest.param({"kind": "board_appointment"}, "person", id="appointment-without-anyone"),
        pytest.param({"kind": "merger"}, "kind", id="unknown-kind"),
        pytest.param(
            {"kind": "other", "announced_date": datetime.date(1899, 1, 1)},
            "announced_date",
            id="announced-1899",
        ),
        pytest.param({"kind": "other", "source_url": "not a url"}, "source_url", id="source-url"),
        pytest.param(
            {"kind": "acquisition", "counterparty": "acme", "subject": "person", "share": 10},
            "subject",
            id="person-acquired",
        ),
        pytest.param(
            {"kind": "board_appointment", "person": "person", "subject": "person"},
            "person",
            id="person-on-own-board",
        ),
    ],
)
def test_event_missing_or_bad_field_is_refused_naming_it(acme, beta, person, values, field):
    parties = {"acme": acme, "beta": beta, "person": person}
    kwargs = {"subject": beta, "effective_date": DEAL}
    kwargs.update({key: parties.get(value, value) for key, value in values.items()})
    refused(_log(**kwargs), field)
