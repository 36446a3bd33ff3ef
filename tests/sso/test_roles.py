"""The provider's groups claim mapped to roles, and the check of the SSO settings."""

import pytest

from core.sso import check_sso_settings, sso_groups_in_claims, sso_roles_for_claims
from registry.roles import PROCUREMENT, RISK_ANALYST, VIEWER
from tests.sso.conftest import ROLE_GROUPS


@pytest.fixture
def mapping(settings):
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_ROLE_GROUPS = ROLE_GROUPS
    settings.OIDC_DEFAULT_ROLE = ""
    return settings


@pytest.mark.parametrize(
    ("groups", "roles"),
    [
        (["vr-buyers"], {PROCUREMENT}),
        (["vr-viewers", "vr-analysts", "staff"], {VIEWER, RISK_ANALYST}),
        ("vr-analysts", {RISK_ANALYST}),  # a single group sent as a string
        (["VR-BUYERS", "vr-buyers "], set()),  # group names are matched exactly
        (["staff", 7, None, {"name": "vr-buyers"}], set()),
        ([], set()),
        (None, set()),
        (42, set()),
    ],
)
def test_groups_map_to_roles(mapping, groups, roles):
    assert sso_roles_for_claims({"groups": groups}) == roles


def test_the_claim_name_is_a_setting(mapping):
    mapping.OIDC_GROUPS_CLAIM = "roles"
    claims = {"groups": ["vr-analysts"], "roles": ["vr-viewers"]}
    assert sso_roles_for_claims(claims) == {VIEWER}
    assert sso_groups_in_claims(claims) == {"vr-viewers"}


def test_the_default_role_applies_only_when_nothing_maps(mapping):
    mapping.OIDC_DEFAULT_ROLE = VIEWER
    assert sso_roles_for_claims({"groups": ["staff"]}) == {VIEWER}
    assert sso_roles_for_claims({}) == {VIEWER}
    assert sso_roles_for_claims({"groups": ["vr-analysts"]}) == {RISK_ANALYST}


def test_sso_off_passes_the_check(settings):
    for name in (*settings.OIDC_REQUIRED_SETTINGS, "OIDC_OP_JWKS_ENDPOINT"):
        setattr(settings, name, "")
    settings.OIDC_ROLE_GROUPS = {}
    settings.OIDC_DEFAULT_ROLE = ""
    assert check_sso_settings() == []


def test_a_half_configured_sso_is_named_by_the_check(settings):
    for name in (*settings.OIDC_REQUIRED_SETTINGS, "OIDC_OP_JWKS_ENDPOINT"):
        setattr(settings, name, "")
    settings.OIDC_OP_ISSUER = "https://id.example.com"
    settings.OIDC_RP_CLIENT_ID = "vendor-registry"
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    errors = check_sso_settings()
    assert [error.id for error in errors] == ["core.E101"]
    assert errors[0].msg == (
        "Single sign-on is half-configured and stays off: OIDC_RP_CLIENT_SECRET, "
        "OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_TOKEN_ENDPOINT, OIDC_OP_USER_ENDPOINT, "
        "OIDC_OP_JWKS_ENDPOINT not set."
    )


def test_unknown_roles_are_named_by_the_check(settings):
    settings.OIDC_ROLE_GROUPS = {"vr-buyers": "Procurement", "vr-bosses": "Boss"}
    settings.OIDC_DEFAULT_ROLE = "viewer"
    errors = check_sso_settings()
    assert [(error.id, error.msg) for error in errors] == [
        ("core.E102", "OIDC_ROLE_GROUPS maps 'vr-bosses' to 'Boss', which is not a role."),
        ("core.E103", "OIDC_DEFAULT_ROLE is 'viewer', which is not a role."),
    ]
