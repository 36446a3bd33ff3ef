"""The recheck pipeline: process events and recheck requests, sweep up lost work, run the
daily recheck of edges that start or end, and record failures where people see them."""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from alerts.choices import AlertKind
from alerts.notifications import notification_queue
from alerts.services import AlertSpec, alert_raise, alerts_raise, risk_analysts
from core.leases import leased, leased_now, sent_and_lapsed
from core.memo import work_memo
from registry.choices import CONTROL_EVENT_KINDS, EntityKind, EventStatus, RecheckReason, RiskLevel
from registry.models import (
    Contract,
    Entity,
    Ownership,
    OwnershipEvent,
    RecheckChunk,
    RecheckRequest,
    ScheduledRecheckDay,
    Vendor,
)
from registry.risk import engine
from registry.risk.loader import (
    Reach,
    Walk,
    affected_entities,
    control_graphs,
    entities_below,
    load_subgraph,
    reach_on,
    reached_vendor_ids,
)
from registry.services.dispatch import chunks_enqueue, recheck_request
from registry.services.risk import policy_current, vendors_recheck

logger = logging.getLogger(__name__)

#: Recheck reasons that concern exactly the vendors of the listed entities.
DIRECT_REASONS = (RecheckReason.MANUAL, RecheckReason.VENDOR_ADDED, RecheckReason.POLICY_CHANGED)

ONE_DAY = datetime.timedelta(days=1)

#: The kinds of work a worker leases (core.leases) while it runs them.
EVENT_LEASE = "event"
RECHECK_LEASE = "recheck"
CHUNK_LEASE = "chunk"


def event_reach(event: OwnershipEvent, *, today: datetime.date) -> dict[datetime.date, Reach]:
    """What the event's subject reaches down on each day its processing looks at — its
    effective date and today for the vendors it affects, and for a change of control the day
    before too — in one query (:func:`registry.risk.loader.reach_on`)."""
    days = {event.effective_date, today}
    if event.kind in CONTROL_EVENT_KINDS:
        days.add(event.effective_date - ONE_DAY)
    return reach_on([event.subject_id], days=days)


def event_affected_vendor_ids(
    event: OwnershipEvent,
    *,
    today: datetime.date,
    reach: dict[datetime.date, Reach] | None = None,
) -> list[int]:
    """Vendors an event affects (rule 6), on its effective date and today; ``reach`` is
    :func:`event_reach`'s answer when it is known already."""
    reach = reach if reach is not None else event_reach(event, today=today)
    return reached_vendor_ids(
        {day: reach[day] for day in {event.effective_date, today}},
        person_ids=[event.person_id] if event.person_id else [],
    )


def _controlled(graph: engine.OwnershipGraph, party: int, entities: set[int]) -> set[int]:
    """Which of ``entities`` ``party`` is or controls in ``graph`` (rule 3's control)."""
    controlled = engine.controlled_entities(graph, {party})
    return {entity for entity in entities if entity in controlled}


def change_of_control_candidates(
    *,
    subject_id: int,
    kind: str,
    effective_date: datetime.date,
    reach: dict[datetime.date, Reach] | None = None,
    limit: int | None = None,
) -> list[Contract]:
    """The contracts a change-of-control review may be due for: those with a CoC clause,
    active on the effective date, of the vendors at or below the event's subject before the
    event (the day before) or after it. Whether the subject is, or controls, each vendor is
    :func:`controlled_contracts`' question. ``reach`` is :func:`event_reach`'s answer when it
    is known already; ``limit`` keeps the first so many."""
    found = _candidates(
        subject_id=subject_id, kind=kind, effective_date=effective_date, reach=reach
    )
    return list(found if limit is None else found[:limit])


def change_of_control_candidate_keys(
    *,
    subject_id: int,
    kind: str,
    effective_date: datetime.date,
    reach: dict[datetime.date, Reach] | None = None,
) -> list[tuple[int, int]]:
    """:func:`change_of_control_candidates` as (contract, vendor) keys, in the contracts'
    order: an event on a hub has tens of thousands, which are planned into chunks by key."""
    found = _candidates(
        subject_id=subject_id, kind=kind, effective_date=effective_date, reach=reach
    )
    return list(found.values_list("pk", "vendor_id"))


