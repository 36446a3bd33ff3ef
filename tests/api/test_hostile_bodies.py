"""Bodies built to break a parser or a number: a 400 naming the problem, never a 500."""

import pytest
from rest_framework.test import APIClient

from tests.factories import EntityFactory, VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(superuser):
    client = APIClient()
    client.force_authenticate(superuser)
    return client


def test_deeply_nested_json_is_a_parse_error(api):
    body = "[" * 100_000 + "]" * 100_000
    answer = api.post("/api/v1/entities/", body, content_type="application/json")
    assert answer.status_code == 400
    assert "nested too deeply" in answer.json()["non_field_errors"][0]


@pytest.mark.parametrize("value", ["1e400", "-1e400", "1.5", "true"])
def test_foreign_key_that_is_not_an_integer_id_is_refused_on_its_field(api, value):
    entity = EntityFactory()
    body = f'{{"entity": {value}, "category": "cloud"}}'
    answer = api.post("/api/v1/vendors/", body, content_type="application/json")
    assert answer.status_code == 400
    assert list(answer.json()) == ["entity"]
    assert entity.pk  # the entity exists; the value was refused for its type, not its absence


@pytest.mark.django_db(transaction=True)
def test_vendor_create_answers_with_the_risk_its_first_assessment_gave(api):
    # Committed for real, so the in-process recheck runs before the answer is built.
    from registry import services

    meta = EntityFactory(name="Meta Platforms")
    target = EntityFactory(name="Target")
    services.watchlist_entry_create(entity=meta, category="competitor", reason="Rival.")
    services.ownership_set(owner=meta, owned=target, share=30, start_date="2020-01-01")
    answer = api.post(
        "/api/v1/vendors/",
        {"entity": target.pk, "data_access": "restricted", "tier": 1},
        format="json",
    )
    assert answer.status_code == 201
    # 30% competitor ownership is high; restricted data raises it to critical.
    assert answer.json()["risk_level"] == "critical"
    assert VendorFactory._meta.model.objects.get(pk=answer.json()["id"]).risk_level == "critical"
