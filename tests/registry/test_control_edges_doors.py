"""The ``control`` interest through every door: the API and the web form write it (without a
share), the vendor page draws it, and a competitor's control edge makes it control the vendor."""

import datetime

from django.test import Client
from rest_framework.test import APIClient

from core.tokens import api_token_issue
from registry.models import Ownership
from tests.factories import EntityFactory, OwnershipFactory, VendorFactory, WatchlistEntryFactory


def _api(user) -> APIClient:
    client = APIClient()
    _token, key = api_token_issue(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_api_writes_a_control_edge_and_refuses_one_with_a_share(buyer, db):
    parent, child = EntityFactory(name="Parent"), EntityFactory(name="Child")
    body = {
        "owner": parent.pk,
        "owned": child.pk,
        "interest": "control",
        "start_date": "2024-01-01",
    }
    client = _api(buyer)

    refused = client.post("/api/v1/ownerships/", {**body, "share": "60"}, format="json")
    created = client.post("/api/v1/ownerships/", body, format="json")

    assert refused.status_code == 400 and list(refused.json()) == ["share"]
    assert created.status_code == 201
    assert (created.json()["interest"], created.json()["share"]) == ("control", None)
    assert Ownership.objects.get().interest == "control"


def test_a_competitors_control_edge_on_the_parent_is_drawn_and_makes_the_vendor_critical(
    viewer, django_capture_on_commit_callbacks
):
    rival = EntityFactory(name="Rival Corp")
    WatchlistEntryFactory(entity=rival, category="competitor")
    parent, child = EntityFactory(name="Parent Co"), EntityFactory(name="Child Co")
    OwnershipFactory(
        owner=rival,
        owned=parent,
        interest="control",
        share=None,
        start_date=datetime.date(2020, 1, 1),
    )
    OwnershipFactory(owner=parent, owned=child, share=100, start_date=datetime.date(2020, 1, 1))
    vendor = VendorFactory(entity=child)

    client = _api(viewer)
    risk = client.get(f"/api/v1/vendors/{vendor.pk}/risk/?as_of=2025-01-01").json()
    web = Client()
    web.force_login(viewer)
    page = web.get(f"/vendors/{vendor.pk}/")

    codes = {factor["code"]: factor for factor in risk["factors"]}
    assert risk["level"] == "critical"
    assert codes["competitor_control"]["party"] == rival.pk
    assert codes["competitor_ownership"]["effective_share"] == 0.0
    assert page.status_code == 200
    assert ">control<" in page.content.decode()
