"""Reads shared by pages, the API and the pipeline, each in a constant number of queries."""

import datetime

from django.db.models import Min, Prefetch, QuerySet

from registry.choices import EventStatus
from registry.models import (
    Contract,
    Entity,
    Ownership,
    OwnershipEvent,
    RecheckRequest,
    RiskAssessment,
    RiskFactor,
    Vendor,
    WatchlistEntry,
)


def oldest_pending_work() -> datetime.datetime | None:
    """When the oldest event or recheck still waiting for the pipeline was logged."""
    event = OwnershipEvent.objects.filter(
        status__in=(EventStatus.PENDING, EventStatus.PROCESSING)
    ).aggregate(oldest=Min("created_at"))["oldest"]
    recheck = RecheckRequest.objects.filter(processed_at__isnull=True).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    return min((t for t in (event, recheck) if t is not None), default=None)


def vendor_latest_assessment(*, vendor) -> RiskAssessment | None:
    """The vendor's latest assessment with its factors and their parties (two queries)."""
    return (
        RiskAssessment.objects.filter(vendor=vendor)
        .order_by("-assessed_at", "-id")
        .prefetch_related(Prefetch("factors", RiskFactor.objects.select_related("party")))
        .first()
    )


def entity_list() -> QuerySet[Entity]:
    """Entities with their identifiers, for lists and detail reads."""
    return Entity.objects.prefetch_related("identifiers")


def watchlist_entry_list() -> QuerySet[WatchlistEntry]:
    """Watchlist entries, most relevant category first."""
    return WatchlistEntry.objects.all()


def ownership_list() -> QuerySet[Ownership]:
    """Ownership edges, current and past."""
    return Ownership.objects.all()


def vendor_list() -> QuerySet[Vendor]:
    """Vendors with the entity whose name they carry."""
    return Vendor.objects.select_related("entity")


def contract_list() -> QuerySet[Contract]:
    """Contracts of all vendors."""
    return Contract.objects.all()


def ownership_event_list() -> QuerySet[OwnershipEvent]:
    """Ownership events with the ids of the vendors each one affected."""
    return OwnershipEvent.objects.prefetch_related(
        Prefetch("affected_vendors", queryset=Vendor.objects.only("id"))
    )
