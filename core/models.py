"""API tokens, kept as digests: the key itself is shown once, when it is issued."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from core.validators import validate_single_line


class ApiToken(models.Model):
    """A key that signs a user in to the API (``Authorization: Token <key>``).

    Only the key's SHA-256 digest is stored, so a copy of the database opens nothing; the
    first eight characters are kept to tell a user's tokens apart. A token may expire, and
    records when it was last used (to the minute)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_single_line],
        help_text="What it is for, e.g. “ticketing integration”.",
    )
    prefix = models.CharField(max_length=8, editable=False, help_text="The key's first characters.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: the token never expires."
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class IdempotencyKey(models.Model):
    """A client's ``Idempotency-Key`` for one API POST, and the answer it got.

    The row is claimed (inserted) before the request runs, so two requests with the same key
    cannot both run: the unique constraint lets exactly one insert succeed. ``status_code``
    stays empty while the first request is in progress; afterwards the row holds its answer,
    replayed for 24 hours to a retry with the same key and the same request."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_keys"
    )
    key = models.CharField(max_length=255)
    request_hash = models.CharField(
        max_length=64, help_text="SHA-256 of the method, path, body and user."
    )
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.user})"


class SignInIdentity(models.Model):
    """A user's account at an OpenID Connect provider: its issuer and subject (``sub``).

    The subject is the one thing a provider promises never to change or reuse, so a later
    sign-in finds its user by this pair even after the e-mail address or the username at the
    provider changed (core.sso)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_identities"
    )
    issuer = models.CharField(max_length=255, help_text="The provider's issuer URL (iss).")
    subject = models.CharField(max_length=255, help_text="The user's id at the provider (sub).")
    created_at = models.DateTimeField(auto_now_add=True)
    last_signed_in_at = models.DateTimeField()

    class Meta:
        verbose_name = "sign-in identity"
        verbose_name_plural = "sign-in identities"
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="sign_in_identity_once_per_provider"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer} ({self.user})"
