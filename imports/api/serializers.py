"""Serializers of the import runs and the BODS export of the REST API v1."""

from django.conf import settings
from rest_framework import serializers

from imports.choices import COUNT_KEYS, ImportFormat
from imports.models import ImportRun
from registry.choices import RiskLevel


def max_upload_bytes() -> int:
    """The largest file an upload may be (the importer streams it; this bounds the disk)."""
    return settings.IMPORT_UPLOAD_MAX_BYTES


def too_large_message() -> str:
    limit = max_upload_bytes()
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
    return f"The file is larger than {size}, the most an upload may be."


class ImportCountsSerializer(serializers.Serializer):
    """What the run changed (or, dry, would change), by kind."""

    def get_fields(self) -> dict:
        return {key: serializers.IntegerField(min_value=0) for key in COUNT_KEYS}


class ImportProblemSerializer(serializers.Serializer):
    record = serializers.CharField(help_text="Where in the file: line or element, and its id.")
    field = serializers.CharField(allow_blank=True, help_text="The statement's field.")
    message = serializers.CharField()


class ImportAffectedVendorSerializer(serializers.Serializer):
    vendor = serializers.IntegerField(help_text="Vendor id.")
    current_level = serializers.ChoiceField(choices=RiskLevel.choices)
    projected_level = serializers.ChoiceField(choices=RiskLevel.choices)


class ImportRunSerializer(serializers.ModelSerializer):
    """An import run and its report."""

    counts = ImportCountsSerializer()
    errors = ImportProblemSerializer(many=True)
    warnings = ImportProblemSerializer(many=True)
    affected_vendors = ImportAffectedVendorSerializer(many=True)

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "source_name",
            "format",
            "status",
            "dry_run",
            "counts",
            "errors",
            "warnings",
            "affected_vendors",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportUploadSerializer(serializers.Serializer):
    """``multipart/form-data``: the file and how to read it."""

    file = serializers.FileField(
        help_text="BODS 0.2–0.4 (a JSON array or JSON Lines), GLEIF LEI, relationship or "
        "reporting-exception data (XML or golden-copy CSV, plain or zipped), or FollowTheMoney "
        "JSON Lines."
    )
    format = serializers.ChoiceField(
        choices=ImportFormat.choices,
        required=False,
        allow_blank=True,
        help_text="Detected from the content when not given.",
    )
    source_name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="Who published the data; record ids are matched against earlier runs of "
        "the same source (default: the file's name).",
    )
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text="Report what would change; write nothing."
    )

    def validate_file(self, value):
        if value.size > max_upload_bytes():
            raise serializers.ValidationError(too_large_message())
        return value


class BodsExportQuerySerializer(serializers.Serializer):
    entity = serializers.IntegerField(
        required=False, min_value=1, help_text="Export this entity and everything above it."
    )
