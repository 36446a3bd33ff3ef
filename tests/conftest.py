"""Shared fixtures: users in each role, and the rule that a missing service fails in CI."""

import os

import pytest

from registry.roles import PROCUREMENT, RISK_ANALYST, VIEWER

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(available: bool, what: str) -> None:
    """Skip on a bare machine when ``what`` is missing, but fail in CI, where it must exist."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} is not available on this machine")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counters and other cached values never leak from one test into the next."""
    from django.core.cache import cache

    from core.signin import FAIL_OPEN_CACHE

    cache.clear()
    FAIL_OPEN_CACHE.local.clear()
    yield


def _user_in(django_user_model, username: str, role: str | None, **extra):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(
        username=username, password="pw-for-tests-only", email=f"{username}@example.com", **extra
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def viewer(db, django_user_model):
    return _user_in(django_user_model, "viewer", VIEWER)


@pytest.fixture
def buyer(db, django_user_model):
    return _user_in(django_user_model, "buyer", PROCUREMENT)


@pytest.fixture
def analyst(db, django_user_model):
    return _user_in(django_user_model, "analyst", RISK_ANALYST)


@pytest.fixture
def superuser(db, django_user_model):
    return django_user_model.objects.create_superuser(
        username="root", password="pw-for-tests-only", email="root@example.com"
    )


@pytest.fixture
def nobody(db, django_user_model):
    return _user_in(django_user_model, "nobody", None)
