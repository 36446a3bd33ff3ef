"""Nothing a signed-in user saw is kept by a proxy or the browser's disk: ``no-store``."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


def test_signed_in_pages_and_the_export_are_not_stored(viewer_client, reference):
    vendor = reference.scale_vendor.pk
    for url in ("/", "/vendors/", f"/vendors/{vendor}/", "/alerts/", "/vendors/export.csv"):
        response = viewer_client.get(url)
        assert response.status_code == 200, url
        assert {"no-store", "private"} <= _directives(response), url


def test_the_admin_is_not_stored(superuser):
    client = Client()
    client.force_login(superuser)
    response = client.get("/admin/registry/vendor/")
    assert response.status_code == 200
    assert "no-store" in _directives(response)


def test_a_signed_in_user_is_redirected_without_a_stored_copy(viewer_client):
    response = viewer_client.get("/vendors/new/")
    assert response.status_code in (302, 403)
    assert "no-store" in _directives(response)


def test_anonymous_health_check_keeps_its_own_caching(client):
    # Neither signed in nor the API: the middleware leaves the answer alone.
    response = client.get("/health/")
    assert "no-store" not in _directives(response)
