"""Choice sets of import runs (DESIGN, "Open ownership data: imports and exports")."""

from django.db import models


class ImportFormat(models.TextChoices):
    BODS = "bods", "Beneficial Ownership Data Standard (0.2–0.4)"
    FTM = "ftm", "FollowTheMoney entities (OpenSanctions, JSON Lines)"
    GLEIF_LEI = "gleif-lei", "GLEIF LEI records (LEI-CDF 3.x, Level 1)"
    GLEIF_RR = "gleif-rr", "GLEIF relationship records (RR-CDF 2.x, Level 2)"
    GLEIF_REPEX = "gleif-repex", "GLEIF reporting exceptions (Level 2)"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


#: The counts every run reports, in the order people read them.
COUNT_KEYS = (
    "entities_new",
    "entities_matched",
    "edges_new",
    "edges_changed",
    "edges_ended",
    "edges_unchanged",
    "indirect_skipped",
    "events",
)


class SpreadsheetKind(models.TextChoices):
    """What a spreadsheet upload holds, one row each."""

    VENDORS = "vendors", "Vendors"
    CONTRACTS = "contracts", "Contracts"


class SpreadsheetStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded: map its columns"
    CHECKED = "checked", "Dry run done"
    APPLIED = "applied", "Applied"
