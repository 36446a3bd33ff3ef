"""``manage.py backup_registry [DIRECTORY]``: dump the database, the media files and a manifest
of what they hold (core.backups; docs/operations.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backups import BackupError, backup_directory_name, registry_backup


class Command(BaseCommand):
    help = (
        "Back up the registry: PostgreSQL dump (pg_dump -Fc), media files and a manifest, "
        "into a new directory."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "directory",
            nargs="?",
            help="Where to write the backup (default: backups/registry-<UTC time>).",
        )

    def handle(self, *args, directory: str | None, **options) -> None:
        target = Path(directory) if directory else Path("backups") / backup_directory_name()
        try:
            manifest = registry_backup(directory=target)
        except BackupError as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{label} {count}" for label, count in manifest["census"].items())
        self.stdout.write(f"Backed up {manifest['database']} into {target}: {counts}; ")
        self.stdout.write(f"{manifest['media_files']} media files.")
