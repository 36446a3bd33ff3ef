"""``manage.py restore_registry DIRECTORY [--database NAME]``: restore a backup into an empty
database and check that it holds what the backup counted (core.backups)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backups import BackupError, registry_restore


class Command(BaseCommand):
    help = (
        "Restore a backup of backup_registry into an empty PostgreSQL database and its media "
        "files into MEDIA_ROOT, then compare what came back with the backup's manifest."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", help="A directory written by backup_registry.")
        parser.add_argument(
            "--database",
            default=None,
            help="An empty database on the configured server (default: the configured one).",
        )

    def handle(self, *args, directory: str, database: str | None, **options) -> None:
        try:
            census = registry_restore(directory=Path(directory), database=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{label} {count}" for label, count in census.items())
        self.stdout.write(f"Restored {directory}; the same registry as backed up: {counts}.")
