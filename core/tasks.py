"""Celery tasks of the core app."""

import logging

from celery import shared_task

from core.idempotency import idempotency_keys_purge

logger = logging.getLogger(__name__)


@shared_task
def purge_idempotency_keys() -> int:
    """Forget the API's idempotency keys once their 24 hours are over."""
    deleted = idempotency_keys_purge()
    if deleted:
        logger.info("Purged %s expired idempotency keys.", deleted)
    return deleted