def _candidates(
    *,
    subject_id: int,
    kind: str,
    effective_date: datetime.date,
    reach: dict[datetime.date, Reach] | None,
) -> QuerySet[Contract]:
    if kind not in CONTROL_EVENT_KINDS:
        return Contract.objects.none()
    days = (effective_date, effective_date - ONE_DAY)
    if reach is None or not all(day in reach for day in days):
        reach = reach_on([subject_id], days=days)
    below = sorted(reach[days[0]].below | reach[days[1]].below)
    if not below:
        return Contract.objects.none()
    # The entities below a hub are hundreds of thousands: one array parameter (core.lookups).
    return change_of_control_clauses(effective_date).filter(vendor__entity_id__any_of=below)


def contracts_loaded(contract_ids: list[int]) -> list[Contract]:
    """The contracts of ``contract_ids`` with what their alerts name (vendor, entity, owners),
    in the contracts' order."""
    return list(
        Contract.objects.filter(pk__any_of=contract_ids)
        .select_related("vendor__entity", "vendor__business_owner", "owner")
        .order_by("pk")
    )


def change_of_control_clauses(effective_date: datetime.date) -> QuerySet[Contract]:
    """The contracts with a change-of-control clause active on ``effective_date``."""
    return (
        Contract.objects.filter(change_of_control_clause=True)
        .filter(start_date__lte=effective_date)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=effective_date))
        .select_related("vendor__entity", "vendor__business_owner", "owner")
        .order_by("pk")
    )


def controlled_contracts(
    contracts: list[Contract],
    *,
    subject_id: int,
    effective_date: datetime.date,
    after=None,
    before=None,
) -> list[Contract]:
    """Those of ``contracts`` whose vendor's entity the subject is or controls on the day
    before ``effective_date`` or on it. ``after`` is the graph after the event when it is not
    stored yet (a preview); else the stored graph is read. ``before`` is the graph of the day
    before when the caller has read it already (that of :func:`controlled_contracts_walk`)."""
    entities = {contract.vendor.entity_id for contract in contracts}
    if not entities:
        return []
    before_day = effective_date - ONE_DAY
    if before is not None or after is not None:
        # What the caller read already (a preview's graphs), the rest read here.
        graphs = [
            before
            if before is not None
            else load_subgraph(entities, as_of=before_day, also=[subject_id]).graph(),
            after
            if after is not None
            else load_subgraph(entities, as_of=effective_date, also=[subject_id]).graph(),
        ]
    else:
        # A few vendors: both days' graphs in one walk (registry.risk.loader.control_graphs).
        both = control_graphs(entities | {subject_id}, days=(before_day, effective_date))
        graphs = (
            list(both)
            if both is not None
            else [
                load_subgraph(entities, as_of=day, also=[subject_id]).graph()
                for day in (before_day, effective_date)
            ]
        )
    controlled = set().union(*(_controlled(graph, subject_id, entities) for graph in graphs))
    return [contract for contract in contracts if contract.vendor.entity_id in controlled]


def controlled_contracts_walk(
    contracts: list[Contract], *, subject_id: int, effective_date: datetime.date
) -> Walk | None:
    """The walk that reads :func:`controlled_contracts`' graph of the day before (none
    without contracts), for a caller that reads it together with others."""
    entities = frozenset(contract.vendor.entity_id for contract in contracts)
    if not entities:
        return None
    return Walk(entities, as_of=effective_date - ONE_DAY, also=frozenset([subject_id]))


