import pytest
from django.contrib.auth.models import Group

from registry.models import RiskPolicy
from registry.roles import PROCUREMENT, RISK_ANALYST, ROLE_PERMISSIONS, VIEWER


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
def test_every_role_sees_import_runs_and_only_analysts_start_them():
    def imports_of(role: str) -> set[str]:
        return set(
            Group.objects.get(name=role)
            .permissions.filter(content_type__app_label="imports")
            .values_list("codename", flat=True)
        )

    assert imports_of(VIEWER) == imports_of(PROCUREMENT) == {"view_importrun"}
    assert imports_of(RISK_ANALYST) == {"view_importrun", "add_importrun"}


@pytest.mark.django_db
def test_migrations_create_policy_version_one_with_design_thresholds():
    policy = RiskPolicy.objects.get()
    assert (policy.version, policy.critical_share, policy.high_share, policy.medium_share) == (
        1,
        50,
        25,
        10,
    )
