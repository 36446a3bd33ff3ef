"""The contract's actions: risk/, recheck/, preview/ and the alert lifecycle, with numbers."""

import datetime
from decimal import Decimal

import pytest

from alerts.models import Alert
from registry.models import (
    Ownership,
    OwnershipEvent,
    RecheckRequest,
    RiskAssessment,
    RiskFactor,
    RiskPolicy,
)

pytestmark = pytest.mark.django_db


def _assessment(vendor, *, level: str, score: int, factors: list[dict]) -> RiskAssessment:
    policy = RiskPolicy.objects.latest()
    assessment = RiskAssessment.objects.create(
        vendor=vendor,
        level=level,
        score=score,
        as_of=datetime.date(2025, 6, 13),
        policy=policy,
        policy_version=policy.version,
    )
    for factor in factors:
        RiskFactor.objects.create(assessment=assessment, **factor)
    return assessment


def test_risk_before_any_assessment_is_low_zero_and_empty(viewer_client, registry):
    response = viewer_client.get(f"/api/v1/vendors/{registry['scale_vendor'].pk}/risk/")

    assert response.status_code == 200
    assert response.json() == {
        "vendor": registry["scale_vendor"].pk,
        "level": "low",
        "score": 0,
        "assessed_at": None,
        "factors": [],
    }


def test_risk_reads_the_latest_assessment_and_its_factors(viewer_client, registry):
    vendor, meta, scale = registry["scale_vendor"], registry["meta"], registry["scale"]
    _assessment(vendor, level="medium", score=30, factors=[])
    latest = _assessment(
        vendor,
        level="critical",
        score=88,
        factors=[
            {
                "code": "competitor_ownership",
                "severity": "high",
                "summary": "Meta Platforms holds 49.00% of Scale AI.",
                "party": meta,
                "effective_share": Decimal("49.0000"),
                "effective_share_min": Decimal("49.0000"),
                "path": [meta.pk, scale.pk],
            },
            {
                "code": "key_person_interlock",
                "severity": "high",
                "summary": "Scale AI's CEO sits on both boards.",
                "party": meta,
                "effective_share": None,
                "path": [meta.pk, registry["person"].pk, scale.pk],
            },
        ],
    )

    body = viewer_client.get(f"/api/v1/vendors/{vendor.pk}/risk/").json()

    assert set(body) == {"vendor", "level", "score", "assessed_at", "factors"}
    assert (body["vendor"], body["level"], body["score"]) == (vendor.pk, "critical", 88)
    assert body["assessed_at"] == latest.assessed_at.isoformat().replace("+00:00", "Z")
    assert body["factors"] == [
        {
            "code": "competitor_ownership",
            "severity": "high",
            "summary": "Meta Platforms holds 49.00% of Scale AI.",
            "party": meta.pk,
            "effective_share": 49.0,
            "effective_share_min": 49.0,
            "path": [meta.pk, scale.pk],
        },
        {
            "code": "key_person_interlock",
            "severity": "high",
            "summary": "Scale AI's CEO sits on both boards.",
            "party": meta.pk,
            "effective_share": None,
            "effective_share_min": None,
            "path": [meta.pk, registry["person"].pk, scale.pk],
        },
    ]


def test_recheck_is_accepted_and_always_stores_a_new_assessment(
    buyer_client, registry, django_capture_on_commit_callbacks
):
    vendor = registry["remotasks_vendor"]
    url = f"/api/v1/vendors/{vendor.pk}/recheck/"

    with django_capture_on_commit_callbacks(execute=True):
        first = buyer_client.post(url)
    with django_capture_on_commit_callbacks(execute=True):
        second = buyer_client.post(url)

    assert first.status_code == second.status_code == 202
    assert first.json() == {
        "vendor": vendor.pk,
        "recheck_request": RecheckRequest.objects.order_by("id").first().pk,
    }
    assert RiskAssessment.objects.filter(vendor=vendor).count() == 2
    risk = buyer_client.get(f"/api/v1/vendors/{vendor.pk}/risk/").json()
    assert (risk["level"], risk["factors"][0]["effective_share"]) == ("high", 49.0)
    assert risk["factors"][0]["path"] == [
        registry["meta"].pk,
        registry["scale"].pk,
        registry["remotasks"].pk,
    ]


