"""Single sign-on with OpenID Connect: who a provider's user is here, and with which roles.

mozilla-django-oidc runs the authorization-code flow (state, nonce, PKCE; the views in
core.web.sso). This module decides what it may not: the ID token is checked in full — its
signature against the provider's keys, the audience (this client), the issuer, the expiry and
the nonce — and a refused token never reaches the database. A verified sign-in is then
matched to a user by the provider's issuer and subject (``SignInIdentity``), never by a name
that can change; a first sign-in links the one local account with the same verified e-mail or
creates a user. The provider's groups claim decides the user's roles at every sign-in.

Every refusal is a ``SignInRefused`` carrying the sentence the sign-in page shows.
"""

import logging
import re
from collections.abc import Mapping
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.core import checks
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.utils import timezone
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from core.models import SignInIdentity
from registry.roles import PROCUREMENT, RISK_ANALYST, VIEWER

logger = logging.getLogger(__name__)

ROLES = (VIEWER, PROCUREMENT, RISK_ANALYST)
# Clocks of the provider and of this server may differ by this much.
CLOCK_SKEW_SECONDS = 60
_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


class SignInRefused(Exception):
    """A sign-in through the provider that does not go ahead.

    ``message`` is for the person signing in (shown on the sign-in page); ``reason`` is for the
    operator's log and may name what the provider sent."""

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or message


def provider_name() -> str:
    return settings.OIDC_PROVIDER_NAME


def _refuse_token(what: str, reason: str) -> SignInRefused:
    return SignInRefused(
        f"Sign-in with {provider_name()} was refused: {what}. Nobody was signed in; "
        "please try again, and tell your administrator if it keeps happening.",
        reason=reason,
    )


# --- Roles from the groups claim -------------------------------------------------------------


def sso_groups_in_claims(claims: Mapping[str, Any]) -> set[str]:
    """The provider's groups the user is in, read from ``OIDC_GROUPS_CLAIM``: a list of names
    (or one name); anything else in the claim is ignored."""
    value = claims.get(settings.OIDC_GROUPS_CLAIM)
    if isinstance(value, str):
        return {value}
    if isinstance(value, list | tuple):
        return {item for item in value if isinstance(item, str)}
    return set()


def sso_roles_for_claims(claims: Mapping[str, Any]) -> set[str]:
    """The roles the user's groups at the provider give here (``OIDC_ROLE_GROUPS``: provider
    group → role); ``OIDC_DEFAULT_ROLE`` when none of them maps, or nothing (refused)."""
    groups = sso_groups_in_claims(claims)
    roles = {role for group, role in settings.OIDC_ROLE_GROUPS.items() if group in groups}
    if not roles and settings.OIDC_DEFAULT_ROLE:
        roles = {settings.OIDC_DEFAULT_ROLE}
    return roles


def _roles_set(user: AbstractUser, roles: set[str]) -> None:
    """Give ``user`` exactly these of the three role groups; other groups are left alone."""
    current = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    if current - roles:
        user.groups.remove(*Group.objects.filter(name__in=current - roles))
    if roles - current:
        user.groups.add(*Group.objects.filter(name__in=roles - current))


# --- The user of a verified sign-in ----------------------------------------------------------


def _email_verified(claims: Mapping[str, Any]) -> bool:
    # Some providers send the boolean as a string.
    return claims.get("email_verified") in (True, "true")


def _text_claim(claims: Mapping[str, Any], name: str, limit: int) -> str:
    value = claims.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _free_username(claims: Mapping[str, Any], subject: str) -> str:
    """A username for a new user: the username claim, else the e-mail's local part, else the
    subject, in Django's username characters; ``-2``, ``-3`` … when it is taken."""
    user_model = get_user_model()
    email = _text_claim(claims, "email", 254)
    for candidate in (
        _text_claim(claims, settings.OIDC_USERNAME_CLAIM, 150),
        email.split("@")[0],
        f"sso-{subject}",
    ):
        base = _USERNAME_UNSAFE.sub("", candidate)[:140]
        if base:
            break
    taken = set(
        user_model.objects.filter(username__istartswith=base).values_list("username", flat=True)
    )
    taken = {name.casefold() for name in taken}
    username, number = base, 1
    while username.casefold() in taken:
        number += 1
        username = f"{base}-{number}"
    return username


