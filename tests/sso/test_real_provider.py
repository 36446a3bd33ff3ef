"""The code exchange against the real test provider (tests/oidc_provider/), without a browser:
the registry's side is Django's test client, the person at the provider a requests session.
A code is good once: replaying it in a later sign-in is refused by the provider, and said so."""

import html
import importlib.util
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model

from core.models import SignInIdentity
from registry.roles import PROCUREMENT, RISK_ANALYST, VIEWER
from tests.conftest import require_service
from tests.sso.conftest import login_page_message, start_sign_in

pytestmark = pytest.mark.django_db
CALLBACK = "http://testserver/accounts/oidc/callback/"
_INPUT = re.compile(r"<input\b[^>]*>")
_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')


@pytest.fixture(scope="module")
def real_provider():
    require_service(
        importlib.util.find_spec("oidc_provider") is not None,
        "django-oidc-provider (requirements/local.txt)",
    )
    from tests.oidc_provider.provider import start_provider

    with start_provider(redirect_uri=CALLBACK) as provider:
        yield provider


@pytest.fixture
def against_real_provider(real_provider, settings):
    from tests.oidc_provider.provider import CLIENT_ID, CLIENT_SECRET

    discovery = real_provider.configuration
    settings.OIDC_ENABLED = True
    settings.OIDC_OP_ISSUER = discovery["issuer"]
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = discovery["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = discovery["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = discovery["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = discovery["jwks_uri"]
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.OIDC_PROVIDER_NAME = "Test ID"
    settings.OIDC_ROLE_GROUPS = {
        "vr-viewers": VIEWER,
        "vr-buyers": PROCUREMENT,
        "vr-analysts": RISK_ANALYST,
    }
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "core.sso.RegistryOIDCBackend",
    ]
    return real_provider


def _form_fields(page: str) -> dict[str, str]:
    """The hidden fields of the provider's form (its CSRF token, the authorization request)."""
    fields = {}
    for tag in _INPUT.findall(page):
        attributes = dict(_ATTRIBUTE.findall(tag))
        if attributes.get("type") == "hidden" and "name" in attributes:
            fields[attributes["name"]] = html.unescape(attributes.get("value", ""))
    return fields


def consent_at_provider(provider, authorize_url: str) -> dict[str, str]:
    """Pat signs in at the provider and allows the registry: the callback's parameters."""
    person = requests.Session()
    login = person.get(authorize_url, timeout=10)
    assert urlsplit(login.url).path == "/login/"
    consent = person.post(
        login.url,
        data={
            **_form_fields(login.text),
            "username": "pat",
            "password": "pat-at-the-provider",
        },
        timeout=10,
    )
    assert "Request for Permission" in consent.text
    answer = person.post(
        f"{provider.url}/authorize",
        data={**_form_fields(consent.text), "allow": "Authorize"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(CALLBACK)
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def test_the_code_exchange_with_the_real_provider_signs_in(client, against_real_provider):
    answer = consent_at_provider(against_real_provider, start_sign_in(client))

    response = client.get("/accounts/oidc/callback/", answer)

    assert response["Location"] == "/vendors/"
    user = get_user_model().objects.get()
    assert user.username == "pat"
    assert list(user.groups.values_list("name", flat=True)) == [PROCUREMENT]
    assert SignInIdentity.objects.get().issuer == against_real_provider.url


def test_a_code_replayed_in_a_later_sign_in_is_refused_by_the_provider(
    client, against_real_provider
):
    first = consent_at_provider(against_real_provider, start_sign_in(client))
    assert client.get("/accounts/oidc/callback/", first)["Location"] == "/vendors/"
    client.logout()

    # A new sign-in in the same browser, answered with the first one's code.
    second_state = parse_qs(urlsplit(start_sign_in(client)).query)["state"][0]
    response = client.get(
        "/accounts/oidc/callback/", {"code": first["code"], "state": second_state}
    )

    assert login_page_message(client, response) == (
        "Test ID refused to complete the sign-in (invalid_grant). Nobody was signed in; "
        "please sign in again."
    )
    assert get_user_model().objects.count() == 1
    assert client.get("/vendors/").status_code == 302
