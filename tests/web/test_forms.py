"""Create and edit forms of entities, vendors, contracts and ownerships: saved through the
services, refused at the field on bad input, saved once on a double submit."""

import datetime
import re
from decimal import Decimal

import pytest

from registry.models import Contract, Entity, Ownership, Vendor
from tests.factories import EntityFactory, OwnershipFactory, PersonFactory, VendorFactory

pytestmark = pytest.mark.django_db


def token_for(client, url: str) -> str:
    html = client.get(url).content.decode()
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def field_errors(response, field: str) -> str:
    html = response.content.decode()
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    assert found is not None, f"no error at {field}"
    return found.group(1)


def test_entity_is_created_with_its_identifiers(buyer_client):
    token = token_for(buyer_client, "/entities/new/")
    response = buyer_client.post(
        "/entities/new/",
        {
            "name": "  Northwind Data Ltd ",
            "kind": "company",
            "country": "gb",
            "identifiers": "GB-COH:00445790\nDUNS:123456789",
            "token": token,
        },
    )
    entity = Entity.objects.get(name="Northwind Data Ltd")
    assert response["Location"] == f"/entities/{entity.pk}/"
    assert entity.country == "GB"
    assert sorted(str(i) for i in entity.identifiers.all()) == [
        "DUNS:123456789",
        "GB-COH:00445790",
    ]


def test_double_submit_of_a_create_form_saves_once(buyer_client):
    token = token_for(buyer_client, "/entities/new/")
    body = {"name": "Once Only Ltd", "kind": "company", "token": token}
    first = buyer_client.post("/entities/new/", body)
    second = buyer_client.post("/entities/new/", body)
    assert Entity.objects.filter(name="Once Only Ltd").count() == 1
    assert first["Location"] == second["Location"]


def test_entity_bad_lei_country_and_identifier_are_refused_at_their_fields(buyer_client):
    token = token_for(buyer_client, "/entities/new/")
    response = buyer_client.post(
        "/entities/new/",
        {"name": "Bad Ltd", "kind": "company", "country": "XX", "token": token},
    )
    assert "is not an ISO 3166-1 alpha-2 country code" in field_errors(response, "country")
    response = buyer_client.post(
        "/entities/new/",
        {"name": "Bad Ltd", "kind": "company", "lei": "5493001KJTIIGC8Y1R13", "token": token},
    )
    assert "is not a valid LEI" in field_errors(response, "lei")
    response = buyer_client.post(
        "/entities/new/",
        {"name": "Bad Ltd", "kind": "company", "identifiers": "no-colon", "token": token},
    )
    assert "is not in the form SCHEME:ID" in field_errors(response, "identifiers")
    response = buyer_client.post(
        "/entities/new/", {"name": "Bad Ltd", "kind": "martian", "token": token}
    )
    assert "Select a valid choice" in field_errors(response, "kind")
    assert not Entity.objects.filter(name="Bad Ltd").exists()


def test_entity_edit_changes_the_name_and_replaces_identifiers(buyer_client):
    entity = EntityFactory(name="Old Name")
    response = buyer_client.post(
        f"/entities/{entity.pk}/edit/",
        {"name": "New Name", "kind": "company", "country": "US", "identifiers": "DUNS:1"},
    )
    assert response.status_code == 302
    entity.refresh_from_db()
    assert (entity.name, [str(i) for i in entity.identifiers.all()]) == ("New Name", ["DUNS:1"])


def test_vendor_is_created_for_an_entity_and_assessed(
    buyer_client, django_capture_on_commit_callbacks
):
    entity = EntityFactory(name="Acme Cloud")
    token = token_for(buyer_client, f"/vendors/new/?entity={entity.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        response = buyer_client.post(
            "/vendors/new/",
            {
                "entity": entity.pk,
                "category": "cloud",
                "status": "active",
                "tier": "1",
                "data_access": "restricted",
                "token": token,
            },
        )
    vendor = Vendor.objects.get(entity=entity)
    assert response["Location"] == f"/vendors/{vendor.pk}/"
    assert (vendor.tier, vendor.data_access, vendor.category) == (1, "restricted", "cloud")
    assert vendor.assessments.count() == 1


