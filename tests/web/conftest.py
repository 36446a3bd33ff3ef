"""Fixtures of the web page tests: a signed-in client per role and the reference registry."""

import pytest
from django.apps import apps as django_apps
from django.test import Client

from registry.roles import sync_role_groups
from tests.pipeline.scenario import Reference, build_reference_registry, log_reference_events


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(viewer) -> Client:
    return signed_in(viewer)


@pytest.fixture
def buyer_client(buyer) -> Client:
    return signed_in(buyer)


@pytest.fixture
def analyst_client(analyst) -> Client:
    return signed_in(analyst)


@pytest.fixture
def reference(db, django_capture_on_commit_callbacks) -> Reference:
    """The reference registry before its events (vendors assessed)."""
    with django_capture_on_commit_callbacks(execute=True):
        return build_reference_registry()


@pytest.fixture
def reference_after(reference, django_capture_on_commit_callbacks) -> Reference:
    """The reference registry after Meta's acquisition and the CEO's move, processed."""
    with django_capture_on_commit_callbacks(execute=True):
        log_reference_events(reference)
    return reference


@pytest.fixture
def role_groups(transactional_db):
    """The role groups as the migration makes them: a test before this one may have emptied
    the database (transactional tests flush it), migration data included."""
    sync_role_groups(django_apps)
