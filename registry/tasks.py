"""Celery tasks: each takes ids, loads, and calls a service. Retries and failure live here."""

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from registry.services import pipeline

logger = logging.getLogger(__name__)


def _backoff(retries: int) -> int:
    """Seconds before the next try: 2, 4, 8 … capped at five minutes."""
    return min(2 ** (retries + 1), 300)


def _describe(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}"


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
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc


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
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc


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
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries)) from exc


@shared_task
def sweep_pending() -> dict[str, int]:
    """Safety net: re-send events and rechecks still pending after the configured delay
    (their first send was lost, e.g. while the broker was down)."""
    older_than = timezone.timedelta(seconds=settings.PIPELINE_SWEEP_AFTER_SECONDS)
    events, rechecks, chunks = pipeline.pending_work(older_than=older_than)
    for event_id in events:
        process_event.delay(event_id)
    for recheck_id in rechecks:
        process_recheck.delay(recheck_id)
    for chunk_id in chunks:
        process_chunk.delay(chunk_id)
    return {"events": len(events), "rechecks": len(rechecks), "chunks": len(chunks)}


@shared_task
def daily_recheck() -> int:
    """Recheck vendors whose graph gains or loses an edge today (docs/risk-rules.md, rule 7)."""
    return pipeline.scheduled_recheck()
