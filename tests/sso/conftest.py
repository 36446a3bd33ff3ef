"""A stand-in OpenID Connect provider for the sign-in tests: it signs ID tokens with a test
RSA key and answers the token, userinfo and JWKS requests that mozilla-django-oidc sends.

Each test can make the provider misbehave — sign with another key, name another audience,
send an expired token — and check that the sign-in is refused. The end-to-end test against a
real provider is tests/web/browser/test_sso.py."""

import html
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import Group

from registry.roles import PROCUREMENT, RISK_ANALYST, VIEWER

ISSUER = "https://id.example.com"
CLIENT_ID = "vendor-registry"
CLIENT_SECRET = "client-secret-for-tests-only-0123456789"
KID = "test-key-1"
ROLE_GROUPS = {"vr-viewers": VIEWER, "vr-buyers": PROCUREMENT, "vr-analysts": RISK_ANALYST}


@pytest.fixture(scope="session")
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def other_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeResponse:
    def __init__(self, status_code: int, body, url: str) -> None:
        self.status_code = status_code
        self._body = body
        self.url = url
        self.text = str(body)
        self.headers = {"content-type": "application/json"}

    def json(self):
        return self._body

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code} for {self.url}", response=self)


@dataclass
class FakeProvider:
    """The provider's side of one test: who signs in (``claims``, ``groups``), and how the
    ID token is made (``token_overrides``, ``sign_with``)."""

    key: object
    claims: dict = field(default_factory=dict)
    token_overrides: dict = field(default_factory=dict)
    sign_with: object = None
    algorithm: str = "RS256"
    token_error: tuple[int, dict] | None = None
    unreachable: bool = False
    userinfo_overrides: dict = field(default_factory=dict)
    #: Sent instead of a signed ID token, when set (``False``: no ID token at all).
    raw_id_token: object = None
    codes: dict = field(default_factory=dict)
    requests_seen: list = field(default_factory=list)

    def authorize(self, authorize_url: str) -> str:
        """What the provider does after the user signed in and consented: a code for this
        authorization request (its nonce remembered)."""
        params = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        code = f"code-{len(self.codes) + 1}"
        self.codes[code] = params
        return code

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "sub": self.claims["sub"],
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 600,
            "nonce": nonce,
        }
        payload.update(self.token_overrides)
        payload = {k: v for k, v in payload.items() if v is not None}
        if self.algorithm == "none":
            return jwt.encode(payload, None, algorithm="none")
        if self.algorithm.startswith("HS"):
            return jwt.encode(payload, CLIENT_SECRET, algorithm=self.algorithm)
        return jwt.encode(
            payload, self.sign_with or self.key, algorithm=self.algorithm, headers={"kid": KID}
        )

    def jwks(self) -> dict:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]}

    # What mozilla-django-oidc calls: requests.post (token) and requests.get (userinfo, JWKS).
    def post(self, url, data=None, **kwargs):
        self.requests_seen.append(("POST", url))
        if self.unreachable:
            raise requests.ConnectionError("connection refused")
        if self.token_error:
            status, body = self.token_error
            return FakeResponse(status, body, url)
        params = self.codes.pop(data["code"], None)  # a code is good once
        if params is None or data["client_secret"] != CLIENT_SECRET:
            return FakeResponse(400, {"error": "invalid_grant"}, url)
        id_token = self.id_token(params.get("nonce"))
        if self.raw_id_token is not None:
            id_token = self.raw_id_token
        body = {"access_token": "access-token", "id_token": id_token}
        if id_token is False:
            del body["id_token"]
        return FakeResponse(200, body, url)

    def get(self, url, headers=None, **kwargs):
        self.requests_seen.append(("GET", url))
        if url.endswith("/jwks"):
            return FakeResponse(200, self.jwks(), url)
        return FakeResponse(200, {**self.claims, **self.userinfo_overrides}, url)


@pytest.fixture
def sso_settings(settings):
    """SSO on, against the stand-in provider, with password sign-in still on."""
    settings.OIDC_ENABLED = True
    settings.OIDC_OP_ISSUER = ISSUER
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{ISSUER}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{ISSUER}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{ISSUER}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{ISSUER}/jwks"
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_PROVIDER_NAME = "Example ID"
    settings.OIDC_ROLE_GROUPS = ROLE_GROUPS
    settings.OIDC_DEFAULT_ROLE = ""
    settings.OIDC_LOCAL_SIGNIN = True
    settings.OIDC_LINK_BY_EMAIL = True
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "core.sso.RegistryOIDCBackend",
    ]
    return settings


@pytest.fixture
def provider(sso_settings, signing_key, monkeypatch, db):
    """The stand-in provider, with Pat of procurement as the user who signs in there."""
    fake = FakeProvider(
        key=signing_key,
        claims={
            "sub": "248289761001",
            "preferred_username": "pat.buyer",
            "email": "pat@example.com",
            "email_verified": True,
            "given_name": "Pat",
            "family_name": "Buyer",
            "groups": ["vr-buyers", "everyone"],
        },
    )
    monkeypatch.setattr("mozilla_django_oidc.auth.requests.post", fake.post)
    monkeypatch.setattr("mozilla_django_oidc.auth.requests.get", fake.get)
    assert Group.objects.filter(name__in=ROLE_GROUPS.values()).count() == 3
    return fake


def start_sign_in(client, next_url: str = "/vendors/") -> str:
    """Press "Sign in with …": the URL of the provider's authorization page it sends to."""
    response = client.get(f"/accounts/oidc/start/?{urlencode({'next': next_url})}")
    assert response.status_code == 302
    return response["Location"]


def callback(client, **params):
    return client.get(f"/accounts/oidc/callback/?{urlencode(params)}")


def sign_in(client, provider: FakeProvider, next_url: str = "/vendors/"):
    """A whole sign-in: to the provider, back with a code, and the answer to that."""
    authorize_url = start_sign_in(client, next_url)
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    return callback(client, code=provider.authorize(authorize_url), state=state)


def login_page_message(client, response) -> str:
    """The sign-in page that a refused sign-in lands on, and the message it shows."""
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    page = client.get(response["Location"]).content.decode()
    start = page.index('class="flash flash-error"')
    return html.unescape(page[page.index(">", start) + 1 : page.index("</p>", start)])