def change_of_control_contracts(
    *, subject_id: int, kind: str, effective_date: datetime.date, after=None
) -> list[Contract]:
    """The contracts a change-of-control review is due for (docs/risk-rules.md, alerts): an
    ``acquisition``, ``stake_change`` or ``divestiture`` of an entity that is, or controls, the
    vendor's entity on the effective date — before the event (the day before) or after it —
    for each contract with a CoC clause active on that date. ``after`` is the graph after the
    event when it is not stored yet (a preview); else the stored graph is read."""
    candidates = change_of_control_candidates(
        subject_id=subject_id, kind=kind, effective_date=effective_date
    )
    return controlled_contracts(
        candidates, subject_id=subject_id, effective_date=effective_date, after=after
    )


def change_of_control_alerts(event: OwnershipEvent, contracts: list[Contract]) -> list[AlertSpec]:
    """One review alert per CoC contract whose vendor the event's subject is or controls."""
    specs = []
    for contract in contracts:
        due = event.effective_date + datetime.timedelta(days=contract.coc_termination_window_days)
        specs.append(
            AlertSpec(
                dedup_key=f"change_of_control:event:{event.pk}:contract:{contract.pk}",
                kind=AlertKind.CHANGE_OF_CONTROL,
                severity=RiskLevel.HIGH,
                title=(
                    f"Change of control at {event.subject.name}: review {contract.reference} "
                    f"({contract.vendor.entity.name}) — termination window ends {due:%Y-%m-%d}"
                ),
                detail=(
                    f"{event}. Contract {contract.reference} has a change-of-control clause "
                    f"with a {contract.coc_termination_window_days}-day termination window "
                    f"from {event.effective_date:%Y-%m-%d}."
                ),
                vendor=contract.vendor,
                contract=contract,
                event=event,
                import_run=event.import_run,
                due_date=due,
            )
        )
    return specs


def _raise_change_of_control(event: OwnershipEvent) -> int:
    """Raise the event's change-of-control reviews in one go; how many were new."""
    contracts = change_of_control_contracts(
        subject_id=event.subject_id, kind=event.kind, effective_date=event.effective_date
    )
    return len(alerts_raise(change_of_control_alerts(event, contracts)))


def _claim_event(event_id: int) -> bool:
    # Pipeline bookkeeping (not business data): a conditional update claims the event.
    return bool(
        OwnershipEvent.objects.filter(
            pk=event_id,
            status__in=(EventStatus.PENDING, EventStatus.PROCESSING, EventStatus.FAILED),
        ).update(
            status=EventStatus.PROCESSING, claimed_at=timezone.now(), attempts=F("attempts") + 1
        )
    )


def _chunks_plan(
    vendor_ids: list[int],
    contracts: list[tuple[int, int]],
    *,
    as_of: datetime.date,
    event: OwnershipEvent | None = None,
    recheck: RecheckRequest | None = None,
) -> list[RecheckChunk]:
    """Slice a large recheck into chunks of ``PIPELINE_CHUNK_SIZE`` vendors, each with the
    change-of-control contracts (``(contract, vendor)`` keys) of its vendors (a contract
    whose vendor is not rechecked goes with the vendors next to it), and record them with
    the policy in force now (the request's own, if it names one), which each chunk is
    assessed under."""
    size = settings.PIPELINE_CHUNK_SIZE
    policy = recheck.policy if recheck is not None and recheck.policy else policy_current()
    rechecked = set(vendor_ids)
    by_vendor: dict[int, list[int]] = {}
    for contract_id, vendor_id in contracts:
        by_vendor.setdefault(vendor_id, []).append(contract_id)
    vendors = sorted(rechecked | set(by_vendor))
    chunks = [
        RecheckChunk(
            event=event,
            recheck=recheck,
            index=index,
            as_of=as_of,
            policy=policy,
            vendor_ids=[pk for pk in part if pk in rechecked],
            contract_ids=[contract for pk in part for contract in by_vendor.get(pk, ())],
        )
        for index, part in enumerate(
            vendors[start : start + size] for start in range(0, len(vendors), size)
        )
    ]
    return RecheckChunk.objects.bulk_create(chunks)


