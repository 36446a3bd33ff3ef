"""Names, titles, references and identifiers are one line: a line break or another control
character is refused at the field, by the API, the web forms and the admin alike."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from alerts.models import WebhookEndpoint
from alerts.webhooks import webhook_endpoint_save
from core.validators import single_line, validate_single_line
from registry.models import Contract, Entity
from registry.services import entity_create
from tests.factories import EntityFactory, VendorFactory

pytestmark = pytest.mark.django_db

HEADER_INJECTION = "Acme\r\nBcc: victim@example.com"


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("Acme\nCorp", "U+000A at position 5"),
        ("Acme\rCorp", "U+000D at position 5"),
        ("Acme\tCorp", "U+0009 at position 5"),
        ("Acme\x1bCorp", "U+001B at position 5"),
        ("Acme\x7fCorp", "U+007F at position 5"),
        ("Acme\x85Corp", "U+0085 at position 5"),
        ("Acme\u2028Corp", "U+2028 at position 5"),
    ],
)
def test_control_characters_are_refused_and_named(value, found):
    with pytest.raises(ValidationError) as refused:
        validate_single_line(value)
    assert found in refused.value.messages[0]


@pytest.mark.parametrize("value", ["Scale AI", "Brückenwerk Daten GmbH", "李宁有限公司", "A & B"])
def test_ordinary_names_pass(value):
    validate_single_line(value)


def test_single_line_folds_control_runs_into_one_space():
    assert single_line("Change at Acme\r\nBcc: x@example.com\t now") == (
        "Change at Acme Bcc: x@example.com now"
    )


def test_the_service_refuses_a_name_with_a_line_break():
    with pytest.raises(ValidationError) as refused:
        entity_create(name=HEADER_INJECTION, kind="company")
    assert list(refused.value.message_dict) == ["name"]
    assert Entity.objects.count() == 0


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": HEADER_INJECTION}, "name"),
        ({"name": "Acme\nCorp"}, "name"),
        ({"name": "Acme", "identifiers": [{"scheme": "DUNS", "id": "12\n34"}]}, "identifiers"),
        ({"name": "Acme", "identifiers": [{"scheme": "GB\r-COH", "id": "1"}]}, "identifiers"),
    ],
)
def test_the_api_refuses_entities_with_control_characters(buyer, body, field):
    response = _api(buyer).post("/api/v1/entities/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert "control characters" in str(response.json()[field])
    assert Entity.objects.count() == 0


@pytest.mark.parametrize("field", ["reference", "title"])
def test_the_api_refuses_contracts_with_control_characters(buyer, field):
    vendor = VendorFactory()
    body = {
        "vendor": vendor.pk,
        "reference": "SCALE-2024-001",
        "title": "Data labelling",
        "value": "1000.00",
        "start_date": "2025-01-01",
    }
    body[field] = body[field] + "\r\nBcc: victim@example.com"
    response = _api(buyer).post("/api/v1/contracts/", body, format="json")
    assert response.status_code == 400
    assert "control characters" in str(response.json()[field]), response.json()
    assert Contract.objects.count() == 0


def test_the_web_form_refuses_a_name_with_a_line_break(buyer):
    client = Client()
    client.force_login(buyer)
    html = client.get("/entities/new/").content.decode()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    response = client.post(
        "/entities/new/", {"name": HEADER_INJECTION, "kind": "company", "token": token}
    )
    assert response.status_code == 200
    errors = re.search(
        r'<ul class="errorlist" id="id_name_error">(.*?)</ul>', response.content.decode(), re.S
    )
    assert errors is not None and "control characters" in errors.group(1)
    assert Entity.objects.count() == 0


def test_the_admin_refuses_an_entity_renamed_with_a_line_break(superuser):
    entity = EntityFactory(name="Scale AI")
    client = Client()
    client.force_login(superuser)
    response = client.post(
        f"/admin/registry/entity/{entity.pk}/change/",
        {"name": HEADER_INJECTION, "kind": "company", "country": "", "lei": ""},
    )
    assert response.status_code == 200
    assert "control characters" in str(response.context["adminform"].form.errors["name"])
    entity.refresh_from_db()
    assert entity.name == "Scale AI"


def test_a_webhook_endpoint_name_is_one_line():
    with pytest.raises(ValidationError) as refused:
        webhook_endpoint_save(
            name="Ticketing\nX-Injected: 1",
            url="https://93.184.216.34/in",
            secret="whsec-0123456789abcdef",
        )
    assert "name" in refused.value.message_dict
    assert WebhookEndpoint.objects.count() == 0
