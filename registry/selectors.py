"""Reads shared by pages, the API and the pipeline, each in a constant number of queries."""

import datetime
from typing import Any

from django.db import models
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


#: Bookkeeping timestamps that change on every save and say nothing a reader needs.
UNREPORTED_FIELDS = {"created_at", "updated_at"}


def _tracked_fields(history_model: type[models.Model]) -> list[models.Field]:
    return [
        field
        for field in history_model.tracked_fields
        if field.editable and not field.primary_key and field.name not in UNREPORTED_FIELDS
    ]


def _value(field: models.Field, record: models.Model) -> Any:
    return field.value_from_object(record)


def history_records(*, model: type[models.Model], pk: int) -> list[dict[str, Any]]:
    """Every historical record of ``model`` row ``pk``, newest first, each with the fields it
    changed compared to the record before it (for a creation: every field it was given).

    One query whatever the length of the history; rows deleted since are still reported.
    """
    history_model = model.history.model
    records = list(
        history_model.objects.filter(**{model._meta.pk.attname: pk})
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    fields = _tracked_fields(history_model)
    previous = None
    result = []
    for record in records:
        changes = []
        for field in fields:
            new = _value(field, record)
            old = None if previous is None else _value(field, previous)
            if previous is None and new in (None, ""):
                continue
            if old != new:
                changes.append({"field": field.name, "old": old, "new": new})
        result.append(
            {
                "history_id": record.history_id,
                "history_date": record.history_date,
                "history_type": record.history_type,
                "history_user": record.history_user.get_username() if record.history_user else None,
                "request": record.history_change_reason or None,
                "changes": changes,
            }
        )
        previous = record
    result.reverse()
    return result
