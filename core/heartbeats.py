"""When a Celery worker and Celery beat were last seen, kept in the cache (Redis when the app
has a broker), for ``/health/`` and the pages that warn of a stalled pipeline.

A worker notes itself when it is ready, on each of its event heartbeats (every 2 s unless it
runs ``--without-heartbeat``) and after each task; beat notes itself on each tick of its
scheduler (at least every 5 s). A process writes at most once every ``WRITE_EVERY_SECONDS``.
"""

import datetime
import logging
import socket
import time

logger = logging.getLogger(__name__)

WORKER, BEAT = "worker", "beat"
KEYS = {WORKER: "pipeline:seen:worker", BEAT: "pipeline:seen:beat"}
WRITE_EVERY_SECONDS = 5.0
_last_written: dict[str, float] = {}


def heartbeat_record(role: str, *, force: bool = False) -> None:
    """Note that a process of ``role`` (``"worker"`` or ``"beat"``) is alive now. Never
    raises: a cache that is down must not stop a worker or beat."""
    now = time.monotonic()
    if not force and now - _last_written.get(role, -WRITE_EVERY_SECONDS) < WRITE_EVERY_SECONDS:
        return
    _last_written[role] = now
    from django.core.cache import cache
    from django.utils import timezone

    try:
        cache.set(
            KEYS[role], {"at": timezone.now().timestamp(), "host": socket.gethostname()}, None
        )
    except Exception:  # the cache is Redis, the broker: it being down is reported elsewhere
        logger.debug("Could not record the %s heartbeat.", role, exc_info=True)


def heartbeats_read() -> dict[str, datetime.datetime | None] | None:
    """When a worker and beat were last seen (``None`` for one never seen), or ``None`` when
    the cache cannot be read."""
    from django.core.cache import cache

    try:
        stored = cache.get_many(list(KEYS.values()))
    except Exception:
        return None
    seen: dict[str, datetime.datetime | None] = {}
    for role, key in KEYS.items():
        value = stored.get(key)
        seen[role] = (
            datetime.datetime.fromtimestamp(value["at"], tz=datetime.UTC) if value else None
        )
    return seen


def _worker_seen(**kwargs) -> None:
    heartbeat_record(WORKER)


def _worker_ready(**kwargs) -> None:
    heartbeat_record(WORKER, force=True)


def connect_worker_signals() -> None:
    """Connect the worker's heartbeats (``config/celery_app.py`` does, before any worker
    starts: the worker reads the receivers of ``heartbeat_sent`` once, at start)."""
    from celery.signals import heartbeat_sent, task_postrun, worker_ready

    worker_ready.connect(_worker_ready, weak=False, dispatch_uid="core.heartbeats.ready")
    heartbeat_sent.connect(_worker_seen, weak=False, dispatch_uid="core.heartbeats.heartbeat")
    task_postrun.connect(_worker_seen, weak=False, dispatch_uid="core.heartbeats.task")