def _is_large(vendor_ids: list[int], contracts: list[tuple[int, int]]) -> bool:
    return len(vendor_ids) + len(contracts) > settings.PIPELINE_CHUNK_SIZE


def event_process(*, event_id: int) -> OwnershipEvent | None:
    """Recheck every vendor an event affects, raise its alerts and mark it processed. An
    event that touches few vendors is done in one transaction, so a crash leaves it to be
    retried whole; a larger one is planned into chunks (:func:`chunk_process`), each done in
    its own, and is processed when its last chunk commits. Processing an event twice gives
    the same alerts once. The event is leased while it runs (``None`` when a live worker has
    it), so a dead worker's event is swept up within a lease."""
    with leased(EVENT_LEASE, event_id) as token:
        if token is None:
            logger.info("Event %s is being processed by another worker.", event_id)
            return None
        with work_memo():
            return _event_process(event_id)


def _event_process(event_id: int) -> OwnershipEvent | None:
    if not _claim_event(event_id):
        logger.info("Event %s was processed already.", event_id)
        return None
    today = timezone.localdate()
    with transaction.atomic():
        event = (
            OwnershipEvent.objects.select_for_update(of=("self",))
            .select_related("subject", "import_run")
            # Whether an earlier attempt planned chunks, read with the event: a typical event
            # has none, and then costs no query of them.
            .annotate(planned=Exists(RecheckChunk.objects.filter(event=OuterRef("pk"))))
            .get(pk=event_id)
        )
        planned = (
            list(event.chunks.filter(done_at__isnull=True).values_list("pk", flat=True))
            if event.planned
            else []
        )
        if planned:
            # Planned by an earlier attempt: send what is not done yet (a chunk done twice
            # is rolled back the second time).
            chunks_enqueue(planned)
            return event
        if event.planned:
            # Every chunk committed, but the event was marked failed meanwhile (a chunk's last
            # retry gave up while another run of it committed) and sent again: it is done.
            OwnershipEvent.objects.filter(pk=event.pk).update(
                status=EventStatus.PROCESSED,
                processed_at=timezone.now(),
                last_error="",
                vendors_done=F("vendors_total"),
            )
            return event
        reach = event_reach(event, today=today)
        vendor_ids = event_affected_vendor_ids(event, today=today, reach=reach)
        facts = {
            "subject_id": event.subject_id,
            "kind": event.kind,
            "effective_date": event.effective_date,
            "reach": reach,
        }
        # The contracts are loaded only when they fit in one piece of work with the vendors;
        # a hub's tens of thousands are planned into chunks by key, each chunk loading its own.
        room = settings.PIPELINE_CHUNK_SIZE - len(vendor_ids)
        contracts = change_of_control_candidates(**facts, limit=room + 1) if room >= 0 else None
        # No attempt before this one stored any: an attempt that stores them commits them
        # with the event processed, or with its chunks planned (answered above).
        event.affected_vendors.add(*vendor_ids)
        if contracts is None or len(contracts) > room:
            keys = change_of_control_candidate_keys(**facts)
            chunks = _chunks_plan(vendor_ids, keys, as_of=today, event=event)
            OwnershipEvent.objects.filter(pk=event.pk).update(
                vendors_total=len(vendor_ids), vendors_done=0
            )
            chunks_enqueue([chunk.pk for chunk in chunks])
            logger.info("Event %s: %s vendors in %s chunks", event.pk, len(vendor_ids), len(chunks))
            return event
        vendors_recheck(vendor_ids, as_of=today, event=event)
        alerts_raise(
            change_of_control_alerts(
                event,
                controlled_contracts(
                    contracts, subject_id=event.subject_id, effective_date=event.effective_date
                ),
            )
        )
        OwnershipEvent.objects.filter(pk=event.pk).update(
            status=EventStatus.PROCESSED,
            processed_at=timezone.now(),
            last_error="",
            vendors_total=len(vendor_ids),
            vendors_done=len(vendor_ids),
        )
    logger.info("Processed event %s: %s vendors rechecked", event.pk, len(vendor_ids))
    return event


