"""Celery tasks of import runs: each takes the run's id and calls a service."""

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from core.leases import lease_hold_quietly, lease_seconds
from imports import services
from imports.choices import ImportFormat
from imports.models import ImportRun

logger = logging.getLogger(__name__)


#: A large file takes longer than the pipeline's five minutes; past this the run is failed.
RUN_TIME_LIMIT = 3 * 60 * 60


@shared_task(time_limit=RUN_TIME_LIMIT, soft_time_limit=RUN_TIME_LIMIT - 60)
def run_import(run_id: int) -> None:
    """Run a queued import (an upload); bad input fails the run, never the task."""
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is not None:
        services.import_run_execute(run=run)


@shared_task(bind=True, max_retries=5)
def recheck_import_run(self, run_id: int) -> None:
    """Recheck the vendors a finished run affects, once, and process its events."""
    try:
        services.import_run_recheck(run_id=run_id)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            logger.exception("Recheck of import run %s failed", run_id)
            return
        countdown = min(2 ** (self.request.retries + 1), 300)
        lease_hold_quietly(
            services.IMPORT_RECHECK_LEASE, run_id, seconds=countdown + lease_seconds()
        )
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task
def sweep_import_rechecks() -> int:
    """Safety net: send again the recheck of finished runs whose recheck task was lost or
    whose worker died, and the runs whose task was lost or whose worker died (queued again:
    their transaction never committed, so they changed nothing)."""
    from registry.tasks import resend

    older_than = timezone.timedelta(seconds=settings.PIPELINE_SWEEP_AFTER_SECONDS)
    runs = services.import_runs_unrechecked(older_than=older_than)
    resend(recheck_import_run, services.IMPORT_RECHECK_LEASE, runs)
    resend(
        run_import, services.IMPORT_RUN_LEASE, services.import_runs_abandoned(older_than=older_than)
    )
    return len(runs)


@shared_task(time_limit=RUN_TIME_LIMIT, soft_time_limit=RUN_TIME_LIMIT - 60)
def import_opensanctions_export() -> int | None:
    """Import the FollowTheMoney export at ``OPENSANCTIONS_EXPORT_PATH`` (the beat entry runs
    it daily); the run's id, or ``None`` when nothing is configured or the file is unchanged."""
    if not settings.OPENSANCTIONS_EXPORT_PATH:
        return None
    run = services.import_file_scheduled(
        path=settings.OPENSANCTIONS_EXPORT_PATH,
        source_name=settings.OPENSANCTIONS_SOURCE_NAME,
        format=ImportFormat.FTM,
    )
    return None if run is None else run.pk


@shared_task(time_limit=RUN_TIME_LIMIT, soft_time_limit=RUN_TIME_LIMIT - 60)
def import_gleif_delta() -> list[int]:
    """Import the GLEIF files the operator configured (``GLEIF_DELTA_FILES``), in order."""
    return services.import_scheduled(
        locations=settings.GLEIF_DELTA_FILES, source_name=settings.GLEIF_SOURCE_NAME
    )
