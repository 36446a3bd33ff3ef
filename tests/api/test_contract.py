"""The REST contract (docs/api.md): exact field sets, values, ids for foreign keys, pagination."""

import pytest

from tests.factories import EntityFactory

pytestmark = pytest.mark.django_db

ENTITY_FIELDS = {"id", "name", "kind", "country", "lei", "identifiers", "source"}
WATCHLIST_FIELDS = {"id", "entity", "category", "reason"}
OWNERSHIP_FIELDS = {
    "id",
    "owner",
    "owned",
    "interest",
    "share",
    "share_min",
    "share_max",
    "start_date",
    "end_date",
    "source",
}
VENDOR_FIELDS = {
    "id",
    "entity",
    "name",
    "category",
    "status",
    "tier",
    "data_access",
    "risk_level",
    "risk_score",
}
CONTRACT_FIELDS = {
    "id",
    "vendor",
    "reference",
    "title",
    "value",
    "currency",
    "start_date",
    "end_date",
    "data_classification",
    "change_of_control_clause",
    "coc_termination_window_days",
}
EVENT_FIELDS = {
    "id",
    "kind",
    "subject",
    "counterparty",
    "person",
    "share",
    "effective_date",
    "announced_date",
    "source_url",
    "note",
    "status",
    "affected_vendors",
    "processed_at",
}
ALERT_FIELDS = {
    "id",
    "vendor",
    "contract",
    "event",
    "import_run",
    "kind",
    "severity",
    "title",
    "status",
    "due_date",
    "created_at",
}

RESOURCE_FIELDS = {
    "entities": ENTITY_FIELDS,
    "watchlist": WATCHLIST_FIELDS,
    "ownerships": OWNERSHIP_FIELDS,
    "vendors": VENDOR_FIELDS,
    "contracts": CONTRACT_FIELDS,
    "ownership-events": EVENT_FIELDS,
    "alerts": ALERT_FIELDS,
}


