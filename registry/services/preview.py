"""What an event would do, computed on an in-memory copy of the graph; nothing is written."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from alerts.choices import AlertKind
from registry.choices import RISK_ORDER, EventKind
from registry.models import Entity, OwnershipEvent, Vendor
from registry.risk import effects, engine
from registry.risk.loader import (
    Subgraph,
    affected_entities,
    edge_from_row,
    entities_below,
    load_subgraph,
    seats_of_key_people_on,
)
from registry.services.events import event_stored_edges
from registry.services.pipeline import change_of_control_contracts
from registry.services.risk import new_influences, policy_rules_read_only, previous_influences


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
) -> "EventPreview":
    """What an event would do (:class:`EventPreview`), as of its effective date: the vendors
    it affects with their current and projected level, the edge changes and the alerts.
    Validates like ``ownership_event_log``, uses the same event effects, and writes nothing."""
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
    facts = effects.EventFacts.of(event)
    stored = event_stored_edges(facts)
    outcome = effects.event_effects(facts, stored)
    why = _why_affected(event, effective_date)
    vendors = list(
        Vendor.objects.filter(entity_id__in=why)
        .select_related("entity")
        .order_by("entity__name", "pk")
    )
    extra = [pk for pk in (subject.pk, counterparty and counterparty.pk) if pk]
    # The people the event seats somewhere: their other seats may make an interlock.
    seated = [pk for pk in (person and person.pk, counterparty and counterparty.pk) if pk]
    subgraph = load_subgraph(
        [vendor.entity_id for vendor in vendors], as_of=effective_date, also=extra, people=seated
    )
    _apply_in_memory(subgraph, stored, outcome)
    graph = subgraph.graph()
    rules = policy_rules_read_only()
    affected = []
    gained: list[tuple[Vendor, list[int]]] = []
    influences = previous_influences([vendor.pk for vendor in vendors])
    for vendor in vendors:
        projected = engine.assess_vendor(
            graph, vendor.entity_id, data_access=vendor.data_access, policy=rules
        )
        before = influences.get(vendor.pk, (0, {}))[1]
        gained.append((vendor, sorted(new_influences(projected, before))))
        reasons = [*why[vendor.entity_id], *(f.summary for f in projected.factors)]
        if engine.is_escalated(
            projected.factors,
            data_access=vendor.data_access,
            escalate_restricted=rules.escalate_restricted,
        ):
            # An escalation says so: the factors alone would not make it critical.
            reasons.append(
                engine.level_explanation(
                    projected.factors,
                    data_access=vendor.data_access,
                    escalate_restricted=rules.escalate_restricted,
                )
            )
        affected.append(
            {
                "vendor": vendor,
                "current_level": vendor.risk_level,
                "projected_level": projected.level,
                "reasons": reasons,
            }
        )
    return EventPreview(
        affected_vendors=affected,
        edge_changes=[_edge_change_row(change, subgraph.names) for change in outcome.changes],
        alerts=_alerts_expected(event, affected, gained, graph),
    )


@dataclass(frozen=True)
class EventPreview:
    """What logging an event would do: each affected vendor's current and projected level
    with the reasons, the edge changes (other holders' dilution included) and the alerts."""

    affected_vendors: list[dict]
    edge_changes: list[dict]
    alerts: list[dict]


def _why_affected(event: OwnershipEvent, day: datetime.date) -> dict[int, list[str]]:
    """Rule 6's affected entities on ``day``, each with why (in words)."""
    subject, person = event.subject, event.person
    reasons: dict[int, list[str]] = {}
    below = entities_below([subject.pk], as_of=day)
    for entity in below:
        reasons.setdefault(entity, []).append(
            f"{subject.name} is the event's subject."
            if entity == subject.pk
            else f"Owned or controlled by {subject.name}, directly or indirectly."
        )
    if person is not None:
        for entity in affected_entities(subject_ids=[], person_ids=[person.pk], as_of=day):
            reasons.setdefault(entity, []).append(f"{person.name} sits on it.")
    for entity in seats_of_key_people_on(below, as_of=day):
        if entity not in below:
            reasons.setdefault(entity, []).append(
                f"A key person of {subject.name} or of an entity below it also sits on it."
            )
    if event.kind == EventKind.EXECUTIVE_MOVE and person is not None:
        # The person will sit on the counterparty: its vendors (if any) are affected too.
        reasons.setdefault(event.counterparty_id, []).append(
            f"{person.name} becomes a senior managing official of it."
        )
    return reasons


def _edge_change_row(change: effects.EdgeChange, names: dict[int, str]) -> dict:
    return {
        "owner": change.owner,
        "owner_name": names.get(change.owner, ""),
        "owned": change.owned,
        "owned_name": names.get(change.owned, ""),
        "interest": change.interest,
        "from_share": change.from_share,
        "to_share": change.to_share,
        "start_date": change.start_date if change.kind == effects.SET else None,
        "end_date": change.end_date,
        "dilution": change.dilution,
    }


def _alerts_expected(
    event: OwnershipEvent,
    affected: list[dict],
    gained: list[tuple[Vendor, list[int]]],
    graph: engine.OwnershipGraph,
) -> list[dict]:
    """The alerts processing the event would raise: a risk rise per vendor whose projected
    level is above its current one, a new influence per vendor and party that gains one, and
    a change-of-control review per contract."""
    alerts = [
        {
            "kind": AlertKind.RISK_INCREASED,
            "vendor": row["vendor"].pk,
            "vendor_name": row["vendor"].name,
            "party": None,
            "contract": None,
            "contract_reference": "",
            "due_date": None,
        }
        for row in affected
        if RISK_ORDER[row["projected_level"]] > RISK_ORDER[row["current_level"]]
    ]
    alerts += [
        {
            "kind": AlertKind.NEW_INFLUENCE,
            "vendor": vendor.pk,
            "vendor_name": vendor.name,
            "party": party,
            "party_name": graph.name(party),
            "contract": None,
            "contract_reference": "",
            "due_date": None,
        }
        for vendor, parties in gained
        for party in parties
    ]
    for contract in change_of_control_contracts(
        subject_id=event.subject_id,
        kind=event.kind,
        effective_date=event.effective_date,
        after=graph,
    ):
        alerts.append(
            {
                "kind": AlertKind.CHANGE_OF_CONTROL,
                "vendor": contract.vendor_id,
                "vendor_name": contract.vendor.name,
                "party": None,
                "contract": contract.pk,
                "contract_reference": contract.reference,
                "due_date": event.effective_date
                + datetime.timedelta(days=contract.coc_termination_window_days),
            }
        )
    return alerts
