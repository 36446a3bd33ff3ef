"""A worker's tasks share its database connection (config.celery_app): it is kept from one task
to the next, checked before each, and dropped once it broke or outlived its age."""

import time

import pytest
from django.db import connection

from config.celery_app import drop_unusable_connections, keep_database_connections


class _Task:
    """What Celery's ``task_prerun`` and ``task_postrun`` pass as the sender."""

    def __init__(self, *, eager: bool = False):
        self.request = type("Request", (), {"is_eager": eager})()


@pytest.fixture
def kept(settings):
    """The worker's connection settings, as a worker sets them, undone afterwards."""
    saved = {key: connection.settings_dict[key] for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    settings.PIPELINE_WORKER_CONN_MAX_AGE = 300
    keep_database_connections()
    connection.close()  # the next query connects with them, as a worker's first task does
    connection.ensure_connection()
    # (An in-memory SQLite database keeps its first connection: give it the age a connection
    # made under these settings has.)
    connection.close_at = time.monotonic() + 300
    yield
    connection.settings_dict.update(saved)
    connection.close()


@pytest.fixture
def closes(monkeypatch):
    """Every close of the connection, counted (an in-memory SQLite database ignores them)."""
    calls = []
    real = connection.close

    def close():
        calls.append(1)
        real()

    monkeypatch.setattr(connection, "close", close)
    return calls


@pytest.mark.django_db(transaction=True)
def test_a_healthy_connection_is_kept_from_one_task_to_the_next(kept, closes):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert connection.settings_dict["CONN_MAX_AGE"] == 300
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True

    drop_unusable_connections(sender=_Task())
    drop_unusable_connections(sender=_Task())

    assert closes == []
    assert connection.connection is not None


@pytest.mark.django_db(transaction=True)
def test_a_broken_connection_is_dropped_before_the_next_task(kept, closes, monkeypatch):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.errors_occurred = True  # as after the database went away under a query
    monkeypatch.setattr(connection, "is_usable", lambda: False)

    drop_unusable_connections(sender=_Task())

    assert closes == [1]


@pytest.mark.django_db(transaction=True)
def test_a_connection_past_its_age_is_dropped(kept, closes):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.close_at = 0  # long ago

    drop_unusable_connections(sender=_Task())

    assert closes == [1]


@pytest.mark.django_db(transaction=True)
def test_tasks_run_in_process_leave_the_connection_alone(kept, closes):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.close_at = 0

    drop_unusable_connections(sender=_Task(eager=True))

    assert closes == []


def test_without_an_age_every_task_connects_anew(settings):
    saved = {key: connection.settings_dict[key] for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    settings.PIPELINE_WORKER_CONN_MAX_AGE = 0

    keep_database_connections()

    assert {
        key: connection.settings_dict[key] for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")
    } == saved
