"""``GET /api/v1/<resource>/{id}/history/``: who changed which fields, when, newest first."""

import pytest

from registry.models import Ownership

pytestmark = pytest.mark.django_db

RECORD_FIELDS = {
    "history_id",
    "history_date",
    "history_type",
    "history_user",
    "request",
    "changes",
}


def test_vendor_history_names_the_user_and_the_changed_fields(
    buyer_client, analyst_client, registry
):
    url = f"/api/v1/vendors/{registry['scale_vendor'].pk}/"
    buyer_client.patch(url, {"tier": 2, "status": "suspended"}, format="json")
    analyst_client.patch(url, {"status": "active"}, format="json")

    history = buyer_client.get(f"{url}history/").json()

    assert [set(record) for record in history] == [RECORD_FIELDS] * 3
    assert [(r["history_type"], r["history_user"], r["request"]) for r in history] == [
        ("~", "analyst", f"PATCH {url}"),
        ("~", "buyer", f"PATCH {url}"),
        ("+", None, None),
    ]
    assert history[0]["changes"] == [{"field": "status", "old": "suspended", "new": "active"}]
    assert history[1]["changes"] == [
        {"field": "status", "old": "active", "new": "suspended"},
        {"field": "tier", "old": 1, "new": 2},
    ]
    assert {"field": "entity", "old": None, "new": registry["scale"].pk} in history[2]["changes"]
    assert history[0]["history_date"] > history[1]["history_date"] > history[2]["history_date"]


def test_entity_created_through_the_api_is_attributed(buyer_client):
    created = buyer_client.post(
        "/api/v1/entities/", {"name": "Acme", "country": "FR"}, format="json"
    ).json()

    (record,) = buyer_client.get(f"/api/v1/entities/{created['id']}/history/").json()

    assert (record["history_type"], record["history_user"]) == ("+", "buyer")
    assert record["changes"] == [
        {"field": "name", "old": None, "new": "Acme"},
        {"field": "kind", "old": None, "new": "company"},
        {"field": "country", "old": None, "new": "FR"},
    ]


def test_alert_history_records_acknowledge_and_resolve(buyer_client, registry):
    url = f"/api/v1/alerts/{registry['alert'].pk}/"
    buyer_client.post(f"{url}acknowledge/")
    buyer_client.post(f"{url}resolve/", {"note": "Renegotiated."}, format="json")

    history = buyer_client.get(f"{url}history/").json()

    assert [(r["history_type"], r["history_user"]) for r in history] == [
        ("~", "buyer"),
        ("~", "buyer"),
        ("+", None),
    ]
    resolved = {c["field"]: (c["old"], c["new"]) for c in history[0]["changes"]}
    assert resolved["status"] == ("acknowledged", "resolved")
    assert resolved["resolution_note"] == ("", "Renegotiated.")


def test_ownership_share_change_keeps_the_old_values_in_the_trail(buyer_client, registry):
    stake = registry["stake"]

    updated = buyer_client.patch(
        f"/api/v1/ownerships/{stake.pk}/", {"share": "45"}, format="json"
    ).json()
    old_history = buyer_client.get(f"/api/v1/ownerships/{stake.pk}/history/").json()

    # The same start date replaces the edge: the old one is deleted, its values kept.
    assert updated["share"] == "45.0000"
    assert not Ownership.objects.filter(pk=stake.pk).exists()
    assert [(r["history_type"], r["history_user"]) for r in old_history] == [
        ("-", "buyer"),
        ("+", None),
    ]
    assert {"field": "share", "old": None, "new": "49.0000"} in old_history[1]["changes"]


def test_ending_an_edge_records_the_end_date(buyer_client, registry):
    url = f"/api/v1/ownerships/{registry['subsidiary'].pk}/"

    response = buyer_client.patch(url, {"end_date": "2025-12-31"}, format="json")
    history = buyer_client.get(f"{url}history/").json()

    assert response.json()["end_date"] == "2025-12-31"
    assert history[0]["changes"] == [{"field": "end_date", "old": None, "new": "2025-12-31"}]


