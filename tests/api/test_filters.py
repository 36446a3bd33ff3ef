"""Every filter of the contract narrows the list; a value it cannot read is a 400 naming it."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from alerts.models import Alert
from registry.models import EntityIdentifier, OwnershipEvent
from tests.factories import (
    ContractFactory,
    EntityFactory,
    OwnershipFactory,
    VendorFactory,
    WatchlistEntryFactory,
)

pytestmark = pytest.mark.django_db


def _ids(client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, response.json()
    return sorted(item["id"] for item in response.json()["results"])


def test_entities_search_by_name_ignores_case(viewer_client, registry):
    assert _ids(viewer_client, "/api/v1/entities/?search=scALE") == [registry["scale"].pk]
    assert _ids(viewer_client, "/api/v1/entities/?search=a") == sorted(
        registry[key].pk for key in ("meta", "scale", "remotasks", "person")
    )
    assert _ids(viewer_client, "/api/v1/entities/?search=nothing-like-it") == []


def test_entities_by_lei(viewer_client, registry):
    assert _ids(viewer_client, "/api/v1/entities/?lei=BQ4BKCS1HXDV9HN80Z93") == [
        registry["meta"].pk
    ]
    assert _ids(viewer_client, "/api/v1/entities/?lei=529900T8BM49AURSDO55") == []


def test_entities_by_identifier_scheme_and_id(viewer_client, registry):
    other = EntityFactory(name="Other")
    EntityIdentifier.objects.create(entity=other, scheme="GB-COH", value="081234567")

    assert _ids(viewer_client, "/api/v1/entities/?identifier=DUNS:081234567") == [
        registry["scale"].pk
    ]
    assert _ids(viewer_client, "/api/v1/entities/?identifier=GB-COH:081234567") == [other.pk]
    assert _ids(viewer_client, "/api/v1/entities/?identifier=DUNS:000") == []


def test_watchlist_by_category(viewer_client, registry):
    sanctioned = WatchlistEntryFactory(category="sanctioned", reason="OFAC SDN list.")

    assert _ids(viewer_client, "/api/v1/watchlist/?category=sanctioned") == [sanctioned.pk]
    assert _ids(viewer_client, "/api/v1/watchlist/?category=competitor") == [
        registry["competitor"].pk
    ]
    assert _ids(viewer_client, "/api/v1/watchlist/?category=state_owned") == []


def test_ownerships_by_owner_and_owned(viewer_client, registry):
    assert _ids(viewer_client, f"/api/v1/ownerships/?owner={registry['meta'].pk}") == [
        registry["stake"].pk
    ]
    assert _ids(viewer_client, f"/api/v1/ownerships/?owned={registry['scale'].pk}") == sorted(
        [registry["stake"].pk, registry["old_stake"].pk]
    )
    assert _ids(
        viewer_client,
        f"/api/v1/ownerships/?owner={registry['scale'].pk}&owned={registry['remotasks'].pk}",
    ) == [registry["subsidiary"].pk]


def test_ownerships_active_today_leaves_out_ended_and_future_edges(viewer_client, registry):
    today = timezone.localdate()
    future = OwnershipFactory(start_date=today + datetime.timedelta(days=30))
    ends_today = OwnershipFactory(
        start_date=datetime.date(2020, 1, 1), end_date=today, share=Decimal("3")
    )

    active = _ids(viewer_client, "/api/v1/ownerships/?active=true")
    inactive = _ids(viewer_client, "/api/v1/ownerships/?active=false")

    assert active == sorted([registry["stake"].pk, registry["subsidiary"].pk, ends_today.pk])
    assert inactive == sorted([registry["old_stake"].pk, future.pk])


def test_vendors_by_risk_level_and_entity(viewer_client, registry):
    critical = VendorFactory()
    critical.risk_level = "critical"
    critical.save()

    assert _ids(viewer_client, "/api/v1/vendors/?risk_level=critical") == [critical.pk]
    assert _ids(viewer_client, "/api/v1/vendors/?risk_level=low") == sorted(
        [registry["scale_vendor"].pk, registry["remotasks_vendor"].pk]
    )
    assert _ids(viewer_client, f"/api/v1/vendors/?entity={registry['remotasks'].pk}") == [
        registry["remotasks_vendor"].pk
    ]


def test_contracts_by_vendor(viewer_client, registry):
    other = ContractFactory(vendor=registry["remotasks_vendor"])

    assert _ids(viewer_client, f"/api/v1/contracts/?vendor={registry['scale_vendor'].pk}") == [
        registry["contract"].pk
    ]
    assert _ids(viewer_client, f"/api/v1/contracts/?vendor={registry['remotasks_vendor'].pk}") == [
        other.pk
    ]


def test_events_by_status(viewer_client, registry):
    def event(status: str) -> OwnershipEvent:
        return OwnershipEvent.objects.create(
            kind="other",
            subject=registry["scale"],
            effective_date=datetime.date(2025, 1, 1),
            status=status,
        )

    pending, processed, failed = event("pending"), event("processed"), event("failed")

    assert _ids(viewer_client, "/api/v1/ownership-events/?status=pending") == [pending.pk]
    assert _ids(viewer_client, "/api/v1/ownership-events/?status=processed") == [processed.pk]
    assert _ids(viewer_client, "/api/v1/ownership-events/?status=failed") == [failed.pk]
    assert _ids(viewer_client, "/api/v1/ownership-events/?status=processing") == []


def test_alerts_by_vendor_status_event_and_contract(viewer_client, registry):
    event = OwnershipEvent.objects.create(
        kind="other", subject=registry["remotasks"], effective_date=datetime.date(2025, 1, 1)
    )
    risen = Alert.objects.create(
        kind="risk_increased",
        severity="high",
        title="Remotasks is now high",
        vendor=registry["remotasks_vendor"],
        event=event,
        status="acknowledged",
        dedup_key="test:risen",
    )
    coc = registry["alert"]

    assert _ids(viewer_client, f"/api/v1/alerts/?vendor={registry['remotasks_vendor'].pk}") == [
        risen.pk
    ]
    assert _ids(viewer_client, "/api/v1/alerts/?status=open") == [coc.pk]
    assert _ids(viewer_client, "/api/v1/alerts/?status=acknowledged") == [risen.pk]
    assert _ids(viewer_client, f"/api/v1/alerts/?event={event.pk}") == [risen.pk]
    assert _ids(viewer_client, f"/api/v1/alerts/?contract={registry['contract'].pk}") == [coc.pk]
    assert (
        _ids(viewer_client, f"/api/v1/alerts/?vendor={registry['scale_vendor'].pk}&status=resolved")
        == []
    )


GARBAGE = [
    ("entities", "identifier", "no-scheme"),
    ("entities", "identifier", ":123"),
    ("entities", "search", "nul\x00byte"),
    ("entities", "lei", "X" * 300),
    ("watchlist", "category", "friend"),
    ("ownerships", "owner", "abc"),
    ("ownerships", "owned", "1.5"),
    ("ownerships", "owner", "99999999999999999999999999"),
    ("ownerships", "active", "maybe"),
    ("vendors", "risk_level", "extreme"),
    ("vendors", "entity", "-1"),
    ("contracts", "vendor", "'; drop table"),
    ("ownership-events", "status", "done"),
    ("alerts", "vendor", "x"),
    ("alerts", "status", "closed"),
    ("alerts", "event", "1e5"),
    ("alerts", "contract", "[]"),
]


@pytest.mark.parametrize(("resource", "name", "value"), GARBAGE)
def test_garbage_filter_value_is_400_naming_the_filter(
    viewer_client, registry, resource, name, value
):
    response = viewer_client.get(f"/api/v1/{resource}/", {name: value})

    assert response.status_code == 400
    assert list(response.json()) == [name]
    assert isinstance(response.json()[name], list)
    assert response.json()[name][0]


def test_filter_by_unknown_id_is_400_naming_the_filter(viewer_client, registry):
    response = viewer_client.get("/api/v1/alerts/", {"vendor": 987654})

    assert response.status_code == 400
    assert "vendor" in response.json()
