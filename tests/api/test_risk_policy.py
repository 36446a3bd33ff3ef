"""``risk-policy/``: read the policy in force; a Risk analyst's edit stores a new version and
rechecks every vendor in the background, in batches, with alerts naming the version."""

import datetime
from decimal import Decimal

import pytest

from alerts.models import Alert
from registry.choices import RecheckReason
from registry.models import RecheckRequest, RiskPolicy
from registry.services import policy as policy_service
from tests.factories import EntityFactory, OwnershipFactory, VendorFactory, WatchlistEntryFactory

URL = "/api/v1/risk-policy/"


@pytest.fixture
def rival_holds_22_percent(db):
    """A competitor with 22% of a confidential-data vendor: medium under the default policy."""
    rival = EntityFactory(name="Rival Corp")
    WatchlistEntryFactory(entity=rival, category="competitor")
    target = EntityFactory(name="Target Co")
    OwnershipFactory(
        owner=rival, owned=target, share=Decimal("22"), start_date=datetime.date(2020, 1, 1)
    )
    return VendorFactory(entity=target, data_access="confidential")


def test_any_role_reads_the_policy_in_force(viewer_client, db):
    body = viewer_client.get(URL).json()

    assert body["version"] == RiskPolicy.objects.order_by("-version").first().version
    assert (body["critical_share"], body["high_share"], body["medium_share"]) == (
        "50.0000",
        "25.0000",
        "10.0000",
    )
    assert body["escalate_restricted"] is True
    assert (body["interlock_severity"], body["undisclosed_severity"]) == ("high", "low")
    assert body["recheck"] == {"batches": 0, "done": 0, "failed": 0, "finished": True}
    assert "updated_at" in body and "note" not in body


def test_procurement_may_not_edit_the_policy(buyer_client, db):
    assert buyer_client.patch(URL, {"high_share": "20"}, format="json").status_code == 403


def test_an_edit_stores_a_version_and_rechecks_every_vendor_naming_it(
    analyst_client, rival_holds_22_percent, monkeypatch, django_capture_on_commit_callbacks
):
    vendor = rival_holds_22_percent
    for _ in range(4):
        VendorFactory()
    monkeypatch.setattr(policy_service, "POLICY_RECHECK_BATCH", 2)
    before = RiskPolicy.objects.order_by("-version").first().version

    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.patch(
            URL, {"high_share": "20", "note": "Tighter after review."}, format="json"
        )

    body = response.json()
    assert response.status_code == 200
    assert (body["version"], body["high_share"]) == (before + 1, "20.0000")
    # Five vendors in batches of two: three recheck tasks, all done.
    assert body["recheck"] == {"batches": 3, "done": 0, "failed": 0, "finished": False}
    assert analyst_client.get(URL).json()["recheck"] == {
        "batches": 3,
        "done": 3,
        "failed": 0,
        "finished": True,
    }
    requests = RecheckRequest.objects.filter(policy__version=before + 1)
    assert {r.reason for r in requests} == {RecheckReason.POLICY_CHANGED}
    assert sorted(len(r.entity_ids) for r in requests) == [1, 2, 2]
    vendor.refresh_from_db()
    assert vendor.risk_level == "high"
    alert = Alert.objects.get(kind="risk_increased", vendor=vendor)
    assert alert.event is None and alert.severity == "high"
    assert alert.title.endswith(f"under risk policy version {before + 1}")


def test_thresholds_out_of_order_are_refused_and_no_version_is_stored(analyst_client, db):
    before = RiskPolicy.objects.count()

    response = analyst_client.patch(URL, {"high_share": "60"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "high_share": ["Thresholds must satisfy 0 < medium ≤ high ≤ critical ≤ 100."]
    }
    assert RiskPolicy.objects.count() == before
    assert not RecheckRequest.objects.exists()


def test_a_bad_severity_names_the_field(analyst_client, db):
    response = analyst_client.put(
        URL, {**analyst_client.get(URL).json(), "undisclosed_severity": "severe"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["undisclosed_severity"]
