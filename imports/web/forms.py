"""The upload form of the import page: the same fields as ``POST /api/v1/imports/``."""

from pathlib import Path

from django import forms

from imports.api.serializers import max_upload_bytes, too_large_message
from imports.choices import ImportFormat


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
