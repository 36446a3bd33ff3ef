"""Log an ownership event: record it and apply its effect on the edges, in one transaction."""

import datetime
from decimal import ROUND_DOWN, Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from registry.choices import EventKind, Interest
from registry.models import Entity, Ownership, OwnershipEvent
from registry.services.dispatch import event_enqueue
from registry.services.ownership import (
    HUNDRED,
    ONE_DAY,
    ownership_end,
    ownership_set,
    share_lower_bound,
)

FOUR_PLACES = Decimal("0.0001")


def _scaled(value: Decimal | None, factor: Decimal) -> Decimal | None:
    # Rounded down so the diluted total never creeps above 100%.
    return None if value is None else (value * factor).quantize(FOUR_PLACES, ROUND_DOWN)


def _dilute_on(day: datetime.date, event: OwnershipEvent, actor: AbstractBaseUser | None):
    """Scale the holders other than the counterparty, as they stand on ``day``, pro rata so
    the new stake fits in 100% from that day on."""
    others = list(
        Ownership.objects.shareholdings()
        .active_on(day)
        .filter(owned=event.subject)
        .exclude(owner=event.counterparty)
        .select_related("owner")
        .order_by("owner_id", "id")
    )
    others_total = sum(
        (share_lower_bound(edge) for edge in others),
        Decimal(0),
    )
    room = HUNDRED - event.share
    if others_total <= room:
        return []
    factor = room / others_total
    diluted = []
    for edge in others:
        if factor == 0:
            # The new stake is the whole entity: the other holders are bought out.
            ownership_end(ownership=edge, end_date=day - ONE_DAY, source_event=event, actor=actor)
            to = "0%"
        else:
            # The diluted stake keeps the end date the holder's stake already had.
            to = ownership_set(
                owner=edge.owner,
                owned=event.subject,
                share=_scaled(edge.share, factor),
                share_min=_scaled(edge.share_min, factor),
                share_max=_scaled(edge.share_max, factor),
                start_date=day,
                end_date=edge.end_date,
                source_event=event,
                actor=actor,
            ).share_display
        diluted.append(
            {
                "owner": edge.owner_id,
                "owner_name": edge.owner.name,
                "from": edge.share_display,
                "to": to,
                "on": day.isoformat(),
            }
        )
    return diluted


def _dilute_other_holders(event: OwnershipEvent, actor: AbstractBaseUser | None) -> list[dict]:
    """Make room for the new stake on its effective date and on every later date on which
    another holder's stake starts (a stake already agreed to start later is diluted too)."""
    later_starts = (
        Ownership.objects.shareholdings()
        .filter(owned=event.subject, start_date__gt=event.effective_date)
        .exclude(owner=event.counterparty)
        .values_list("start_date", flat=True)
    )
    diluted: list[dict] = []
    for day in sorted({event.effective_date, *later_starts}):
        diluted += _dilute_on(day, event, actor)
    return diluted


def _apply_stake(event: OwnershipEvent, actor: AbstractBaseUser | None) -> None:
    event.dilution = _dilute_other_holders(event, actor)
    ownership_set(
        owner=event.counterparty,
        owned=event.subject,
        share=event.share,
        start_date=event.effective_date,
        source_event=event,
        actor=actor,
    )


def _apply_divestiture(event: OwnershipEvent, actor: AbstractBaseUser | None) -> None:
    held = (
        Ownership.objects.shareholdings()
        .active_on(event.effective_date)
        .filter(owner=event.counterparty, owned=event.subject)
        .first()
    )
    if held is None:
        raise ValidationError(
            {
                "counterparty": [
                    f"{event.counterparty.name} holds no shares in {event.subject.name} "
                    f"on {event.effective_date:%Y-%m-%d}, so there is nothing to divest."
                ]
            }
        )
    held_upper = held.share if held.share is not None else held.share_max
    if event.share and held_upper is not None and event.share >= held_upper:
        raise ValidationError(
            {
                "share": [
                    f"A divestiture lowers a stake: {event.counterparty.name} holds "
                    f"{held.share_display} of {event.subject.name} on "
                    f"{event.effective_date:%Y-%m-%d}, so the share after it must be lower."
                ]
            }
        )
    if event.share:
        ownership_set(
            owner=event.counterparty,
            owned=event.subject,
            share=event.share,
            start_date=event.effective_date,
            end_date=held.end_date,
            source_event=event,
            actor=actor,
        )
    else:
        ownership_end(
            ownership=held,
            end_date=event.effective_date - ONE_DAY,
            source_event=event,
            actor=actor,
        )


def _apply_seat(
    event: OwnershipEvent,
    *,
    holder: Entity,
    entity: Entity,
    interest: str,
    actor: AbstractBaseUser | None,
) -> None:
    if holder.pk == entity.pk:
        raise ValidationError({"person": ["Nobody can sit on their own board."]})
    ownership_set(
        owner=holder,
        owned=entity,
        interest=interest,
        start_date=event.effective_date,
        source_event=event,
        actor=actor,
    )


def event_apply(event: OwnershipEvent, *, actor: AbstractBaseUser | None = None) -> None:
    """Change the ownership edges as ``event`` says (docs/risk-rules.md, "Event effects")."""
    if event.kind in (EventKind.ACQUISITION, EventKind.STAKE_CHANGE):
        _apply_stake(event, actor)
    elif event.kind == EventKind.DIVESTITURE:
        _apply_divestiture(event, actor)
    elif event.kind == EventKind.EXECUTIVE_MOVE:
        _apply_seat(
            event,
            holder=event.person,
            entity=event.counterparty,
            interest=Interest.SENIOR_MANAGING_OFFICIAL,
            actor=actor,
        )
    elif event.kind == EventKind.BOARD_APPOINTMENT:
        _apply_seat(
            event,
            holder=event.person or event.counterparty,
            entity=event.subject,
            interest=Interest.BOARD_MEMBER,
            actor=actor,
        )


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
    actor: AbstractBaseUser | None = None,
) -> OwnershipEvent:
    """Record what happened, apply it to the ownership edges and queue its recheck.

    Everything happens in one transaction: the event row (status ``pending``), its edge
    changes (including the pro-rata dilution of other holders when a new stake would take the
    subject above 100%, recorded on the event) — or nothing at all if any part is refused. The
    recheck task is sent once the transaction commits.
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
    )
    event.full_clean()
    # Serialise events on the same subject: the dilution reads the holders it then rewrites.
    Entity.objects.select_for_update().filter(pk=subject.pk).first()
    event.save()
    event_apply(event, actor=actor)
    event.save(update_fields=["dilution"])
    event_enqueue(event)
    return event
