import pytest
from django.contrib.auth.models import Group

from registry.models import RiskPolicy
from registry.roles import RISK_ANALYST, ROLE_PERMISSIONS

#: What the imports app's own migration grants on top (imports/migrations/0002).
IMPORT_PERMISSIONS = {RISK_ANALYST: {"imports.add_importrun", "imports.view_importrun"}}


@pytest.mark.django_db
def test_migrations_create_the_three_roles_with_their_permissions():
    for role, registry_permissions in ROLE_PERMISSIONS.items():
        expected = registry_permissions | IMPORT_PERMISSIONS.get(role, set())
        group = Group.objects.get(name=role)
        granted = {
            f"{app}.{codename}"
            for app, codename in group.permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert granted == expected


@pytest.mark.django_db
def test_migrations_create_policy_version_one_with_design_thresholds():
    policy = RiskPolicy.objects.get()
    assert (policy.version, policy.critical_share, policy.high_share, policy.medium_share) == (
        1,
        50,
        25,
        10,
    )
