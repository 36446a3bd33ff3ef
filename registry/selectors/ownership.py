"""Reads of ownership edges."""

from django.db.models import QuerySet

from registry.models import Ownership


def ownership_list() -> QuerySet[Ownership]:
    """Ownership edges, current and past."""
    return Ownership.objects.all()


def ownership_page() -> QuerySet[Ownership]:
    """Edges with their owner and owned entity, for the edge's form."""
    return Ownership.objects.select_related("owner", "owned")


def ownership_page_list() -> QuerySet[Ownership]:
    """Edges with their two entities, by owned entity, then owner, the latest first, for the
    ownership list and its exports."""
    return ownership_page().order_by("owned__name", "owner__name", "-start_date", "id")
