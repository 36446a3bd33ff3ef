"""What an event would do, computed on an in-memory copy of the graph; nothing is written."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from alerts.choices import AlertKind
from registry.choices import CONTROL_EVENT_KINDS, RISK_ORDER, EventKind
from registry.models import Contract, Entity, OwnershipEvent, Vendor
from registry.risk import effects, engine
from registry.risk.loader import (
    Reach,
    Subgraph,
    Walk,
    affected_entities,
    edge_from_row,
    id_list,
    id_rows,
    load_subgraphs,
    reach_on,
    reached_entities,
)
from registry.services.events import event_stored_edges
from registry.services.pipeline import (
    ONE_DAY,
    change_of_control_clauses,
    controlled_contracts,
    controlled_contracts_walk,
)
from registry.services.risk import (
    new_influences,
    policy_rules_read_only,
    previous_influences,
)


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
    # What the subject reaches on the effective date and, for the change-of-control reviews,
    # which look at what is below it the day before too, on that day: one query.
    control = kind in CONTROL_EVENT_KINDS
    days = [effective_date, effective_date - ONE_DAY] if control else [effective_date]
    reach = reach_on([subject.pk], days=days)
    below = set(reach[effective_date].below)
    why = _why_affected(event, effective_date, reach[effective_date])
    coc_below = below | reach[effective_date - ONE_DAY].below if control else set()
    vendor_of = _vendor_ids_of(set(why) | coc_below)
    vendors = list(
        Vendor.objects.filter(pk__in=[vendor_of[pk] for pk in why if pk in vendor_of])
        .select_related("entity")
        .order_by("entity_name", "pk")
    )
    contracts = list(
        change_of_control_clauses(effective_date)
        # A preview names each contract's vendor, and tells no one: its people are not read.
        .select_related(None)
        .select_related("vendor__entity")
        .filter(vendor_id__in=[vendor_of[pk] for pk in coc_below if pk in vendor_of])
    )
    extra = [pk for pk in (subject.pk, counterparty and counterparty.pk) if pk]
    # The people the event seats somewhere: their other seats may make an interlock.
    seated = [pk for pk in (person and person.pk, counterparty and counterparty.pk) if pk]
    walks = [
        Walk(
            frozenset(vendor.entity_id for vendor in vendors),
            as_of=effective_date,
            also=frozenset(extra),
            people=frozenset(seated),
        )
    ]
    before_walk = controlled_contracts_walk(
        contracts, subject_id=subject.pk, effective_date=effective_date
    )
    if before_walk is not None:
        walks.append(before_walk)
    subgraph, *day_before = load_subgraphs(walks)
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
        alerts=_alerts_expected(
            event,
            affected,
            gained,
            controlled_contracts(
                contracts,
                subject_id=subject.pk,
                effective_date=effective_date,
                after=graph,
                before=day_before[0].graph() if day_before else None,
            ),
            graph,
        ),
    )


@dataclass(frozen=True)
class EventPreview:
    """What logging an event would do: each affected vendor's current and projected level
    with the reasons, the edge changes (other holders' dilution included) and the alerts."""

    affected_vendors: list[dict]
    edge_changes: list[dict]
    alerts: list[dict]


def _why_affected(event: OwnershipEvent, day: datetime.date, reach: Reach) -> dict[int, list[str]]:
    """Rule 6's affected entities on ``day``, each with why (in words); ``reach`` is what the
    subject reaches on ``day`` (``reach_on``): itself and what it owns or controls, and the
    key people sitting there."""
    subject, person = event.subject, event.person
    below = reach.below
    reasons: dict[int, list[str]] = {}
    for entity in below:
        reasons.setdefault(entity, []).append(
            f"{subject.name} is the event's subject."
            if entity == subject.pk
            else f"Owned or controlled by {subject.name}, directly or indirectly."
        )
    if person is not None:
        for entity in affected_entities(subject_ids=[], person_ids=[person.pk], as_of=day):
            reasons.setdefault(entity, []).append(f"{person.name} sits on it.")
    for entity in reached_entities(reach, as_of=day):
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
    contracts: list[Contract],
    graph: engine.OwnershipGraph,
) -> list[dict]:
    """The alerts processing the event would raise: a risk rise per vendor whose projected
    level is above its current one, a new influence per vendor and party that gains one, and
    a change-of-control review per contract of ``contracts`` (``controlled_contracts``')."""
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
    for contract in contracts:
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


_VENDOR = Vendor._meta.db_table


def _vendor_ids_of(entity_ids: set[int]) -> dict[int, int]:
    """Which of ``entity_ids`` are vendors': entity -> vendor. A large group's entities are
    mostly not vendors, and for a long ``IN`` list PostgreSQL would scan the whole vendor
    table; one look-up by index per entity (``LATERAL``) is what such a list costs."""
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT v.entity_id, v.id FROM (VALUES {id_rows(entity_ids)}) AS e(id), LATERAL "
            f"(SELECT id, entity_id FROM {_VENDOR} WHERE entity_id = e.id OFFSET 0) v"
        )
    else:
        sql = f"SELECT entity_id, id FROM {_VENDOR} WHERE entity_id IN ({id_list(entity_ids)})"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())
