"""``python manage.py import_ownership FILE [--format F] [--source-name NAME] [--dry-run]``."""

import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from imports.choices import ImportFormat, ImportStatus
from imports.services import (
    import_format_detect,
    import_run_create,
    import_run_execute,
    import_run_report,
)


class Command(BaseCommand):
    help = (
        "Import a file of published ownership data (BODS 0.2–0.4, GLEIF LEI, relationship or "
        "reporting-exception data, or FollowTheMoney JSON Lines) and print the report."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "file", help="The file to import (JSON, or GLEIF XML or CSV, plain or zipped)."
        )
        parser.add_argument(
            "--format", choices=ImportFormat.values, help="Detected from the content if not given."
        )
        parser.add_argument(
            "--source-name",
            help="Who published the data; record ids are matched against earlier runs of the "
            "same source (default: the file's name).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        try:
            with path.open("rb") as stream:
                file_format = options["format"] or import_format_detect(stream)
            run = import_run_create(
                source_name=options["source_name"] or path.stem,
                file_name=path.name,
                format=file_format,
                dry_run=options["dry_run"],
                enqueue=False,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        with tqdm(
            total=path.stat().st_size,
            unit="B",
            unit_scale=True,
            desc=path.name,
            file=self.stderr._out,
            disable=not options.get("verbosity", 1),
        ) as bar:
            started = time.monotonic()

            def on_records(count: int) -> None:
                rate = count / max(time.monotonic() - started, 1e-6)
                bar.set_postfix_str(f"{count:,} records, {rate:,.0f} records/s", refresh=False)

            run = import_run_execute(run=run, path=path, progress=bar.update, on_records=on_records)
        run.refresh_from_db()
        report = import_run_report(run)
        if run.status == ImportStatus.FAILED:
            self.stderr.write(report)
            raise CommandError(f"Import run #{run.pk} failed: nothing was changed.")
        self.stdout.write(report)
