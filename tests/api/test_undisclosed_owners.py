"""The API shows the ``undisclosed_ownership`` factor in a vendor's risk, graded by the
policy's ``undisclosed_severity``, which a policy edit changes (and rechecks)."""

import datetime
from decimal import Decimal

import pytest

from registry import services
from tests.factories import EntityFactory

SINCE = datetime.date(2020, 1, 1)


@pytest.fixture
def flagged(db, django_capture_on_commit_callbacks):
    """Quarry Trust (owners undisclosed) → Orchard Holdco 60% → Orchard Data 50% (a vendor)."""
    trust, holdco, data = (
        EntityFactory(name=n) for n in ("Quarry Trust", "Orchard Holdco", "Orchard Data")
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.ownership_set(owner=trust, owned=holdco, share=Decimal(60), start_date=SINCE)
        services.ownership_set(owner=holdco, owned=data, share=Decimal(50), start_date=SINCE)
        vendor = services.vendor_create(entity=data, category="cloud", tier=2)
        services.entity_update(entity=trust, owners_undisclosed=True)
    return {"trust": trust, "holdco": holdco, "vendor": vendor}


def test_vendor_risk_lists_the_factor_and_a_policy_edit_regrades_it(
    viewer_client, analyst_client, flagged, django_capture_on_commit_callbacks
):
    trust, holdco, vendor = flagged["trust"], flagged["holdco"], flagged["vendor"]
    url = f"/api/v1/vendors/{vendor.pk}/risk/"
    body = viewer_client.get(url).json()
    assert (body["level"], body["score"]) == ("low", 4)
    assert [
        (f["code"], f["severity"], f["party"], f["effective_share"], f["path"])
        for f in body["factors"]
    ] == [
        (
            "undisclosed_ownership",
            "low",
            trust.pk,
            30.0,
            [trust.pk, holdco.pk, vendor.entity_id],
        )
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.patch(
            "/api/v1/risk-policy/", {"undisclosed_severity": "medium"}, format="json"
        )
    assert (response.status_code, response.json()["undisclosed_severity"]) == (200, "medium")
    body = viewer_client.get(url).json()
    assert (body["level"], body["score"], body["factors"][0]["severity"]) == (
        "medium",
        31,
        "medium",
    )
