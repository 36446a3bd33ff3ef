"""The three role groups with their permissions, and version 1 of the risk policy.

The roles are written out as they were when this migration was made, not read from
registry/roles.py, so that a later change of roles (made by a later migration) cannot change
what a fresh ``migrate`` does here.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = (
    "alerts.view_alert",
    "registry.view_contract",
    "registry.view_entity",
    "registry.view_entityidentifier",
    "registry.view_ownership",
    "registry.view_ownershipevent",
    "registry.view_riskassessment",
    "registry.view_riskfactor",
    "registry.view_riskpolicy",
    "registry.view_vendor",
    "registry.view_watchlistentry",
)
PROCUREMENT_WRITES = (
    "alerts.acknowledge_alert",
    "alerts.resolve_alert",
    "registry.add_contract",
    "registry.add_entity",
    "registry.add_entityidentifier",
    "registry.add_ownership",
    "registry.add_ownershipevent",
    "registry.add_vendor",
    "registry.change_contract",
    "registry.change_entity",
    "registry.change_entityidentifier",
    "registry.change_ownership",
    "registry.change_vendor",
    "registry.delete_contract",
    "registry.delete_entity",
    "registry.delete_entityidentifier",
    "registry.delete_ownership",
    "registry.delete_vendor",
    "registry.preview_ownershipevent",
    "registry.recheck_vendor",
)
ANALYST_WRITES = (
    "alerts.assign_alert",
    "alerts.change_alert",
    "alerts.dismiss_alert",
    "registry.add_riskpolicy",
    "registry.add_watchlistentry",
    "registry.change_riskpolicy",
    "registry.change_watchlistentry",
    "registry.delete_watchlistentry",
)
ROLE_PERMISSIONS = {
    "Viewer": VIEW,
    "Procurement": VIEW + PROCUREMENT_WRITES,
    "Risk analyst": VIEW + PROCUREMENT_WRITES + ANALYST_WRITES,
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, dotted_names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = []
        for dotted in sorted(dotted_names):
            app_label, codename = dotted.split(".")
            permissions.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)


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
