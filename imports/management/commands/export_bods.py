"""``python manage.py export_bods [--entity ID] OUT``: the graph as BODS 0.4 JSON."""

from django.core.management.base import BaseCommand, CommandError

from imports.formats.bods_export import bods_json_chunks
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
        if out == "-":
            for chunk in bods_json_chunks(entity=entity):
                self.stdout.write(chunk, ending="")
            return
        with open(out, "w", encoding="utf-8") as stream:
            for chunk in bods_json_chunks(entity=entity):
                stream.write(chunk)
        self.stdout.write(f"Wrote the BODS 0.4 statements to {out}.")
