"""``Idempotency-Key`` on API POSTs: a client that is not sure its request went through (a
timeout, a dropped connection, an ambiguous 5xx) sends it again with the same key and gets the
first answer back instead of a second event, alert or import (docs/api.md).

A key belongs to the signed-in user. The first request with it claims a row (insert first, so
of two concurrent requests exactly one runs); its answer is stored with the row and replayed,
with ``Idempotent-Replayed: true``, to every later request with the same key and the same
request (method, path, body) for 24 hours. The same key with another request is refused with
422, and a request whose first copy is still running with 409. A 5xx answer is not kept: the
service's transaction was rolled back, so the retry runs again. Without the header nothing
changes.
"""

import datetime
import hashlib
import json
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = IdempotencyKey._meta.get_field("key").max_length
#: How long an answer is kept for replay.
KEEP_FOR = datetime.timedelta(hours=24)


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        f"This {HEADER} was already used with a different request (method, path or body); "
        "use a new key for a new request."
    )
    default_code = "idempotency_key_reused"


class IdempotentRequestInProgress(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = (
        f"A request with this {HEADER} is still in progress; retry once it has been answered."
    )
    default_code = "idempotent_request_in_progress"


class _Replay(Exception):
    """Raised before the handler runs to answer with a stored response instead."""

    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response


def request_digest(request: Request, user: AbstractBaseUser) -> str:
    """SHA-256 of what makes two requests the same: method, path with query, body, user."""
    digest = hashlib.sha256()
    for part in (request.method, request.get_full_path(), str(user.pk)):
        digest.update(part.encode())
        digest.update(b"\0")
    if (request.content_type or "").startswith("multipart/"):
        # A multipart body's boundary differs between two sends of the same form: hash the
        # fields and the files' contents instead.
        data = request.data
        for name in sorted(data.keys()):
            for value in data.getlist(name):
                digest.update(name.encode() + b"=")
                if hasattr(value, "chunks"):
                    for chunk in value.chunks():
                        digest.update(chunk)
                    value.seek(0)
                else:
                    digest.update(str(value).encode())
                digest.update(b"\0")
    else:
        digest.update(request._request.body)
    return digest.hexdigest()


def idempotency_key_claim(
    *, user: AbstractBaseUser, key: str, request_hash: str
) -> tuple[IdempotencyKey, bool]:
    """Claim ``key`` for ``user``: ``(row, True)`` when this request is the first to use it
    (or the earlier use has expired), else ``(the earlier row, False)``."""
    for _attempt in range(3):
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(user=user, key=key, request_hash=request_hash)
            return row, True
        except IntegrityError:
            earlier = IdempotencyKey.objects.filter(user=user, key=key).first()
            if earlier is None:
                continue  # released by a failed first request in between
            if earlier.created_at >= timezone.now() - KEEP_FOR:
                return earlier, False
            IdempotencyKey.objects.filter(pk=earlier.pk, created_at=earlier.created_at).delete()
    raise IdempotentRequestInProgress()


def idempotency_key_record(*, claim: IdempotencyKey, response: Response) -> None:
    """Keep the answer of the claiming request, or release the key after a 5xx."""
    if response.status_code >= 500:
        idempotency_key_release(claim=claim)
        return
    data = getattr(response, "data", None)
    body = None if data is None else json.loads(JSONRenderer().render(data))
    IdempotencyKey.objects.filter(pk=claim.pk).update(
        status_code=response.status_code, response_body=body
    )


def idempotency_key_release(*, claim: IdempotencyKey) -> None:
    """Forget a claim whose request failed, so that a retry runs."""
    IdempotencyKey.objects.filter(pk=claim.pk).delete()


def idempotency_keys_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the keys older than 24 hours; return how many."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _header_key(request: Request) -> str | None:
    key = request.META.get("HTTP_IDEMPOTENCY_KEY")
    if key is None:
        return None
    key = key.strip()
    if not key:
        raise ValidationError({HEADER: ["The key may not be blank."]})
    if len(key) > KEY_MAX_LENGTH:
        raise ValidationError(
            {HEADER: [f"Ensure this header has no more than {KEY_MAX_LENGTH} characters."]}
        )
    return key


class IdempotentPostMixin:
    """For an ``APIView``: honours ``Idempotency-Key`` on POST once the user is known."""

    _idempotency_claim: IdempotencyKey | None = None

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self._idempotency_claim = None
        try:
            return super().dispatch(request, *args, **kwargs)
        except BaseException:
            if self._idempotency_claim is not None:
                idempotency_key_release(claim=self._idempotency_claim)
            raise

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method != "POST" or not request.user.is_authenticated:
            return
        key = _header_key(request)
        if key is None:
            return
        request_hash = request_digest(request, request.user)
        row, claimed = idempotency_key_claim(user=request.user, key=key, request_hash=request_hash)
        if claimed:
            self._idempotency_claim = row
            return
        if row.request_hash != request_hash:
            raise IdempotencyKeyReused()
        if row.status_code is None:
            raise IdempotentRequestInProgress()
        raise _Replay(
            Response(row.response_body, status=row.status_code, headers={REPLAYED_HEADER: "true"})
        )

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response: Response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        claim, self._idempotency_claim = self._idempotency_claim, None
        if claim is not None:
            idempotency_key_record(claim=claim, response=response)
        return response
