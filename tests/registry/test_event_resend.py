"""``ownership_event_resend``: only a failed event goes through the pipeline again."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from registry import services
from registry.choices import EventKind, EventStatus
from registry.models import OwnershipEvent
from tests.factories import EntityFactory


@pytest.fixture
def event(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        return services.ownership_event_log(
            kind=EventKind.ACQUISITION,
            subject=EntityFactory(name="Target"),
            counterparty=EntityFactory(name="Buyer"),
            share=Decimal(30),
            effective_date=datetime.date(2025, 6, 13),
        )


def test_a_failed_event_is_sent_again_after_commit(event, django_capture_on_commit_callbacks):
    OwnershipEvent.objects.filter(pk=event.pk).update(status=EventStatus.FAILED)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.ownership_event_resend(event=event)
    assert len(callbacks) == 1
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED


@pytest.mark.parametrize("status", [EventStatus.PENDING, EventStatus.PROCESSED])
def test_an_event_that_did_not_fail_is_refused_naming_its_status(
    event, status, django_capture_on_commit_callbacks
):
    OwnershipEvent.objects.filter(pk=event.pk).update(status=status)
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(ValidationError) as refused,
    ):
        services.ownership_event_resend(event=event)
    assert callbacks == []
    (message,) = refused.value.message_dict["status"]
    assert message.startswith("Only failed events are re-sent") and status.label.lower() in message
