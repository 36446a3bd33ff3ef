"""Reads of import runs and spreadsheet uploads, for the API, the admin, the pages and the
command."""

from django.db.models import QuerySet

from imports.models import ImportRun, SpreadsheetUpload


def import_run_list() -> QuerySet[ImportRun]:
    """Import runs, newest first, with who started each (the report is stored on each run:
    one query a page)."""
    return ImportRun.objects.select_related("created_by").order_by("-created_at", "-id")


def spreadsheet_uploads_for(user) -> QuerySet[SpreadsheetUpload]:
    """The spreadsheet uploads a user may see (their own; a superuser's, everyone's), newest
    first, with who made each; the stored cells and report are read only for one upload."""
    uploads = SpreadsheetUpload.objects.select_related("created_by").order_by("-created_at", "-id")
    return uploads if user.is_superuser else uploads.filter(created_by=user)


def spreadsheet_upload_list(user) -> QuerySet[SpreadsheetUpload]:
    """:func:`spreadsheet_uploads_for` without the cells and reports (a list page)."""
    return spreadsheet_uploads_for(user).defer("rows", "report", "row_numbers")
