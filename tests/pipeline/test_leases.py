"""Leases of background work (core.leases): a claim runs out unless renewed, a live one is never
taken, a dead worker's work is swept up within a lease, and a sweep does not send the same work
again at every tick."""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import timezone

from core import leases
from core.leases import (
    lease_claim,
    lease_hold,
    lease_release,
    lease_renew,
    leased,
    leases_purge,
)
from core.models import Lease
from registry.choices import EventStatus
from registry.models import OwnershipEvent
from registry.services import pipeline
from registry.tasks import sweep_pending
from tests.pipeline.scenario import build_reference_registry
from tests.pipeline.test_pipeline import _log_without_sending

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return build_reference_registry()


def _expire(kind: str, object_id: int, *, seconds_ago: float = 1) -> None:
    Lease.objects.filter(kind=kind, object_id=object_id).update(
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=seconds_ago)
    )


def test_a_claim_holds_the_work_for_one_lease_and_no_one_else_gets_it(settings):
    settings.PIPELINE_LEASE_SECONDS = 30
    before = timezone.now()
    token = lease_claim("event", 7)
    assert token is not None and token.startswith(f"{leases.HOST}:{os.getpid()}:")
    lease = Lease.objects.get(kind="event", object_id=7)
    assert lease.claimed_by == token
    assert 29 <= (lease.lease_expires_at - before).total_seconds() <= 31
    # Live work is never taken: not by a second claim, not by a second claim of the same worker.
    assert lease_claim("event", 7) is None
    assert Lease.objects.get(kind="event", object_id=7).claimed_by == token
    # Another kind, or another object, is another piece of work.
    assert lease_claim("chunk", 7) is not None
    assert lease_claim("event", 8) is not None
    assert Lease.objects.count() == 3


def test_a_lease_that_is_not_renewed_runs_out_and_the_work_is_taken(settings):
    first = lease_claim("event", 1)
    assert lease_claim("event", 1) is None
    _expire("event", 1)
    second = lease_claim("event", 1)
    assert second is not None and second != first
    # The first holder's renewal and release do nothing now: the work is the second's.
    assert lease_renew("event", 1, first) is False
    lease_release("event", 1, first)
    assert Lease.objects.get(kind="event", object_id=1).claimed_by == second


def test_renewing_pushes_the_expiry_a_full_lease_ahead(settings):
    settings.PIPELINE_LEASE_SECONDS = 30
    token = lease_claim("recheck", 3)
    _expire("recheck", 3, seconds_ago=-5)  # five seconds left
    assert lease_renew("recheck", 3, token) is True
    left = Lease.objects.get(kind="recheck", object_id=3).lease_expires_at - timezone.now()
    assert 29 <= left.total_seconds() <= 30
    assert lease_claim("recheck", 3) is None
    lease_release("recheck", 3, token)
    assert Lease.objects.count() == 0


def test_a_lease_of_a_process_of_this_machine_that_died_is_taken_at_once():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    Lease.objects.create(
        kind="event",
        object_id=5,
        claimed_by=f"{leases.HOST}:{child.pid}:abc",
        claimed_at=timezone.now(),
        lease_expires_at=timezone.now() + datetime.timedelta(seconds=30),
    )
    token = lease_claim("event", 5)
    assert token is not None
    assert Lease.objects.get(kind="event", object_id=5).claimed_by == token
    # A live process of this machine (this one's parent), or one of another machine, keeps it.
    Lease.objects.create(
        kind="event",
        object_id=6,
        claimed_by=f"{leases.HOST}:{os.getppid()}:abc",
        claimed_at=timezone.now(),
        lease_expires_at=timezone.now() + datetime.timedelta(seconds=30),
    )
    Lease.objects.create(
        kind="event",
        object_id=9,
        claimed_by=f"elsewhere:{child.pid}:abc",
        claimed_at=timezone.now(),
        lease_expires_at=timezone.now() + datetime.timedelta(seconds=30),
    )
    assert lease_claim("event", 6) is None
    assert lease_claim("event", 9) is None


def test_a_lease_of_a_killed_process_not_reaped_yet_is_taken_at_once():
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    stat = Path(f"/proc/{zombie.pid}/stat")
    deadline = time.monotonic() + 10
    while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    try:
        Lease.objects.create(
            kind="chunk",
            object_id=4,
            claimed_by=f"{leases.HOST}:{zombie.pid}:abc",
            claimed_at=timezone.now(),
            lease_expires_at=timezone.now() + datetime.timedelta(seconds=30),
        )
        assert lease_claim("chunk", 4) is not None
    finally:
        zombie.wait()


def test_a_hold_keeps_the_sweeper_away_but_not_a_worker_and_never_replaces_a_claim():
    token = lease_claim("chunk", 1)
    lease_hold("chunk", [1, 2], seconds=30)
    assert Lease.objects.get(kind="chunk", object_id=1).claimed_by == token
    held = Lease.objects.get(kind="chunk", object_id=2)
    assert held.claimed_by == ""
    # A worker takes held work up.
    assert lease_claim("chunk", 2) is not None
    # Leases and holds that ran out leave the work free, and are forgotten after an hour.
    _expire("chunk", 1)
    assert lease_claim("chunk", 1) is not None
    _expire("chunk", 1, seconds_ago=2 * 3600)
    assert leases_purge() == 1
    assert list(Lease.objects.values_list("object_id", flat=True)) == [2]


