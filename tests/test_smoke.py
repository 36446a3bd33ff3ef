import pytest
from django.contrib.auth.models import Group

from registry.models import RiskPolicy
from registry.roles import ROLE_PERMISSIONS


@pytest.mark.django_db
def test_migrations_create_the_three_roles_with_their_permissions():
    for role, expected in ROLE_PERMISSIONS.items():
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
