"""Celery tasks: each takes ids, loads, and calls a service."""

from celery import shared_task


@shared_task
def process_event(event_id: int) -> None:
    """Recheck the vendors an event affects and raise its alerts."""
    from registry.services.pipeline import event_process

    event_process(event_id=event_id)


@shared_task
def process_recheck(recheck_id: int) -> None:
    """Recheck the vendors around the entities of a recheck request."""
    from registry.services.pipeline import recheck_process

    recheck_process(recheck_id=recheck_id)
