"""Creating an entity through the API never refuses a possible duplicate: it answers 201 and
names the look-alikes in ``warnings``; reads and non-duplicate creates are unchanged."""

import pytest

from registry.models import Entity, EntityIdentifier
from tests.factories import EntityFactory

pytestmark = pytest.mark.django_db


def test_a_second_scale_ai_is_created_with_one_warning_naming_the_first(buyer_client):
    first = EntityFactory(name="Scale AI", country="US", lei="")
    EntityIdentifier.objects.create(entity=first, scheme="DUNS", value="081234567")

    response = buyer_client.post(
        "/api/v1/entities/", {"name": "SCALE AI", "country": "US"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert Entity.objects.filter(name__iexact="scale ai").count() == 2
    assert body["warnings"] == [
        {
            "field": "name",
            "message": f"Possible duplicate: Scale AI (US · DUNS:081234567 · #{first.pk}) has "
            "the same name and country.",
            "entity": first.pk,
        }
    ]
    # Only the answer to the create carries them: a read of the new entity does not.
    assert "warnings" not in buyer_client.get(f"/api/v1/entities/{body['id']}/").json()


def test_a_shared_identifier_in_another_scheme_case_is_named_at_identifiers(buyer_client):
    # Identifiers are unique, so a clash is refused; a look-alike stored in another case
    # (written before schemes were upper-cased) is still named.
    first = EntityFactory(name="Remotasks", country="PH")
    EntityIdentifier.objects.create(entity=first, scheme="duns", value="42")
    second = EntityFactory(name="Remotasks Inc", country="US")
    EntityIdentifier.objects.create(entity=second, scheme="VAT", value="7")

    response = buyer_client.post(
        "/api/v1/entities/",
        {"name": "Remotasks", "country": "US", "identifiers": [{"scheme": "DUNS", "id": "42"}]},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["warnings"] == [
        {
            "field": "identifiers",
            "message": f"Possible duplicate: Remotasks (PH · duns:42 · #{first.pk}) is also "
            "identified as duns:42.",
            "entity": first.pk,
        }
    ]


def test_two_look_alikes_give_two_warnings_oldest_first(buyer_client):
    one = EntityFactory(name="Acme", country="")
    two = EntityFactory(name="ACME", country="")
    EntityFactory(name="Acme", country="GB")

    response = buyer_client.post("/api/v1/entities/", {"name": "acme"}, format="json")

    assert response.status_code == 201
    assert [w["entity"] for w in response.json()["warnings"]] == [one.pk, two.pk]
    assert {w["field"] for w in response.json()["warnings"]} == {"name"}


def test_no_warnings_key_without_a_look_alike(buyer_client):
    EntityFactory(name="Scale AI", country="US")

    response = buyer_client.post(
        "/api/v1/entities/", {"name": "Scale AI", "country": "GB"}, format="json"
    )

    assert response.status_code == 201
    assert "warnings" not in response.json()


def test_an_update_to_a_look_alike_name_has_no_warnings(buyer_client):
    EntityFactory(name="Scale AI", country="US")
    other = EntityFactory(name="Scale Labs", country="US")

    response = buyer_client.patch(
        f"/api/v1/entities/{other.pk}/", {"name": "Scale AI"}, format="json"
    )

    assert response.status_code == 200
    assert "warnings" not in response.json()


def test_the_schema_documents_warnings_on_the_create_answer_only(viewer_client):
    schema = viewer_client.get("/api/schema/?format=json").json()
    create = schema["paths"]["/api/v1/entities/"]["post"]["responses"]["201"]
    ref = create["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    created = schema["components"]["schemas"][ref]
    entity = schema["components"]["schemas"]["Entity"]

    assert "warnings" in created["properties"]
    assert "warnings" not in created.get("required", [])
    assert "warnings" not in entity["properties"]