def test_vendor_form_shows_the_chosen_entity_without_listing_all_entities(buyer_client):
    EntityFactory.create_batch(30)
    entity = EntityFactory(name="Chosen One")
    html = buyer_client.get(f"/vendors/new/?entity={entity.pk}").content.decode()
    select = re.search(r'<select name="entity".*?</select>', html, re.S).group(0)
    assert select.count("<option") == 1
    assert f'value="{entity.pk}" selected>Chosen One' in select


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"entity": "999999"}, "entity", "Choose an existing entity"),
        ({"tier": "9"}, "tier", "Select a valid choice"),
        ({"data_access": "top_secret"}, "data_access", "Select a valid choice"),
        ({"business_owner": "999999"}, "business_owner", "Select a valid choice"),
    ],
)
def test_vendor_bad_input_is_refused_at_its_field(buyer_client, body, field, message):
    entity = EntityFactory()
    token = token_for(buyer_client, "/vendors/new/")
    data = {"entity": entity.pk, "status": "active", "tier": "2", "data_access": "none"}
    response = buyer_client.post("/vendors/new/", {**data, **body, "token": token})
    assert message in field_errors(response, field)
    assert Vendor.objects.count() == 0


def test_a_second_vendor_for_the_same_entity_is_refused_at_the_entity(buyer_client):
    vendor = VendorFactory()
    token = token_for(buyer_client, "/vendors/new/")
    response = buyer_client.post(
        "/vendors/new/",
        {
            "entity": vendor.entity.pk,
            "status": "active",
            "tier": "2",
            "data_access": "none",
            "token": token,
        },
    )
    assert "already exists" in field_errors(response, "entity")
    assert Vendor.objects.count() == 1


def test_vendor_edit_changes_tier_and_status(buyer_client):
    vendor = VendorFactory(tier=3)
    response = buyer_client.post(
        f"/vendors/{vendor.pk}/edit/",
        {"status": "suspended", "tier": "1", "data_access": "internal", "category": ""},
    )
    assert response["Location"] == f"/vendors/{vendor.pk}/"
    vendor.refresh_from_db()
    assert (vendor.status, vendor.tier, vendor.data_access) == ("suspended", 1, "internal")


def contract_body(**changes) -> dict:
    body = {
        "reference": "MSA-2025-01",
        "title": "Master services agreement",
        "value": "2500000.00",
        "currency": "eur",
        "start_date": "2025-01-01",
        "end_date": "2027-12-31",
        "data_classification": "confidential",
        "change_of_control_clause": "on",
        "coc_termination_window_days": "45",
    }
    body.update(changes)
    return body


def test_contract_is_created_on_its_vendor(buyer_client):
    vendor = VendorFactory()
    url = f"/vendors/{vendor.pk}/contracts/new/"
    response = buyer_client.post(url, {**contract_body(), "token": token_for(buyer_client, url)})
    contract = Contract.objects.get()
    assert response["Location"] == f"/contracts/{contract.pk}/"
    assert (contract.vendor, contract.value, contract.currency) == (
        vendor,
        Decimal("2500000.00"),
        "EUR",
    )
    assert contract.coc_termination_window_days == 45


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_date": "2024-12-31"}, "end_date", "The end date cannot be before the start date."),
        (
            {"coc_termination_window_days": ""},
            "coc_termination_window_days",
            "needs its termination window",
        ),
        ({"value": "-5"}, "value", "greater than or equal to 0"),
        ({"currency": "ABC"}, "currency", "is not an ISO 4217 currency code"),
        ({"data_classification": "cosmic"}, "data_classification", "Select a valid choice"),
    ],
)
def test_contract_bad_input_is_refused_at_its_field(buyer_client, changes, field, message):
    vendor = VendorFactory()
    url = f"/vendors/{vendor.pk}/contracts/new/"
    token = token_for(buyer_client, url)
    response = buyer_client.post(url, {**contract_body(**changes), "token": token})
    assert message in field_errors(response, field)
    assert Contract.objects.count() == 0


def test_contract_with_a_reference_already_used_is_refused_at_the_reference(buyer_client):
    vendor = VendorFactory()
    url = f"/vendors/{vendor.pk}/contracts/new/"
    buyer_client.post(url, {**contract_body(), "token": token_for(buyer_client, url)})
    response = buyer_client.post(url, {**contract_body(), "token": token_for(buyer_client, url)})
    assert "already exists" in field_errors(response, "reference")
    assert Contract.objects.count() == 1


def test_contract_for_a_vendor_that_does_not_exist_is_not_found(buyer_client):
    assert buyer_client.get("/vendors/999999/contracts/new/").status_code == 404


def test_contract_edit_changes_the_value(buyer_client):
    vendor = VendorFactory()
    url = f"/vendors/{vendor.pk}/contracts/new/"
    buyer_client.post(url, {**contract_body(), "token": token_for(buyer_client, url)})
    contract = Contract.objects.get()
    response = buyer_client.post(f"/contracts/{contract.pk}/edit/", contract_body(value="3000000"))
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.value == Decimal("3000000.00")


