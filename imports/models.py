"""Import runs: one file of published ownership data brought into the registry."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.validators import validate_single_line
from imports.choices import (
    COUNT_KEYS,
    ImportFormat,
    ImportStatus,
    SpreadsheetKind,
    SpreadsheetStatus,
)


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(COUNT_KEYS, 0)


class ImportRun(models.Model):
    """One run of one file: what it read, what it changed (or, dry, would change) and why it
    failed. Every entity, edge, event and alert the run writes points back at it."""

    source_name = models.CharField(
        max_length=100,
        validators=[validate_single_line],
        help_text="Who published the data (e.g. “UK PSC register”); record ids are matched "
        "against earlier runs of the same source.",
    )
    format = models.CharField(max_length=16, choices=ImportFormat.choices)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True, editable=False)
    file_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_runs",
    )
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    dry_run = models.BooleanField(
        default=False, help_text="Report what would change; write nothing."
    )
    counts = models.JSONField(default=empty_counts)
    errors = models.JSONField(default=list, blank=True, help_text="[{record, field, message}]")
    warnings = models.JSONField(default=list, blank=True, help_text="[{record, field, message}]")
    events = models.JSONField(
        default=list,
        blank=True,
        help_text="The ownership events the run logged (or would log), the first 1,000 of them.",
    )
    affected_vendors = models.JSONField(
        default=list, blank=True, help_text="[{vendor, current_level, projected_level}]"
    )
    recheck_entities = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Entities whose edges the run wrote directly; their vendors are rechecked "
        "with those of the run's events, once, after the run commits.",
    )
    rechecked_at = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveIntegerField(
        default=0, editable=False, help_text="How many times a worker took the run up."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["source_name", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="import_run_status_valid"
            ),
        ]

    def __str__(self) -> str:
        dry = " (dry run)" if self.dry_run else ""
        return f"Import #{self.pk} of {self.file_name or 'a file'} from {self.source_name}{dry}"


class ImportedRecord(models.Model):
    """What a record of a run stood for: a party record the registry entity it matched or
    created, so a later run of the same source matches the record by its id (DESIGN,
    "Matching"); a relationship record the owner, the owned entity and the interests it
    declared, so a later statement that replaces or closes it ends what it no longer says."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="records")
    record = models.CharField(max_length=255)
    entity = models.ForeignKey(
        "registry.Entity",
        on_delete=models.CASCADE,
        related_name="imported_records",
        help_text="The party, or the owned entity of a relationship.",
    )
    owner = models.ForeignKey(
        "registry.Entity",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="imported_holdings",
    )
    interests = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["record"])]

    def __str__(self) -> str:
        return f"{self.record} → {self.entity_id}"


class LeiRegistration(models.Model):
    """What GLEIF's Level 1 data last said of an entity's LEI: the entity's status (``ACTIVE``,
    ``INACTIVE``) and its LEI's registration status (``ISSUED``, ``LAPSED``, ``RETIRED`` …)."""

    entity = models.OneToOneField(
        "registry.Entity", on_delete=models.CASCADE, related_name="lei_registration"
    )
    entity_status = models.CharField(max_length=16, blank=True)
    registration_status = models.CharField(max_length=32, blank=True)
    last_update = models.DateField(null=True, blank=True)
    import_run = models.ForeignKey(
        ImportRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.entity_id}: {self.entity_status} / {self.registration_status}"


class SpreadsheetUpload(models.Model):
    """A spreadsheet of vendors or contracts: its cells as read (so the dry run and the apply
    read the same rows, without keeping the file), the columns mapped to fields, and the
    latest dry run's or apply's report, row by row."""

    kind = models.CharField(max_length=16, choices=SpreadsheetKind.choices)
    file_name = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=8)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="spreadsheet_uploads",
    )
    headers = models.JSONField(default=list, help_text="The file's column names, in order.")
    rows = models.JSONField(
        default=list, help_text="Each row's cells as text; a formula as {“formula”: text}."
    )
    row_numbers = models.JSONField(default=list, help_text="Each row's number in the file.")
    mapping = models.JSONField(
        default=dict, blank=True, help_text="{field: the file's column it is read from}"
    )
    status = models.CharField(
        max_length=16, choices=SpreadsheetStatus.choices, default=SpreadsheetStatus.UPLOADED
    )
    counts = models.JSONField(default=dict, blank=True)
    report = models.JSONField(
        default=list,
        blank=True,
        help_text="[{row, action, target, changes, errors: {field: [message]}, warnings}]",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SpreadsheetKind.values), name="spreadsheet_upload_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SpreadsheetStatus.values),
                name="spreadsheet_upload_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Spreadsheet #{self.pk} of {self.get_kind_display().lower()} ({self.file_name})"


class SpreadsheetMapping(models.Model):
    """The columns a user last mapped for a kind of spreadsheet, offered again on their next
    upload of that kind."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="spreadsheet_mappings"
    )
    kind = models.CharField(max_length=16, choices=SpreadsheetKind.choices)
    columns = models.JSONField(default=dict, help_text="{field: column name}")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="spreadsheet_mapping_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"
