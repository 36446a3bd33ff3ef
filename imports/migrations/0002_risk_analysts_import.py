"""Risk analysts may import ownership data and watch the runs (DESIGN, "Doors").

The group and the codenames are written out here, not read from registry.roles, so this
migration keeps meaning what it meant when it was written."""

from django.db import migrations

GROUP = "Risk analyst"
CODENAMES = ("add_importrun", "view_importrun")


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations ran; the group needs them now.
    app_config = apps.get_app_config("imports")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _ = group_model.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *permission_model.objects.filter(
            content_type__app_label="imports", codename__in=CODENAMES
        )
    )


def revoke(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group = group_model.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *permission_model.objects.filter(
                content_type__app_label="imports", codename__in=CODENAMES
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_initial"),
        ("registry", "0004_roles_pick_users"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
