"""What the pipeline still has to do, for the health check."""

import datetime

from django.db.models import Min

from registry.choices import EventStatus
from registry.models import OwnershipEvent, RecheckRequest


def oldest_pending_work() -> datetime.datetime | None:
    """When the oldest event or recheck still waiting for the pipeline was logged."""
    event = OwnershipEvent.objects.filter(
        status__in=(EventStatus.PENDING, EventStatus.PROCESSING)
    ).aggregate(oldest=Min("created_at"))["oldest"]
    recheck = RecheckRequest.objects.filter(processed_at__isnull=True).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    return min((t for t in (event, recheck) if t is not None), default=None)
