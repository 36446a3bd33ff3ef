from django.db import migrations

from registry.roles import ROLE_PERMISSIONS, sync_role_groups


def create_roles(apps, schema_editor):
    sync_role_groups(apps)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


def create_first_policy(apps, schema_editor):
    RiskPolicy = apps.get_model("registry", "RiskPolicy")
    if not RiskPolicy.objects.exists():
        RiskPolicy.objects.create(version=1, note="Default policy from docs/risk-rules.md, rule 3.")


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
        ("alerts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, remove_roles),
        migrations.RunPython(create_first_policy, migrations.RunPython.noop),
    ]
