"""Sign-in pages are throttled (the ``auth`` rate), nothing else is."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_eleventh_sign_in_attempt_in_a_minute_is_refused(client, url, buyer):
    answers = [
        client.post(url, {"username": "buyer", "password": "wrong"}).status_code for _ in range(11)
    ]
    assert answers == [200] * 10 + [429]
    refused = client.post(url, {"username": "buyer", "password": "pw-for-tests-only"})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert b"Too many sign-in attempts" in refused.content


def test_sign_in_still_works_under_the_rate(client, buyer):
    response = client.post(
        "/accounts/login/", {"username": "buyer", "password": "pw-for-tests-only"}
    )
    assert response.status_code == 302


def test_pages_are_not_throttled(client, viewer):
    client.force_login(viewer)
    assert {client.get("/vendors/").status_code for _ in range(15)} == {200}
