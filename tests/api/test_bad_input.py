"""Bad input of every kind is a 4xx naming the field, never a 500, and nothing is half-written."""

import pytest

from registry.models import Contract, Entity, Ownership, OwnershipEvent, Vendor
from tests.factories import EntityFactory, PersonFactory

pytestmark = pytest.mark.django_db

NUL = "Null characters are not allowed."


def _post(client, resource: str, body, **kwargs):
    return client.post(f"/api/v1/{resource}/", body, format="json", **kwargs)


def test_malformed_json_is_400(buyer_client):
    response = buyer_client.post(
        "/api/v1/entities/", '{"name": "Acme",', content_type="application/json"
    )

    assert response.status_code == 400
    (message,) = response.json()["non_field_errors"]
    assert message.startswith("JSON parse error")


def test_json_that_is_not_an_object_is_400(buyer_client):
    response = buyer_client.post("/api/v1/entities/", "[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e400"])
def test_non_finite_numbers_in_json_are_refused(buyer_client, registry, number):
    response = buyer_client.post(
        "/api/v1/contracts/",
        f'{{"vendor": {registry["scale_vendor"].pk}, "reference": "R", "title": "T", '
        f'"value": {number}, "start_date": "2025-01-01"}}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert not Contract.objects.filter(reference="R").exists()


@pytest.mark.parametrize(
    ("resource", "body", "field", "message"),
    [
        ("entities", {"name": "x" * 5000}, "name", "no more than 255 characters"),
        ("entities", {"name": "Acme\x00Corp"}, "name", NUL),
        ("entities", {"name": {"nested": 1}}, "name", "Not a valid string."),
        ("entities", {"name": ""}, "name", "may not be blank"),
        ("entities", {}, "name", "This field is required."),
        ("entities", {"name": "A", "kind": "alien"}, "kind", '"alien" is not a valid choice.'),
        ("entities", {"name": "A", "country": "XX"}, "country", "ISO 3166-1 alpha-2"),
        ("entities", {"name": "A", "lei": "BQ4BKCS1HXDV9HN80Z94"}, "lei", "not a valid LEI"),
        ("entities", {"name": "A", "identifiers": "DUNS:1"}, "identifiers", "Expected a list"),
        ("watchlist", {"entity": 1, "category": "friend", "reason": "r"}, "category", "valid"),
        ("vendors", {"entity": 999999}, "entity", 'Invalid pk "999999" - object does not exist.'),
        ("vendors", {"entity": "abc"}, "entity", "Incorrect type"),
        ("vendors", {"entity": True}, "entity", "Incorrect type"),
        ("vendors", {"entity": 10**30}, "entity", "Invalid pk"),
        ("ownership-events", {"kind": "merger"}, "kind", '"merger" is not a valid choice.'),
        (
            "ownership-events",
            {"kind": "acquisition", "subject": 1, "effective_date": "2025-02-30"},
            "effective_date",
            "Date has wrong format",
        ),
        (
            "ownership-events",
            {"kind": "acquisition", "subject": 1, "effective_date": "1850-01-01"},
            "effective_date",
            "before 1900",
        ),
        (
            "ownership-events",
            {"kind": "acquisition", "subject": 1, "effective_date": "2025-01-01", "share": "150"},
            "share",
            "less than or equal to 100",
        ),
        (
            "ownership-events",
            {"kind": "other", "subject": 1, "effective_date": "2025-01-01", "source_url": "nope"},
            "source_url",
            "Enter a valid URL.",
        ),
    ],
)
def test_invalid_field_is_400_naming_it(analyst_client, registry, resource, body, field, message):
    before = Entity.objects.count(), Vendor.objects.count(), OwnershipEvent.objects.count()

    response = _post(analyst_client, resource, body)

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert message in str(response.json()[field]), response.json()
    assert (Entity.objects.count(), Vendor.objects.count(), OwnershipEvent.objects.count()) == (
        before
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12345678901234567.00", "no more than 16 digits in total"),
        ("1.001", "no more than 2 decimal places"),
        ("-5", "greater than or equal to 0"),
        ("abc", "A valid number is required."),
        ("Infinity", "A valid number is required."),
    ],
)
def test_contract_value_with_bad_decimals_is_400(buyer_client, registry, value, message):
    response = _post(
        buyer_client,
        "contracts",
        {
            "vendor": registry["scale_vendor"].pk,
            "reference": "NEW-1",
            "title": "Labelling",
            "value": value,
            "start_date": "2025-01-01",
        },
    )

    assert response.status_code == 400
    assert any(message in text for text in response.json()["value"])


