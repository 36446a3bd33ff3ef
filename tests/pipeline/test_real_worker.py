"""The pipeline through a real Celery worker on Redis and PostgreSQL (as in CI and production).

On a bare machine (SQLite, no Redis) these skip; with CI=true they fail instead.
"""

import datetime
import shutil
import socket
import subprocess
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from alerts.models import Alert
from registry import services
from registry.choices import EventStatus
from registry.models import OwnershipEvent
from registry.tasks import sweep_pending
from tests.conftest import require_service
from tests.pipeline.scenario import DEAL_DATE, build_reference_registry, log_reference_events
from tests.pipeline.worker import broker_mode, celery_worker, real_worker_possible, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_url(settings):
    require_service(real_worker_possible(), "Redis (REDIS_URL) and PostgreSQL (DATABASE_URL)")
    return settings.REDIS_URL


def _processed(*events) -> bool:
    return all(OwnershipEvent.objects.get(pk=e.pk).status == EventStatus.PROCESSED for e in events)


def test_reference_scenario_through_a_real_worker_ends_as_designed(redis_url):
    with celery_worker(redis_url):
        ref = build_reference_registry()
        acquisition, move = log_reference_events(ref)
        assert wait_for(lambda: _processed(acquisition, move))
        ref.scale_vendor.refresh_from_db()
        ref.remotasks_vendor.refresh_from_db()
    assert (ref.scale_vendor.risk_level, ref.remotasks_vendor.risk_level) == ("critical", "high")
    coc = Alert.objects.get(kind="change_of_control")
    assert (coc.contract_id, coc.due_date) == (ref.scale_contract.pk, datetime.date(2025, 7, 13))
    assert Alert.objects.filter(kind="risk_increased").count() == 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    assert wait_for(lambda: _port_open(port), timeout=10)
    return process


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_event_logged_while_redis_is_down_is_completed_by_the_sweeper(redis_url, settings):
    require_service(shutil.which("redis-server") is not None, "redis-server")
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    redis = _start_redis(port)
    ref = build_reference_registry()
    redis.kill()
    redis.wait()
    with broker_mode(url, "vr-test-outage"):
        started = time.monotonic()
        event = services.ownership_event_log(
            kind="acquisition",
            subject=ref.scale,
            counterparty=ref.meta,
            share=Decimal(49),
            effective_date=DEAL_DATE,
        )
        elapsed = time.monotonic() - started
    # The write committed and answered quickly; the task could not be sent.
    assert elapsed < 5
    event.refresh_from_db()
    assert event.status == EventStatus.PENDING
    OwnershipEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    redis = _start_redis(port)
    try:
        with celery_worker(url):
            assert sweep_pending.apply().get()["events"] == 1
            assert wait_for(lambda: _processed(event))
    finally:
        redis.kill()
        redis.wait()
    ref.scale_vendor.refresh_from_db()
    assert ref.scale_vendor.risk_level == "critical"
