"""API tokens are stored as digests, shown once, may expire, and record when they were used."""

import datetime
import hashlib
import importlib
import re
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import ApiToken
from core.tokens import api_token_digest, api_token_issue

pytestmark = pytest.mark.django_db


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _exchange(username: str = "viewer") -> dict:
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": username, "password": "pw-for-tests-only"},
        format="json",
    )
    assert response.status_code == 200
    return response.json()


def test_each_exchange_issues_a_new_key_and_both_work(viewer):
    first, second = _exchange()["token"], _exchange()["token"]

    assert first != second
    assert ApiToken.objects.filter(user=viewer).count() == 2
    assert {_client(key).get("/api/v1/vendors/").status_code for key in (first, second)} == {200}
    stored = set(ApiToken.objects.values_list("digest", flat=True))
    assert stored == {hashlib.sha256(key.encode()).hexdigest() for key in (first, second)}


def test_an_expired_token_is_401(viewer):
    token, key = api_token_issue(
        user=viewer, expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    response = _client(key).get("/api/v1/vendors/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Token has expired."}
    token.refresh_from_db()
    assert token.last_used_at is None


def test_a_token_of_an_inactive_user_is_401(viewer):
    _token, key = api_token_issue(user=viewer)
    viewer.is_active = False
    viewer.save()

    response = _client(key).get("/api/v1/vendors/")

    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


def test_the_endpoint_issues_tokens_with_the_configured_expiry(viewer, settings):
    settings.API_TOKEN_EXPIRY_DAYS = 30
    before = timezone.now()

    answer = _exchange()

    token = ApiToken.objects.get(user=viewer)
    assert token.expires_at - before >= datetime.timedelta(days=30)
    assert token.expires_at - before < datetime.timedelta(days=30, seconds=10)
    assert answer["expires_at"] == token.expires_at.isoformat().replace("+00:00", "Z")


def _token_writes(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/vendors/").status_code == 200
    return sum(q["sql"].startswith('UPDATE "core_apitoken"') for q in queries.captured_queries)


def test_last_use_is_written_at_most_once_a_minute(viewer):
    token, key = api_token_issue(user=viewer)
    client = _client(key)

    assert _token_writes(client) == 1
    token.refresh_from_db()
    first_use = token.last_used_at
    assert timezone.now() - first_use < datetime.timedelta(seconds=10)
    assert _token_writes(client) == 0  # within the minute
    token.refresh_from_db()
    assert token.last_used_at == first_use

    earlier = first_use - datetime.timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    assert _token_writes(client) == 1
    token.refresh_from_db()
    assert token.last_used_at >= first_use


def test_issuing_a_token_is_in_its_audit_history(viewer, analyst):
    token, _key = api_token_issue(user=viewer, name="ticketing", actor=analyst)

    (record,) = token.history.all()
    assert (record.history_type, record.history_user, record.name) == ("+", analyst, "ticketing")


# --- drf_create_token -------------------------------------------------------------------------


def _key_printed(capsys) -> str:
    return re.search(r"Generated token ([0-9a-f]{40}) for user", capsys.readouterr().out).group(1)


def test_the_command_can_set_an_expiry_and_revoke_the_others(viewer, capsys):
    call_command("drf_create_token", "viewer")
    old = _key_printed(capsys)
    call_command("drf_create_token", "viewer", "--expires-in-days", "7", "--reset")
    new = _key_printed(capsys)

    (token,) = ApiToken.objects.filter(user=viewer)
    assert token.digest == api_token_digest(new)
    left = token.expires_at - timezone.now()
    assert datetime.timedelta(days=6, hours=23) < left <= datetime.timedelta(days=7)
    assert _client(old).get("/api/v1/vendors/").status_code == 401
    assert _client(new).get("/api/v1/vendors/").status_code == 200


def test_the_command_names_an_unknown_user(db):
    with pytest.raises(CommandError, match="There is no user 'ghost'."):
        call_command("drf_create_token", "ghost")


# --- Tokens issued before hashing --------------------------------------------------------------


def test_tokens_of_the_old_table_are_hashed_and_keep_working(viewer):
    old_key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    issued = datetime.datetime(2025, 3, 1, 9, 30, tzinfo=datetime.UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            'CREATE TABLE authtoken_token ("key" varchar(40) PRIMARY KEY, '
            "created timestamp NOT NULL, user_id integer NOT NULL)"
        )
        cursor.execute(
            'INSERT INTO authtoken_token ("key", created, user_id) VALUES (%s, %s, %s)',
            [
                old_key,
                issued if connection.vendor == "postgresql" else "2025-03-01 09:30:00",
                viewer.pk,
            ],
        )
    migration = importlib.import_module("core.migrations.0002_hash_existing_tokens")

    migration.hash_existing_tokens(django_apps, SimpleNamespace(connection=connection))

    token = ApiToken.objects.get(user=viewer)
    assert (token.prefix, token.digest) == ("9944b091", api_token_digest(old_key))
    assert token.created_at == issued
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone() == (0,)
    assert _client(old_key).get("/api/v1/vendors/").status_code == 200


# --- The admin -----------------------------------------------------------------------------------


def test_the_admin_shows_a_new_key_once_and_never_again(superuser, viewer):
    client = Client()
    client.force_login(superuser)

    response = client.post(
        "/admin/core/apitoken/add/", {"user": viewer.pk, "name": "ticketing", "expires_at": ""}
    )

    assert response.status_code == 200
    key = re.search(r'<code id="api-token-key">([0-9a-f]{40})</code>', response.content.decode())
    token = ApiToken.objects.get(user=viewer)
    assert token.digest == api_token_digest(key.group(1))
    assert token.history.get().history_user == superuser
    change = client.get(f"/admin/core/apitoken/{token.pk}/change/").content.decode()
    listing = client.get("/admin/core/apitoken/").content.decode()
    assert key.group(1) not in change and key.group(1) not in listing
    assert token.prefix in listing
