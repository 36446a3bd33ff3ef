"""Single sign-on end to end: a real OpenID Connect provider (django-oidc-provider, run by
the tests as a server of its own, tests/oidc_provider/) and a real browser that signs in
through the provider's sign-in and consent pages and lands signed in with the right role."""

import importlib.util
import re

import pytest
from django.contrib.auth import get_user_model

from core.models import SignInIdentity
from registry.roles import PROCUREMENT, RISK_ANALYST, VIEWER
from tests.conftest import require_service
from tests.web.browser.conftest import new_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="session")
def oidc_provider(live_server):
    """The provider, its client registered with the live server's callback."""
    require_service(
        importlib.util.find_spec("oidc_provider") is not None,
        "django-oidc-provider (requirements/local.txt)",
    )
    from tests.oidc_provider.provider import start_provider

    with start_provider(redirect_uri=f"{live_server.url}/accounts/oidc/callback/") as provider:
        yield provider


@pytest.fixture
def sso_against_provider(oidc_provider, settings, role_groups):
    """The registry configured, as the README says, from the provider's discovery document."""
    from tests.oidc_provider.provider import CLIENT_ID, CLIENT_SECRET

    discovery = oidc_provider.configuration
    settings.OIDC_ENABLED = True
    settings.OIDC_OP_ISSUER = discovery["issuer"]
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = discovery["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = discovery["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = discovery["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = discovery["jwks_uri"]
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.OIDC_PROVIDER_NAME = "Test ID"
    settings.OIDC_ROLE_GROUPS = {
        "vr-viewers": VIEWER,
        "vr-buyers": PROCUREMENT,
        "vr-analysts": RISK_ANALYST,
    }
    settings.OIDC_DEFAULT_ROLE = ""
    settings.OIDC_LOCAL_SIGNIN = True
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "core.sso.RegistryOIDCBackend",
    ]
    return oidc_provider


def sign_in_at_provider(page, provider, username: str, password: str) -> None:
    """The provider's own pages: its sign-in form, then the consent it asks for."""
    from playwright.sync_api import expect

    page.wait_for_url(re.compile(rf"^{re.escape(provider.url)}/login/"))
    expect(page.get_by_role("heading", name="Test ID")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(rf"^{re.escape(provider.url)}/authorize"))
    expect(page.get_by_role("heading", name="Request for Permission")).to_be_visible()
    expect(page.get_by_text("Vendor Registry")).to_be_visible()


def test_a_buyer_signs_in_through_the_provider_and_works_as_procurement(
    chromium, live_server, sso_against_provider, screenshots
):
    from playwright.sync_api import expect

    provider = sso_against_provider
    page, console_errors = new_page(chromium)
    page.goto(f"{live_server.url}/vendors/")
    assert "/accounts/login/" in page.url
    screenshots(page, "sign-in-page")
    page.get_by_role("button", name="Sign in with Test ID").click()

    sign_in_at_provider(page, provider, "pat", "pat-at-the-provider")
    screenshots(page, "provider-consent")
    page.get_by_role("button", name="Authorize").click()

    page.wait_for_url(f"{live_server.url}/vendors/")
    expect(page.get_by_role("heading", name="Vendors")).to_be_visible()
    expect(page.locator(".user-menu summary")).to_have_text("pat")
    # Procurement logs events; the password-change link is not offered without a password.
    expect(page.get_by_role("button", name="Log an event")).to_be_visible()
    page.locator(".user-menu summary").click()
    expect(page.get_by_role("link", name="Change password")).to_have_count(0)
    screenshots(page, "signed-in")
    assert console_errors == []

    user = get_user_model().objects.get(username="pat")
    assert (user.email, user.get_full_name()) == ("pat@example.com", "Pat Okafor")
    assert sorted(user.groups.values_list("name", flat=True)) == [PROCUREMENT]
    identity = SignInIdentity.objects.get(user=user)
    assert identity.issuer == provider.url
    assert identity.subject.isdigit()


def test_a_provider_user_without_a_role_is_turned_away_and_not_created(
    chromium, live_server, sso_against_provider, screenshots
):
    from playwright.sync_api import expect

    provider = sso_against_provider
    page, _console_errors = new_page(chromium)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Test ID").click()
    sign_in_at_provider(page, provider, "robin", "robin-at-the-provider")
    page.get_by_role("button", name="Authorize").click()

    page.wait_for_url(f"{live_server.url}/accounts/login/")
    expect(page.locator(".flash-error")).to_have_text(
        "Your account at Test ID is in no group that gives a role in Vendor Registry. "
        "Ask your administrator for access."
    )
    screenshots(page, "refused")
    assert get_user_model().objects.filter(username="robin").count() == 0
    assert SignInIdentity.objects.count() == 0


def test_declining_consent_at_the_provider_signs_nobody_in(
    chromium, live_server, sso_against_provider
):
    from playwright.sync_api import expect

    provider = sso_against_provider
    page, _console_errors = new_page(chromium)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Test ID").click()
    sign_in_at_provider(page, provider, "pat", "pat-at-the-provider")
    page.get_by_role("button", name="Decline").click()

    page.wait_for_url(f"{live_server.url}/accounts/login/")
    expect(page.locator(".flash-error")).to_have_text(
        "Test ID did not sign you in: access was declined."
    )
    assert get_user_model().objects.count() == 0
