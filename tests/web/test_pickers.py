"""The entity picker endpoint: at most 20 matches for ``?q=``, by name, id, LEI or identifier."""

import re

import pytest

from registry.models import EntityIdentifier
from tests.factories import EntityFactory, PersonFactory

pytestmark = pytest.mark.django_db


def options(response) -> list[str]:
    return re.findall(r'<option value="\d+"[^>]*>([^<]+?) \(', response.content.decode())


def test_at_most_20_matches_names_starting_with_the_query_first(viewer_client):
    for n in range(30):
        EntityFactory(name=f"Acme Subsidiary {n:02d}")
    EntityFactory(name="The Acme Group")
    EntityFactory(name="Acme")
    found = options(viewer_client.get("/entities/search/?q=acme"))
    assert len(found) == 20
    assert found[:2] == ["Acme", "Acme Subsidiary 00"]
    assert "The Acme Group" not in found


def test_an_entity_is_found_by_id_lei_and_identifier(viewer_client):
    entity = EntityFactory(name="Findable Ltd", lei="5493001KJTIIGC8Y1R12")
    EntityIdentifier.objects.create(entity=entity, scheme="GB-COH", value="00445790")
    for query in (str(entity.pk), "5493001KJTIIGC8Y1R12", "gb-coh:00445790", "findable"):
        assert options(viewer_client.get("/entities/search/", {"q": query})) == ["Findable Ltd"]


def test_picker_field_names_its_query_and_narrows_to_a_kind(viewer_client):
    PersonFactory(name="Jordan Example")
    EntityFactory(name="Jordan Example Holdings")
    response = viewer_client.get(
        "/entities/search/", {"field": "person", "person_q": "Jordan", "kind": "person"}
    )
    assert options(response) == ["Jordan Example"]


def test_first_match_is_chosen_and_no_match_says_so(viewer_client):
    EntityFactory(name="Only One")
    assert " selected>Only One" in viewer_client.get("/entities/search/?q=only").content.decode()
    html = viewer_client.get("/entities/search/?q=nothing-like-this").content.decode()
    assert "No entity matches “nothing-like-this”" in html


def test_an_unknown_kind_or_odd_field_name_is_ignored(viewer_client):
    EntityFactory(name="Robust Co")
    response = viewer_client.get("/entities/search/?q=robust&kind=alien&field=<script>")
    assert options(response) == ["Robust Co"]


def test_picker_answers_in_one_query_besides_session_and_user(
    viewer_client, django_assert_num_queries
):
    EntityFactory.create_batch(40, name="Many")
    with django_assert_num_queries(3):
        viewer_client.get("/entities/search/?q=many")
