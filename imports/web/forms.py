"""The upload form of the import page (the same fields as ``POST /api/v1/imports/``), and the
forms of spreadsheet uploads."""

from pathlib import Path

from django import forms
from django.conf import settings

from imports.api.serializers import max_upload_bytes, too_large_message
from imports.choices import ImportFormat, SpreadsheetKind
from imports.spreadsheets import columns_of


class ImportUploadForm(forms.Form):
    file = forms.FileField(help_text="BODS 0.2–0.4: a JSON array or JSON Lines.")
    format = forms.ChoiceField(
        choices=[("", "Detect from the content"), *ImportFormat.choices], required=False
    )
    source_name = forms.CharField(
        max_length=100,
        required=False,
        help_text="Who published the data (e.g. “UK PSC register”); record ids are matched "
        "against earlier runs of the same source. Default: the file's name.",
    )
    dry_run = forms.BooleanField(
        required=False,
        label="Dry run",
        help_text="Report what would change and write nothing.",
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > max_upload_bytes():
            raise forms.ValidationError(too_large_message())
        return file

    def service_kwargs(self) -> dict:
        """What ``import_run_create`` takes, the source name defaulting to the file's stem
        as the API's does."""
        data = self.cleaned_data
        file = data["file"]
        return {
            "source_name": data["source_name"] or Path(file.name or "upload").stem or "upload",
            "file": file,
            "file_name": file.name or "",
            "format": data["format"],
            "dry_run": data["dry_run"],
        }


class SpreadsheetUploadForm(forms.Form):
    """A spreadsheet of vendors or of contracts."""

    kind = forms.ChoiceField(
        choices=SpreadsheetKind.choices,
        initial=SpreadsheetKind.VENDORS,
        widget=forms.RadioSelect,
        label="The file holds",
    )
    file = forms.FileField(
        help_text="CSV (saved as “CSV UTF-8”) or an Excel workbook (.xlsx), its first row "
        "naming the columns; the columns are mapped to fields next."
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > settings.SPREADSHEET_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(spreadsheet_too_large_message())
        return file


def spreadsheet_too_large_message() -> str:
    limit = settings.SPREADSHEET_UPLOAD_MAX_BYTES
    return (
        f"The file is larger than {limit / (1024 * 1024):.0f} MB, the most a spreadsheet "
        "upload may be: it was not read. Split it into smaller files."
    )


class SpreadsheetMappingForm(forms.Form):
    """Which of the file's columns each field is read from (``—`` for none)."""

    def __init__(self, *args, upload, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "— not in the file —"), *((h, h) for h in upload.headers if h)]
        for column in columns_of(upload.kind):
            self.fields[column.name] = forms.ChoiceField(
                choices=choices,
                required=False,
                label=column.label,
                help_text=column.help,
                initial=upload.mapping.get(column.name, ""),
            )
            self.fields[column.name].is_required_column = column.required
        self.upload = upload

    def mapping(self) -> dict[str, str]:
        return {name: header for name, header in self.cleaned_data.items() if header}
