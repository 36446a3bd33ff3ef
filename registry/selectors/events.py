"""Reads of ownership events: the API list, the event pages and the dashboard's latest."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from registry.models import OwnershipEvent, Vendor


def ownership_event_list() -> QuerySet[OwnershipEvent]:
    """Ownership events with the ids of the vendors each one affected."""
    return OwnershipEvent.objects.prefetch_related(
        Prefetch("affected_vendors", queryset=Vendor.objects.only("id"))
    )


@dataclass(frozen=True)
class EventProgress:
    id: int
    status: str
    vendors_done: int
    vendors_total: int | None
    chunks_done: int
    chunks_total: int


def ownership_event_progress(*, event: OwnershipEvent) -> EventProgress:
    """How far ``event``'s recheck is, with its chunks counted in one query."""
    chunks = event.chunks.aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(done_at__isnull=False))
    )
    return EventProgress(
        id=event.pk,
        status=event.status,
        vendors_done=event.vendors_done,
        vendors_total=event.vendors_total,
        chunks_done=chunks["done"],
        chunks_total=chunks["total"],
    )


def event_page() -> QuerySet[OwnershipEvent]:
    """Events with their parties and who logged them, for the event pages."""
    return OwnershipEvent.objects.select_related("subject", "counterparty", "person", "logged_by")


def event_page_list() -> QuerySet[OwnershipEvent]:
    """Events as :func:`event_page` reads them, the latest logged first."""
    return event_page().order_by("-created_at", "-id")


def event_affected_vendors(*, event: OwnershipEvent) -> list[Vendor]:
    """The vendors the event's processing rechecked, by name."""
    return list(event.affected_vendors.select_related("entity").order_by("entity__name"))


def recent_events(*, limit: int = 6) -> list[OwnershipEvent]:
    """The latest logged ownership events with their subject and counterparty."""
    return list(
        OwnershipEvent.objects.select_related("subject", "counterparty").order_by(
            "-created_at", "-id"
        )[:limit]
    )
