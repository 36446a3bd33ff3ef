"""Entities and their history keep fewer indexes: the plain and the pattern index on an
entity's name give way to one on (name, id), which serves the lists' order, and the history
loses its indexes on name and import run, which nothing reads by. An import of millions of
entities maintains each index for each row.

The indexes are dropped by name rather than by altering the fields, which on SQLite would
rebuild the entity table and lose the triggers that keep vendors' copies of names current
(migration 0019)."""

import django.db.models.deletion
from django.db import migrations, models

import core.validators

#: The indexes Django named for ``db_index`` on these columns.
_DROPPED = [
    ("registry_entity", "name"),
    ("registry_historicalentity", "name"),
    ("registry_historicalentity", "import_run_id"),
]


def _drop(apps, schema_editor):
    connection = schema_editor.connection
    quote = schema_editor.quote_name
    for table, column in _DROPPED:
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, table)
        for name, info in constraints.items():
            automatic = name.startswith(f"{table}_{column}_")
            if automatic and info["index"] and not info["unique"] and not info["primary_key"]:
                schema_editor.execute(f"DROP INDEX {quote(name)}")


def _restore(apps, schema_editor):
    quote = schema_editor.quote_name
    for table, column in _DROPPED:
        name = schema_editor._create_index_name(table, [column], suffix="")
        schema_editor.execute(f"CREATE INDEX {quote(name)} ON {quote(table)} ({quote(column)})")
        if column == "name" and schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"CREATE INDEX {quote(name + '_like')} ON {quote(table)} "
                f"({quote(column)} varchar_pattern_ops)"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0008_run_attempts"),
        ("registry", "0020_chunk_policy"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="entity",
                    name="name",
                    field=models.CharField(
                        max_length=255, validators=[core.validators.validate_single_line]
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalentity",
                    name="import_run",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        editable=False,
                        help_text="The import run that created this entity, if any.",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="imports.importrun",
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalentity",
                    name="name",
                    field=models.CharField(
                        max_length=255, validators=[core.validators.validate_single_line]
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(_drop, _restore)],
        ),
        migrations.AddIndex(
            model_name="entity",
            index=models.Index(fields=["name", "id"], name="entity_name_order"),
        ),
    ]
