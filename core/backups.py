"""Backup and restore of the whole registry: the PostgreSQL database (``pg_dump`` custom
format), the media files (uploads of import runs) and a manifest that counts what was saved,
so a restore can prove it brought back the same registry. Settings (the environment) are not
in a backup: they hold the secrets, and are kept where the secrets are kept (docs/operations.md).
"""

import datetime
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.utils import timezone

DUMP, MEDIA, MANIFEST = "database.dump", "media.tar.gz", "manifest.json"

#: What the manifest counts, by label: the registry's own rows and the audit trail.
CENSUS = {
    "entities": "registry.Entity",
    "ownerships": "registry.Ownership",
    "watchlist entries": "registry.WatchlistEntry",
    "vendors": "registry.Vendor",
    "contracts": "registry.Contract",
    "ownership events": "registry.OwnershipEvent",
    "risk assessments": "registry.RiskAssessment",
    "risk factors": "registry.RiskFactor",
    "alerts": "alerts.Alert",
    "webhook deliveries": "alerts.WebhookDelivery",
    "import runs": "imports.ImportRun",
    "users": "auth.User",
}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """A PostgreSQL database to dump from or restore into, as libpq's programs take it."""

    name: str
    host: str
    port: str
    user: str
    password: str

    @classmethod
    def from_settings(cls, alias: str = "default") -> "Target":
        db = connections[alias].settings_dict
        if db["ENGINE"] != "django.db.backends.postgresql":
            raise BackupError(
                "Backups are made of a PostgreSQL database; this one is "
                f"{db['ENGINE'].rsplit('.', 1)[-1]}. For SQLite, copy the file while nothing "
                "writes to it: sqlite3 db.sqlite3 '.backup backup.sqlite3'."
            )
        return cls(
            name=db["NAME"],
            host=db.get("HOST") or "127.0.0.1",
            port=str(db.get("PORT") or 5432),
            user=db.get("USER") or "",
            password=db.get("PASSWORD") or "",
        )

    def with_name(self, name: str) -> "Target":
        return Target(name, self.host, self.port, self.user, self.password)

    def arguments(self) -> list[str]:
        user = ["--username", self.user] if self.user else []
        return ["--host", self.host, "--port", self.port, *user]

    def environment(self) -> dict[str, str]:
        # The password goes to the programs through the environment, never the command line.
        return {**os.environ, **({"PGPASSWORD": self.password} if self.password else {})}

    def connect(self):
        import psycopg

        return psycopg.connect(
            dbname=self.name,
            host=self.host,
            port=self.port,
            user=self.user or None,
            password=self.password or None,
            autocommit=True,
        )


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed; install the PostgreSQL client programs "
            "(Debian: apt-get install postgresql-client), the same major version as the server."
        )
    return path


def _run(command: list[str], target: Target) -> None:
    result = subprocess.run(command, env=target.environment(), capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")


def registry_census(target: Target) -> dict[str, int]:
    """How many rows of each kind the database holds, and the audit records of every audited
    model together (``audit records``)."""
    tables = {label: apps.get_model(dotted)._meta.db_table for label, dotted in CENSUS.items()}
    history = sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model.__name__.startswith("Historical") and hasattr(model, "history_id")
    )
    census = {}
    with target.connect() as conn:
        for label, table in tables.items():
            census[label] = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        census["audit records"] = sum(
            conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in history
        )
    return census


def registry_backup(*, directory: Path, alias: str = "default") -> dict:
    """Write ``database.dump`` (``pg_dump -Fc``), ``media.tar.gz`` and ``manifest.json`` into
    ``directory`` (created; it must not hold a backup already). Returns the manifest."""
    target = Target.from_settings(alias)
    pg_dump = _program("pg_dump")
    directory = Path(directory)
    if (directory / MANIFEST).exists():
        raise BackupError(f"{directory} holds a backup already; give a new directory.")
    directory.mkdir(parents=True, exist_ok=True)
    started = timezone.now()
    _run(
        [
            pg_dump,
            *target.arguments(),
            "--format=custom",
            "--file",
            str(directory / DUMP),
            target.name,
        ],
        target,
    )
    media_root = Path(settings.MEDIA_ROOT)
    media_files = 0
    with tarfile.open(directory / MEDIA, "w:gz") as archive:
        if media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                if path.is_file():
                    archive.add(path, arcname=str(path.relative_to(media_root)))
                    media_files += 1
    manifest = {
        "created_at": started.isoformat(),
        "database": target.name,
        "census": registry_census(target),
        "media_files": media_files,
        "settings": "not included: restore the environment (DJANGO_SECRET_KEY and the rest) "
        "from where the secrets are kept",
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def registry_restore(
    *, directory: Path, database: str | None = None, alias: str = "default"
) -> dict[str, int]:
    """Restore a backup of :func:`registry_backup` into an empty database (``database``, on
    the configured server, or the configured one) and its media into ``MEDIA_ROOT``, then
    count what came back; refused if the database is not empty, and failed if the counts
    differ from the manifest. Returns the census of the restored database."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError as missing:
        raise BackupError(f"{directory} holds no backup ({MANIFEST} is missing).") from missing
    if not (directory / DUMP).is_file():
        raise BackupError(f"{directory / DUMP} is missing.")
    target = Target.from_settings(alias)
    if database:
        target = target.with_name(database)
    pg_restore = _program("pg_restore")
    with target.connect() as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()[0]
    if tables:
        raise BackupError(
            f"The database {target.name} is not empty ({tables} tables): restore into an empty "
            "database (createdb NAME), so nothing of the old one mixes in."
        )
    _run(
        [
            pg_restore,
            *target.arguments(),
            "--dbname",
            target.name,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            str(directory / DUMP),
        ],
        target,
    )
    media = directory / MEDIA
    if media.is_file():
        media_root = Path(settings.MEDIA_ROOT)
        media_root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(media) as archive:
            archive.extractall(media_root, filter="data")
    census = registry_census(target)
    if census != manifest["census"]:
        differences = ", ".join(
            f"{label}: {manifest['census'].get(label)} saved, {census.get(label)} restored"
            for label in sorted(set(census) | set(manifest["census"]))
            if census.get(label) != manifest["census"].get(label)
        )
        raise BackupError(f"The restored database differs from the backup: {differences}.")
    return census


def backup_directory_name(now: datetime.datetime | None = None) -> str:
    """``registry-20251203T071500Z``: a new directory name for each backup."""
    return f"registry-{(now or timezone.now()):%Y%m%dT%H%M%SZ}"
