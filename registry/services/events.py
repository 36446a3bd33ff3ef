"""Log an ownership event: record it and apply its effect on the edges, in one transaction."""

import datetime
import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from registry.choices import EventStatus
from registry.models import Entity, Ownership, OwnershipEvent
from registry.risk import effects
from registry.risk.effects import ONE_DAY
from registry.services.dispatch import event_enqueue
from registry.services.ownership import ownership_end, ownership_set

if TYPE_CHECKING:
    from imports.models import ImportRun


logger = logging.getLogger(__name__)


def event_stored_edges(facts: effects.EventFacts) -> list[effects.Stake]:
    """The stored edges ``effects.event_effects`` needs for ``facts`` (all their dates)."""
    wanted = Q(pk__in=[])
    for owner, owned in effects.event_edges_needed(facts):
        wanted |= Q(owned_id=owned) if owner is None else Q(owner_id=owner, owned_id=owned)
    return [effects.Stake.of(edge) for edge in Ownership.objects.filter(wanted).order_by("id")]


def _dilution_record(change: effects.EdgeChange, names: dict[int, str]) -> dict:
    return {
        "owner": change.owner,
        "owner_name": names[change.owner],
        "from": change.from_share,
        "to": change.to_share,
        "on": (
            change.start_date if change.kind == effects.SET else change.end_date + ONE_DAY
        ).isoformat(),
    }


def event_apply(event: OwnershipEvent, *, actor: AbstractBaseUser | None = None) -> None:
    """Change the ownership edges as ``event`` says (``effects.event_effects``, one rule for
    logging and preview), through ``ownership_set``/``ownership_end``, and record on the event
    which other holders were diluted."""
    facts = effects.EventFacts.of(event)
    outcome = effects.event_effects(facts, event_stored_edges(facts))
    entities = Entity.objects.in_bulk({pk for c in outcome.changes for pk in (c.owner, c.owned)})
    written: dict[int, Ownership] = {}
    for change in outcome.changes:
        if change.kind == effects.SET:
            written[change.new_id] = ownership_set(
                owner=entities[change.owner],
                owned=entities[change.owned],
                interest=change.interest,
                share=change.share,
                share_min=change.share_min,
                share_max=change.share_max,
                start_date=change.start_date,
                end_date=change.end_date,
                source_event=event,
                actor=actor,
            )
        else:
            stored = written.get(change.edge) or Ownership.objects.get(pk=change.edge)
            ownership_end(
                ownership=stored, end_date=change.end_date, source_event=event, actor=actor
            )
    names = {pk: entity.name for pk, entity in entities.items()}
    event.dilution = [_dilution_record(change, names) for change in outcome.dilution]


@transaction.atomic
def ownership_event_log(
    *,
    kind: str,
    subject: Entity,
    effective_date: datetime.date,
    counterparty: Entity | None = None,
    person: Entity | None = None,
    share: Decimal | None = None,
    announced_date: datetime.date | None = None,
    source_url: str = "",
    note: str = "",
    import_run: "ImportRun | None" = None,
    enqueue: bool = True,
    actor: AbstractBaseUser | None = None,
) -> OwnershipEvent:
    """Record what happened, apply it to the ownership edges and queue its recheck.

    Everything happens in one transaction: the event row (status ``pending``), its edge
    changes (including the pro-rata dilution of other holders when a new stake would take the
    subject above 100%, recorded on the event) — or nothing at all if any part is refused. The
    recheck task is sent once the transaction commits — unless ``enqueue`` is false: an import
    run logs its events that way and processes them all in one recheck of its own.
    """
    event = OwnershipEvent(
        kind=kind,
        subject=subject,
        counterparty=counterparty,
        person=person,
        share=share,
        effective_date=effective_date,
        announced_date=announced_date,
        source_url=source_url,
        note=note,
        logged_by=actor if getattr(actor, "is_authenticated", False) else None,
        import_run=import_run,
    )
    event.full_clean()
    # Serialise events on the same subject: the dilution reads the holders it then rewrites.
    Entity.objects.select_for_update().filter(pk=subject.pk).first()
    event.save()
    event_apply(event, actor=actor)
    event.save(update_fields=["dilution"])
    if enqueue:
        event_enqueue(event)
    return event


@transaction.atomic
def ownership_event_resend(
    *, event: OwnershipEvent, actor: AbstractBaseUser | None = None
) -> OwnershipEvent:
    """Send a failed event through the pipeline again (after its cause was fixed). Only a
    failed event may be re-sent: a pending or processing one is on its way, and a processed
    one is done (its alerts are raised once)."""
    event = OwnershipEvent.objects.select_for_update().get(pk=event.pk)
    if event.status != EventStatus.FAILED:
        raise ValidationError(
            {
                "status": [
                    f"Only failed events are re-sent; {event} is "
                    f"{event.get_status_display().lower()}."
                ]
            }
        )
    logger.info("Failed event %s re-sent for processing by %s", event.pk, actor or "the system")
    event_enqueue(event)
    return event
