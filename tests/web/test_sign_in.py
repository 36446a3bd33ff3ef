"""Sign-in, sign-out and password change with Django's auth pages."""

import pytest

pytestmark = pytest.mark.django_db


def test_sign_in_returns_to_the_page_asked_for(client, viewer):
    response = client.get("/vendors/")
    assert response["Location"] == "/accounts/login/?next=/vendors/"
    response = client.post(
        "/accounts/login/?next=/vendors/",
        {"username": "viewer", "password": "pw-for-tests-only", "next": "/vendors/"},
    )
    assert response["Location"] == "/vendors/"
    assert client.get("/vendors/").status_code == 200


def test_wrong_password_is_refused_with_a_message(client, viewer):
    response = client.post("/accounts/login/", {"username": "viewer", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_sign_out_needs_a_post_and_ends_the_session(viewer_client):
    assert viewer_client.get("/accounts/logout/").status_code == 405
    response = viewer_client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert viewer_client.get("/").status_code == 302


def test_password_change(viewer, viewer_client):
    response = viewer_client.post(
        "/accounts/password_change/",
        {
            "old_password": "pw-for-tests-only",
            "new_password1": "a-much-longer-passphrase-42",
            "new_password2": "a-much-longer-passphrase-42",
        },
    )
    assert response["Location"] == "/accounts/password_change/done/"
    viewer.refresh_from_db()
    assert viewer.check_password("a-much-longer-passphrase-42")
    assert "Password changed" in viewer_client.get(response["Location"]).content.decode()