def test_watchlist_and_contract_histories(analyst_client, registry):
    analyst_client.patch(
        f"/api/v1/watchlist/{registry['competitor'].pk}/", {"reason": "AI rival."}, format="json"
    )
    analyst_client.patch(
        f"/api/v1/contracts/{registry['contract'].pk}/", {"value": "250.50"}, format="json"
    )

    watch = analyst_client.get(f"/api/v1/watchlist/{registry['competitor'].pk}/history/").json()
    contract = analyst_client.get(f"/api/v1/contracts/{registry['contract'].pk}/history/").json()

    assert watch[0]["changes"] == [
        {"field": "reason", "old": "Competes with us.", "new": "AI rival."}
    ]
    assert contract[0]["changes"] == [{"field": "value", "old": "100000.00", "new": "250.50"}]


def test_history_of_a_deleted_record_is_still_readable(buyer_client, registry):
    spare = buyer_client.post("/api/v1/entities/", {"name": "Typo Ltd"}, format="json").json()
    buyer_client.delete(f"/api/v1/entities/{spare['id']}/")

    history = buyer_client.get(f"/api/v1/entities/{spare['id']}/history/")

    assert buyer_client.get(f"/api/v1/entities/{spare['id']}/").status_code == 404
    assert [(r["history_type"], r["history_user"]) for r in history.json()] == [
        ("-", "buyer"),
        ("+", "buyer"),
    ]


@pytest.mark.parametrize("pk", ["999999", "abc", "-1", "1.5", "99999999999999999999999"])
def test_history_of_an_unknown_record_is_404(viewer_client, pk):
    assert viewer_client.get(f"/api/v1/vendors/{pk}/history/").status_code == 404


def test_events_have_no_history_route(viewer_client, registry):
    assert viewer_client.get("/api/v1/ownership-events/1/history/").status_code == 404


def test_unchanged_ownership_put_writes_nothing(buyer_client, registry):
    stake = registry["stake"]
    url = f"/api/v1/ownerships/{stake.pk}/"
    body = buyer_client.get(url).json()

    response = buyer_client.put(url, body, format="json")

    assert response.status_code == 200
    assert response.json() == body
    assert len(buyer_client.get(f"{url}history/").json()) == 1


def test_entity_history_includes_its_identifier_changes(buyer_client, analyst_client):
    created = buyer_client.post(
        "/api/v1/entities/",
        {"name": "Acme", "country": "FR", "identifiers": [{"scheme": "GB-COH", "id": "123"}]},
        format="json",
    ).json()
    url = f"/api/v1/entities/{created['id']}/"
    # Swap the company number for another and add a DUNS number, in one PATCH.
    analyst_client.patch(
        url,
        {
            "identifiers": [
                {"scheme": "GB-COH", "id": "456"},
                {"scheme": "DUNS", "id": "150483782"},
            ]
        },
        format="json",
    )
    buyer_client.patch(url, {"identifiers": []}, format="json")

    history = buyer_client.get(f"{url}history/").json()

    coh_123 = {"scheme": "GB-COH", "id": "123"}
    coh_456 = {"scheme": "GB-COH", "id": "456"}
    duns = {"scheme": "DUNS", "id": "150483782"}
    identifier_changes = [
        (r["history_user"], r["request"], r["changes"][0]["old"], r["changes"][0]["new"])
        for r in history
        if r["changes"] and r["changes"][0]["field"] == "identifiers"
    ]
    # Newest first: each row added or removed is one change of the list, before and after.
    patch, post = f"PATCH {url}", "POST /api/v1/entities/"
    assert identifier_changes == [
        ("buyer", patch, [coh_456], []),
        ("buyer", patch, [duns, coh_456], [coh_456]),
        ("analyst", patch, [duns], [duns, coh_456]),
        ("analyst", patch, [], [duns]),
        ("analyst", patch, [coh_123], []),
        ("buyer", post, [], [coh_123]),
    ]
    assert all(len(r["changes"]) == 1 for r in history if r["changes"][0]["field"] == "identifiers")
    assert [set(record) for record in history] == [RECORD_FIELDS] * len(history)
    # The entity's own creation is the oldest record, and every record is dated in order.
    assert (history[-1]["history_type"], history[-1]["changes"][0]["field"]) == ("+", "name")
    dates = [record["history_date"] for record in history]
    assert dates == sorted(dates, reverse=True)


def test_history_of_an_entity_that_never_existed_is_404(buyer_client, db):
    assert buyer_client.get("/api/v1/entities/987654/history/").status_code == 404
