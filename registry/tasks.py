"""Celery tasks: each takes ids, loads, and calls a service. Retries and failure live here."""

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from core.leases import lease_hold, lease_hold_quietly, lease_seconds, leases_purge
from registry.services import pipeline

logger = logging.getLogger(__name__)


def _backoff(retries: int) -> int:
    """Seconds before the next try: 2, 4, 8 … capped at five minutes."""
    return min(2 ** (retries + 1), 300)


def _describe(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}"


def _retry(task, exc: Exception, kind: str, object_id: int):
    """Schedule the task's next try, and hold its work until then, so the sweepers leave it
    to the retry (best effort, the database may be what failed: the retry is scheduled all
    the same)."""
    countdown = _backoff(task.request.retries)
    lease_hold_quietly(kind, object_id, seconds=countdown + lease_seconds())
    return task.retry(exc=exc, countdown=countdown)


def _note_attempt(**ids: int | str) -> None:
    """Record why an attempt failed, for the admin. Best effort: the database may be what
    failed, and the retry must be scheduled all the same."""
    try:
        pipeline.note_attempt_error(**ids)
    except Exception:
        logger.warning("Could not record the failed attempt of %s; retrying anyway.", ids)


@shared_task(bind=True, max_retries=settings.PIPELINE_MAX_RETRIES)
def process_event(self, event_id: int) -> None:
    """Recheck the vendors an event affects and raise its alerts."""
    try:
        pipeline.event_process(event_id=event_id)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            logger.exception("Event %s failed after %s tries", event_id, self.request.retries + 1)
            pipeline.event_fail(event_id=event_id, error=_describe(exc))
            return
        _note_attempt(event_id=event_id, error=_describe(exc))
        raise _retry(self, exc, pipeline.EVENT_LEASE, event_id) from exc


@shared_task(bind=True, max_retries=settings.PIPELINE_MAX_RETRIES)
def process_recheck(self, recheck_id: int) -> None:
    """Recheck the vendors around the entities of a recheck request."""
    try:
        pipeline.recheck_process(recheck_id=recheck_id)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            logger.exception(
                "Recheck %s failed after %s tries", recheck_id, self.request.retries + 1
            )
            pipeline.recheck_fail(recheck_id=recheck_id, error=_describe(exc))
            return
        _note_attempt(recheck_id=recheck_id, error=_describe(exc))
        raise _retry(self, exc, pipeline.RECHECK_LEASE, recheck_id) from exc


@shared_task(bind=True, max_retries=settings.PIPELINE_MAX_RETRIES)
def process_chunk(self, chunk_id: int) -> None:
    """Recheck one chunk of a large event's or request's vendors."""
    try:
        pipeline.chunk_process(chunk_id=chunk_id)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            logger.exception("Chunk %s failed after %s tries", chunk_id, self.request.retries + 1)
            pipeline.chunk_fail(chunk_id=chunk_id, error=_describe(exc))
            return
        _note_attempt(chunk_id=chunk_id, error=_describe(exc))
        raise _retry(self, exc, pipeline.CHUNK_LEASE, chunk_id) from exc


def resend(task, kind: str, object_ids: list[int]) -> None:
    """Send ``task`` again for each of ``object_ids`` and hold those sent for
    ``PIPELINE_SWEEP_AFTER_SECONDS``, so a long queue is not sent again at every sweep. A send
    that fails (the broker is down) holds nothing: the next sweep tries again."""
    sent = []
    try:
        for object_id in object_ids:
            task.delay(object_id)
            sent.append(object_id)
    finally:
        lease_hold(kind, sent, seconds=settings.PIPELINE_SWEEP_AFTER_SECONDS)


@shared_task
def sweep_pending() -> dict[str, int]:
    """Safety net: re-send events, rechecks and chunks still pending after the configured
    delay (their first send was lost, e.g. while the broker was down), and those whose
    worker's lease ran out (it died)."""
    older_than = timezone.timedelta(seconds=settings.PIPELINE_SWEEP_AFTER_SECONDS)
    leases_purge()
    events, rechecks, chunks = pipeline.pending_work(older_than=older_than)
    resend(process_event, pipeline.EVENT_LEASE, events)
    resend(process_recheck, pipeline.RECHECK_LEASE, rechecks)
    resend(process_chunk, pipeline.CHUNK_LEASE, chunks)
    return {"events": len(events), "rechecks": len(rechecks), "chunks": len(chunks)}


@shared_task
def daily_recheck() -> int:
    """Recheck vendors whose graph gains or loses an edge today (docs/risk-rules.md, rule 7)."""
    return pipeline.scheduled_recheck()
