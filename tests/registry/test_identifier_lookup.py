"""``SCHEME:ID`` finds an entity the same way wherever it is typed: the API's ``?identifier=``
filter, the admin's entity search and the web pickers (``registry.selectors.identifier_match``):
the scheme in any case, the identifier exactly."""

import pytest
from django.test import Client

from registry.models import EntityIdentifier
from tests.factories import EntityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def remotasks():
    entity = EntityFactory(name="Remotasks")
    EntityIdentifier.objects.create(entity=entity, scheme="GB-COH", value="SC123456")
    EntityFactory(name="Scale AI")
    return entity


def _found(viewer, superuser, term: str) -> dict[str, list[str]]:
    reader, admin = Client(), Client()
    reader.force_login(viewer)
    admin.force_login(superuser)
    api = reader.get("/api/v1/entities/", {"identifier": term}).json()["results"]
    changelist = admin.get("/admin/registry/entity/", {"q": term}).context["cl"].result_list
    picker = reader.get("/entities/search/", {"q": term}).content.decode()
    return {
        "api": [row["name"] for row in api],
        "admin": [entity.name for entity in changelist],
        "picker": ["Remotasks"] if ">Remotasks" in picker else [],
    }


@pytest.mark.parametrize(
    ("term", "names"),
    [
        ("GB-COH:SC123456", ["Remotasks"]),
        ("gb-coh:SC123456", ["Remotasks"]),
        ("GB-COH:sc123456", []),
        ("DUNS:SC123456", []),
    ],
)
def test_scheme_id_matches_alike_in_the_api_the_admin_and_the_picker(
    viewer, superuser, remotasks, term, names
):
    assert _found(viewer, superuser, term) == {"api": names, "admin": names, "picker": names}
