"""/health/ tells an operator whether the database, the broker and the pipeline are well."""

import datetime

import pytest
from django.utils import timezone

from registry.models import OwnershipEvent
from tests.factories import EntityFactory


@pytest.mark.django_db
def test_health_reports_database_broker_and_no_backlog(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "in-process",
        "oldest_pending_seconds": None,
    }


@pytest.mark.django_db
def test_health_shows_the_age_of_the_oldest_pending_event(client, settings):
    settings.REDIS_URL = ""
    event = OwnershipEvent.objects.create(
        kind="other", subject=EntityFactory(), effective_date=datetime.date(2025, 6, 13)
    )
    OwnershipEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    age = client.get("/health/").json()["oldest_pending_seconds"]
    assert 600 <= age < 660


@pytest.mark.django_db
def test_health_is_503_when_the_broker_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"]) == ("degraded", "ok")
    assert body["broker"].startswith("error: ")
