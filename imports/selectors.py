"""Reads of import runs, for the API, the admin, the pages and the command."""

from django.db.models import QuerySet

from imports.models import ImportRun


def import_run_list() -> QuerySet[ImportRun]:
    """Import runs, newest first, with who started each (the report is stored on each run:
    one query a page)."""
    return ImportRun.objects.select_related("created_by").order_by("-created_at", "-id")
