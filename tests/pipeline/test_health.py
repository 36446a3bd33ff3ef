"""/health/ tells an operator whether the database, the broker and the pipeline are well."""

import datetime

import pytest
from celery.signals import heartbeat_sent, task_postrun, worker_ready
from django.core.cache import cache
from django.utils import timezone

from core import health
from core.beat import HeartbeatScheduler
from core.heartbeats import BEAT, KEYS, WORKER, heartbeat_record
from registry.models import OwnershipEvent
from tests.factories import EntityFactory


def _event_logged(minutes_ago: float, status: str = "pending") -> OwnershipEvent:
    event = OwnershipEvent.objects.create(
        kind="other", subject=EntityFactory(), effective_date=datetime.date(2025, 6, 13)
    )
    OwnershipEvent.objects.filter(pk=event.pk).update(
        status=status, created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago)
    )
    return event


@pytest.fixture
def broker_answers(settings, monkeypatch):
    """A broker that answers (the heartbeats are then read from the cache)."""
    settings.REDIS_URL = "redis://broker.invalid:6379/0"
    monkeypatch.setattr(health, "_broker_state", lambda: "ok")


def _seen(role: str, seconds_ago: float) -> None:
    at = timezone.now() - datetime.timedelta(seconds=seconds_ago)
    cache.set(KEYS[role], {"at": at.timestamp(), "host": "test"}, None)


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
        "pending_events": 0,
        "worker_last_seen": {"at": None, "seconds_ago": None},
        "beat_last_seen": {"at": None, "seconds_ago": None},
        "pipeline": "ok",
        "problems": [],
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
    assert (body["status"], body["database"], body["pipeline"]) == ("degraded", "ok", "stalled")
    assert body["broker"].startswith("error: ")
    (problem,) = body["problems"]
    assert problem.startswith("The task broker (Redis) is unreachable (")


@pytest.mark.django_db
def test_health_names_events_pending_longer_than_the_stalled_delay(client, settings):
    settings.REDIS_URL = ""
    settings.PIPELINE_STALLED_AFTER_SECONDS = 30
    _event_logged(5)
    _event_logged(2, status="processing")
    _event_logged(0.1)
    _event_logged(20, status="processed")
    body = client.get("/health/").json()
    assert (body["pending_events"], body["pipeline"]) == (3, "stalled")
    assert body["problems"] == ["2 events pending for 5 minutes."]
    assert 300 <= body["oldest_pending_seconds"] < 330


@pytest.mark.django_db
def test_health_says_when_no_worker_or_beat_was_ever_seen(client, broker_answers):
    response = client.get("/health/")
    body = response.json()
    assert (response.status_code, body["status"], body["pipeline"]) == (200, "ok", "stalled")
    assert body["problems"] == [
        "No worker has been seen: nothing takes the work from the queue.",
        "No Celery beat has been seen: work whose first send was lost is not sent again.",
    ]


@pytest.mark.django_db
def test_health_reports_when_worker_and_beat_were_last_seen(client, broker_answers, settings):
    settings.PIPELINE_HEARTBEAT_TIMEOUT_SECONDS = 60
    _seen(WORKER, 12)
    _seen(BEAT, 3)
    body = client.get("/health/").json()
    assert (body["pipeline"], body["problems"]) == ("ok", [])
    assert 12 <= body["worker_last_seen"]["seconds_ago"] < 14
    assert 3 <= body["beat_last_seen"]["seconds_ago"] < 5
    seen_at = datetime.datetime.fromisoformat(body["worker_last_seen"]["at"])
    assert abs((timezone.now() - seen_at).total_seconds() - 12) < 2


@pytest.mark.django_db
def test_a_worker_gone_for_three_minutes_is_named_with_its_last_heartbeat(
    client, broker_answers, settings
):
    settings.PIPELINE_HEARTBEAT_TIMEOUT_SECONDS = 60
    _seen(WORKER, 185)
    _seen(BEAT, 1)
    (problem,) = client.get("/health/").json()["problems"]
    assert problem.startswith("No worker seen for 3 minutes (last at ")
    assert problem.endswith(" UTC): nothing takes the work from the queue.")


def test_worker_signals_and_beat_ticks_record_heartbeats(monkeypatch):
    from django_celery_beat.schedulers import DatabaseScheduler

    cache.clear()
    worker_ready.send(sender=None)
    assert cache.get(KEYS[WORKER])["at"] > 0
    cache.clear()
    heartbeat_record(WORKER, force=False)  # written a moment ago by this process: not again
    assert cache.get(KEYS[WORKER]) is None
    monkeypatch.setattr("core.heartbeats._last_written", {})
    heartbeat_sent.send(sender=None)
    assert cache.get(KEYS[WORKER]) is not None
    monkeypatch.setattr("core.heartbeats._last_written", {})
    cache.clear()
    task_postrun.send(sender=None, task_id="t", task=None, args=(), kwargs={}, retval=None)
    assert cache.get(KEYS[WORKER]) is not None
    monkeypatch.setattr(DatabaseScheduler, "tick", lambda self, *a, **kw: 4.5)
    scheduler = HeartbeatScheduler.__new__(HeartbeatScheduler)
    assert scheduler.tick() == 4.5
    assert cache.get(KEYS[BEAT])["at"] > 0
