"""Procurement and Risk analysts may view users, so they can pick an assignee or a business
owner. Written out here rather than read from registry/roles.py, so that a later change of
roles cannot change what a fresh ``migrate`` does here."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ("Procurement", "Risk analyst")
PERMISSION = ("auth", "view_user")


def _view_user(apps):
    # On a fresh database the auth permissions are created after all migrations ran.
    app_config = apps.get_app_config("auth")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    app_label, codename = PERMISSION
    return apps.get_model("auth", "Permission").objects.get(
        content_type__app_label=app_label, codename=codename
    )


def grant(apps, schema_editor):
    permission = _view_user(apps)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLES):
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    permission = _view_user(apps)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLES):
        group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_share_bounds_and_person_message")]

    operations = [migrations.RunPython(grant, revoke)]