def test_share_with_too_many_decimals_is_400(buyer_client, registry):
    response = _post(
        buyer_client,
        "ownerships",
        {
            "owner": registry["person"].pk,
            "owned": registry["remotasks"].pk,
            "share": "1.123456",
            "start_date": "2024-01-01",
        },
    )

    assert response.status_code == 400
    assert response.json() == {"share": ["Ensure that there are no more than 4 decimal places."]}


def test_tier_out_of_range_is_400(buyer_client, registry):
    response = buyer_client.patch(
        f"/api/v1/vendors/{registry['scale_vendor'].pk}/", {"tier": 7}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"tier": ["Ensure this value is less than or equal to 4."]}


def test_shareholding_above_100_percent_names_the_holders(buyer_client, registry):
    fund = EntityFactory(name="Index Ventures")

    response = _post(
        buyer_client,
        "ownerships",
        {
            "owner": fund.pk,
            "owned": registry["scale"].pk,
            "share": "60",
            "start_date": "2025-07-01",
        },
    )

    assert response.status_code == 400
    (message,) = response.json()["share"]
    assert "109%" in message
    assert "Meta Platforms 49%" in message
    assert not Ownership.objects.filter(owner=fund).exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"kind": "acquisition", "counterparty": "scale", "share": "10"},
            "counterparty",
            "The counterparty cannot be the subject itself.",
        ),
        ({"kind": "acquisition", "counterparty": "meta"}, "share", "needs the new share"),
        ({"kind": "stake_change", "share": "10"}, "counterparty", "needs a counterparty"),
        (
            {"kind": "executive_move", "counterparty": "meta", "person": "remotasks"},
            "person",
            "must be an entity of kind",
        ),
        (
            {"kind": "divestiture", "counterparty": "remotasks"},
            "counterparty",
            "nothing to divest",
        ),
    ],
)
def test_event_refused_by_the_service_names_the_field(buyer_client, registry, body, field, message):
    payload = {"subject": registry["scale"].pk, "effective_date": "2025-06-13", **body}
    for key in ("counterparty", "person"):
        if key in payload:
            payload[key] = registry[payload[key]].pk

    response = _post(buyer_client, "ownership-events", payload)
    preview = _post(buyer_client, "ownership-events/preview", payload)

    assert response.status_code == 400
    assert any(message in text for text in response.json()[field]), response.json()
    assert preview.status_code == 400
    assert preview.json() == response.json()
    assert OwnershipEvent.objects.count() == 0


def test_contract_with_coc_clause_needs_its_window(buyer_client, registry):
    response = _post(
        buyer_client,
        "contracts",
        {
            "vendor": registry["scale_vendor"].pk,
            "reference": "NEW-2",
            "title": "Labelling",
            "value": "10",
            "start_date": "2025-01-01",
            "end_date": "2024-01-01",
            "change_of_control_clause": True,
        },
    )

    assert response.status_code == 400
    assert set(response.json()) == {"end_date", "coc_termination_window_days"}
    assert not Contract.objects.filter(reference="NEW-2").exists()


def test_duplicate_reference_is_400_on_the_field(buyer_client, registry):
    response = _post(
        buyer_client,
        "contracts",
        {
            "vendor": registry["scale_vendor"].pk,
            "reference": "SCALE-2024-001",
            "title": "Again",
            "value": "1",
            "start_date": "2025-01-01",
        },
    )

    assert response.status_code == 400
    assert list(response.json()) == ["reference"]


def test_second_vendor_for_one_entity_is_400(buyer_client, registry):
    response = _post(buyer_client, "vendors", {"entity": registry["scale"].pk})

    assert response.status_code == 400
    assert list(response.json()) == ["entity"]


def test_duplicate_watchlist_entry_is_a_non_field_error(analyst_client, registry):
    response = _post(
        analyst_client,
        "watchlist",
        {"entity": registry["meta"].pk, "category": "competitor", "reason": "Again."},
    )

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


def test_duplicate_lei_is_400_on_the_field(buyer_client, registry):
    response = _post(buyer_client, "entities", {"name": "Meta II", "lei": "BQ4BKCS1HXDV9HN80Z93"})

    assert response.status_code == 400
    assert list(response.json()) == ["lei"]


def test_identifier_already_used_writes_nothing(buyer_client, registry):
    before = Entity.objects.count()

    response = _post(
        buyer_client,
        "entities",
        {"name": "Clone", "identifiers": [{"scheme": "DUNS", "id": "081234567"}]},
    )

    assert response.status_code == 400
    assert response.json() == {"identifiers": ["DUNS:081234567 already identifies Scale AI."]}
    assert Entity.objects.count() == before


