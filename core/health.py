"""``/health/``: the state of the database, the broker and the pipeline, for operators."""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from registry.selectors import oldest_pending_work


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means the same thing to an operator
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _broker_state() -> str:
    if not settings.REDIS_URL:
        return "in-process"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database and broker answer, 503 otherwise, with the age in seconds
    of the oldest event or recheck still waiting for the pipeline."""
    database = _database_state()
    broker = _broker_state()
    oldest = oldest_pending_work() if database == "ok" else None
    age = None if oldest is None else round((timezone.now() - oldest).total_seconds(), 1)
    healthy = database == "ok" and broker in ("ok", "in-process")
    return JsonResponse(
        {
            "status": "ok" if healthy else "degraded",
            "database": database,
            "broker": broker,
            "oldest_pending_seconds": age,
        },
        status=200 if healthy else 503,
    )
