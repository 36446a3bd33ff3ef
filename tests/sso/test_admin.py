"""The admin shows who signs in with which provider account; only sign-ins write them."""

import pytest
from django.utils import timezone

from core.models import SignInIdentity

pytestmark = pytest.mark.django_db


@pytest.fixture
def identity(buyer):
    return SignInIdentity.objects.create(
        user=buyer,
        issuer="https://id.example.com",
        subject="248289761001",
        last_signed_in_at=timezone.now(),
    )


def test_identities_are_listed_and_shown_on_the_users_page(admin_client, identity):
    listing = admin_client.get("/admin/core/signinidentity/")
    assert listing.status_code == 200
    assert "248289761001" in listing.content.decode()
    assert admin_client.get("/admin/core/signinidentity/add/").status_code == 403
    user_page = admin_client.get(f"/admin/auth/user/{identity.user_id}/change/").content.decode()
    assert "single sign-on identities" in user_page.lower()
    assert "https://id.example.com" in user_page


def test_deleting_an_identity_unlinks_the_provider_account(admin_client, identity):
    response = admin_client.post(
        f"/admin/core/signinidentity/{identity.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert SignInIdentity.objects.count() == 0
    assert identity.user.__class__.objects.filter(pk=identity.user_id).count() == 1
