"""Admin of import runs (upload a file to import, watch the runs and their reports) and of
spreadsheet uploads of vendors and contracts."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from imports.choices import ImportFormat
from imports.models import ImportRun, SpreadsheetUpload
from imports.services import import_format_detect, import_run_create
from imports.spreadsheets import (
    spreadsheet_upload_apply,
    spreadsheet_upload_check,
    spreadsheet_upload_create,
)
from imports.web.forms import spreadsheet_too_large_message


class ImportRunUploadForm(forms.ModelForm):
    """The upload: the run is created through the import service when the form is saved."""

    upload = forms.FileField(
        label="File",
        help_text="BODS 0.2–0.4 (a JSON array or JSON Lines), GLEIF data (XML or CSV, plain or "
        "zipped), or FollowTheMoney JSON Lines.",
    )
    format = forms.ChoiceField(
        choices=[("", "Detect from the content"), *ImportFormat.choices], required=False
    )

    class Meta:
        model = ImportRun
        fields = ["source_name", "dry_run"]

    def clean(self) -> dict:
        cleaned = super().clean()
        upload = cleaned.get("upload")
        if upload is not None and not cleaned.get("format"):
            try:
                cleaned["format"] = import_format_detect(upload)
            except ValidationError as exc:
                self.add_error("upload", exc.messages)
        return cleaned


def _rows(items: list[dict], *keys: str) -> str:
    if not items:
        return "—"
    cells = "".join("<td>{}</td>" for _ in keys)
    return format_html(
        "<table>{}</table>",
        format_html_join(
            "", f"<tr>{cells}</tr>", ([item.get(key, "") for key in keys] for item in items)
        ),
    )


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "source_name",
        "file_name",
        "status",
        "dry_run",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "dry_run", "format"]
    search_fields = ["source_name", "file_name", "sha256"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "source_name",
        "format",
        "file_name",
        "sha256",
        "created_by",
        "status",
        "dry_run",
        "counts_table",
        "errors_table",
        "warnings_table",
        "events_table",
        "vendors_table",
        "created_at",
        "started_at",
        "finished_at",
    ]

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ImportRunUploadForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ["upload", "source_name", "format", "dry_run"]
        return self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ImportRun, form, change: bool) -> None:
        upload = form.cleaned_data["upload"]
        run = import_run_create(
            source_name=form.cleaned_data["source_name"],
            file=upload,
            file_name=upload.name,
            format=form.cleaned_data["format"],
            dry_run=form.cleaned_data["dry_run"],
            actor=request.user,
        )
        # The admin goes on with the run the service made (its message and redirect).
        obj.pk, obj.file_name = run.pk, run.file_name

    @admin.display(description="Counts")
    def counts_table(self, run: ImportRun) -> str:
        return _rows([{"kind": k, "n": v} for k, v in run.counts.items()], "kind", "n")

    @admin.display(description="Errors")
    def errors_table(self, run: ImportRun) -> str:
        return _rows(run.errors, "record", "field", "message")

    @admin.display(description="Warnings")
    def warnings_table(self, run: ImportRun) -> str:
        return _rows(run.warnings, "record", "field", "message")

    @admin.display(description="Events")
    def events_table(self, run: ImportRun) -> str:
        return _rows(
            run.events,
            "kind",
            "subject_name",
            "counterparty_name",
            "person_name",
            "share",
            "effective_date",
        )

    @admin.display(description="Affected vendors")
    def vendors_table(self, run: ImportRun) -> str:
        return _rows(run.affected_vendors, "vendor_name", "current_level", "projected_level")


#: Who may upload spreadsheets in the admin: as on the web page (imports.web.spreadsheets).
SPREADSHEET_PERMISSIONS = (
    "registry.add_entity",
    "registry.add_vendor",
    "registry.change_vendor",
    "registry.add_contract",
    "registry.change_contract",
)
#: Rows with errors listed on an upload's admin page; the web page lists them all.
ADMIN_ERROR_ROWS = 500


class SpreadsheetUploadForm(forms.ModelForm):
    """The upload: read through the spreadsheet service, its columns mapped by name (or as the
    user last mapped them), then the dry run, and the apply when asked and nothing is wrong."""

    upload = forms.FileField(
        label="File",
        help_text="CSV (“CSV UTF-8”) or an Excel workbook (.xlsx), its first row naming the "
        "columns (the templates are on the Import a spreadsheet page).",
    )
    apply = forms.BooleanField(
        required=False,
        label="Apply",
        help_text="Apply the rows when the dry run finds nothing wrong (all or none). "
        "Unticked: a dry run only.",
    )

    class Meta:
        model = SpreadsheetUpload
        fields = ["kind"]

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        if upload.size > settings.SPREADSHEET_UPLOAD_MAX_BYTES:
            raise ValidationError(spreadsheet_too_large_message())
        return upload


@admin.register(SpreadsheetUpload)
class SpreadsheetUploadAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "file_name",
        "kind",
        "status",
        "counts_summary",
        "created_by",
        "created_at",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["file_name", "sha256"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"
    actions = ["apply_uploads"]
    readonly_fields = [
        "kind",
        "file_name",
        "format",
        "sha256",
        "size",
        "created_by",
        "status",
        "mapping_table",
        "counts_summary",
        "errors_table",
        "web_page",
        "created_at",
        "checked_at",
        "applied_at",
    ]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).defer("rows", "report", "row_numbers")

    def _may_upload(self, request: HttpRequest) -> bool:
        return request.user.has_perms(SPREADSHEET_PERMISSIONS)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_upload(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_upload(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_upload(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = SpreadsheetUploadForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None):
        return ["kind", "upload", "apply"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        file = form.cleaned_data["upload"]
        upload = None
        try:
            upload = spreadsheet_upload_create(
                file=file, kind=form.cleaned_data["kind"], actor=request.user, file_name=file.name
            )
            upload = spreadsheet_upload_check(upload=upload, actor=request.user)
        except ValidationError as exc:
            # The form was valid; what the service refused is said as a message, and nothing
            # (or only the upload, when its columns are wrong) was kept.
            messages.error(request, " ".join(exc.messages))
            obj.pk = upload.pk if upload is not None else None
            return
        if form.cleaned_data["apply"] and not upload.counts.get("error"):
            if spreadsheet_upload_apply(upload=upload, actor=request.user):
                messages.success(request, "Applied: every row was written.")
            else:
                messages.error(request, "Nothing was applied: some rows are wrong (below).")
        elif upload.counts.get("error"):
            messages.warning(
                request, f"{upload.counts['error']} rows have errors: nothing can be applied."
            )
        obj.pk, obj.file_name = upload.pk, upload.file_name

    def response_add(self, request: HttpRequest, obj, post_url_continue=None):
        if obj.pk is None:
            return HttpResponseRedirect(request.path)
        return HttpResponseRedirect(
            reverse("admin:imports_spreadsheetupload_change", args=[obj.pk])
        )

    @admin.action(description="Apply the selected dry runs (each all or nothing)")
    def apply_uploads(self, request: HttpRequest, queryset) -> None:
        for upload in SpreadsheetUpload.objects.filter(pk__in=queryset.values("pk")):
            try:
                applied = spreadsheet_upload_apply(upload=upload, actor=request.user)
            except ValidationError as exc:
                messages.error(request, f"{upload}: {' '.join(exc.messages)}")
                continue
            if applied:
                messages.success(request, f"{upload}: applied.")
            else:
                messages.error(
                    request,
                    f"{upload}: nothing applied, {upload.counts['error']} rows have errors.",
                )

    @admin.display(description="Counts")
    def counts_summary(self, upload: SpreadsheetUpload) -> str:
        c = upload.counts
        if not c:
            return "—"
        return (
            f"{c.get('rows', 0)} rows: {c.get('create', 0)} create, {c.get('update', 0)} update, "
            f"{c.get('unchanged', 0)} unchanged, {c.get('error', 0)} with errors"
        )

    @admin.display(description="Columns")
    def mapping_table(self, upload: SpreadsheetUpload) -> str:
        return _rows(
            [{"field": k, "column": v} for k, v in upload.mapping.items()], "field", "column"
        )

    @admin.display(description="Errors")
    def errors_table(self, upload: SpreadsheetUpload) -> str:
        report = SpreadsheetUpload.objects.values_list("report", flat=True).get(pk=upload.pk)
        problems = [
            {"row": line["row"], "field": name, "message": message}
            for line in report
            if line["action"] == "error"
            for name, found in line["errors"].items()
            for message in found
        ]
        shown = _rows(problems[:ADMIN_ERROR_ROWS], "row", "field", "message")
        if len(problems) > ADMIN_ERROR_ROWS:
            return format_html(
                "{}<p>… and {} more on the web page.</p>", shown, len(problems) - ADMIN_ERROR_ROWS
            )
        return shown

    @admin.display(description="Report")
    def web_page(self, upload: SpreadsheetUpload) -> str:
        url = reverse("web:spreadsheet-detail", args=[upload.pk])
        return format_html('<a href="{}">Every row, with its mapping and the apply button</a>', url)
