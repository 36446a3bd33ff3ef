"""Viewers and Procurement see the import runs too; only Risk analysts start them (DESIGN,
"Doors": "Procurement and Viewer see runs, cannot start them").

The groups and the codename are written out here, not read from registry.roles, so this
migration keeps meaning what it meant when it was written."""

from django.db import migrations

GROUPS = ("Viewer", "Procurement")
CODENAME = "view_importrun"


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("imports")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    permission = apps.get_model("auth", "Permission").objects.get(
        content_type__app_label="imports", codename=CODENAME
    )
    for name in GROUPS:
        group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=name)
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    permission = (
        apps.get_model("auth", "Permission")
        .objects.filter(content_type__app_label="imports", codename=CODENAME)
        .first()
    )
    if permission is None:
        return
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [("imports", "0004_source_name_single_line")]

    operations = [migrations.RunPython(grant, revoke)]
