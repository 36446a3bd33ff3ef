"""Reads of ownership events: the API list, the event pages and the dashboard's latest."""

from django.db.models import Prefetch, QuerySet

from registry.models import OwnershipEvent, Vendor


def ownership_event_list() -> QuerySet[OwnershipEvent]:
    """Ownership events with the ids of the vendors each one affected."""
    return OwnershipEvent.objects.prefetch_related(
        Prefetch("affected_vendors", queryset=Vendor.objects.only("id"))
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
