"""Entity, vendor, contract and watchlist services: what they write, what they refuse, the
rechecks they ask for, and the audit history that records who did it."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from registry import services
from registry.choices import DataAccess, RecheckReason
from registry.models import (
    Contract,
    Entity,
    EntityIdentifier,
    RecheckRequest,
    Vendor,
    WatchlistEntry,
)
from tests.factories import ContractFactory, EntityFactory, VendorFactory

VALID_LEI = "5493001KJTIIGC8Y1R12"


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_app_config("registry").get_models()
    }


def _identifiers(entity: Entity) -> list[tuple[str, str]]:
    return sorted(entity.identifiers.values_list("scheme", "value"))


# --- Entities ---------------------------------------------------------------------------------


def test_entity_create_stores_the_entity_with_its_identifiers(buyer):
    entity = services.entity_create(
        name="  Scale AI  ",
        country="US",
        lei=VALID_LEI,
        identifiers=[("US-EIN", "46-1234567"), (" DUNS ", " 150483782 ")],
        actor=buyer,
    )
    entity.refresh_from_db()
    assert (entity.name, entity.kind, entity.country, entity.lei) == (
        "Scale AI",
        "company",
        "US",
        VALID_LEI,
    )
    assert _identifiers(entity) == [("DUNS", "150483782"), ("US-EIN", "46-1234567")]
    assert entity.history.first().history_user == buyer
    assert {i.history.first().history_user for i in entity.identifiers.all()} == {buyer}


def test_identifier_already_used_by_another_entity_is_refused_naming_identifiers(db):
    services.entity_create(name="Acme Holdings", identifiers=[("GB-COH", "01234567")])
    before = _row_counts()
    with pytest.raises(ValidationError) as refused:
        services.entity_create(name="Copycat Ltd", identifiers=[("GB-COH", "01234567")])
    assert refused.value.message_dict == {
        "identifiers": ["GB-COH:01234567 already identifies Acme Holdings."]
    }
    assert _row_counts() == before
    assert not Entity.objects.filter(name="Copycat Ltd").exists()


@pytest.mark.parametrize(
    ("identifier", "fragment"),
    [
        pytest.param(("", "123"), "needs a scheme and an id", id="no-scheme"),
        pytest.param(("DUNS", "  "), "needs a scheme and an id", id="no-id"),
        pytest.param(("S" * 33, "123"), "at most 32 characters", id="scheme-too-long"),
    ],
)
def test_malformed_identifier_is_refused_naming_identifiers(db, identifier, fragment):
    before = _row_counts()
    with pytest.raises(ValidationError) as refused:
        services.entity_create(name="Gamma Corp", identifiers=[identifier])
    (message,) = refused.value.message_dict["identifiers"]
    assert fragment in message
    assert _row_counts() == before


def test_entity_update_replaces_the_whole_identifier_set(buyer):
    entity = services.entity_create(
        name="Acme Holdings", identifiers=[("DUNS", "150483782"), ("GB-COH", "01234567")]
    )
    kept = entity.identifiers.get(scheme="DUNS")
    dropped_pk = entity.identifiers.get(scheme="GB-COH").pk
    services.entity_update(
        entity=entity, identifiers=[("DUNS", "150483782"), ("US-EIN", "46-1234567")], actor=buyer
    )
    assert _identifiers(entity) == [("DUNS", "150483782"), ("US-EIN", "46-1234567")]
    assert entity.identifiers.get(scheme="DUNS").pk == kept.pk
    dropped = EntityIdentifier.history.get(id=dropped_pk, history_type="-")
    assert (dropped.value, dropped.history_user) == ("01234567", buyer)


def test_entity_update_without_identifiers_keeps_them_and_an_empty_list_clears_them(db):
    entity = services.entity_create(name="Acme Holdings", identifiers=[("DUNS", "150483782")])
    services.entity_update(entity=entity, name="Acme Holdings plc")
    assert _identifiers(entity) == [("DUNS", "150483782")]
    services.entity_update(entity=entity, identifiers=[])
    assert _identifiers(entity) == []


def test_entity_update_changes_fields_and_records_the_actor(buyer, analyst):
    entity = services.entity_create(name="Acme", country="US", actor=buyer)
    services.entity_update(entity=entity, name=" Acme Holdings ", country="GB", actor=analyst)
    entity.refresh_from_db()
    assert (entity.name, entity.country) == ("Acme Holdings", "GB")
    latest, first = entity.history.all()[:2]
    assert (latest.history_user, latest.country, first.history_user, first.country) == (
        analyst,
        "GB",
        buyer,
        "US",
    )


def test_entity_update_with_nothing_changed_writes_no_history(db):
    entity = services.entity_create(name="Acme", country="US")
    services.entity_update(entity=entity, name="Acme", country="US")
    assert entity.history.count() == 1


# --- Vendors ----------------------------------------------------------------------------------


def test_vendor_create_registers_the_entity_and_asks_for_its_first_assessment(buyer):
    entity = EntityFactory(name="Scale AI")
    vendor = services.vendor_create(
        entity=entity,
        category="data_labelling",
        tier=1,
        data_access=DataAccess.RESTRICTED,
        business_owner=buyer,
        actor=buyer,
    )
    vendor.refresh_from_db()
    assert (vendor.name, vendor.category, vendor.tier, vendor.data_access, vendor.status) == (
        "Scale AI",
        "data_labelling",
        1,
        "restricted",
        "active",
    )
    assert (vendor.risk_level, vendor.risk_score) == ("low", 0)
    request = RecheckRequest.objects.get()
    assert (request.reason, request.entity_ids, request.requested_by) == (
        RecheckReason.VENDOR_ADDED,
        [entity.pk],
        buyer,
    )
    assert vendor.history.first().history_user == buyer


def test_vendor_update_of_data_access_asks_for_a_recheck(buyer):
    vendor = VendorFactory(data_access=DataAccess.INTERNAL)
    services.vendor_update(vendor=vendor, data_access=DataAccess.RESTRICTED, actor=buyer)
    assert Vendor.objects.get(pk=vendor.pk).data_access == DataAccess.RESTRICTED
    assert list(RecheckRequest.objects.values_list("reason", "entity_ids")) == [
        (RecheckReason.MANUAL, [vendor.entity_id])
    ]
    assert vendor.history.first().history_user == buyer


def test_vendor_update_of_tier_needs_no_recheck(buyer):
    vendor = VendorFactory(tier=3)
    services.vendor_update(vendor=vendor, tier=1, actor=buyer)
    assert Vendor.objects.get(pk=vendor.pk).tier == 1
    assert RecheckRequest.objects.count() == 0


# --- Contracts --------------------------------------------------------------------------------


def test_contract_create_with_a_change_of_control_clause_and_its_window(buyer):
    vendor = VendorFactory()
    contract = services.contract_create(
        vendor=vendor,
        reference="SCALE-2024-001",
        title="Data labelling services",
        value=Decimal("12000000.00"),
        currency="USD",
        start_date=datetime.date(2024, 1, 1),
        change_of_control_clause=True,
        coc_termination_window_days=30,
        data_classification=DataAccess.RESTRICTED,
        owner=buyer,
        actor=buyer,
    )
    contract.refresh_from_db()
    assert (
        contract.value,
        contract.currency,
        contract.change_of_control_clause,
        contract.coc_termination_window_days,
    ) == (Decimal("12000000.00"), "USD", True, 30)
    assert contract.history.first().history_user == buyer


def test_contract_with_a_coc_clause_but_no_window_is_refused(db):
    vendor = VendorFactory()
    before = _row_counts()
    with pytest.raises(ValidationError) as refused:
        services.contract_create(
            vendor=vendor,
            reference="NO-WINDOW-1",
            title="Hosting",
            value=Decimal("5000.00"),
            currency="EUR",
            start_date=datetime.date(2024, 1, 1),
            change_of_control_clause=True,
        )
    assert refused.value.message_dict == {
        "coc_termination_window_days": [
            "A contract with a change-of-control clause needs its termination window in days."
        ]
    }
    assert _row_counts() == before


def test_contract_update_adding_a_coc_clause_needs_the_window(buyer):
    contract = ContractFactory()
    with pytest.raises(ValidationError) as refused:
        services.contract_update(contract=contract, change_of_control_clause=True, actor=buyer)
    assert list(refused.value.message_dict) == ["coc_termination_window_days"]
    assert Contract.objects.get(pk=contract.pk).change_of_control_clause is False
    services.contract_update(
        contract=Contract.objects.get(pk=contract.pk),
        change_of_control_clause=True,
        coc_termination_window_days=45,
        value=Decimal("150000.00"),
        actor=buyer,
    )
    stored = Contract.objects.get(pk=contract.pk)
    assert (stored.change_of_control_clause, stored.coc_termination_window_days, stored.value) == (
        True,
        45,
        Decimal("150000.00"),
    )
    assert stored.history.first().history_user == buyer
    assert stored.history.count() == 2


# --- Watchlist --------------------------------------------------------------------------------


def test_watchlist_entry_create_lists_the_entity_and_rechecks_around_it(analyst):
    meta = EntityFactory(name="Meta Platforms")
    entry = services.watchlist_entry_create(
        entity=meta, category="competitor", reason="  Competes with us in AI.  ", actor=analyst
    )
    assert (entry.category, entry.reason) == ("competitor", "Competes with us in AI.")
    assert list(RecheckRequest.objects.values_list("reason", "entity_ids")) == [
        (RecheckReason.WATCHLIST_CHANGED, [meta.pk])
    ]
    assert entry.history.first().history_user == analyst


def test_watchlist_entry_moved_to_another_entity_rechecks_around_both(analyst):
    old, new = EntityFactory(name="Old Rival"), EntityFactory(name="New Rival")
    entry = services.watchlist_entry_create(entity=old, category="competitor", reason="Rival.")
    services.watchlist_entry_update(entry=entry, entity=new, actor=analyst)
    latest = RecheckRequest.objects.order_by("-id").first()
    assert latest.entity_ids == sorted([old.pk, new.pk])
    assert WatchlistEntry.objects.get(pk=entry.pk).entity == new


def test_watchlist_entry_delete_keeps_it_in_the_audit_history(analyst):
    meta = EntityFactory(name="Meta Platforms")
    entry = services.watchlist_entry_create(entity=meta, category="competitor", reason="Rival.")
    entry_pk = entry.pk
    services.watchlist_entry_delete(entry=entry, actor=analyst)
    assert WatchlistEntry.objects.count() == 0
    deleted = WatchlistEntry.history.get(id=entry_pk, history_type="-")
    assert (deleted.entity_id, deleted.category, deleted.history_user) == (
        meta.pk,
        "competitor",
        analyst,
    )
    assert RecheckRequest.objects.order_by("-id").first().entity_ids == [meta.pk]


@pytest.mark.django_db
def test_identifier_schemes_are_one_whatever_their_case():
    first = services.entity_create(name="First", identifiers=[("duns", "123456789")])
    assert [(i.scheme, i.value) for i in first.identifiers.all()] == [("DUNS", "123456789")]
    with pytest.raises(ValidationError) as refused:
        services.entity_create(name="Second", identifiers=[("Duns", "123456789")])
    assert "already identifies First" in refused.value.message_dict["identifiers"][0]


@pytest.mark.django_db
def test_identifier_scheme_with_a_colon_is_refused():
    with pytest.raises(ValidationError) as refused:
        services.entity_create(name="Odd", identifiers=[("A:B", "1")])
    assert "cannot contain" in refused.value.message_dict["identifiers"][0]


@pytest.mark.django_db
def test_person_with_seats_cannot_become_a_company():
    person = services.entity_create(name="Board Member", kind="person")
    company = services.entity_create(name="Board Co")
    services.ownership_set(
        owner=person,
        owned=company,
        interest="board_member",
        start_date=datetime.date(2020, 1, 1),
    )
    with pytest.raises(ValidationError) as refused:
        services.entity_update(entity=person, kind="company")
    assert "cannot stop being a person" in refused.value.message_dict["kind"][0]
    person.refresh_from_db()
    assert person.kind == "person"
    # Without edges or events, the kind is free to change.
    loner = services.entity_create(name="Loner", kind="person")
    assert services.entity_update(entity=loner, kind="company").kind == "company"