def test_identifier_with_nul_or_missing_id_is_400(buyer_client):
    response = _post(
        buyer_client,
        "entities",
        {"name": "A", "identifiers": [{"scheme": "DU\x00NS", "id": "1"}, {"scheme": "X"}]},
    )

    assert response.status_code == 400
    # Flattened into the field's list, each message saying which item it is about.
    assert response.json() == {
        "identifiers": [f"0: scheme: {NUL}", "1: id: This field is required."]
    }


def test_ownership_cannot_change_owner(buyer_client, registry):
    response = buyer_client.patch(
        f"/api/v1/ownerships/{registry['stake'].pk}/",
        {"owner": registry["person"].pk},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["owner"]


def test_ownership_end_before_start_is_400_and_keeps_the_edge(buyer_client, registry):
    response = buyer_client.patch(
        f"/api/v1/ownerships/{registry['stake'].pk}/", {"end_date": "2020-01-01"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"end_date": ["The end date cannot be before the start date."]}
    assert Ownership.objects.filter(pk=registry["stake"].pk, end_date=None).exists()


def test_person_cannot_be_owned(buyer_client, registry):
    response = _post(
        buyer_client,
        "ownerships",
        {
            "owner": registry["meta"].pk,
            "owned": PersonFactory().pk,
            "share": "10",
            "start_date": "2024-01-01",
        },
    )

    assert response.status_code == 400
    assert response.json() == {"owned": ["A person cannot be owned."]}


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_events_cannot_be_changed_or_deleted(admin_client_api, registry, method):
    event = OwnershipEvent.objects.create(
        kind="other", subject=registry["scale"], effective_date="2025-01-01"
    )

    response = getattr(admin_client_api, method)(
        f"/api/v1/ownership-events/{event.pk}/", {"note": "x"}, format="json"
    )

    assert response.status_code == 405


@pytest.mark.parametrize(("method", "path"), [("post", ""), ("put", "{id}/"), ("delete", "{id}/")])
def test_alerts_are_not_written_directly(analyst_client, registry, method, path):
    url = "/api/v1/alerts/" + path.format(id=registry["alert"].pk)

    response = getattr(analyst_client, method)(url, {"status": "resolved"}, format="json")

    assert response.status_code == 405


def test_deleting_an_entity_still_referenced_is_409(buyer_client, registry):
    response = buyer_client.delete(f"/api/v1/entities/{registry['meta'].pk}/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Meta Platforms cannot be deleted: ownerships (1), watchlist (1) refer to "
        "it, and their history would be lost. End its ownership edges instead; the entity "
        "stays in the registry's history."
    }
    assert Entity.objects.filter(pk=registry["meta"].pk).exists()


def test_deleting_a_vendor_with_contracts_is_409(buyer_client, registry):
    response = buyer_client.delete(f"/api/v1/vendors/{registry['scale_vendor'].pk}/")

    assert response.status_code == 409
    assert "contracts (1)" in response.json()["detail"]


def test_deleting_a_contract_with_alerts_is_409(buyer_client, registry):
    response = buyer_client.delete(f"/api/v1/contracts/{registry['contract'].pk}/")

    assert response.status_code == 409
    assert "alerts (1)" in response.json()["detail"]


def test_resolving_a_resolved_alert_is_400_on_status(buyer_client, registry):
    url = f"/api/v1/alerts/{registry['alert'].pk}/resolve/"
    buyer_client.post(url, {"note": "Done."}, format="json")

    response = buyer_client.post(url, {"note": "Again."}, format="json")

    assert response.status_code == 400
    assert response.json() == {"status": ["An alert that is resolved cannot be resolved."]}


def test_assigning_an_unknown_user_is_400(analyst_client, registry):
    response = analyst_client.post(
        f"/api/v1/alerts/{registry['alert'].pk}/assign/", {"assignee": 424242}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"assignee": ['Invalid pk "424242" - object does not exist.']}


def test_form_encoded_body_is_read_too(buyer_client):
    response = buyer_client.post("/api/v1/entities/", {"name": "Form Co", "country": "DE"})

    assert response.status_code == 201
    assert response.json()["country"] == "DE"


def test_partial_update_with_half_an_identifier_is_400(buyer_client, registry):
    response = buyer_client.patch(
        f"/api/v1/entities/{registry['scale'].pk}/",
        {"identifiers": [{"id": "123"}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"identifiers": ["Each identifier needs a scheme and an id."]}
    assert [str(i) for i in registry["scale"].identifiers.all()] == ["DUNS:081234567"]
