"""The three roles of docs/risk-rules.md as Django groups, and the permissions each one holds.

The data migrations that made the groups (registry/migrations/0002 and 0004) hold their own
written-out copies, so that changing a role here cannot change what they do: a change of roles
needs a new data migration, and tests/test_smoke.py fails until the migrated groups match.
"""

VIEWER = "Viewer"
PROCUREMENT = "Procurement"
RISK_ANALYST = "Risk analyst"

REGISTRY_MODELS = (
    "entity",
    "entityidentifier",
    "ownership",
    "watchlistentry",
    "vendor",
    "contract",
    "ownershipevent",
    "riskpolicy",
    "riskassessment",
    "riskfactor",
    "currencyrate",
)
ALERT_MODELS = ("alert",)

# Every role watches the import runs (imports/migrations/0003); analysts start them (0002).
_VIEW = (
    {f"registry.view_{model}" for model in REGISTRY_MODELS}
    | {f"alerts.view_{model}" for model in ALERT_MODELS}
    | {"imports.view_importrun"}
)
_PROCUREMENT_WRITES = {
    f"registry.{action}_{model}"
    for model in ("entity", "entityidentifier", "ownership", "vendor", "contract")
    for action in ("add", "change", "delete")
} | {
    "registry.add_ownershipevent",
    "registry.preview_ownershipevent",
    "registry.recheck_vendor",
    "alerts.acknowledge_alert",
    "alerts.resolve_alert",
}
_ANALYST_WRITES = {
    "registry.add_watchlistentry",
    "registry.change_watchlistentry",
    "registry.delete_watchlistentry",
    "registry.add_riskpolicy",
    "registry.change_riskpolicy",
    "alerts.change_alert",
    "alerts.dismiss_alert",
    "alerts.assign_alert",
    "imports.add_importrun",
    # Exchange rates the dashboard converts contract values with (migration 0014).
    "registry.add_currencyrate",
    "registry.change_currencyrate",
    "registry.delete_currencyrate",
}

# People who assign alerts or name a business owner pick users from a list.
_PICK_USERS = {"auth.view_user"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    VIEWER: frozenset(_VIEW),
    PROCUREMENT: frozenset(_VIEW | _PROCUREMENT_WRITES | _PICK_USERS),
    RISK_ANALYST: frozenset(_VIEW | _PROCUREMENT_WRITES | _ANALYST_WRITES | _PICK_USERS),
}


def sync_role_groups(apps) -> None:
    """Make each role group hold exactly its permissions (tests use it to bring the groups back
    after a transactional test emptied the database)."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations ran; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, dotted_names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        permissions = []
        for dotted in sorted(dotted_names):
            app_label, codename = dotted.split(".")
            permissions.append(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)


#: A permission only risk analysts (and superusers) hold, which marks the role.
RISK_ANALYST_MARK = "registry.change_riskpolicy"


def is_risk_analyst(user) -> bool:
    """Whether ``user`` acts as a risk analyst (holds the role's own permissions, as members of
    the group and superusers do). Read from the permissions the page loads anyway, so it
    costs no query of its own."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.has_perm(RISK_ANALYST_MARK)