def test_preview_projects_levels_and_writes_nothing(buyer_client, registry):
    before = (
        OwnershipEvent.objects.count(),
        Ownership.objects.count(),
        RiskAssessment.objects.count(),
        Alert.objects.count(),
    )

    response = buyer_client.post(
        "/api/v1/ownership-events/preview/",
        {
            "kind": "stake_change",
            "subject": registry["scale"].pk,
            "counterparty": registry["meta"].pk,
            "share": "51",
            "effective_date": "2025-09-01",
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    levels = [
        (row["vendor"], row["current_level"], row["projected_level"], row["reasons"][0])
        for row in body["affected_vendors"]
    ]
    assert levels == [
        (
            registry["remotasks_vendor"].pk,
            "low",
            "critical",
            "Owned or controlled by Scale AI, directly or indirectly.",
        ),
        (registry["scale_vendor"].pk, "low", "critical", "Scale AI is the event's subject."),
    ]
    assert (
        "Meta Platforms holds 51.00% of Scale AI via Meta Platforms → Scale AI (competitor)."
        in body["affected_vendors"][1]["reasons"]
    )
    assert body["edge_changes"] == [
        {
            "owner": registry["meta"].pk,
            "owned": registry["scale"].pk,
            "interest": "shareholding",
            "from_share": "49%",
            "to_share": "51%",
            "start_date": "2025-09-01",
            "end_date": None,
            "dilution": False,
        }
    ]
    assert [(a["kind"], a["vendor"], a["contract"], a["due_date"]) for a in body["alerts"]] == [
        ("risk_increased", registry["remotasks_vendor"].pk, None, None),
        ("risk_increased", registry["scale_vendor"].pk, None, None),
        ("new_influence", registry["remotasks_vendor"].pk, None, None),
        ("new_influence", registry["scale_vendor"].pk, None, None),
        ("change_of_control", registry["scale_vendor"].pk, registry["contract"].pk, "2025-10-01"),
    ]
    assert {a.get("party") for a in body["alerts"] if a["kind"] == "new_influence"} == {
        registry["meta"].pk
    }
    after = (
        OwnershipEvent.objects.count(),
        Ownership.objects.count(),
        RiskAssessment.objects.count(),
        Alert.objects.count(),
    )
    assert after == before


def test_acknowledge_then_resolve_with_a_note(buyer_client, buyer, registry):
    alert = registry["alert"]

    acknowledged = buyer_client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    resolved = buyer_client.post(
        f"/api/v1/alerts/{alert.pk}/resolve/",
        {"note": "Termination notice sent on 2025-06-20."},
        format="json",
    )

    assert acknowledged.status_code == 200
    assert acknowledged.json()["status"] == "acknowledged"
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["id"] == alert.pk
    alert.refresh_from_db()
    assert alert.resolution_note == "Termination notice sent on 2025-06-20."
    assert alert.handled_by == buyer


@pytest.mark.parametrize("body", [{}, {"note": ""}, {"note": "   \n\t "}])
def test_resolve_without_a_note_is_400_naming_note(buyer_client, registry, body):
    alert = registry["alert"]

    response = buyer_client.post(f"/api/v1/alerts/{alert.pk}/resolve/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "note": ["A note is required: say what was done to resolve the alert."]
    }
    alert.refresh_from_db()
    assert (alert.status, alert.handled_by, alert.resolution_note) == ("open", None, "")


def test_dismiss_with_a_blank_note_is_400_naming_note(analyst_client, registry):
    alert = registry["alert"]

    response = analyst_client.post(
        f"/api/v1/alerts/{alert.pk}/dismiss/", {"note": "  "}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"note": ["A note is required: say why the alert is not a concern."]}
    alert.refresh_from_db()
    assert alert.status == "open"


def test_a_resolved_alert_without_a_note_names_both_status_and_note(buyer_client, registry):
    url = f"/api/v1/alerts/{registry['alert'].pk}/resolve/"
    buyer_client.post(url, {"note": "Done."}, format="json")

    response = buyer_client.post(url, {"note": ""}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"status", "note"}


def test_assigning_a_viewer_is_400_naming_assignee(analyst_client, viewer, registry):
    alert = registry["alert"]
    viewer.first_name, viewer.last_name = "Vera", "Viewer"
    viewer.save()

    response = analyst_client.post(
        f"/api/v1/alerts/{alert.pk}/assign/", {"assignee": viewer.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "assignee": [
            "Vera Viewer (viewer) cannot act on alerts (only Procurement, Risk analysts and "
            "superusers can), so cannot be assigned one."
        ]
    }
    alert.refresh_from_db()
    assert alert.assignee is None


def test_an_analyst_or_a_superuser_may_be_assigned(analyst_client, analyst, superuser, registry):
    alert = registry["alert"]
    url = f"/api/v1/alerts/{alert.pk}/assign/"

    assert analyst_client.post(url, {"assignee": analyst.pk}, format="json").status_code == 200
    assert analyst_client.post(url, {"assignee": superuser.pk}, format="json").status_code == 200
    alert.refresh_from_db()
    assert alert.assignee == superuser


def test_analyst_dismisses_and_assigns(analyst_client, analyst, buyer, registry):
    alert = registry["alert"]

    assigned = analyst_client.post(
        f"/api/v1/alerts/{alert.pk}/assign/", {"assignee": buyer.pk}, format="json"
    )
    dismissed = analyst_client.post(
        f"/api/v1/alerts/{alert.pk}/dismiss/", {"note": "Deal fell through."}, format="json"
    )

    assert assigned.status_code == 200
    assert dismissed.status_code == 200
    assert dismissed.json()["status"] == "dismissed"
    alert.refresh_from_db()
    assert (alert.assignee, alert.handled_by, alert.resolution_note) == (
        buyer,
        analyst,
        "Deal fell through.",
    )


def test_unassign_with_null(analyst_client, buyer, registry):
    alert = registry["alert"]
    alert.assignee = buyer
    alert.save()

    response = analyst_client.post(
        f"/api/v1/alerts/{alert.pk}/assign/", {"assignee": None}, format="json"
    )

    assert response.status_code == 200
    alert.refresh_from_db()
    assert alert.assignee is None
