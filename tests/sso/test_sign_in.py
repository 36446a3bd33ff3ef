"""Single sign-on through the stand-in provider: the first sign-in makes a user with the role
its groups give, later sign-ins find the same user by its identity at the provider, and
every bad answer is refused on the sign-in page with nobody signed in and nothing written."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core.models import SignInIdentity
from registry.roles import PROCUREMENT, RISK_ANALYST, VIEWER
from tests.sso.conftest import (
    CLIENT_ID,
    ISSUER,
    callback,
    login_page_message,
    sign_in,
    start_sign_in,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


def roles_of(user) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def signed_in_as(client) -> str | None:
    response = client.get("/vendors/")
    if response.status_code != 200:
        return None
    return response.wsgi_request.user.get_username()


# --- The flow --------------------------------------------------------------------------------


def test_sign_in_sends_to_the_provider_with_state_nonce_and_pkce(client, provider):
    url = start_sign_in(client)
    parts = urlsplit(url)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{ISSUER}/authorize"
    assert params["client_id"] == CLIENT_ID
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == "http://testserver/accounts/oidc/callback/"
    assert params["scope"] == "openid email profile"
    assert len(params["state"]) == 32 and len(params["nonce"]) == 32
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43


def test_first_sign_in_creates_the_user_with_the_role_of_its_group(client, provider):
    response = sign_in(client, provider)

    assert response.status_code == 302
    assert response["Location"] == "/vendors/"
    user = User.objects.get()
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "pat.buyer",
        "pat@example.com",
        "Pat",
        "Buyer",
    )
    assert roles_of(user) == [PROCUREMENT]
    assert not user.has_usable_password()
    assert not user.is_staff and not user.is_superuser
    identity = SignInIdentity.objects.get()
    assert (identity.user, identity.issuer, identity.subject) == (user, ISSUER, "248289761001")
    assert signed_in_as(client) == "pat.buyer"


def test_a_renamed_account_at_the_provider_is_still_the_same_user(client, provider):
    sign_in(client, provider)
    client.logout()
    provider.claims.update(preferred_username="pat.b", email="pat.b@example.com", given_name="P")

    response = sign_in(client, provider)

    assert response["Location"] == "/vendors/"
    assert User.objects.count() == 1
    user = User.objects.get()
    # The username stays; the e-mail and names follow the provider.
    assert (user.username, user.email, user.first_name) == ("pat.buyer", "pat.b@example.com", "P")
    assert SignInIdentity.objects.count() == 1


def test_roles_follow_the_groups_at_the_provider_at_every_sign_in(client, provider):
    provider.claims["groups"] = ["vr-analysts", "vr-viewers"]
    sign_in(client, provider)
    user = User.objects.get()
    assert roles_of(user) == [RISK_ANALYST, VIEWER]
    auditors = Group.objects.create(name="Auditors")
    user.groups.add(auditors)
    client.logout()

    provider.claims["groups"] = ["vr-viewers"]
    sign_in(client, provider)

    # The role groups are the provider's to decide; other groups stay as they were.
    assert roles_of(user) == ["Auditors", VIEWER]
    assert client.get("/events/new/").status_code == 403


def test_a_verified_email_takes_over_the_local_account_with_it(client, provider, viewer):
    provider.claims.update(email="VIEWER@example.com", groups=["vr-buyers"])

    sign_in(client, provider)

    assert User.objects.count() == 1
    assert SignInIdentity.objects.get().user == viewer
    viewer.refresh_from_db()
    assert roles_of(viewer) == [PROCUREMENT]
    assert viewer.has_usable_password()  # the password still works where it is allowed
    assert signed_in_as(client) == "viewer"


def test_a_superusers_account_is_never_taken_over_by_email(client, provider, superuser):
    provider.claims.update(email="root@example.com")

    response = sign_in(client, provider)

    assert "is an administrator's, which single sign-on does not take over" in (
        login_page_message(client, response)
    )
    assert User.objects.count() == 1
    assert SignInIdentity.objects.count() == 0
    assert signed_in_as(client) is None


def test_an_unverified_email_makes_a_new_user_beside_the_local_one(client, provider, viewer):
    provider.claims.update(email="viewer@example.com", email_verified=False)
    provider.claims["preferred_username"] = "viewer"

    sign_in(client, provider)

    assert User.objects.count() == 2
    user = SignInIdentity.objects.get().user
    assert user != viewer
    assert user.username == "viewer-2"


def test_linking_by_email_can_be_turned_off(client, provider, viewer, settings):
    settings.OIDC_LINK_BY_EMAIL = False
    provider.claims.update(email="viewer@example.com")

    sign_in(client, provider)

    assert SignInIdentity.objects.get().user != viewer
    assert User.objects.count() == 2


def test_a_user_without_a_username_claim_is_named_after_the_email(client, provider):
    del provider.claims["preferred_username"]
    sign_in(client, provider)
    assert User.objects.get().username == "pat"


def test_the_default_role_is_given_when_no_group_maps(client, provider, settings):
    settings.OIDC_DEFAULT_ROLE = VIEWER
    provider.claims["groups"] = ["everyone"]
    sign_in(client, provider)
    assert roles_of(User.objects.get()) == [VIEWER]


def test_the_page_asked_for_is_where_a_sign_in_lands(client, provider):
    response = sign_in(client, provider, next_url="/alerts/?status=open")
    assert response["Location"] == "/alerts/?status=open"


def test_a_next_url_to_another_site_is_ignored(client, provider):
    response = sign_in(client, provider, next_url="https://evil.example.com/")
    assert response["Location"] == "/"


# --- Refusals: nobody signed in, nothing written ---------------------------------------------


def assert_refused(client, response, expected: str) -> None:
    assert expected in login_page_message(client, response)
    assert User.objects.count() == 0
    assert SignInIdentity.objects.count() == 0
    assert signed_in_as(client) is None


def test_a_token_signed_with_another_key_is_refused(client, provider, other_key):
    provider.sign_with = other_key
    response = sign_in(client, provider)
    assert_refused(client, response, "the signature of its ID token is not valid")


def test_a_token_for_another_audience_is_refused(client, provider):
    provider.token_overrides["aud"] = "some-other-app"
    response = sign_in(client, provider)
    assert_refused(client, response, "its ID token was issued for another application")


def test_a_token_for_several_audiences_not_authorised_for_us_is_refused(client, provider):
    provider.token_overrides.update(aud=[CLIENT_ID, "other"], azp="other")
    response = sign_in(client, provider)
    assert_refused(client, response, "its ID token was issued for another application")


def test_an_expired_token_is_refused(client, provider):
    provider.token_overrides.update(iat=1_700_000_000, exp=1_700_000_600)
    response = sign_in(client, provider)
    assert_refused(client, response, "its ID token has expired")


def test_a_token_from_another_issuer_is_refused(client, provider):
    provider.token_overrides["iss"] = "https://impostor.example.com"
    response = sign_in(client, provider)
    assert_refused(client, response, "its ID token comes from another issuer")


def test_a_token_without_expiry_is_refused(client, provider):
    provider.token_overrides["exp"] = None
    response = sign_in(client, provider)
    assert_refused(client, response, "its ID token is not valid")


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
def test_a_token_signed_another_way_is_refused(client, provider, algorithm):
    provider.algorithm = algorithm
    response = sign_in(client, provider)
    assert_refused(client, response, "its ID token is not signed the way this site expects")


def test_a_token_of_another_sign_in_is_refused(client, provider):
    provider.token_overrides["nonce"] = "a-nonce-from-another-sign-in"
    response = sign_in(client, provider)
    assert_refused(client, response, "the nonce does not match")


@pytest.mark.parametrize(
    ("id_token", "expected"),
    [
        ("not-a-token", "its ID token is malformed"),
        ("e30.e30.e30", "its ID token is not signed the way this site expects"),
        (12345, "its ID token is malformed"),
        (False, "it sent no ID token"),
    ],
)
def test_a_malformed_token_is_refused(client, provider, id_token, expected):
    provider.raw_id_token = id_token
    response = sign_in(client, provider)
    assert_refused(client, response, expected)


def test_user_information_about_someone_else_is_refused(client, provider):
    provider.userinfo_overrides["sub"] = "someone-else"
    response = sign_in(client, provider)
    assert_refused(client, response, "its user information is about someone else")


def test_a_replayed_answer_is_refused(client, provider):
    authorize_url = start_sign_in(client)
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    code = provider.authorize(authorize_url)
    assert callback(client, code=code, state=state)["Location"] == "/vendors/"
    provider.codes[code] = {"nonce": "whatever"}  # even were the provider to accept the code

    response = callback(client, code=code, state=state)

    assert "does not belong to a sign-in started in this browser, or it was already used" in (
        login_page_message(client, response)
    )
    assert User.objects.count() == 1
    # The token endpoint was asked once: the replay stopped at the state.
    assert [method for method, _url in provider.requests_seen].count("POST") == 1


def test_a_state_this_browser_did_not_start_is_refused(client, provider):
    authorize_url = start_sign_in(client)
    code = provider.authorize(authorize_url)
    response = callback(client, code=code, state="x" * 32)
    assert_refused(client, response, "does not belong to a sign-in started in this browser")
    assert provider.requests_seen == []


def test_an_answer_to_a_browser_that_started_no_sign_in_is_refused(client, provider):
    response = callback(client, code="code-1", state="x" * 32)
    assert_refused(client, response, "does not belong to a sign-in started in this browser")


def test_groups_that_give_no_role_are_refused(client, provider):
    provider.claims["groups"] = ["everyone", "vr-contractors"]
    response = sign_in(client, provider)
    assert_refused(client, response, "is in no group that gives a role in Vendor Registry")


def test_a_deactivated_account_is_refused(client, provider):
    sign_in(client, provider)
    client.logout()
    User.objects.update(is_active=False)

    response = sign_in(client, provider)

    assert "Your account here is deactivated" in login_page_message(client, response)
    assert signed_in_as(client) is None


def test_a_user_deactivated_here_is_signed_out_at_the_next_request(client, provider):
    sign_in(client, provider)
    assert signed_in_as(client) == "pat.buyer"
    assert client.session["_auth_user_backend"] == "core.sso.RegistryOIDCBackend"
    User.objects.update(is_active=False)
    assert signed_in_as(client) is None


def test_a_declined_consent_is_reported_without_the_providers_free_text(client, provider):
    authorize_url = start_sign_in(client)
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    response = callback(
        client, error="access_denied", error_description="Call +1 555 0100 now", state=state
    )
    message = login_page_message(client, response)
    assert message == "Example ID did not sign you in: access was declined."
    assert User.objects.count() == 0


def test_a_code_the_provider_refuses_is_reported(client, provider):
    provider.token_error = (400, {"error": "invalid_grant"})
    response = sign_in(client, provider)
    assert_refused(client, response, "Example ID refused to complete the sign-in (invalid_grant)")


def test_an_unreachable_provider_is_reported(client, provider):
    provider.unreachable = True
    response = sign_in(client, provider)
    assert_refused(client, response, "Example ID could not be reached")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "code=abc",
        "state=abc",
        "code=&state=",
        "code=abc&state=%00%ff",
        "error=%00%3Cscript%3E",
        "error=access_denied&state=" + "s" * 5000,
        "code=a&code=b&state=c",
    ],
)
def test_any_answer_lands_on_the_sign_in_page_never_an_error(client, provider, query):
    start_sign_in(client)
    response = client.get(f"/accounts/oidc/callback/?{query}")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert login_page_message(client, response)
    assert User.objects.count() == 0


# --- The sign-in page ------------------------------------------------------------------------


def test_a_password_sign_in_with_a_code_in_its_url_never_reaches_the_provider(
    client, provider, viewer
):
    response = client.post(
        "/accounts/login/?code=code-1&state=abc", {"username": "viewer", "password": "wrong"}
    )
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert provider.requests_seen == []
    response = client.post(
        "/accounts/login/?code=code-1&state=abc",
        {"username": "viewer", "password": "pw-for-tests-only"},
    )
    assert response["Location"] == "/"
    assert signed_in_as(client) == "viewer"


def test_the_sign_in_page_offers_the_provider_beside_the_password(client, sso_settings):
    page = client.get("/accounts/login/?next=/alerts/").content.decode()
    assert (
        '<a href="/accounts/oidc/start/?next=%2Falerts%2F" role="button">'
        "Sign in with Example ID</a>" in page
    )
    assert 'name="password"' in page


def test_without_sso_the_page_has_no_provider_and_its_doors_are_closed(client):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with" not in page
    assert 'name="password"' in page
    assert client.get("/accounts/oidc/start/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=a&state=b").status_code == 404


def test_password_sign_in_can_be_turned_off(client, sso_settings, viewer):
    sso_settings.OIDC_LOCAL_SIGNIN = False
    sso_settings.AUTHENTICATION_BACKENDS = ["core.sso.RegistryOIDCBackend"]

    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Example ID" in page
    assert 'name="password"' not in page
    response = client.post(
        "/accounts/login/", {"username": "viewer", "password": "pw-for-tests-only"}, follow=True
    )
    assert "Sign-in with a password is turned off here: use Example ID." in (
        response.content.decode()
    )
    assert signed_in_as(client) is None
    # Nor does a password open the admin or get an API token.
    admin = client.post("/admin/login/", {"username": "viewer", "password": "pw-for-tests-only"})
    assert admin.status_code == 200
    token = client.post(
        "/api/v1/auth/token/", {"username": "viewer", "password": "pw-for-tests-only"}
    )
    assert token.status_code == 400