def _an_event(client, registry) -> dict:
    response = client.post(
        "/api/v1/ownership-events/",
        {
            "kind": "stake_change",
            "subject": registry["scale"].pk,
            "counterparty": registry["meta"].pk,
            "share": "51",
            "effective_date": "2025-09-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.parametrize("resource", sorted(RESOURCE_FIELDS))
def test_list_and_detail_carry_exactly_the_contract_fields(resource, admin_client_api, registry):
    _an_event(admin_client_api, registry)

    listing = admin_client_api.get(f"/api/v1/{resource}/").json()
    first = listing["results"][0]
    detail = admin_client_api.get(f"/api/v1/{resource}/{first['id']}/").json()

    assert set(listing) == {"count", "next", "previous", "results"}
    assert listing["count"] >= 1
    assert set(first) == RESOURCE_FIELDS[resource]
    assert detail == first


def test_entity_reads_as_the_contract_says(admin_client_api, registry):
    scale = admin_client_api.get(f"/api/v1/entities/{registry['scale'].pk}/").json()
    meta = admin_client_api.get(f"/api/v1/entities/{registry['meta'].pk}/").json()

    assert scale == {
        "id": registry["scale"].pk,
        "name": "Scale AI",
        "kind": "company",
        "country": "US",
        "lei": "",
        "identifiers": [{"scheme": "DUNS", "id": "081234567"}],
        "source": {"kind": "user", "id": None, "record": None},
    }
    assert meta["lei"] == "BQ4BKCS1HXDV9HN80Z93"


def test_watchlist_ownership_vendor_contract_alert_values_use_ids(admin_client_api, registry):
    entry = admin_client_api.get(f"/api/v1/watchlist/{registry['competitor'].pk}/").json()
    stake = admin_client_api.get(f"/api/v1/ownerships/{registry['stake'].pk}/").json()
    vendor = admin_client_api.get(f"/api/v1/vendors/{registry['scale_vendor'].pk}/").json()
    contract = admin_client_api.get(f"/api/v1/contracts/{registry['contract'].pk}/").json()
    alert = admin_client_api.get(f"/api/v1/alerts/{registry['alert'].pk}/").json()

    assert entry == {
        "id": registry["competitor"].pk,
        "entity": registry["meta"].pk,
        "category": "competitor",
        "reason": "Competes with us.",
    }
    assert stake == {
        "id": registry["stake"].pk,
        "owner": registry["meta"].pk,
        "owned": registry["scale"].pk,
        "interest": "shareholding",
        "share": "49.0000",
        "share_min": None,
        "share_max": None,
        "start_date": "2025-06-13",
        "end_date": None,
        "source": {"kind": "user", "id": None, "record": None},
    }
    assert vendor == {
        "id": registry["scale_vendor"].pk,
        "entity": registry["scale"].pk,
        "name": "Scale AI",
        "category": "",
        "status": "active",
        "tier": 1,
        "data_access": "restricted",
        "risk_level": "low",
        "risk_score": 0,
    }
    assert contract == {
        "id": registry["contract"].pk,
        "vendor": registry["scale_vendor"].pk,
        "reference": "SCALE-2024-001",
        "title": "Services agreement",
        "value": "100000.00",
        "currency": "USD",
        "start_date": "2024-01-01",
        "end_date": None,
        "data_classification": "internal",
        "change_of_control_clause": True,
        "coc_termination_window_days": 30,
    }
    assert {key: alert[key] for key in ALERT_FIELDS - {"created_at"}} == {
        "id": registry["alert"].pk,
        "vendor": registry["scale_vendor"].pk,
        "contract": registry["contract"].pk,
        "event": None,
        "import_run": None,
        "kind": "change_of_control",
        "severity": "high",
        "title": "Change of control at Scale AI",
        "status": "open",
        "due_date": "2025-07-13",
    }


def test_created_entity_answers_201_with_identifiers(buyer_client):
    response = buyer_client.post(
        "/api/v1/entities/",
        {
            "name": "  Acme Labelling Ltd  ",
            "kind": "company",
            "country": "GB",
            "identifiers": [{"scheme": "GB-COH", "id": "00445790"}],
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "name": "Acme Labelling Ltd",
        "kind": "company",
        "country": "GB",
        "lei": "",
        "identifiers": [{"scheme": "GB-COH", "id": "00445790"}],
        "source": {"kind": "user", "id": None, "record": None},
    }


def test_entity_needs_only_its_name(buyer_client):
    response = buyer_client.post("/api/v1/entities/", {"name": "Bare Co"}, format="json")

    assert response.status_code == 201
    assert response.json()["kind"] == "company"
    assert response.json()["identifiers"] == []


def test_updating_identifiers_replaces_the_whole_set(buyer_client, registry):
    url = f"/api/v1/entities/{registry['scale'].pk}/"

    response = buyer_client.patch(
        url, {"identifiers": [{"scheme": "GB-COH", "id": "123"}]}, format="json"
    )
    untouched = buyer_client.patch(url, {"country": "GB"}, format="json")

    assert response.status_code == 200
    assert response.json()["identifiers"] == [{"scheme": "GB-COH", "id": "123"}]
    assert untouched.json()["identifiers"] == [{"scheme": "GB-COH", "id": "123"}]
    assert untouched.json()["country"] == "GB"


def test_created_vendor_has_read_only_name_and_risk(buyer_client):
    entity = EntityFactory(name="Labelbox")

    response = buyer_client.post(
        "/api/v1/vendors/",
        {
            "entity": entity.pk,
            "name": "Ignored",
            "risk_level": "critical",
            "risk_score": 99,
            "category": "data_labelling",
            "tier": 2,
            "data_access": "confidential",
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Labelbox"
    assert (body["risk_level"], body["risk_score"]) == ("low", 0)
    assert (body["category"], body["tier"], body["status"]) == ("data_labelling", 2, "active")


def test_created_contract_without_coc_clause_needs_no_window(buyer_client, registry):
    response = buyer_client.post(
        "/api/v1/contracts/",
        {
            "vendor": registry["remotasks_vendor"].pk,
            "reference": "RT-1",
            "title": "Annotation",
            "value": "2500000.50",
            "currency": "EUR",
            "start_date": "2025-01-01",
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["value"] == "2500000.50"
    assert body["change_of_control_clause"] is False
    assert body["coc_termination_window_days"] is None
    assert body["data_classification"] == "internal"


def test_created_ownership_with_a_range_share(buyer_client, registry):
    fund = EntityFactory(name="Accel")

    response = buyer_client.post(
        "/api/v1/ownerships/",
        {
            "owner": fund.pk,
            "owned": registry["scale"].pk,
            "share_min": "5",
            "share_max": "10",
            "start_date": "2021-01-01",
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["share"], body["share_min"], body["share_max"]) == (None, "5.0000", "10.0000")
    assert body["interest"] == "shareholding"


def test_board_seat_needs_no_share(buyer_client, registry):
    response = buyer_client.post(
        "/api/v1/ownerships/",
        {
            "owner": registry["person"].pk,
            "owned": registry["scale"].pk,
            "interest": "board_member",
            "start_date": "2016-06-01",
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["share"] is None


def test_created_event_answers_201_pending_with_its_values(buyer_client, registry):
    response = buyer_client.post(
        "/api/v1/ownership-events/",
        {
            "kind": "acquisition",
            "subject": registry["remotasks"].pk,
            "counterparty": registry["meta"].pk,
            "share": "20",
            "effective_date": "2025-06-13",
            "announced_date": "2025-06-10",
            "source_url": "https://example.com/deal",
            "note": "Reported by the press.",
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "kind": "acquisition",
        "subject": registry["remotasks"].pk,
        "counterparty": registry["meta"].pk,
        "person": None,
        "share": "20.0000",
        "effective_date": "2025-06-13",
        "announced_date": "2025-06-10",
        "source_url": "https://example.com/deal",
        "note": "Reported by the press.",
        "status": "pending",
        "affected_vendors": [],
        "processed_at": None,
    }


def test_event_status_is_read_only(buyer_client, registry):
    response = buyer_client.post(
        "/api/v1/ownership-events/",
        {
            "kind": "board_appointment",
            "subject": registry["scale"].pk,
            "person": registry["person"].pk,
            "effective_date": "2025-01-01",
            "status": "processed",
            "processed_at": "2025-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert response.json()["processed_at"] is None


def test_pages_hold_the_asked_page_size_up_to_200(viewer_client):
    EntityFactory.create_batch(205)

    small = viewer_client.get("/api/v1/entities/?page_size=5").json()
    capped = viewer_client.get("/api/v1/entities/?page_size=500").json()
    default = viewer_client.get("/api/v1/entities/").json()
    second = viewer_client.get("/api/v1/entities/?page_size=5&page=2").json()

    assert small["count"] == 205
    assert len(small["results"]) == 5
    assert small["previous"] is None
    assert small["next"].endswith("/api/v1/entities/?page=2&page_size=5")
    assert len(capped["results"]) == 200
    assert len(default["results"]) == 50
    assert [e["id"] for e in second["results"]] != [e["id"] for e in small["results"]]
    assert second["previous"] is not None


@pytest.mark.parametrize("page", ["99", "0", "-1", "abc", "1e9"])
def test_page_out_of_range_is_404_not_500(viewer_client, page):
    EntityFactory.create_batch(3)

    response = viewer_client.get(f"/api/v1/entities/?page={page}")

    assert response.status_code == 404
    assert "detail" in response.json()


def test_unknown_id_is_404(viewer_client, registry):
    for path in (
        "entities/999999/",
        "vendors/abc/",
        "alerts/99999999999999999999999/",
        "alerts/0.5/",
        "vendors/1.json/",
    ):
        response = viewer_client.get(f"/api/v1/{path}")
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json", path
