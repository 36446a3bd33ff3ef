"""Spreadsheet uploads of vendors and contracts (Procurement and up): upload, map the columns,
the dry run's report row by row, apply; and the templates to download."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from core.web.access import permission_required
from core.web.forms import service_errors_add
from core.web.pages import paginate, query_without
from imports import selectors
from imports.choices import SpreadsheetKind, SpreadsheetStatus
from imports.models import SpreadsheetUpload
from imports.spreadsheets import (
    columns_of,
    spreadsheet_template,
    spreadsheet_upload_apply,
    spreadsheet_upload_check,
    spreadsheet_upload_create,
)
from imports.web.forms import (
    SpreadsheetMappingForm,
    SpreadsheetUploadForm,
    spreadsheet_too_large_message,
)

#: Who may upload: those who may add and change vendors, their entities and contracts.
SPREADSHEET_PERMISSIONS = (
    "registry.add_entity",
    "registry.add_vendor",
    "registry.change_vendor",
    "registry.add_contract",
    "registry.change_contract",
)
#: Room for the form's other fields and the multipart boundaries around the file.
FORM_OVERHEAD_BYTES = 64 * 1024
SHOW_CHOICES = (
    ("all", "Every row"),
    ("errors", "Rows with errors"),
    ("changes", "Rows that change"),
)


class UploadTooLarge(FileUploadHandler):
    """Stop reading a request whose body is larger than a spreadsheet upload may be, before
    any of the file is stored: the form then says why."""

    def __init__(self, request: HttpRequest, limit: int):
        super().__init__(request)
        self.limit = limit
        self.refused = False
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.refused = content_length > self.limit + FORM_OVERHEAD_BYTES

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.refused:
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data: bytes, start: int):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.refused = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int):
        return None


@csrf_exempt
@permission_required(*SPREADSHEET_PERMISSIONS)
def spreadsheet_upload(request: HttpRequest) -> HttpResponse:
    """GET: the upload form, the templates and the user's uploads. POST: read the file and go
    on to map its columns. A body larger than ``SPREADSHEET_UPLOAD_MAX_BYTES`` is refused as
    it arrives (its upload handler runs before the CSRF check reads the body, hence the
    exemption here and the check just below)."""

    guard = None
    if request.method == "POST":
        guard = UploadTooLarge(request, settings.SPREADSHEET_UPLOAD_MAX_BYTES)
        request.upload_handlers.insert(0, guard)
    return _spreadsheet_upload(request, guard)


@csrf_protect
def _spreadsheet_upload(request: HttpRequest, guard: UploadTooLarge | None) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = SpreadsheetUploadForm(request.POST, request.FILES)
        if guard is not None and guard.refused:
            form = SpreadsheetUploadForm(request.POST)
            form.is_valid()
            form.errors.pop("file", None)
            form.add_error("file", spreadsheet_too_large_message())
            status = 413
        elif form.is_valid():
            try:
                upload = spreadsheet_upload_create(
                    file=form.cleaned_data["file"],
                    kind=form.cleaned_data["kind"],
                    actor=request.user,
                    file_name=form.cleaned_data["file"].name,
                )
            except ValidationError as error:
                service_errors_add(form, error)
            else:
                return redirect("web:spreadsheet-detail", pk=upload.pk)
    else:
        form = SpreadsheetUploadForm(initial={"kind": request.GET.get("kind", "vendors")})
    context = {
        "form": form,
        "uploads": paginate(request, selectors.spreadsheet_upload_list(request.user)),
        "page_query": query_without(request, "page"),
        "kinds": [(kind, label, columns_of(kind)) for kind, label in SpreadsheetKind.choices],
    }
    return render(request, "imports/spreadsheet_upload.html", context, status=status)


@permission_required(*SPREADSHEET_PERMISSIONS)
def spreadsheet_template_download(
    request: HttpRequest, kind: str, file_format: str
) -> HttpResponse:
    """The template of a kind of spreadsheet, as CSV or XLSX."""
    if kind not in SpreadsheetKind.values or file_format not in ("csv", "xlsx"):
        raise Http404
    content, name, content_type = spreadsheet_template(kind=kind, file_format=file_format)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _report_rows(upload: SpreadsheetUpload, indexes: list[int], mapped: list) -> list[dict]:
    """The page's rows: each mapped field's cell with its errors beside it, and the errors
    about the row as a whole or about fields the file has no column for."""
    shown = []
    position = {c.name: upload.headers.index(upload.mapping[c.name]) for c in mapped}
    for index in indexes:
        line = upload.report[index] if index < len(upload.report) else {}
        errors = line.get("errors", {})
        warnings = line.get("warnings", {})
        cells = []
        for column in mapped:
            value = upload.rows[index][position[column.name]]
            if isinstance(value, dict):
                value = value.get("formula", "")
            cells.append(
                {
                    "name": column.name,
                    "value": value,
                    "errors": errors.get(column.name, []),
                    "warnings": warnings.get(column.name, []),
                }
            )
        names = {c.name for c in mapped}
        shown.append(
            {
                "row": upload.row_numbers[index],
                "action": line.get("action", ""),
                "target": line.get("target", ""),
                "changes": line.get("changes", []),
                "cells": cells,
                "other_errors": [(k, m) for k, v in errors.items() if k not in names for m in v],
            }
        )
    return shown


def _upload_of(request: HttpRequest, pk: int) -> SpreadsheetUpload:
    return get_object_or_404(selectors.spreadsheet_uploads_for(request.user), pk=pk)


@permission_required(*SPREADSHEET_PERMISSIONS)
def spreadsheet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the column mapping and, once checked, the dry run's report (every row, paginated;
    ``?show=errors`` or ``changes``). POST the mapping: remember it and run the dry run."""
    upload = _upload_of(request, pk)
    form = SpreadsheetMappingForm(upload=upload)
    status = 200
    if request.method == "POST" and upload.status != SpreadsheetStatus.APPLIED:
        form = SpreadsheetMappingForm(request.POST, upload=upload)
        if form.is_valid():
            try:
                spreadsheet_upload_check(upload=upload, mapping=form.mapping(), actor=request.user)
            except ValidationError as error:
                service_errors_add(form, error)
                status = 400
            else:
                return redirect(reverse("web:spreadsheet-detail", args=[upload.pk]) + "#report")
    show = request.GET.get("show", "all")
    if show not in dict(SHOW_CHOICES):
        show = "all"
    checked = upload.status != SpreadsheetStatus.UPLOADED and bool(upload.report)
    indexes: list[int] = []
    if checked:
        wanted = {"all": None, "errors": {"error"}, "changes": {"create", "update"}}[show]
        indexes = [
            i for i, line in enumerate(upload.report) if wanted is None or line["action"] in wanted
        ]
    page = paginate(request, indexes, default_size=50)
    mapped = [c for c in columns_of(upload.kind) if upload.mapping.get(c.name) in upload.headers]
    context = {
        "upload": upload,
        "form": form,
        "checked": checked,
        "page": page,
        "rows": _report_rows(upload, list(page.object_list), mapped) if checked else [],
        "mapped": mapped,
        "show": show,
        "show_choices": SHOW_CHOICES,
        "page_query": query_without(request, "page"),
        "can_apply": checked
        and upload.status == SpreadsheetStatus.CHECKED
        and not upload.counts.get("error"),
        "apply_error": request.session.pop(f"spreadsheet-{upload.pk}-apply", ""),
    }
    return render(request, "imports/spreadsheet_detail.html", context, status=status)


@require_POST
@permission_required(*SPREADSHEET_PERMISSIONS)
def spreadsheet_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply a checked upload: every row or none; back to its report either way."""
    upload = _upload_of(request, pk)
    url = reverse("web:spreadsheet-detail", args=[upload.pk])
    if upload.status == SpreadsheetStatus.APPLIED:
        return redirect(url)
    try:
        applied = spreadsheet_upload_apply(upload=upload, actor=request.user)
    except ValidationError as error:
        request.session[f"spreadsheet-{upload.pk}-apply"] = " ".join(error.messages)
        return redirect(url)
    if not applied:
        request.session[f"spreadsheet-{upload.pk}-apply"] = (
            "Nothing was applied: the registry has changed since the dry run and some rows are "
            "wrong now (below)."
        )
    return redirect(url + ("?show=errors#report" if not applied else "#report"))
