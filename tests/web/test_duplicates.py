"""No silent duplicates: the entity forms name the entities a new one may duplicate and create
it only once “Create anyway” is ticked; the pickers tell look-alikes apart."""

import re

import pytest

from registry.models import Entity, EntityIdentifier
from tests.factories import EntityFactory
from tests.web.test_forms import field_errors, token_for

pytestmark = pytest.mark.django_db


def scale_body(token: str, **changes) -> dict:
    return {"name": "Scale AI", "kind": "company", "country": "US", "token": token, **changes}


def notice(response) -> str:
    html = response.content.decode()
    found = re.search(r'<div class="notice duplicates".*?</div>', html, re.S)
    assert found is not None, "no duplicates notice"
    return found.group(0)


def test_a_second_scale_ai_in_the_us_shows_the_first_and_is_not_created(buyer_client):
    first = EntityFactory(name="Scale AI", country="US", lei="")
    EntityIdentifier.objects.create(entity=first, scheme="DUNS", value="081234567")
    token = token_for(buyer_client, "/entities/new/")

    response = buyer_client.post("/entities/new/", scale_body(token, name="  scale ai "))

    assert response.status_code == 200
    assert Entity.objects.filter(name__iexact="scale ai").count() == 1
    shown = notice(response)
    assert "An entity like this one already exists" in shown
    assert shown.count("<li>") == 1
    assert f'href="/entities/{first.pk}/"' in shown
    assert f"company · US · DUNS:081234567 · #{first.pk}" in shown
    assert field_errors(response, "confirm_duplicate") == (
        f"<li>Possibly the same as Scale AI (US · DUNS:081234567 · #{first.pk}): the same name "
        "and country, or an identifier in common.</li>"
    )
    # The confirmation is a visible checkbox now, and the typed fields are kept.
    html = response.content.decode()
    assert re.search(r'<input type="checkbox" name="confirm_duplicate"[^>]*>', html)
    assert 'value="  scale ai "' in html or 'value="scale ai"' in html


def test_create_anyway_creates_the_second_one(buyer_client):
    first = EntityFactory(name="Scale AI", country="US")
    token = token_for(buyer_client, "/entities/new/")
    buyer_client.post("/entities/new/", scale_body(token))

    response = buyer_client.post("/entities/new/", scale_body(token, confirm_duplicate="on"))

    second = Entity.objects.exclude(pk=first.pk).get(name="Scale AI")
    assert response.status_code == 302 and response["Location"] == f"/entities/{second.pk}/"
    assert second.country == "US"


def test_the_same_name_in_another_country_is_created_at_once(buyer_client):
    EntityFactory(name="Scale AI", country="US")
    token = token_for(buyer_client, "/entities/new/")

    response = buyer_client.post("/entities/new/", scale_body(token, country="GB"))

    assert response.status_code == 302
    assert Entity.objects.filter(name="Scale AI").count() == 2


def test_the_confirmation_is_hidden_without_duplicates(buyer_client):
    html = buyer_client.get("/entities/new/").content.decode()
    assert '<input type="hidden" name="confirm_duplicate"' in html
    assert "possible-duplicates" not in html


def test_two_look_alikes_are_both_listed_with_other_errors_in_the_same_round(buyer_client):
    one = EntityFactory(name="Acme", country="US")
    two = EntityFactory(name="ACME", country="US")
    token = token_for(buyer_client, "/entities/new/")

    response = buyer_client.post("/entities/new/", scale_body(token, name="acme", lei="BAD"))

    shown = notice(response)
    assert "2 entities like this one already exist" in shown
    assert [int(pk) for pk in re.findall(r'href="/entities/(\d+)/"', shown)] == [one.pk, two.pk]
    assert "LEI" in field_errors(response, "lei")
    assert Entity.objects.filter(name__iexact="acme").count() == 2


def test_renaming_to_another_entitys_name_warns_and_saves_when_confirmed(buyer_client):
    first = EntityFactory(name="Scale AI", country="US")
    other = EntityFactory(name="Scale Labs", country="US")
    url = f"/entities/{other.pk}/edit/"
    body = {"name": "Scale AI", "kind": "company", "country": "US"}

    refused = buyer_client.post(url, body)
    saved = buyer_client.post(url, {**body, "confirm_duplicate": "on"})

    assert f"#{first.pk}" in field_errors(refused, "confirm_duplicate")
    assert "Save anyway" in refused.content.decode()
    assert saved.status_code == 302
    other.refresh_from_db()
    assert other.name == "Scale AI"


def test_editing_a_confirmed_duplicate_without_renaming_does_not_ask_again(buyer_client):
    EntityFactory(name="Scale AI", country="US")
    twin = EntityFactory(name="Scale AI", country="US")

    response = buyer_client.post(
        f"/entities/{twin.pk}/edit/", {"name": "Scale AI", "kind": "fund", "country": "US"}
    )

    assert response.status_code == 302
    twin.refresh_from_db()
    assert twin.kind == "fund"


def test_event_picker_tells_two_scale_ai_apart(buyer_client):
    first = EntityFactory(name="Scale AI", country="US", lei="")
    second = EntityFactory(name="Scale AI", country="US", lei="5493001KJTIIGC8Y1R12")
    EntityIdentifier.objects.create(entity=first, scheme="DUNS", value="081234567")
    EntityIdentifier.objects.create(entity=first, scheme="ZZ", value="9")

    options = re.findall(
        r'<option value="\d+"[^>]*>([^<]+)</option>',
        buyer_client.get("/entities/search/?q=scale").content.decode(),
    )
    html = buyer_client.get(f"/events/new/?subject={second.pk}").content.decode()

    assert options == [
        f"Scale AI (US · DUNS:081234567 · #{first.pk})",
        f"Scale AI (US · LEI 5493001KJTIIGC8Y1R12 · #{second.pk})",
    ]
    assert len(set(options)) == 2
    assert f"Scale AI (US · LEI 5493001KJTIIGC8Y1R12 · #{second.pk})</option>" in html