class _ChunkAlreadyDone(Exception):
    """Another run of the same chunk committed first: this run's work is rolled back."""


def _chunk_work(chunk: RecheckChunk) -> None:
    if chunk.event_id is not None:
        event = chunk.event
        vendors_recheck(chunk.vendor_ids, as_of=chunk.as_of, event=event, policy=chunk.policy)
        contracts = contracts_loaded(chunk.contract_ids) if chunk.contract_ids else []
        alerts_raise(
            change_of_control_alerts(
                event,
                controlled_contracts(
                    contracts, subject_id=event.subject_id, effective_date=event.effective_date
                ),
            )
        )
        return
    request = chunk.recheck
    vendors_recheck(
        chunk.vendor_ids,
        as_of=chunk.as_of,
        event=request.event,
        recheck=request,
        policy=chunk.policy or request.policy,
    )


def _chunk_finish(chunk: RecheckChunk, now: datetime.datetime) -> bool:
    """Mark ``chunk`` done and count its vendors; the last chunk to commit completes its event
    or request. Returns whether it was the last. The event's (or request's) row is locked
    here, at the end of the chunk's transaction, so chunks run side by side and finish one at
    a time: whichever finishes last sees every other chunk done."""
    if not RecheckChunk.objects.filter(pk=chunk.pk, done_at__isnull=True).update(done_at=now):
        raise _ChunkAlreadyDone
    done = len(chunk.vendor_ids)
    siblings = RecheckChunk.objects.exclude(pk=chunk.pk).filter(done_at__isnull=True)
    if chunk.event_id is not None:
        OwnershipEvent.objects.filter(pk=chunk.event_id).update(
            vendors_done=F("vendors_done") + done
        )
        if siblings.filter(event_id=chunk.event_id).exists():
            return False
        OwnershipEvent.objects.filter(pk=chunk.event_id).update(
            status=EventStatus.PROCESSED, processed_at=now, last_error=""
        )
        return True
    RecheckRequest.objects.filter(pk=chunk.recheck_id).update(vendors_done=F("vendors_done") + done)
    if siblings.filter(recheck_id=chunk.recheck_id).exists():
        return False
    RecheckRequest.objects.filter(pk=chunk.recheck_id).update(processed_at=now, last_error="")
    return True


def chunk_process(*, chunk_id: int) -> RecheckChunk | None:
    """Recheck one chunk's vendors and review its contracts in one transaction, and mark it
    done; ``None`` when it is done already. Two runs of the same chunk (a redelivery, a sweep
    of a slow one) do its work once: the second waits for the first's vendor locks, then finds
    the chunk done and rolls back. The chunk is leased while it runs."""
    with leased(CHUNK_LEASE, chunk_id) as token:
        if token is None:
            return None
        with work_memo():
            return _chunk_process(chunk_id)