def ownership_body(owner, owned, **changes) -> dict:
    body = {
        "owner": owner.pk,
        "owned": owned.pk,
        "interest": "shareholding",
        "share": "30",
        "start_date": "2024-01-01",
    }
    body.update(changes)
    return body


def test_ownership_is_set_and_shown_on_the_owned_entity(buyer_client):
    owner, owned = EntityFactory(name="Holder"), EntityFactory(name="Held")
    token = token_for(buyer_client, "/ownerships/new/")
    response = buyer_client.post(
        "/ownerships/new/", {**ownership_body(owner, owned), "token": token}
    )
    assert response["Location"] == f"/entities/{owned.pk}/"
    edge = Ownership.objects.get()
    assert (edge.owner, edge.owned, edge.share) == (owner, owned, Decimal("30"))
    assert "Holder" in buyer_client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"share": "150"}, "share", "Ensure this value is less than or equal to 100."),
        ({"end_date": "2023-01-01"}, "end_date", "The end date cannot be before the start date."),
        ({"owned": "OWNER"}, "owned", "An entity cannot own itself."),
        ({"owner": "424242"}, "owner", "Choose an existing entity"),
        ({"interest": "friendship"}, "interest", "Select a valid choice"),
        ({"share": ""}, "share", "A shareholding needs a share in percent"),
        ({"share_min": "40", "share_max": "20", "share": ""}, "share_min", "cannot be above"),
    ],
)
def test_ownership_bad_input_is_refused_at_its_field(buyer_client, changes, field, message):
    owner, owned = EntityFactory(), EntityFactory()
    changes = {k: owner.pk if v == "OWNER" else v for k, v in changes.items()}
    token = token_for(buyer_client, "/ownerships/new/")
    body = {**ownership_body(owner, owned), **changes, "token": token}
    response = buyer_client.post("/ownerships/new/", body)
    assert message in field_errors(response, field)
    assert Ownership.objects.count() == 0


def test_ownership_above_100_percent_names_the_current_holders(buyer_client):
    owned = EntityFactory(name="Target")
    OwnershipFactory(owner=EntityFactory(name="Big Holder"), owned=owned, share=Decimal("80"))
    token = token_for(buyer_client, "/ownerships/new/")
    response = buyer_client.post(
        "/ownerships/new/", {**ownership_body(EntityFactory(), owned), "token": token}
    )
    errors = field_errors(response, "share")
    assert "above 100%" in errors and "Big Holder 80%" in errors
    assert Ownership.objects.count() == 1


def test_ownership_edit_ends_the_old_edge_and_keeps_it(buyer_client):
    edge = OwnershipFactory(share=Decimal("10"), start_date=datetime.date(2020, 1, 1))
    response = buyer_client.post(
        f"/ownerships/{edge.pk}/edit/", {"share": "25", "start_date": "2024-06-01"}
    )
    assert response.status_code == 302
    edges = list(Ownership.objects.order_by("start_date").values_list("share", "end_date"))
    assert edges == [
        (Decimal("10.0000"), datetime.date(2024, 5, 31)),
        (Decimal("25.0000"), None),
    ]


def test_person_cannot_be_owned(buyer_client):
    token = token_for(buyer_client, "/ownerships/new/")
    response = buyer_client.post(
        "/ownerships/new/", {**ownership_body(EntityFactory(), PersonFactory()), "token": token}
    )
    assert "A person cannot be owned." in field_errors(response, "owned")


def test_pickers_search_without_javascript_on_vendor_and_ownership_forms(buyer_client):
    wanted = EntityFactory(name="Zephyr Analytics")
    EntityFactory(name="Unrelated Co")
    token = token_for(buyer_client, "/vendors/new/")
    html = buyer_client.post(
        "/vendors/new/", {"entity_q": "zephyr", "_find": "entity", "token": token}
    ).content.decode()
    select = re.search(r'<select name="entity".*?</select>', html, re.S).group(0)
    assert re.findall(r">([^<]+)</option>", select) == [f"Zephyr Analytics (US · #{wanted.pk})"]
    assert f'value="{wanted.pk}" selected' in select
    assert "errorlist" not in html and f'value="{token}"' in html
    html = buyer_client.post(
        "/ownerships/new/", {"owner_q": "zephyr", "_find": "owner", "start_date": "2024-01-01"}
    ).content.decode()
    assert f'<option value="{wanted.pk}" selected>Zephyr Analytics' in html
    assert 'value="2024-01-01"' in html
    assert Vendor.objects.count() == 0 and Ownership.objects.count() == 0
