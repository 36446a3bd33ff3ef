"""An integration that knows only the API runs the reference scenario end to end."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(buyer_client, analyst_client, django_capture_on_commit_callbacks):
    """Meta buys 49% of Scale AI on 2025-06-13; Scale's CEO becomes an officer at Meta."""

    def post(client, resource: str, body: dict) -> dict:
        response = client.post(f"/api/v1/{resource}/", body, format="json")
        assert response.status_code == 201, response.json()
        return response.json()

    with django_capture_on_commit_callbacks(execute=True):
        meta = post(buyer_client, "entities", {"name": "Meta Platforms", "country": "US"})
        scale = post(buyer_client, "entities", {"name": "Scale AI", "country": "US"})
        remotasks = post(buyer_client, "entities", {"name": "Remotasks", "country": "US"})
        ceo = post(buyer_client, "entities", {"name": "Scale AI CEO", "kind": "person"})
        post(
            analyst_client,
            "watchlist",
            {"entity": meta["id"], "category": "competitor", "reason": "Competes in AI."},
        )
        post(
            buyer_client,
            "ownerships",
            {
                "owner": scale["id"],
                "owned": remotasks["id"],
                "share": 100,
                "start_date": "2020-01-01",
            },
        )
        post(
            buyer_client,
            "ownerships",
            {
                "owner": ceo["id"],
                "owned": scale["id"],
                "interest": "board_member",
                "start_date": "2016-06-01",
            },
        )
        scale_vendor = post(
            buyer_client,
            "vendors",
            {"entity": scale["id"], "tier": 1, "data_access": "restricted"},
        )
        remotasks_vendor = post(
            buyer_client,
            "vendors",
            {"entity": remotasks["id"], "tier": 2, "data_access": "confidential"},
        )
        contract = post(
            buyer_client,
            "contracts",
            {
                "vendor": scale_vendor["id"],
                "reference": "SCALE-2024-001",
                "title": "Data labelling services",
                "value": "12000000.00",
                "currency": "USD",
                "start_date": "2024-01-01",
                "data_classification": "restricted",
                "change_of_control_clause": True,
                "coc_termination_window_days": 30,
            },
        )
    preview = buyer_client.post(
        "/api/v1/ownership-events/preview/",
        {
            "kind": "acquisition",
            "subject": scale["id"],
            "counterparty": meta["id"],
            "share": 49,
            "effective_date": "2025-06-13",
        },
        format="json",
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        acquisition = post(
            buyer_client,
            "ownership-events",
            {
                "kind": "acquisition",
                "subject": scale["id"],
                "counterparty": meta["id"],
                "share": 49,
                "effective_date": "2025-06-13",
                "source_url": "https://example.com/meta-scale",
            },
        )
        move = post(
            buyer_client,
            "ownership-events",
            {
                "kind": "executive_move",
                "subject": scale["id"],
                "counterparty": meta["id"],
                "person": ceo["id"],
                "effective_date": "2025-06-13",
            },
        )
    return {
        "meta": meta["id"],
        "scale": scale["id"],
        "remotasks": remotasks["id"],
        "ceo": ceo["id"],
        "scale_vendor": scale_vendor["id"],
        "remotasks_vendor": remotasks_vendor["id"],
        "contract": contract["id"],
        "acquisition": acquisition,
        "move": move,
        "preview": preview,
    }


def test_preview_showed_what_the_acquisition_then_did(scenario):
    assert scenario["preview"] == {
        "affected_vendors": [
            {
                "vendor": scenario["remotasks_vendor"],
                "current_level": "low",
                "projected_level": "high",
                "reasons": [
                    "Owned or controlled by Scale AI, directly or indirectly.",
                    "Meta Platforms holds 49.00% of Remotasks via Meta Platforms → Scale AI → "
                    "Remotasks (competitor).",
                ],
            },
            {
                "vendor": scenario["scale_vendor"],
                "current_level": "low",
                "projected_level": "critical",
                "reasons": [
                    "Scale AI is the event's subject.",
                    "Meta Platforms holds 49.00% of Scale AI via Meta Platforms → Scale AI "
                    "(competitor).",
                    "Raised to critical: restricted data access and a high competitor "
                    "ownership factor.",
                ],
            },
        ],
        "edge_changes": [
            {
                "owner": scenario["meta"],
                "owned": scenario["scale"],
                "interest": "shareholding",
                "from_share": None,
                "to_share": "49%",
                "start_date": "2025-06-13",
                "end_date": None,
                "dilution": False,
            }
        ],
        "alerts": [
            {
                "kind": "risk_increased",
                "vendor": scenario["remotasks_vendor"],
                "party": None,
                "contract": None,
                "due_date": None,
            },
            {
                "kind": "risk_increased",
                "vendor": scenario["scale_vendor"],
                "party": None,
                "contract": None,
                "due_date": None,
            },
            {
                "kind": "new_influence",
                "vendor": scenario["remotasks_vendor"],
                "party": scenario["meta"],
                "contract": None,
                "due_date": None,
            },
            {
                "kind": "new_influence",
                "vendor": scenario["scale_vendor"],
                "party": scenario["meta"],
                "contract": None,
                "due_date": None,
            },
            {
                "kind": "change_of_control",
                "vendor": scenario["scale_vendor"],
                "party": None,
                "contract": scenario["contract"],
                "due_date": "2025-07-13",
            },
        ],
    }


def test_events_are_logged_then_processed_with_their_affected_vendors(viewer_client, scenario):
    assert scenario["acquisition"]["status"] in {"pending", "processing", "processed"}

    acquisition = viewer_client.get(
        f"/api/v1/ownership-events/{scenario['acquisition']['id']}/"
    ).json()
    processed = viewer_client.get("/api/v1/ownership-events/?status=processed").json()

    assert acquisition["status"] == "processed"
    assert acquisition["processed_at"] is not None
    assert sorted(acquisition["affected_vendors"]) == sorted(
        [scenario["scale_vendor"], scenario["remotasks_vendor"]]
    )
    assert processed["count"] == 2


def test_scale_ai_is_critical_through_ownership_and_interlock(viewer_client, scenario):
    risk = viewer_client.get(f"/api/v1/vendors/{scenario['scale_vendor']}/risk/").json()
    factors = {
        factor["code"]: (
            factor["severity"],
            factor["party"],
            factor["effective_share"],
            factor["path"],
        )
        for factor in risk["factors"]
    }

    assert risk["level"] == "critical"
    assert 75 <= risk["score"] <= 100
    assert factors == {
        "competitor_ownership": (
            "high",
            scenario["meta"],
            pytest.approx(49.0),
            [scenario["meta"], scenario["scale"]],
        ),
        "key_person_interlock": (
            "high",
            scenario["meta"],
            None,
            [scenario["meta"], scenario["ceo"], scenario["scale"]],
        ),
    }
    vendor = viewer_client.get(f"/api/v1/vendors/{scenario['scale_vendor']}/").json()
    assert (vendor["risk_level"], vendor["risk_score"]) == ("critical", risk["score"])


def test_remotasks_is_high_though_nobody_logged_anything_about_it(viewer_client, scenario):
    risk = viewer_client.get(f"/api/v1/vendors/{scenario['remotasks_vendor']}/risk/").json()

    assert risk["level"] == "high"
    assert [
        (f["code"], f["severity"], f["party"], f["effective_share"], f["path"])
        for f in risk["factors"]
    ] == [
        (
            "competitor_ownership",
            "high",
            scenario["meta"],
            pytest.approx(49.0),
            [scenario["meta"], scenario["scale"], scenario["remotasks"]],
        )
    ]
    high = viewer_client.get("/api/v1/vendors/?risk_level=high").json()
    assert [v["id"] for v in high["results"]] == [scenario["remotasks_vendor"]]


def test_scale_contract_gets_change_of_control_alert_due_in_30_days(
    viewer_client, buyer_client, scenario
):
    alerts = viewer_client.get(f"/api/v1/alerts/?contract={scenario['contract']}").json()

    (alert,) = alerts["results"]
    assert (alert["kind"], alert["vendor"], alert["event"], alert["due_date"]) == (
        "change_of_control",
        scenario["scale_vendor"],
        scenario["acquisition"]["id"],
        "2025-07-13",
    )
    acknowledged = buyer_client.post(f"/api/v1/alerts/{alert['id']}/acknowledge/")
    assert acknowledged.json()["status"] == "acknowledged"
    still_open = viewer_client.get("/api/v1/alerts/?status=open").json()
    assert alert["id"] not in [a["id"] for a in still_open["results"]]


def test_risk_increased_once_per_vendor_whose_level_rose(viewer_client, scenario):
    alerts = viewer_client.get("/api/v1/alerts/", {"page_size": 200}).json()["results"]

    risen = sorted((a["vendor"], a["contract"]) for a in alerts if a["kind"] == "risk_increased")
    assert risen == sorted([(scenario["scale_vendor"], None), (scenario["remotasks_vendor"], None)])
