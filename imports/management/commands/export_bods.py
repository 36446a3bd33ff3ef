"""``python manage.py export_bods [--entity ID] OUT``: the graph as BODS 0.4 JSON."""

import json

from django.core.management.base import BaseCommand, CommandError

from imports.formats.bods_export import bods_statements
from registry.models import Entity


class Command(BaseCommand):
    help = "Write the ownership graph (or an entity and everything above it) as BODS 0.4 JSON."

    def add_arguments(self, parser) -> None:
        parser.add_argument("out", help="The file to write (- for standard output).")
        parser.add_argument("--entity", type=int, help="Export this entity and its owners.")

    def handle(self, *args, **options) -> None:
        entity = None
        if options["entity"] is not None:
            entity = Entity.objects.filter(pk=options["entity"]).first()
            if entity is None:
                raise CommandError(f"No entity #{options['entity']}.")
        out = options["out"]
        stream = self.stdout if out == "-" else open(out, "w", encoding="utf-8")  # noqa: SIM115
        count = 0
        try:
            stream.write("[")
            for count, statement in enumerate(bods_statements(entity=entity), start=1):
                stream.write(("\n" if count == 1 else ",\n") + json.dumps(statement))
            stream.write("\n]\n")
        finally:
            if out != "-":
                stream.close()
        if out != "-":
            self.stdout.write(f"Wrote {count} BODS 0.4 statements to {out}.")
