"""Issuing and checking API tokens (``core.models.ApiToken``).

A key is 40 random hexadecimal characters, handed out once by ``api_token_issue``; what is
stored is its SHA-256 digest. A key of that much randomness needs no salt or slow hash: it
cannot be guessed, only copied, and the digest is useless to whoever copies the database.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from core.models import ApiToken

#: ``last_used_at`` is written at most this often per token, not on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


def api_token_digest(key: str) -> str:
    """The stored form of ``key``."""
    return hashlib.sha256(key.encode()).hexdigest()


def default_expiry() -> datetime | None:
    """When a token issued now expires by default (``API_TOKEN_EXPIRY_DAYS``; 0: never)."""
    days = settings.API_TOKEN_EXPIRY_DAYS
    return timezone.now() + timedelta(days=days) if days > 0 else None


@transaction.atomic
def api_token_issue(
    *,
    user: AbstractBaseUser,
    name: str = "",
    expires_at: datetime | None = None,
    actor: AbstractBaseUser | None = None,
    token: ApiToken | None = None,
) -> tuple[ApiToken, str]:
    """Issue a new token for ``user`` (filling ``token``, an unsaved one, if given); returns it
    and its key, which is never shown again."""
    key = secrets.token_hex(20)
    token = token if token is not None else ApiToken()
    token.user = user
    token.name = name
    token.prefix = key[:8]
    token.digest = api_token_digest(key)
    token.expires_at = expires_at
    token.full_clean()
    if actor is not None and getattr(actor, "is_authenticated", False):
        token._history_user = actor
    token.save()
    return token, key


def api_token_user(key: str) -> tuple[AbstractBaseUser | None, str]:
    """The active user ``key`` signs in, or ``None`` and why not; notes the token's use."""
    token = ApiToken.objects.select_related("user").filter(digest=api_token_digest(key)).first()
    if token is None:
        return None, "Invalid token."
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None, "Token has expired."
    if not token.user.is_active:
        return None, "User inactive or deleted."
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, ""