def _local_account_with_email(claims: Mapping[str, Any]) -> AbstractUser | None:
    """The one local account whose e-mail the provider vouches for, if linking by e-mail is on;
    never a superuser's."""
    email = _text_claim(claims, "email", 254)
    if not (settings.OIDC_LINK_BY_EMAIL and email and _email_verified(claims)):
        return None
    matches = list(get_user_model().objects.filter(email__iexact=email)[:2])
    if len(matches) > 1:
        raise SignInRefused(
            f"More than one account here uses the e-mail address {email}, so the sign-in "
            "cannot tell which one is yours. Ask an administrator to remove the duplicate.",
            reason=f"several users with e-mail {email}",
        )
    if matches and matches[0].is_superuser:
        # The provider vouches for an address, not for everything a superuser may do.
        raise SignInRefused(
            f"The account here with the e-mail address {email} is an administrator's, which "
            "single sign-on does not take over. Sign in with its password.",
            reason=f"superuser {matches[0].pk} has the e-mail {email}",
        )
    return matches[0] if matches else None


def _profile_update(user: AbstractUser, claims: Mapping[str, Any]) -> None:
    """Take the e-mail and names the provider sends (it is the source of truth for them)."""
    changed = []
    for field, claim, limit in (
        ("email", "email", 254),
        ("first_name", "given_name", 150),
        ("last_name", "family_name", 150),
    ):
        value = _text_claim(claims, claim, limit)
        if value and getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    if changed:
        user.save(update_fields=changed)


