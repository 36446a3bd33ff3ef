"""Rotating a webhook secret without downtime: during the overlap both secrets sign."""

import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from alerts.models import WebhookDelivery, WebhookEndpoint
from alerts.webhooks import (
    signing_secrets,
    webhook_endpoint_save,
    webhook_secret_rotate,
    webhook_signatures,
)
from tests.webhooks.test_delivery import documented_recipe

OLD = "whsec-old-0123456789abcdef"
NEW = "whsec-new-fedcba9876543210"
BODY = b'{"id":3,"kind":"change_of_control"}'
TIMESTAMP = 1749801600


def hexmac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def test_one_secret_signs_exactly_as_before():
    header = webhook_signatures(keys=[OLD], timestamp=TIMESTAMP, body=BODY)

    assert header == f"v1={hexmac(OLD, TIMESTAMP, BODY)}"
    assert "," not in header and len(header) == 3 + 64


def test_two_secrets_give_two_signatures_current_first():
    header = webhook_signatures(keys=[NEW, OLD], timestamp=TIMESTAMP, body=BODY)

    assert header == f"v1={hexmac(NEW, TIMESTAMP, BODY)},v1={hexmac(OLD, TIMESTAMP, BODY)}"
    assert hexmac(NEW, TIMESTAMP, BODY) != hexmac(OLD, TIMESTAMP, BODY)


@pytest.fixture
def endpoint(db, receiver):
    return webhook_endpoint_save(name="Ticketing", url=receiver.url(), secret=OLD)


def test_rotation_keeps_the_old_secret_for_the_overlap(endpoint):
    before = timezone.now()

    new_secret = webhook_secret_rotate(endpoint, overlap_hours=24)

    endpoint.refresh_from_db()
    assert endpoint.secret == new_secret != OLD
    assert len(new_secret) == 64
    assert endpoint.previous_secret == OLD
    expires = endpoint.previous_secret_expires_at
    assert before + timedelta(hours=24) <= expires <= timezone.now() + timedelta(hours=24)
    assert signing_secrets(endpoint) == [new_secret, OLD]
    # One second before the end of the overlap both sign; at its end only the new one.
    assert signing_secrets(endpoint, now=expires - timedelta(seconds=1)) == [new_secret, OLD]
    assert signing_secrets(endpoint, now=expires) == [new_secret]


def test_rotating_again_drops_the_oldest_secret(endpoint):
    second = webhook_secret_rotate(endpoint, overlap_hours=24)
    third = webhook_secret_rotate(endpoint, overlap_hours=2)

    endpoint.refresh_from_db()
    assert signing_secrets(endpoint) == [third, second]
    assert OLD not in signing_secrets(endpoint)
    remaining = endpoint.previous_secret_expires_at - timezone.now()
    assert timedelta(hours=1, minutes=59) < remaining <= timedelta(hours=2)


def test_zero_overlap_retires_the_old_secret_at_once(endpoint):
    new_secret = webhook_secret_rotate(endpoint, overlap_hours=0)

    endpoint.refresh_from_db()
    assert (endpoint.previous_secret, endpoint.previous_secret_expires_at) == ("", None)
    assert signing_secrets(endpoint) == [new_secret]


@pytest.mark.parametrize("overlap", [-1, 169, 1.5, "24", True, None])
def test_a_bad_overlap_is_refused_naming_the_field_and_nothing_changes(endpoint, overlap):
    with pytest.raises(ValidationError) as error:
        webhook_secret_rotate(endpoint, overlap_hours=overlap)

    assert "overlap_hours" in error.value.message_dict
    assert "0 to 168" in error.value.message_dict["overlap_hours"][0]
    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.previous_secret) == (OLD, "")


def test_a_secret_typed_in_replaces_at_once_and_ends_the_overlap(endpoint):
    webhook_secret_rotate(endpoint, overlap_hours=24)
    endpoint.refresh_from_db()

    webhook_endpoint_save(endpoint=endpoint, name="Ticketing", url=endpoint.url, secret=NEW)

    endpoint.refresh_from_db()
    assert signing_secrets(endpoint) == [NEW]
    assert endpoint.previous_secret_expires_at is None


def test_the_secrets_stay_out_of_the_history(endpoint):
    webhook_secret_rotate(endpoint, overlap_hours=24)

    record = endpoint.history.first()
    field_names = {field.name for field in record._meta.fields}
    assert "secret" not in field_names and "previous_secret" not in field_names
    assert record.previous_secret_expires_at is not None


def test_during_the_overlap_a_delivery_carries_both_signatures(endpoint, receiver, raise_coc_alert):
    new_secret = webhook_secret_rotate(endpoint, overlap_hours=24)

    raise_coc_alert()

    request = receiver.requests[0]
    timestamp = int(request.headers["X-VendorRegistry-Timestamp"])
    assert request.headers["X-VendorRegistry-Signature"] == (
        f"v1={hexmac(new_secret, timestamp, request.body)},"
        f"v1={hexmac(OLD, timestamp, request.body)}"
    )
    assert WebhookDelivery.objects.get().status == "delivered"


def test_after_the_overlap_a_delivery_carries_only_the_new_signature(
    endpoint, receiver, raise_coc_alert
):
    new_secret = webhook_secret_rotate(endpoint, overlap_hours=1)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
    )

    raise_coc_alert()

    request = receiver.requests[0]
    timestamp = int(request.headers["X-VendorRegistry-Timestamp"])
    assert request.headers["X-VendorRegistry-Signature"] == (
        f"v1={hexmac(new_secret, timestamp, request.body)}"
    )


def test_the_documented_recipe_accepts_either_secret_during_the_overlap(
    endpoint, receiver, raise_coc_alert, monkeypatch
):
    verify_signature = documented_recipe()
    new_secret = webhook_secret_rotate(endpoint, overlap_hours=24)
    raise_coc_alert()
    request = receiver.requests[0]

    assert verify_signature(new_secret, request.headers, request.body)
    assert verify_signature(OLD, request.headers, request.body)
    assert not verify_signature("whsec-neither", request.headers, request.body)
    assert not verify_signature(OLD, request.headers, request.body.replace(b"high", b"low"))


def test_the_documented_recipe_on_a_fixed_request():
    """A worked example: the header of a request signed at 1749801600 by two secrets, checked
    300 s later (accepted) and 301 s later (refused)."""
    verify_signature = documented_recipe()
    headers = {
        "X-VendorRegistry-Timestamp": str(TIMESTAMP),
        "X-VendorRegistry-Signature": webhook_signatures(
            keys=[NEW, OLD], timestamp=TIMESTAMP, body=BODY
        ),
    }
    clock = datetime(2025, 6, 13, 8, 5, tzinfo=UTC).timestamp()
    assert clock == TIMESTAMP + 300

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: clock)
        assert verify_signature(OLD, headers, BODY) and verify_signature(NEW, headers, BODY)
        patch.setattr(time, "time", lambda: clock + 1)
        assert not verify_signature(OLD, headers, BODY)