def _chunk_process(chunk_id: int) -> RecheckChunk | None:
    now = timezone.now()
    claimed = RecheckChunk.objects.filter(pk=chunk_id, done_at__isnull=True).update(
        claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    chunk = RecheckChunk.objects.select_related(
        "event__subject", "event__import_run", "recheck__event", "recheck__policy", "policy"
    ).get(pk=chunk_id)
    try:
        with transaction.atomic():
            _chunk_work(chunk)
            last = _chunk_finish(chunk, timezone.now())
    except _ChunkAlreadyDone:
        return None
    logger.info("Processed %s%s", chunk, " (the last)" if last else "")
    return chunk


def _split_people(entity_ids: list[int]) -> tuple[list[int], list[int]]:
    people = set(
        Entity.objects.filter(pk__in=entity_ids, kind=EntityKind.PERSON).values_list(
            "pk", flat=True
        )
    )
    return [pk for pk in entity_ids if pk not in people], sorted(people)


def recheck_affected_vendor_ids(request: RecheckRequest, *, as_of: datetime.date) -> list[int]:
    """The vendors a recheck request concerns."""
    if request.reason in DIRECT_REASONS:
        entity_ids = set(request.entity_ids)
    elif request.reason == RecheckReason.DISCLOSURE_CHANGED:
        # Rule 5: an entity's undisclosed owners weigh on the vendors at or below it only.
        entity_ids = entities_below(request.entity_ids, as_of=as_of)
    elif request.reason == RecheckReason.WATCHLIST_CHANGED:
        # Rule 6: a listed (or unlisted) entity is taken both as a subject — what it owns or
        # controls, a person's holdings included — and, for a person, as a person (its seats).
        _, people = _split_people(request.entity_ids)
        entity_ids = affected_entities(
            subject_ids=request.entity_ids, person_ids=people, as_of=as_of
        )
    else:
        subjects, people = _split_people(request.entity_ids)
        entity_ids = affected_entities(subject_ids=subjects, person_ids=people, as_of=as_of)
    return sorted(Vendor.objects.filter(entity_id__in=entity_ids).values_list("pk", flat=True))


def recheck_process(*, recheck_id: int) -> RecheckRequest | None:
    """Recheck the vendors of a recheck request, once: in one transaction for a few vendors,
    else in chunks (:func:`chunk_process`), the request processed when its last chunk is.
    The request is leased while it runs."""
    with leased(RECHECK_LEASE, recheck_id) as token:
        if token is None:
            return None
        with work_memo():
            return _recheck_process(recheck_id)


def _recheck_process(recheck_id: int) -> RecheckRequest | None:
    with transaction.atomic():
        request = (
            RecheckRequest.objects.select_for_update(of=("self",))
            .filter(pk=recheck_id, processed_at__isnull=True)
            .select_related("event", "policy")
            .first()
        )
        if request is None:
            return None
        if request.chunks.exists():
            chunks_enqueue(
                list(request.chunks.filter(done_at__isnull=True).values_list("pk", flat=True))
            )
            return request
        as_of = request.as_of or timezone.localdate()
        vendor_ids = recheck_affected_vendor_ids(request, as_of=as_of)
        request.attempts += 1
        request.vendors_total = len(vendor_ids)
        if _is_large(vendor_ids, []):
            chunks = _chunks_plan(vendor_ids, [], as_of=as_of, recheck=request)
            request.save(update_fields=["attempts", "vendors_total"])
            chunks_enqueue([chunk.pk for chunk in chunks])
            return request
        vendors_recheck(
            vendor_ids, as_of=as_of, event=request.event, recheck=request, policy=request.policy
        )
        request.processed_at = timezone.now()
        request.vendors_done = len(vendor_ids)
        request.save(update_fields=["processed_at", "attempts", "vendors_total", "vendors_done"])
    return request


def _tell_risk_analysts(alert, message: str) -> None:
    """Queue an e-mail about ``alert`` to every active risk analyst, with the alert."""
    notification_queue(
        alert=alert,
        recipients=[user.email for user in risk_analysts()],
        subject=alert.title,
        body=message,
    )


@transaction.atomic
def event_fail(*, event_id: int, error: str) -> None:
    """Give up on an event after its retries: mark it failed with the error and raise a
    ``pipeline_failure`` alert for the risk analysts."""
    event = OwnershipEvent.objects.select_related("subject").filter(pk=event_id).first()
    if event is None:
        return
    failed = (
        OwnershipEvent.objects.filter(pk=event_id)
        .exclude(status=EventStatus.PROCESSED)
        .update(status=EventStatus.FAILED, last_error=error[:5000])
    )
    if not failed:  # finished meanwhile (e.g. by another run of its last chunk)
        return
    title = f"Processing failed: {event} (event #{event.pk})"
    alert, created = alert_raise(
        dedup_key=f"pipeline_failure:event:{event.pk}",
        kind=AlertKind.PIPELINE_FAILURE,
        severity=RiskLevel.HIGH,
        title=title,
        detail=f"The event could not be processed after {event.attempts} attempts.\n\n{error}",
        event=event,
    )
    if created:
        _tell_risk_analysts(alert, alert.detail)


@transaction.atomic
def recheck_fail(*, recheck_id: int, error: str) -> None:
    """Give up on a recheck request after its retries and tell the risk analysts."""
    request = RecheckRequest.objects.filter(pk=recheck_id, processed_at__isnull=True).first()
    if request is None:
        return
    request.last_error = error[:5000]
    request.failed_at = timezone.now()
    request.save(update_fields=["last_error", "failed_at"])
    title = f"Processing failed: {request}"
    alert, created = alert_raise(
        dedup_key=f"pipeline_failure:recheck:{request.pk}",
        kind=AlertKind.PIPELINE_FAILURE,
        severity=RiskLevel.HIGH,
        title=title,
        detail=f"Entities {request.entity_ids} could not be rechecked.\n\n{error}",
        event=request.event,
    )
    if created:
        _tell_risk_analysts(alert, error)


@transaction.atomic
def chunk_fail(*, chunk_id: int, error: str) -> None:
    """Give up on a chunk after its retries: its event (or request) fails with the error, and
    the risk analysts are told. Re-sending the event later sends the chunks not done. The
    chunk's row is locked, so another run of it that commits first is seen as done."""
    chunk = (
        RecheckChunk.objects.select_for_update(of=("self",))
        .filter(pk=chunk_id, done_at__isnull=True)
        .order_by()  # the model's ordering joins the event and the request
        .first()
    )
    if chunk is None:
        return
    RecheckChunk.objects.filter(pk=chunk_id).update(last_error=error[:5000])
    error = f"{chunk}: {error}"
    if chunk.event_id is not None:
        event_fail(event_id=chunk.event_id, error=error)
    else:
        recheck_fail(recheck_id=chunk.recheck_id, error=error)


def note_attempt_error(
    *,
    error: str,
    event_id: int | None = None,
    recheck_id: int | None = None,
    chunk_id: int | None = None,
) -> None:
    """Record the latest error of an attempt that will be retried, so the admin shows why."""
    if chunk_id is not None:
        RecheckChunk.objects.filter(pk=chunk_id).update(last_error=error[:5000])
    if event_id is not None:
        OwnershipEvent.objects.filter(pk=event_id).update(last_error=error[:5000])
    if recheck_id is not None:
        RecheckRequest.objects.filter(pk=recheck_id).update(
            last_error=error[:5000], attempts=F("attempts") + 1
        )


def pending_work(*, older_than: datetime.timedelta) -> tuple[list[int], list[int], list[int]]:
    """Events, recheck requests and chunks still waiting after ``older_than`` (their task was
    lost), and those a worker took up whose lease ran out (it died), in neither case held by a
    live worker or sent again within a hold (core.leases). An event or request planned into
    chunks is swept through its chunks."""
    cutoff = timezone.now() - older_than
    chunked_events = RecheckChunk.objects.filter(event=OuterRef("pk"))
    events = list(
        OwnershipEvent.objects.filter(
            Q(status=EventStatus.PENDING, created_at__lt=cutoff)
            | Q(status=EventStatus.PENDING) & sent_and_lapsed(EVENT_LEASE)
            | Q(status=EventStatus.PROCESSING)
        )
        .exclude(leased_now(EVENT_LEASE))
        .exclude(Exists(chunked_events))
        # An import run's events are processed by the run's one recheck (swept in imports).
        .exclude(import_run__isnull=False, import_run__rechecked_at__isnull=True)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    rechecks = list(
        RecheckRequest.objects.filter(processed_at__isnull=True, failed_at__isnull=True)
        .filter(Q(created_at__lt=cutoff) | sent_and_lapsed(RECHECK_LEASE))
        .exclude(leased_now(RECHECK_LEASE))
        .exclude(Exists(RecheckChunk.objects.filter(recheck=OuterRef("pk"))))
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    chunks = list(
        RecheckChunk.objects.filter(done_at__isnull=True)
        .filter(
            Q(claimed_at__isnull=True, created_at__lt=cutoff)
            | Q(claimed_at__isnull=True) & sent_and_lapsed(CHUNK_LEASE)
            | Q(claimed_at__isnull=False)
        )
        .exclude(leased_now(CHUNK_LEASE))
        # A failed event or request waits to be re-sent by a person.
        .exclude(event__status=EventStatus.FAILED)
        .exclude(recheck__failed_at__isnull=False)
        .order_by("created_at", "index")
        .values_list("pk", flat=True)
    )
    return events, rechecks, chunks


def _days_to_cover(today: datetime.date) -> list[datetime.date]:
    """Every day after the last one the daily run covered, up to ``today`` (just ``today`` on
    the first run), so days missed while beat was down are caught up."""
    last = ScheduledRecheckDay.objects.order_by("-day").values_list("day", flat=True).first()
    if last is None:
        return [today]
    return [last + ONE_DAY * n for n in range(1, (today - last).days + 1)]


@transaction.atomic
def scheduled_recheck(*, today: datetime.date | None = None) -> int:
    """docs/risk-rules.md, rule 7: recheck, as of today, every vendor whose graph gained an
    edge or lost one on each day not covered yet (the day after the last covered one up to
    ``today``). Vendors touched by an event's edges — those it started, and those it ended —
    are rechecked for that event, so the alerts are attributed to it; other edges go through
    one generic recheck request. An event whose vendors are too many for one transaction
    (an acquisition of an index fund's stake) is rechecked in chunks by the workers, like the
    event itself was, under a recheck request naming it. Returns the number of vendors
    rechecked for events, here or in those chunks."""
    today = today or timezone.localdate()
    days = _days_to_cover(today)
    if not days:
        return 0
    first, last = days[0], days[-1]
    starting = Ownership.objects.filter(start_date__range=(first, last)).values_list(
        "owner_id", "owned_id", "owner__kind", "source_event_id"
    )
    ending = Ownership.objects.filter(end_date__range=(first - ONE_DAY, last - ONE_DAY))
    ending = ending.values_list(
        "owner_id", "owned_id", "owner__kind", Coalesce("ended_by_event_id", "source_event_id")
    )
    by_event: dict[int, set[int]] = {}
    loose: set[int] = set()
    for owner_id, owned_id, owner_kind, event_id in [*starting, *ending]:
        ids = {owned_id, owner_id} if owner_kind == EntityKind.PERSON else {owned_id}
        if event_id is not None:
            by_event.setdefault(event_id, set()).update(ids)
        else:
            loose |= ids
    count = 0
    for event in OwnershipEvent.objects.filter(pk__in=by_event).select_related("subject"):
        vendor_ids = event_affected_vendor_ids(event, today=today)
        if _is_large(vendor_ids, []):
            _scheduled_chunks(event, vendor_ids, today=today)
            count += len(vendor_ids)
            continue
        count += len(vendors_recheck(vendor_ids, as_of=today, event=event))
    if loose:
        recheck_request(reason=RecheckReason.SCHEDULED, entity_ids=sorted(loose), as_of=today)
    ScheduledRecheckDay.objects.bulk_create(
        [ScheduledRecheckDay(day=day, vendors=count) for day in days], ignore_conflicts=True
    )
    return count


def _scheduled_chunks(
    event: OwnershipEvent, vendor_ids: list[int], *, today: datetime.date
) -> None:
    """The daily run's recheck of a large event's vendors, planned as chunks of a recheck
    request that names the event (its alerts are the event's); the last chunk to commit
    marks the request processed, and the sweeper resends what a dead worker left."""
    request = RecheckRequest.objects.create(
        reason=RecheckReason.SCHEDULED,
        entity_ids=sorted({event.subject_id, *([event.person_id] if event.person_id else [])}),
        event=event,
        as_of=today,
        attempts=1,
        vendors_total=len(vendor_ids),
    )
    chunks = _chunks_plan(vendor_ids, [], as_of=today, recheck=request)
    chunks_enqueue([chunk.pk for chunk in chunks])