@transaction.atomic
def sso_sign_in(*, issuer: str, subject: str, claims: Mapping[str, Any]) -> AbstractUser:
    """The user that a verified sign-in as ``subject`` at ``issuer`` is, with the roles that
    ``claims`` give.

    Found by the identity (issuer, subject) of an earlier sign-in; else, the first time, the
    one local account with the same e-mail when the provider has verified it
    (``OIDC_LINK_BY_EMAIL``), else a new user without a password. The e-mail and names are
    taken from the claims and the role groups set to exactly the mapped roles. Refused — with
    nothing written — when the groups map to no role or the account is deactivated here."""
    roles = sso_roles_for_claims(claims)
    if not roles:
        groups = ", ".join(sorted(sso_groups_in_claims(claims))) or "none"
        raise SignInRefused(
            f"Your account at {provider_name()} is in no group that gives a role in Vendor "
            "Registry. Ask your administrator for access.",
            reason=f"no role for subject {subject} (groups: {groups})",
        )
    identity = (
        SignInIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    if identity is not None:
        user = identity.user
    else:
        user = _local_account_with_email(claims)
        if user is None:
            user = get_user_model().objects.create_user(
                username=_free_username(claims, subject),
                email=_text_claim(claims, "email", 254),
            )
        identity = SignInIdentity(user=user, issuer=issuer, subject=subject)
    if not user.is_active:
        raise SignInRefused(
            "Your account here is deactivated. Ask your administrator to reactivate it.",
            reason=f"user {user.pk} is inactive",
        )
    _profile_update(user, claims)
    identity.last_signed_in_at = timezone.now()
    try:
        with transaction.atomic():
            identity.save()
    except IntegrityError as error:  # the same first sign-in, twice at once
        raise SignInRefused(
            "Another sign-in to your account was under way. Please sign in again.",
            reason=str(error),
        ) from error
    _roles_set(user, roles)
    return user


# --- The authentication backend --------------------------------------------------------------


class RegistryOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, with the ID token checked in full and users matched by
    their identity at the provider (``sso_sign_in``)."""

    def authenticate(self, request, **kwargs):
        # Only the callback view signs in through the provider (it passes the nonce and PKCE
        # verifier of the sign-in it answers); a password sign-in whose URL happens to carry
        # a code and a state is not one, and must not reach the provider.
        if request is None or set(kwargs) != {"nonce", "code_verifier"}:
            return None
        return super().authenticate(request, **kwargs)

    def get_token(self, payload: dict) -> dict:
        token_info = super().get_token(payload)
        if not isinstance(token_info, dict) or not token_info.get("id_token"):
            raise _refuse_token("it sent no ID token", "token endpoint answered without id_token")
        return token_info

    def _signing_key(self, token: str):
        if self.OIDC_RP_SIGN_ALGO.startswith("HS"):
            return self.OIDC_RP_CLIENT_SECRET
        if self.OIDC_RP_IDP_SIGN_KEY is not None:
            return self.OIDC_RP_IDP_SIGN_KEY
        try:
            return self.retrieve_matching_jwk(token)
        except (SuspiciousOperation, KeyError, jwt.PyJWKError) as error:
            raise _refuse_token(
                "its ID token is signed with a key the provider does not publish",
                f"no usable key in the JWKS for this token: {error}",
            ) from error

    def verify_token(self, token: str, **kwargs) -> dict:
        """The claims of ``token`` once its signature, audience, issuer, expiry and (for the
        ID token) nonce are checked; a ``SignInRefused`` naming what failed otherwise."""
        algorithm = self.OIDC_RP_SIGN_ALGO
        if not isinstance(token, str):
            raise _refuse_token("its ID token is malformed", f"token of type {type(token)}")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise _refuse_token("its ID token is malformed", str(error)) from error
        if header.get("alg") != algorithm:
            raise _refuse_token(
                "its ID token is not signed the way this site expects",
                f"token alg {header.get('alg')!r}, expected {algorithm!r}",
            )
        key = self._signing_key(token)
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_OP_ISSUER,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidSignatureError as error:
            raise _refuse_token("the signature of its ID token is not valid", str(error)) from error
        except jwt.ExpiredSignatureError as error:
            raise _refuse_token("its ID token has expired", str(error)) from error
        except jwt.InvalidAudienceError as error:
            raise _refuse_token(
                "its ID token was issued for another application", str(error)
            ) from error
        except jwt.InvalidIssuerError as error:
            raise _refuse_token("its ID token comes from another issuer", str(error)) from error
        except (jwt.InvalidTokenError, jwt.PyJWKError, ValueError, TypeError) as error:
            raise _refuse_token("its ID token is not valid", str(error)) from error
        audiences = payload["aud"] if isinstance(payload["aud"], list) else [payload["aud"]]
        if len(audiences) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise _refuse_token(
                "its ID token was issued for another application",
                f"several audiences and azp {payload.get('azp')!r}",
            )
        nonce_checked = "nonce" in kwargs and self.get_settings("OIDC_USE_NONCE", True)
        if nonce_checked and payload.get("nonce") != kwargs["nonce"]:
            raise _refuse_token(
                "its ID token belongs to another sign-in (the nonce does not match)",
                "nonce mismatch",
            )
        return payload

    def get_user(self, user_id):
        # As Django's ModelBackend: a user deactivated here is signed out at the next request.
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict):
            raise _refuse_token("its user information is malformed", "userinfo is not an object")
        # OpenID Connect Core 5.3.2: the userinfo answer must be about the token's subject.
        if userinfo.get("sub") != payload["sub"]:
            raise _refuse_token(
                "its user information is about someone else",
                f"userinfo sub {userinfo.get('sub')!r} != ID token sub {payload['sub']!r}",
            )
        claims = {**payload, **userinfo}
        return sso_sign_in(issuer=payload["iss"], subject=str(payload["sub"]), claims=claims)


def provider_failure_message(error: requests.RequestException) -> SignInRefused:
    """The refusal for a provider that could not be reached or refused the code exchange."""
    response = getattr(error, "response", None)
    detail = ""
    if response is not None:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            detail = f" ({body['error'][:80]})"
        return SignInRefused(
            f"{provider_name()} refused to complete the sign-in{detail}. Nobody was signed "
            "in; please sign in again.",
            reason=f"provider answered {response.status_code}: {error}",
        )
    return SignInRefused(
        f"{provider_name()} could not be reached to complete the sign-in. Please try again "
        "in a moment.",
        reason=str(error),
    )


# --- Configuration check ---------------------------------------------------------------------


def check_sso_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``manage.py check``: SSO half-configured (it then stays off), or mapped to unknown roles."""
    errors = []
    required = [*settings.OIDC_REQUIRED_SETTINGS]
    if not settings.OIDC_RP_SIGN_ALGO.startswith("HS"):
        required.append("OIDC_OP_JWKS_ENDPOINT")
    given = [name for name in required if getattr(settings, name, None)]
    missing = [name for name in required if not getattr(settings, name, None)]
    if given and missing:
        errors.append(
            checks.Error(
                f"Single sign-on is half-configured and stays off: {', '.join(missing)} not set.",
                hint="Set every OIDC_* setting of the README's table, or none of them.",
                id="core.E101",
            )
        )
    for group, role in settings.OIDC_ROLE_GROUPS.items():
        if role not in ROLES:
            errors.append(
                checks.Error(
                    f"OIDC_ROLE_GROUPS maps {group!r} to {role!r}, which is not a role.",
                    hint=f"Roles: {', '.join(ROLES)}.",
                    id="core.E102",
                )
            )
    if settings.OIDC_DEFAULT_ROLE and settings.OIDC_DEFAULT_ROLE not in ROLES:
        errors.append(
            checks.Error(
                f"OIDC_DEFAULT_ROLE is {settings.OIDC_DEFAULT_ROLE!r}, which is not a role.",
                hint=f"Roles: {', '.join(ROLES)}, or empty to refuse users without a role.",
                id="core.E103",
            )
        )
    return errors
