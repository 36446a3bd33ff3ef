"""Sign-in pages are throttled (the ``auth`` rate), nothing else is."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_eleventh_sign_in_attempt_in_a_minute_is_refused(client, url, buyer):
    answers = [
        client.post(url, {"username": "buyer", "password": "wrong"}).status_code for _ in range(11)
    ]
    assert answers == [200] * 10 + [429]
    refused = client.post(url, {"username": "buyer", "password": "pw-for-tests-only"})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert b"Too many sign-in attempts" in refused.content


def test_sign_in_still_works_under_the_rate(client, buyer):
    response = client.post(
        "/accounts/login/", {"username": "buyer", "password": "pw-for-tests-only"}
    )
    assert response.status_code == 302


def test_pages_are_not_throttled(client, viewer):
    client.force_login(viewer)
    assert {client.get("/vendors/").status_code for _ in range(15)} == {200}


# --- Whose attempt it is: the real client address and the account tried ---------------------

SIGN_IN_DOORS = [
    ("/accounts/login/", 200),
    ("/admin/login/", 200),
    ("/api/v1/auth/token/", 400),
]


def _try(client, url: str, username: str = "buyer", **headers):
    return client.post(url, {"username": username, "password": "wrong"}, **headers).status_code


@pytest.mark.parametrize(("url", "wrong"), SIGN_IN_DOORS)
def test_forged_forwarded_for_headers_do_not_reset_the_count(client, buyer, url, wrong):
    # Fourteen guesses, each claiming another address: with no trusted proxy the header is
    # ignored, so they all come from the one peer address.
    answers = [
        _try(client, url, username=f"user{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        for n in range(14)
    ]
    assert answers == [wrong] * 10 + [429] * 4


@pytest.mark.parametrize(("url", "wrong"), SIGN_IN_DOORS)
def test_one_account_is_throttled_across_addresses(client, buyer, url, wrong):
    answers = [_try(client, url, REMOTE_ADDR=f"198.51.100.{n}") for n in range(12)]
    assert answers == [wrong] * 10 + [429] * 2
    # Usernames differing only in case or spaces are the same account.
    assert _try(client, url, username=" BUYER ", REMOTE_ADDR="198.51.100.99") == 429
    # Another account from a fresh address is not held up by buyer's count.
    assert _try(client, url, username="viewer", REMOTE_ADDR="198.51.100.100") == wrong


@pytest.mark.parametrize(("url", "wrong"), SIGN_IN_DOORS)
def test_behind_one_trusted_proxy_the_rightmost_forwarded_address_is_the_client(
    client, buyer, settings, url, wrong
):
    settings.TRUSTED_PROXY_COUNT = 1
    # The proxy is the peer; what the client wrote on the left of the header is not believed.
    for n in range(10):
        header = f"10.9.9.{n}, 192.0.2.7"
        assert _try(client, url, username=f"u{n}", HTTP_X_FORWARDED_FOR=header) == wrong
    assert _try(client, url, username="u10", HTTP_X_FORWARDED_FOR="1.2.3.4, 192.0.2.7") == 429
    # Another client behind the same proxy still gets in.
    assert _try(client, url, username="u11", HTTP_X_FORWARDED_FOR="192.0.2.8") == wrong


def test_client_address_takes_the_nth_address_from_the_right(rf, settings):
    from core.signin import client_address

    header = "203.0.113.9, 198.51.100.1, 10.0.0.2"
    request = rf.get("/", HTTP_X_FORWARDED_FOR=header, REMOTE_ADDR="10.0.0.3")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request) == "10.0.0.3"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(request) == "198.51.100.1"
    settings.TRUSTED_PROXY_COUNT = 3
    assert client_address(request) == "203.0.113.9"
    # More proxies configured than the header lists, or garbage: the peer's address.
    settings.TRUSTED_PROXY_COUNT = 4
    assert client_address(request) == "10.0.0.3"
    settings.TRUSTED_PROXY_COUNT = 1
    garbage = rf.get("/", HTTP_X_FORWARDED_FOR="not-an-address", REMOTE_ADDR="10.0.0.3")
    assert client_address(garbage) == "10.0.0.3"


# --- Redis down: sign-in keeps working, still throttled ---------------------------------------

REDIS_ON_A_CLOSED_PORT = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # Port 9 (discard) is not listened on here: every connection is refused at once.
        "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_web_sign_in_works_while_the_cache_is_down(client, settings, superuser, url):
    settings.CACHES = REDIS_ON_A_CLOSED_PORT
    response = client.post(url, {"username": "root", "password": "pw-for-tests-only"})
    assert response.status_code == 302


def test_token_endpoint_works_while_the_cache_is_down(client, settings, viewer):
    settings.CACHES = REDIS_ON_A_CLOSED_PORT
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "viewer", "password": "pw-for-tests-only"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert len(response.json()["token"]) == 40


@pytest.mark.parametrize(("url", "wrong"), SIGN_IN_DOORS)
def test_while_the_cache_is_down_the_process_counts_instead(
    client, settings, buyer, caplog, url, wrong
):
    settings.CACHES = REDIS_ON_A_CLOSED_PORT
    assert [_try(client, url) for _ in range(11)] == [wrong] * 10 + [429]
    assert "the cache is unreachable" in caplog.text


def test_a_cache_raising_connection_error_falls_back(client, buyer, monkeypatch):
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisConnectionError

    def down(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    answers = [_try(client, "/accounts/login/") for _ in range(11)]
    assert answers == [200] * 10 + [429]