def test_the_block_renews_its_lease_while_it_runs_and_releases_it(settings, transactional_db):
    settings.PIPELINE_LEASE_SECONDS = 1
    with leased("event", 11) as token:
        assert token is not None
        first = Lease.objects.get(kind="event", object_id=11).lease_expires_at
        time.sleep(2.5)  # two and a half leases: without its renewals it would have run out
        lease = Lease.objects.get(kind="event", object_id=11)
        assert lease.claimed_by == token
        assert lease.lease_expires_at > first
        assert lease.lease_expires_at > timezone.now()
        assert lease_claim("event", 11) is None
    assert Lease.objects.filter(kind="event", object_id=11).count() == 0


def test_an_error_in_the_block_releases_the_lease_for_the_retry():
    with pytest.raises(RuntimeError), leased("event", 12) as token:
        assert token is not None
        raise RuntimeError("boom")
    assert Lease.objects.count() == 0
    assert lease_claim("event", 12) is not None


def test_an_event_a_live_worker_holds_is_neither_processed_again_nor_swept(
    registry, django_capture_on_commit_callbacks
):
    acquisition, move = _log_without_sending(registry, django_capture_on_commit_callbacks)
    OwnershipEvent.objects.update(created_at=timezone.now() - datetime.timedelta(hours=1))
    other = "elsewhere:1:alive"
    Lease.objects.create(
        kind="event",
        object_id=acquisition.pk,
        claimed_by=other,
        claimed_at=timezone.now(),
        lease_expires_at=timezone.now() + datetime.timedelta(seconds=30),
    )
    # A second delivery of its task does nothing; the sweeper sends only the other event.
    assert pipeline.event_process(event_id=acquisition.pk) is None
    acquisition.refresh_from_db()
    assert (acquisition.status, acquisition.attempts) == (EventStatus.PENDING, 0)
    assert pipeline.pending_work(older_than=datetime.timedelta(seconds=30))[0] == [move.pk]
    # Its worker dies: once the lease runs out, the next sweep takes it back and finishes it.
    _expire("event", acquisition.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_pending.apply().get() == {"events": 2, "rechecks": 0, "chunks": 0}
    acquisition.refresh_from_db()
    assert (acquisition.status, acquisition.attempts) == (EventStatus.PROCESSED, 1)
    assert Lease.objects.filter(claimed_by=other).count() == 0


def test_a_swept_event_is_not_sent_again_at_every_sweep(
    registry, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.PIPELINE_SWEEP_AFTER_SECONDS = 30
    acquisition, move = _log_without_sending(registry, django_capture_on_commit_callbacks)
    OwnershipEvent.objects.update(created_at=timezone.now() - datetime.timedelta(hours=1))
    sent = []
    monkeypatch.setattr("registry.tasks.process_event.delay", sent.append)
    assert sweep_pending.apply().get()["events"] == 2
    # Still in the queue behind other work: held for PIPELINE_SWEEP_AFTER_SECONDS.
    assert sweep_pending.apply().get()["events"] == 0
    assert sent == [acquisition.pk, move.pk]
    Lease.objects.update(lease_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert sweep_pending.apply().get()["events"] == 2
    assert sent == [acquisition.pk, move.pk] * 2


def test_a_failed_attempt_holds_its_event_for_the_retry(
    registry, django_capture_on_commit_callbacks, settings
):
    from registry.tasks import _retry

    settings.PIPELINE_LEASE_SECONDS = 30
    acquisition, _ = _log_without_sending(registry, django_capture_on_commit_callbacks)
    task = _FakeTask(retries=2)  # its third try failed: the next in 8 s
    assert _retry(task, RuntimeError("boom"), "event", acquisition.pk) == "retry in 8 s"
    hold = Lease.objects.get(kind="event", object_id=acquisition.pk)
    assert hold.claimed_by == ""
    left = (hold.lease_expires_at - timezone.now()).total_seconds()
    assert 36 <= left <= 38  # the backoff and one lease
    OwnershipEvent.objects.filter(pk=acquisition.pk).update(
        status=EventStatus.PROCESSING, created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    # The sweeper leaves it to the retry, which takes it up.
    assert acquisition.pk not in pipeline.pending_work(older_than=datetime.timedelta(0))[0]
    assert lease_claim("event", acquisition.pk) is not None


class _FakeTask:
    """A bound task's ``self`` after ``retries`` failed tries."""

    def __init__(self, *, retries: int):
        self.request = type("Request", (), {"retries": retries})()

    def retry(self, *, exc, countdown):
        return f"retry in {countdown} s"


def test_a_send_that_failed_is_sent_by_the_next_sweep_whatever_its_age(
    registry, django_capture_on_commit_callbacks, monkeypatch
):
    from registry.services import dispatch
    from registry.tasks import process_event

    def broker_down(event_id):
        raise ConnectionError("Redis is down")

    acquisition, move = _log_without_sending(registry, django_capture_on_commit_callbacks)
    monkeypatch.setattr(process_event, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.event_enqueue(acquisition)
    # Logged a moment ago, never sent: the sweep does not wait PIPELINE_SWEEP_AFTER_SECONDS.
    hold = Lease.objects.get(kind="event", object_id=acquisition.pk)
    assert hold.claimed_by == "" and hold.lease_expires_at <= timezone.now()
    events, _, _ = pipeline.pending_work(older_than=datetime.timedelta(seconds=30))
    assert events == [acquisition.pk]
