"""``GET vendors/{id}/risk/?as_of=``: the risk on another date, computed and not stored."""

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from registry import services
from registry.models import RiskAssessment
from tests.pipeline.scenario import DEAL_DATE, build_reference_registry, log_reference_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def reference(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ref = build_reference_registry()
        log_reference_events(ref)
    return ref


@pytest.fixture
def viewer_api(viewer):
    client = APIClient()
    client.force_authenticate(viewer)
    return client


def test_risk_before_the_deal_is_low_and_nothing_is_stored(reference, viewer_api):
    stored = RiskAssessment.objects.count()
    day_before = DEAL_DATE - datetime.timedelta(days=1)
    answer = viewer_api.get(
        f"/api/v1/vendors/{reference.scale_vendor.pk}/risk/", {"as_of": day_before.isoformat()}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert (body["vendor"], body["level"], body["score"], body["factors"]) == (
        reference.scale_vendor.pk,
        "low",
        0,
        [],
    )
    assert RiskAssessment.objects.count() == stored


def test_risk_on_the_deal_date_explains_each_factor(reference, viewer_api):
    body = viewer_api.get(
        f"/api/v1/vendors/{reference.remotasks_vendor.pk}/risk/", {"as_of": "2025-06-13"}
    ).json()
    assert body["level"] == "high"
    (factor,) = body["factors"]
    assert (factor["code"], factor["party"], factor["effective_share"], factor["path"]) == (
        "competitor_ownership",
        reference.meta.pk,
        49.0,
        [reference.meta.pk, reference.scale.pk, reference.remotasks.pk],
    )


def test_risk_of_a_future_stake_is_projected(
    reference, viewer_api, django_capture_on_commit_callbacks
):
    closing = datetime.date.today() + datetime.timedelta(days=60)
    with django_capture_on_commit_callbacks(execute=True):
        services.ownership_event_log(
            kind="stake_change",
            subject=reference.scale,
            counterparty=reference.meta,
            share=Decimal(70),
            effective_date=closing,
        )
    url = f"/api/v1/vendors/{reference.remotasks_vendor.pk}/risk/"
    assert viewer_api.get(url, {"as_of": closing.isoformat()}).json()["level"] == "critical"
    assert viewer_api.get(url).json()["level"] == "high"


@pytest.mark.parametrize("value", ["yesterday", "2025-13-01", "1850-01-01", ""])
def test_bad_as_of_is_refused_on_the_field(reference, viewer_api, value):
    answer = viewer_api.get(f"/api/v1/vendors/{reference.scale_vendor.pk}/risk/", {"as_of": value})
    assert answer.status_code == 400
    assert list(answer.json()) == ["as_of"]
