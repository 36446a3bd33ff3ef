"""Admin of import runs: upload a file to import, and watch the runs and their reports."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from imports.choices import ImportFormat
from imports.models import ImportRun
from imports.services import import_format_detect, import_run_create


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
