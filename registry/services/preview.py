"""What an event would do, computed on an in-memory copy of the graph; nothing is written."""

import datetime
from decimal import Decimal
from itertools import count

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from registry.choices import EventKind, Interest
from registry.models import Entity, OwnershipEvent, Vendor
from registry.risk import engine
from registry.risk.loader import Subgraph, affected_entities, load_subgraph
from registry.services.risk import policy_rules_read_only

HUNDRED = 100.0


def _shareholdings_into(subgraph: Subgraph, owned: int) -> list[engine.Edge]:
    return [
        edge
        for edge in subgraph.edges.values()
        if edge.owned == owned and edge.interest == Interest.SHAREHOLDING
    ]


def _scaled(edge: engine.Edge, factor: float, new_id: int) -> engine.Edge:
    return engine.Edge(
        id=new_id,
        owner=edge.owner,
        owned=edge.owned,
        interest=edge.interest,
        share_min=None if edge.share_min is None else edge.share_min * factor,
        share_max=None if edge.share_max is None else edge.share_max * factor,
    )


def _apply_in_memory(subgraph: Subgraph, event: OwnershipEvent) -> None:
    """Change ``subgraph``'s edges as ``ownership_event_log`` would change the stored ones."""
    new_ids = count(-1, -1)
    subject, counterparty = event.subject_id, event.counterparty_id
    held = [e for e in _shareholdings_into(subgraph, subject) if e.owner == counterparty]
    if event.kind in (EventKind.ACQUISITION, EventKind.STAKE_CHANGE):
        share = float(event.share)
        others = [e for e in _shareholdings_into(subgraph, subject) if e.owner != counterparty]
        others_total = sum(e.share_min or 0.0 for e in others)
        if others_total > HUNDRED - share:
            factor = (HUNDRED - share) / others_total
            for edge in others:
                del subgraph.edges[edge.id]
                scaled = _scaled(edge, factor, next(new_ids))
                subgraph.edges[scaled.id] = scaled
        for edge in held:
            del subgraph.edges[edge.id]
        stake = engine.Edge(
            next(new_ids), counterparty, subject, Interest.SHAREHOLDING, share, share
        )
        subgraph.edges[stake.id] = stake
    elif event.kind == EventKind.DIVESTITURE:
        if not held:
            raise ValidationError(
                {
                    "counterparty": [
                        f"{event.counterparty.name} holds no shares in {event.subject.name} "
                        f"on {event.effective_date:%Y-%m-%d}, so there is nothing to divest."
                    ]
                }
            )
        held_upper = max(edge.share_max or 0.0 for edge in held)
        if event.share and float(event.share) >= held_upper:
            raise ValidationError(
                {
                    "share": [
                        f"A divestiture lowers a stake: {event.counterparty.name} holds "
                        f"{held_upper:g}% of {event.subject.name} on "
                        f"{event.effective_date:%Y-%m-%d}, so the share after it must be lower."
                    ]
                }
            )
        for edge in held:
            del subgraph.edges[edge.id]
        if event.share:
            share = float(event.share)
            edge = engine.Edge(
                next(new_ids), counterparty, subject, Interest.SHAREHOLDING, share, share
            )
            subgraph.edges[edge.id] = edge
    elif event.kind == EventKind.EXECUTIVE_MOVE:
        seat = engine.Edge(
            next(new_ids),
            event.person_id,
            counterparty,
            Interest.SENIOR_MANAGING_OFFICIAL,
            None,
            None,
        )
        subgraph.edges[seat.id] = seat
    elif event.kind == EventKind.BOARD_APPOINTMENT:
        holder = event.person_id or counterparty
        seat = engine.Edge(next(new_ids), holder, subject, Interest.BOARD_MEMBER, None, None)
        subgraph.edges[seat.id] = seat


def ownership_event_preview(
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
) -> list[dict]:
    """The vendors an event would affect, each with its current and projected level as of
    the effective date. Validates like ``ownership_event_log`` and writes nothing."""
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
    )
    event.full_clean()
    people = [person.pk] if person else []
    entity_ids = affected_entities(
        subject_ids=[subject.pk], person_ids=people, as_of=effective_date
    )
    if kind == EventKind.EXECUTIVE_MOVE and person:
        # The person will sit on the counterparty: its vendors (if any) are affected too.
        entity_ids.add(counterparty.pk)
    vendors = list(
        Vendor.objects.filter(entity_id__in=entity_ids)
        .select_related("entity")
        .order_by("entity__name", "pk")
    )
    extra = [pk for pk in (subject.pk, counterparty and counterparty.pk) if pk]
    # The people the event seats somewhere: their other seats may make an interlock.
    seated = [pk for pk in (person and person.pk, counterparty and counterparty.pk) if pk]
    subgraph = load_subgraph(
        [vendor.entity_id for vendor in vendors], as_of=effective_date, also=extra, people=seated
    )
    _apply_in_memory(subgraph, event)
    graph = subgraph.graph()
    rules = policy_rules_read_only()
    return [
        {
            "vendor": vendor,
            "current_level": vendor.risk_level,
            "projected_level": engine.assess_vendor(
                graph, vendor.entity_id, data_access=vendor.data_access, policy=rules
            ).level,
        }
        for vendor in vendors
    ]
