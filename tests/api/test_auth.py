"""Authentication: tokens first (so anonymous is 401), sessions with CSRF, the throttled token
endpoint, and the public schema and docs served without a CDN."""

import re

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from core.models import ApiToken
from core.tokens import api_token_digest

pytestmark = pytest.mark.django_db


def test_anonymous_gets_401_with_a_token_challenge(anon_client):
    response = anon_client.get("/api/v1/vendors/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_wrong_token_is_401(anon_client, registry):
    anon_client.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")

    response = anon_client.get("/api/v1/vendors/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_token_from_the_endpoint_opens_the_api(anon_client, viewer, registry):
    response = anon_client.post(
        "/api/v1/auth/token/",
        {"username": "viewer", "password": "pw-for-tests-only"},
        format="json",
    )
    anon_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")

    assert response.status_code == 200
    key = response.json()["token"]
    assert response.json() == {"token": key, "expires_at": None}
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    # Stored as its digest only: the key itself is nowhere in the database.
    token = ApiToken.objects.get(user=viewer)
    assert (token.digest, token.prefix) == (api_token_digest(key), key[:8])
    assert not ApiToken.objects.filter(digest=key).exists()
    assert anon_client.get("/api/v1/vendors/").json()["count"] == 2


def test_wrong_password_gets_no_token(anon_client, viewer):
    response = anon_client.post(
        "/api/v1/auth/token/", {"username": "viewer", "password": "guess"}, format="json"
    )

    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert not ApiToken.objects.filter(user=viewer).exists()


def test_token_endpoint_is_throttled_after_ten_tries_a_minute(anon_client, viewer):
    statuses = [
        anon_client.post(
            "/api/v1/auth/token/", {"username": "viewer", "password": "guess"}, format="json"
        ).status_code
        for _ in range(11)
    ]

    assert statuses == [400] * 10 + [429]


def test_reads_are_not_throttled(viewer_client, registry):
    statuses = {viewer_client.get("/api/v1/vendors/").status_code for _ in range(25)}

    assert statuses == {200}


def test_drf_create_token_command_makes_a_working_token(viewer, registry, capsys):
    call_command("drf_create_token", "viewer")
    key = re.search(r"[0-9a-f]{40}", capsys.readouterr().out).group(0)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert client.get("/api/v1/entities/").status_code == 200


def test_session_reads_work_and_writes_need_the_csrf_token(buyer, registry):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(buyer)

    read = client.get("/api/v1/vendors/")
    refused = client.post("/api/v1/entities/", {"name": "No CSRF"}, format="json")
    csrf = client.get("/admin/login/").cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/entities/", {"name": "With CSRF"}, format="json", HTTP_X_CSRFTOKEN=csrf
    )

    assert read.status_code == 200
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert accepted.status_code == 201


def test_schema_is_public_openapi_3(anon_client):
    response = anon_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/entities/",
        "/api/v1/watchlist/",
        "/api/v1/ownerships/",
        "/api/v1/vendors/{id}/risk/",
        "/api/v1/vendors/{id}/recheck/",
        "/api/v1/contracts/",
        "/api/v1/ownership-events/preview/",
        "/api/v1/alerts/{id}/acknowledge/",
        "/api/v1/alerts/{id}/resolve/",
        "/api/v1/vendors/{id}/history/",
    ):
        assert path in schema["paths"], path
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_docs_are_public_and_load_their_assets_locally(anon_client):
    response = anon_client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost|testserver)[^\"']+\.(js|css)", html)


def test_schema_generates_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null", verbosity=0)


def _directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


def test_api_answers_are_not_stored(viewer_client, anon_client, viewer, registry):
    for response in (
        viewer_client.get("/api/v1/vendors/"),
        viewer_client.get(f"/api/v1/vendors/{registry['scale_vendor'].pk}/risk/"),
        anon_client.get("/api/v1/vendors/"),
    ):
        assert {"no-store", "private"} <= _directives(response), response.status_code


def test_a_token_answer_is_not_stored(anon_client, viewer):
    response = anon_client.post(
        "/api/v1/auth/token/",
        {"username": "viewer", "password": "pw-for-tests-only"},
        format="json",
    )
    assert response.status_code == 200
    assert {"no-store", "private"} <= _directives(response)
