"""Fixtures of the API tests: clients signed in per role, and a small registry to read."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from alerts.models import Alert
from core.tokens import api_token_issue
from registry.models import EntityIdentifier
from tests.factories import (
    ContractFactory,
    EntityFactory,
    OwnershipFactory,
    PersonFactory,
    VendorFactory,
    WatchlistEntryFactory,
)


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


def token_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        _token, key = api_token_issue(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def viewer_client(viewer):
    return token_client(viewer)


@pytest.fixture
def buyer_client(buyer):
    return token_client(buyer)


@pytest.fixture
def analyst_client(analyst):
    return token_client(analyst)


@pytest.fixture
def admin_client_api(superuser):
    return token_client(superuser)


@pytest.fixture
def registry(db):
    """Meta (competitor) holds 49% of Scale AI, which owns Remotasks; both are vendors, Scale
    has a contract with a change-of-control clause and an open alert."""
    meta = EntityFactory(name="Meta Platforms", lei="BQ4BKCS1HXDV9HN80Z93")
    scale = EntityFactory(name="Scale AI")
    remotasks = EntityFactory(name="Remotasks")
    person = PersonFactory(name="Alexandr Wang")
    EntityIdentifier.objects.create(entity=scale, scheme="DUNS", value="081234567")
    competitor = WatchlistEntryFactory(entity=meta, category="competitor")
    stake = OwnershipFactory(
        owner=meta, owned=scale, share=Decimal("49"), start_date=datetime.date(2025, 6, 13)
    )
    subsidiary = OwnershipFactory(
        owner=scale, owned=remotasks, share=Decimal("100"), start_date=datetime.date(2019, 1, 1)
    )
    old_stake = OwnershipFactory(
        owner=person,
        owned=scale,
        share=Decimal("15"),
        start_date=datetime.date(2016, 1, 1),
        end_date=datetime.date(2024, 12, 31),
    )
    scale_vendor = VendorFactory(entity=scale, data_access="restricted", tier=1)
    remotasks_vendor = VendorFactory(entity=remotasks, data_access="confidential", tier=2)
    contract = ContractFactory(
        vendor=scale_vendor,
        reference="SCALE-2024-001",
        change_of_control_clause=True,
        coc_termination_window_days=30,
    )
    alert = Alert.objects.create(
        kind="change_of_control",
        severity="high",
        title="Change of control at Scale AI",
        vendor=scale_vendor,
        contract=contract,
        due_date=datetime.date(2025, 7, 13),
        dedup_key="test:coc:scale",
    )
    return {
        "meta": meta,
        "scale": scale,
        "remotasks": remotasks,
        "person": person,
        "competitor": competitor,
        "stake": stake,
        "subsidiary": subsidiary,
        "old_stake": old_stake,
        "scale_vendor": scale_vendor,
        "remotasks_vendor": remotasks_vendor,
        "contract": contract,
        "alert": alert,
    }
