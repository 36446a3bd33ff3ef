"""What the pipeline still has to do, for the health check."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Min, Q

from registry.choices import EventStatus
from registry.models import OwnershipEvent, RecheckRequest

WAITING = (EventStatus.PENDING, EventStatus.PROCESSING)


@dataclass(frozen=True)
class WaitingEvents:
    """Events waiting for the pipeline: how many, how many of them since before ``since``,
    and when the oldest was logged."""

    count: int
    older: int
    oldest: datetime.datetime | None


def oldest_pending_work(
    *, oldest_event: datetime.datetime | None = None
) -> datetime.datetime | None:
    """When the oldest event or recheck still waiting for the pipeline was logged (one query
    when the oldest waiting event is known already, from :func:`waiting_events`)."""
    if oldest_event is None:
        oldest_event = OwnershipEvent.objects.filter(status__in=WAITING).aggregate(
            oldest=Min("created_at")
        )["oldest"]
    recheck = RecheckRequest.objects.filter(processed_at__isnull=True).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    return min((t for t in (oldest_event, recheck) if t is not None), default=None)


def waiting_events(*, since: datetime.datetime) -> WaitingEvents:
    """The events still pending or processing, in one query."""
    row = OwnershipEvent.objects.filter(status__in=WAITING).aggregate(
        count=Count("id"),
        older=Count("id", filter=Q(created_at__lt=since)),
        oldest=Min("created_at"),
    )
    return WaitingEvents(count=row["count"], older=row["older"], oldest=row["oldest"])
