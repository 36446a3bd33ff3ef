"""The role matrix (docs/api.md), held by the API: every endpoint × every role × read and write.

Anonymous requests get 401; a signed-in user whose role lacks the right gets 403; a role with
the right gets the endpoint's success status.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from config.api_router import router
from registry.models import OwnershipEvent
from tests.api.conftest import token_client
from tests.factories import ContractFactory, EntityFactory

pytestmark = pytest.mark.django_db

ANONYMOUS, NOBODY, VIEWER, BUYER, ANALYST, SUPERUSER = (
    "anonymous",
    "nobody",
    "viewer",
    "buyer",
    "analyst",
    "superuser",
)
ROLES = (ANONYMOUS, NOBODY, VIEWER, BUYER, ANALYST, SUPERUSER)
READERS = frozenset({VIEWER, BUYER, ANALYST, SUPERUSER})
PROCUREMENT_UP = frozenset({BUYER, ANALYST, SUPERUSER})
ANALYST_UP = frozenset({ANALYST, SUPERUSER})


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: Callable[[dict], str]
    allowed: frozenset[str]
    success: int
    body: Callable[[dict], dict] | None = None


def _detail(resource: str, key: str, suffix: str = "") -> Callable[[dict], str]:
    return lambda reg: f"/api/v1/{resource}/{reg[key].pk}/{suffix}"


def _list(resource: str) -> Callable[[dict], str]:
    return lambda reg: f"/api/v1/{resource}/"


def _spare_entity(reg: dict) -> str:
    return f"/api/v1/entities/{EntityFactory(name='Spare').pk}/"


def _spare_contract(reg: dict) -> str:
    return f"/api/v1/contracts/{ContractFactory(vendor=reg['remotasks_vendor']).pk}/"


def _event_body(reg: dict) -> dict:
    return {
        "kind": "stake_change",
        "subject": reg["scale"].pk,
        "counterparty": reg["meta"].pk,
        "share": "40",
        "effective_date": "2025-09-01",
    }


def _an_event(reg) -> OwnershipEvent:
    return OwnershipEvent.objects.create(
        kind="stake_change",
        subject=reg["scale"],
        counterparty=reg["meta"],
        share=40,
        effective_date=datetime.date(2025, 9, 1),
    )


RESOURCES = {
    "entities": "scale",
    "watchlist": "competitor",
    "ownerships": "stake",
    "vendors": "scale_vendor",
    "contracts": "contract",
    "ownership-events": None,
    "alerts": "alert",
}
HISTORY = ("entities", "watchlist", "ownerships", "vendors", "contracts", "alerts")

READS = [
    *(Endpoint(f"list {r}", "get", _list(r), READERS, 200) for r in RESOURCES),
    *(
        Endpoint(f"detail {r}", "get", _detail(r, key), READERS, 200)
        for r, key in RESOURCES.items()
        if key
    ),
    *(
        Endpoint(f"history {r}", "get", _detail(r, RESOURCES[r], "history/"), READERS, 200)
        for r in HISTORY
    ),
    Endpoint("vendor risk", "get", _detail("vendors", "scale_vendor", "risk/"), READERS, 200),
    Endpoint("api root", "get", lambda reg: "/api/v1/", READERS | {NOBODY}, 200),
    Endpoint(
        "event progress",
        "get",
        lambda reg: f"/api/v1/ownership-events/{_an_event(reg).pk}/progress/",
        READERS,
        200,
    ),
]

WRITES = [
    Endpoint(
        "create entity",
        "post",
        _list("entities"),
        PROCUREMENT_UP,
        201,
        lambda reg: {"name": "New Co", "identifiers": [{"scheme": "DUNS", "id": "42"}]},
    ),
    Endpoint(
        "update entity",
        "patch",
        _detail("entities", "scale"),
        PROCUREMENT_UP,
        200,
        lambda reg: {"country": "GB"},
    ),
    Endpoint("delete entity", "delete", _spare_entity, PROCUREMENT_UP, 204),
    Endpoint(
        "create watchlist entry",
        "post",
        _list("watchlist"),
        ANALYST_UP,
        201,
        lambda reg: {"entity": reg["meta"].pk, "category": "state_owned", "reason": "Listed."},
    ),
    Endpoint(
        "update watchlist entry",
        "patch",
        _detail("watchlist", "competitor"),
        ANALYST_UP,
        200,
        lambda reg: {"reason": "Competes with us in AI."},
    ),
    Endpoint(
        "delete watchlist entry", "delete", _detail("watchlist", "competitor"), ANALYST_UP, 204
    ),
    Endpoint(
        "create ownership",
        "post",
        _list("ownerships"),
        PROCUREMENT_UP,
        201,
        lambda reg: {
            "owner": reg["person"].pk,
            "owned": reg["remotasks"].pk,
            "interest": "board_member",
            "start_date": "2024-01-01",
        },
    ),
    Endpoint(
        "update ownership",
        "patch",
        _detail("ownerships", "stake"),
        PROCUREMENT_UP,
        200,
        lambda reg: {"end_date": "2025-12-31"},
    ),
    Endpoint("delete ownership", "delete", _detail("ownerships", "stake"), PROCUREMENT_UP, 204),
    Endpoint(
        "create vendor",
        "post",
        _list("vendors"),
        PROCUREMENT_UP,
        201,
        lambda reg: {"entity": reg["meta"].pk, "tier": 4},
    ),
    Endpoint(
        "update vendor",
        "patch",
        _detail("vendors", "scale_vendor"),
        PROCUREMENT_UP,
        200,
        lambda reg: {"status": "suspended"},
    ),
    Endpoint(
        "delete vendor", "delete", _detail("vendors", "remotasks_vendor"), PROCUREMENT_UP, 204
    ),
    Endpoint(
        "create contract",
        "post",
        _list("contracts"),
        PROCUREMENT_UP,
        201,
        lambda reg: {
            "vendor": reg["remotasks_vendor"].pk,
            "reference": "RT-2025",
            "title": "Annotation",
            "value": "1000.00",
            "start_date": "2025-01-01",
        },
    ),
    Endpoint(
        "update contract",
        "patch",
        _detail("contracts", "contract"),
        PROCUREMENT_UP,
        200,
        lambda reg: {"title": "Renewed"},
    ),
    Endpoint("delete contract", "delete", _spare_contract, PROCUREMENT_UP, 204),
    Endpoint("log event", "post", _list("ownership-events"), PROCUREMENT_UP, 201, _event_body),
    Endpoint(
        "preview event",
        "post",
        lambda reg: "/api/v1/ownership-events/preview/",
        PROCUREMENT_UP,
        200,
        _event_body,
    ),
    Endpoint(
        "recheck vendor",
        "post",
        _detail("vendors", "scale_vendor", "recheck/"),
        PROCUREMENT_UP,
        202,
    ),
    Endpoint(
        "acknowledge alert",
        "post",
        _detail("alerts", "alert", "acknowledge/"),
        PROCUREMENT_UP,
        200,
    ),
    Endpoint(
        "resolve alert",
        "post",
        _detail("alerts", "alert", "resolve/"),
        PROCUREMENT_UP,
        200,
        lambda reg: {"note": "Handled."},
    ),
    Endpoint(
        "dismiss alert",
        "post",
        _detail("alerts", "alert", "dismiss/"),
        ANALYST_UP,
        200,
        lambda reg: {"note": "No concern."},
    ),
    Endpoint(
        "assign alert",
        "post",
        _detail("alerts", "alert", "assign/"),
        ANALYST_UP,
        200,
        lambda reg: {"assignee": None},
    ),
]


@pytest.fixture
def client_for(request):
    def make(role: str):
        if role == ANONYMOUS:
            return token_client(None)
        fixture = {NOBODY: "nobody", SUPERUSER: "superuser"}.get(role, role)
        return token_client(request.getfixturevalue(fixture))

    return make


def _call(endpoint: Endpoint, client, registry):
    path = endpoint.path(registry)
    body = endpoint.body(registry) if endpoint.body else None
    return getattr(client, endpoint.method)(path, body, format="json")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", READS + WRITES, ids=lambda e: e.name)
def test_role_matrix(endpoint, role, client_for, registry):
    response = _call(endpoint, client_for(role), registry)

    if role in endpoint.allowed:
        assert response.status_code == endpoint.success, response.content
    elif role == ANONYMOUS:
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json() == {"detail": "Authentication credentials were not provided."}
    else:
        assert response.status_code == 403
        assert response.json() == {"detail": "You do not have permission to perform this action."}


def _route(path: str) -> tuple[str, str | None]:
    parts = path.split("/api/v1/")[1].strip("/").split("/")
    last = parts[-1]
    return parts[0], None if len(parts) == 1 or last.isdigit() else last


def test_matrix_covers_every_resource_and_action(registry):
    covered = {_route(endpoint.path(registry)) for endpoint in READS + WRITES}
    routed = {(prefix, None) for prefix, _, _ in router.registry} | {
        (prefix, extra.url_path)
        for prefix, viewset, _ in router.registry
        for extra in viewset.get_extra_actions()
    }

    assert routed <= covered
    assert {prefix for prefix, _, _ in router.registry} == set(RESOURCES)


def test_denied_write_changes_nothing(viewer_client, registry):
    response = viewer_client.patch(
        f"/api/v1/vendors/{registry['scale_vendor'].pk}/", {"tier": 4}, format="json"
    )

    registry["scale_vendor"].refresh_from_db()
    assert response.status_code == 403
    assert registry["scale_vendor"].tier == 1
