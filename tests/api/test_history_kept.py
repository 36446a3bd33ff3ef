"""History cannot be deleted: a DELETE that would lose an assessment, an alert, a factor or an
event's record answers 409 with the reason and what to do instead."""

import datetime
from decimal import Decimal

import pytest
from django.db.models.deletion import ProtectedError

from registry import services
from registry.models import Entity, Ownership, RiskAssessment, RiskFactor, Vendor
from tests.factories import EntityFactory, VendorFactory

pytestmark = pytest.mark.django_db


def test_deleting_a_vendor_with_assessments_is_409_offboard_it_instead(
    buyer_client, django_capture_on_commit_callbacks
):
    # Remotasks has no contract and no alert, only the assessment its registration produced.
    with django_capture_on_commit_callbacks(execute=True):
        remotasks = services.vendor_create(
            entity=services.entity_create(name="Remotasks"), tier=2, data_access="confidential"
        )
    assert RiskAssessment.objects.filter(vendor=remotasks).count() == 1

    response = buyer_client.delete(f"/api/v1/vendors/{remotasks.pk}/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Remotasks cannot be deleted: risk assessments (1) refer to it, and their "
        "history would be lost. Offboard it instead (status “offboarded”)."
    }
    assert Vendor.objects.filter(pk=remotasks.pk).exists()
    assert RiskAssessment.objects.filter(vendor=remotasks).count() == 1


def test_a_vendor_entered_by_mistake_with_no_history_can_still_be_deleted(buyer_client):
    mistake = VendorFactory(entity=EntityFactory(name="Typo Ltd"))

    response = buyer_client.delete(f"/api/v1/vendors/{mistake.pk}/")

    assert response.status_code == 204
    assert not Vendor.objects.filter(pk=mistake.pk).exists()


def test_a_vendors_assessments_are_protected_in_the_database_too(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        vendor = services.vendor_create(
            entity=services.entity_create(name="Remotasks"), tier=2, data_access="confidential"
        )
    with pytest.raises(ProtectedError):
        vendor.delete()
    assert RiskAssessment.objects.filter(vendor=vendor).count() == 1


def test_deleting_an_edge_an_event_wrote_is_409_naming_the_event(
    buyer_client, django_capture_on_commit_callbacks
):
    meta = services.entity_create(name="Meta Platforms")
    scale = services.entity_create(name="Scale AI")
    with django_capture_on_commit_callbacks(execute=True):
        event = services.ownership_event_log(
            kind="acquisition",
            subject=scale,
            counterparty=meta,
            share=Decimal(49),
            effective_date=datetime.date(2025, 6, 13),
        )
    edge = Ownership.objects.get(source_event=event)

    response = buyer_client.delete(f"/api/v1/ownerships/{edge.pk}/")

    assert response.status_code == 409
    detail = response.json()["detail"]
    assert f"(event {event.pk})" in detail
    assert str(event) in detail
    assert "End it instead" in detail
    assert Ownership.objects.get(pk=edge.pk).end_date is None


def test_deleting_an_entity_named_by_an_old_risk_factor_is_409(
    buyer_client, analyst_client, django_capture_on_commit_callbacks
):
    # Meta (competitor) held 49% of Scale; the stake and the listing were removed since, but
    # Scale's first assessment still names Meta as the party of its competitor_ownership.
    with django_capture_on_commit_callbacks(execute=True):
        meta = services.entity_create(name="Meta Platforms")
        scale = services.entity_create(name="Scale AI")
        entry = services.watchlist_entry_create(
            entity=meta, category="competitor", reason="Competes in AI."
        )
        stake = services.ownership_set(
            owner=meta, owned=scale, share=Decimal(49), start_date=datetime.date(2025, 6, 13)
        )
        services.vendor_create(entity=scale, tier=1, data_access="restricted")
    factors = RiskFactor.objects.filter(code="competitor_ownership")
    named = sorted({(factor.party_id, factor.effective_share) for factor in factors})
    assert named == [(meta.pk, Decimal("49.0000"))]
    count = factors.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert buyer_client.delete(f"/api/v1/ownerships/{stake.pk}/").status_code == 204
        assert analyst_client.delete(f"/api/v1/watchlist/{entry.pk}/").status_code == 204

    response = buyer_client.delete(f"/api/v1/entities/{meta.pk}/")

    assert response.status_code == 409
    assert f"risk factors ({count})" in response.json()["detail"]
    assert Entity.objects.filter(pk=meta.pk).exists()
    assert RiskFactor.objects.filter(party=meta).count() == count
