"""Hand work to the pipeline once the writing transaction has committed.

The row that describes the work (a pending event or a recheck request) is written first, in the
caller's transaction; sending the task is only a prompt. If the broker is down the row stays
pending and the sweeper sends it again, so a failed send is logged and never raised.
"""

import logging
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from core.leases import lease_send_failed
from registry.choices import RecheckReason
from registry.models import OwnershipEvent, RecheckRequest

logger = logging.getLogger(__name__)

#: The lease (core.leases) of each task's work.
LEASE_KINDS = {"process_event": "event", "process_recheck": "recheck", "process_chunk": "chunk"}


def _send(task_name: str, object_id: int) -> None:
    from registry import tasks

    try:
        getattr(tasks, task_name).delay(object_id)
    except Exception:  # broker unreachable: the sweeper re-sends pending work later
        logger.warning(
            "Could not send %s(%s); the sweeper will retry it.", task_name, object_id, exc_info=True
        )
        # Noted, the next sweep after the broker is back sends it, whatever its age.
        lease_send_failed(LEASE_KINDS[task_name], object_id)


def event_enqueue(event: OwnershipEvent) -> None:
    """Process ``event`` after the current transaction commits."""
    transaction.on_commit(lambda: _send("process_event", event.pk))


def recheck_request(
    *,
    reason: str,
    entity_ids: list[int],
    event: OwnershipEvent | None = None,
    as_of: date | None = None,
    actor: AbstractBaseUser | None = None,
) -> RecheckRequest:
    """Record that vendors around ``entity_ids`` must be rechecked and send the task on commit."""
    if reason not in RecheckReason.values:
        raise ValueError(f"Unknown recheck reason {reason!r}")
    request = RecheckRequest.objects.create(
        reason=reason,
        entity_ids=sorted(set(entity_ids)),
        event=event,
        as_of=as_of,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    recheck_enqueue(request)
    return request


def recheck_enqueue(request: RecheckRequest) -> None:
    """Process the recheck ``request`` after the current transaction commits."""
    transaction.on_commit(lambda: _send("process_recheck", request.pk))


def chunks_enqueue(chunk_ids: list[int]) -> None:
    """Process each chunk of a large recheck after the current transaction commits."""
    if chunk_ids:
        transaction.on_commit(lambda: [_send("process_chunk", pk) for pk in chunk_ids])
