"""Tokens issued before keys were hashed keep working: each becomes an ApiToken holding the
key's digest, and the plain key is deleted from the old table (rest_framework.authtoken's),
which is left empty."""

import datetime
import hashlib

from django.db import migrations
from django.utils.dateparse import parse_datetime

OLD_TABLE = "authtoken_token"


def _aware(value) -> datetime.datetime:
    # Read past the ORM: SQLite gives text, and both back ends may give a naive UTC time.
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)


def hash_existing_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("core", "ApiToken")
    quoted = connection.ops.quote_name(OLD_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name('key')}, user_id, created FROM {quoted}")
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        token = ApiToken.objects.create(
            user_id=user_id,
            name="issued before hashing",
            prefix=key[:8],
            digest=hashlib.sha256(key.encode()).hexdigest(),
        )
        # Keep when it was issued (auto_now_add set it to now).
        ApiToken.objects.filter(pk=token.pk).update(created_at=_aware(created))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quoted}")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_api_tokens")]

    operations = [migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop)]
