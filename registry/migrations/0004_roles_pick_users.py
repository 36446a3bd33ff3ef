from django.db import migrations

from registry.roles import sync_role_groups


def sync_roles(apps, schema_editor):
    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_share_bounds_and_person_message")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
