"""What an event would do, computed on an in-memory copy of the graph; nothing is written."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser

from registry.choices import EventKind
from registry.models import Entity, OwnershipEvent, Vendor
from registry.risk import effects, engine
from registry.risk.loader import Subgraph, affected_entities, edge_from_row, load_subgraph
from registry.services.events import event_stored_edges
from registry.services.risk import policy_rules_read_only


def _apply_in_memory(
    subgraph: Subgraph, stored: list[effects.Stake], outcome: effects.EventEffects
) -> None:
    """Put the edges the event leaves behind (``effects.event_effects``, the rule logging
    applies) in place of the stored ones it read, as they stand on the subgraph's date."""
    for stake in stored:
        subgraph.edges.pop(stake.id, None)
    for stake in outcome.after:
        if stake.is_active_on(subgraph.as_of):
            subgraph.edges[stake.id] = edge_from_row(
                (
                    stake.id,
                    stake.owner,
                    stake.owned,
                    stake.interest,
                    stake.share,
                    stake.share_min,
                    stake.share_max,
                )
            )


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
    facts = effects.EventFacts.of(event)
    stored = event_stored_edges(facts)
    _apply_in_memory(subgraph, stored, effects.event_effects(facts, stored))
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
