"""The state of the database, the broker and the pipeline: ``/health/`` for operators, and
the reasons a stalled pipeline is shown to users (the event page, risk analysts' banner)."""

import contextlib
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.heartbeats import BEAT, WORKER, heartbeats_read
from registry.selectors import oldest_pending_work, waiting_events

OK, IN_PROCESS = "ok", "in-process"


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means the same thing to an operator
        return f"error: {exc.__class__.__name__}"
    return OK


def _broker_state() -> str:
    if not settings.REDIS_URL:
        return IN_PROCESS
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as exc:
        return f"error: {exc.__class__.__name__}"
    return OK


def duration_words(seconds: float) -> str:
    """``"45 seconds"``, ``"1 minute"``, ``"12 minutes"``, ``"3 hours"``."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    count = int(seconds)
    return f"{count} second{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class PipelineHealth:
    """What ``/health/`` reports. ``problems`` says, in words a user understands and the most
    likely cause first, why work is waiting; empty when the pipeline is well."""

    database: str
    broker: str
    oldest_pending_seconds: float | None
    pending_events: int
    worker_seen_at: datetime.datetime | None
    beat_seen_at: datetime.datetime | None
    problems: tuple[str, ...]

    @property
    def serving(self) -> bool:
        """Whether the web process can serve: its database and broker answer."""
        return self.database == OK and self.broker in (OK, IN_PROCESS)

    @property
    def healthy(self) -> bool:
        return not self.problems


def _not_seen(what: str, seen: datetime.datetime | None, now: datetime.datetime) -> str | None:
    """``"No worker has been seen"``, ``"No worker seen for 3 minutes (last at …)"`` or
    nothing while it was seen within ``PIPELINE_HEARTBEAT_TIMEOUT_SECONDS``."""
    if seen is None:
        return f"No {what} has been seen"
    age = (now - seen).total_seconds()
    if age <= settings.PIPELINE_HEARTBEAT_TIMEOUT_SECONDS:
        return None
    return f"No {what} seen for {duration_words(age)} (last at {seen:%Y-%m-%d %H:%M:%S} UTC)"


def pipeline_health(*, database_known_well: bool = False) -> PipelineHealth:
    """Check the database (unless the caller just used it), the broker, the heartbeats of
    worker and beat and the waiting work (a ping, a cache read and two or three queries)."""
    now = timezone.now()
    problems: list[str] = []
    database = OK if database_known_well else _database_state()
    broker = _broker_state()
    if database != OK:
        problems.append(f"The database does not answer ({database.removeprefix('error: ')}).")
    if broker not in (OK, IN_PROCESS):
        problems.append(
            f"The task broker (Redis) is unreachable ({broker.removeprefix('error: ')}): "
            "work is recorded and is sent once it is back."
        )
    seen = heartbeats_read() if broker == OK else None
    if seen is not None:
        worker = _not_seen("worker", seen[WORKER], now)
        if worker:
            problems.append(f"{worker}: nothing takes the work from the queue.")
        beat = _not_seen("Celery beat", seen[BEAT], now)
        if beat:
            problems.append(f"{beat}: work whose first send was lost is not sent again.")
    oldest_age, pending = None, 0
    if database == OK:
        stalled_after = datetime.timedelta(seconds=settings.PIPELINE_STALLED_AFTER_SECONDS)
        waiting = waiting_events(since=now - stalled_after)
        oldest = oldest_pending_work(oldest_event=waiting.oldest)
        oldest_age = None if oldest is None else round((now - oldest).total_seconds(), 1)
        pending = waiting.count
        if waiting.older:
            age = (now - waiting.oldest).total_seconds()
            events = "event" if waiting.older == 1 else "events"
            problems.append(f"{waiting.older} {events} pending for {duration_words(age)}.")
    return PipelineHealth(
        database=database,
        broker=broker,
        oldest_pending_seconds=oldest_age,
        pending_events=pending,
        worker_seen_at=seen[WORKER] if seen else None,
        beat_seen_at=seen[BEAT] if seen else None,
        problems=tuple(problems),
    )


BANNER_CACHE_KEY = "pipeline:health:banner"
BANNER_CACHE_SECONDS = 10


def pipeline_health_for_banner() -> PipelineHealth:
    """:func:`pipeline_health` as the pages' banner shows it: checked at most once every
    ``BANNER_CACHE_SECONDS`` (the admin and the dashboard are opened often)."""
    from django.core.cache import cache

    try:
        cached = cache.get(BANNER_CACHE_KEY)
    except Exception:  # the cache is Redis: down, which the fresh check reports
        cached = None
    if cached is not None:
        return cached
    state = pipeline_health(database_known_well=True)
    with contextlib.suppress(Exception):  # not kept: checked afresh next time
        cache.set(BANNER_CACHE_KEY, state, BANNER_CACHE_SECONDS)
    return state


def _seen(moment: datetime.datetime | None, now: datetime.datetime) -> dict:
    if moment is None:
        return {"at": None, "seconds_ago": None}
    return {"at": moment.isoformat(), "seconds_ago": round((now - moment).total_seconds(), 1)}


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database and broker answer, 503 otherwise (a load balancer takes
    the web process out on 503 only). ``pipeline`` is ``"stalled"`` while ``problems`` lists
    why work waits: a worker or beat not seen, events pending beyond
    ``PIPELINE_STALLED_AFTER_SECONDS``."""
    state = pipeline_health()
    now = timezone.now()
    return JsonResponse(
        {
            "status": "ok" if state.serving else "degraded",
            "database": state.database,
            "broker": state.broker,
            "oldest_pending_seconds": state.oldest_pending_seconds,
            "pending_events": state.pending_events,
            "worker_last_seen": _seen(state.worker_seen_at, now),
            "beat_last_seen": _seen(state.beat_seen_at, now),
            "pipeline": "ok" if state.healthy else "stalled",
            "problems": list(state.problems),
        },
        status=200 if state.serving else 503,
    )
