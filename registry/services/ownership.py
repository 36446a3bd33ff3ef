"""Set and end ownership edges, keeping history and the 100% rule."""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from core.history import DeleteRefused
from registry.choices import EntityKind, Interest, RecheckReason
from registry.models import Entity, Ownership, OwnershipEvent
from registry.risk import effects
from registry.risk.effects import ONE_DAY, Stake, share_text
from registry.services.common import validated_save
from registry.services.dispatch import recheck_request

if TYPE_CHECKING:
    from imports.models import ImportRun


def _stakes(edges: list[Ownership]) -> list[Stake]:
    return [Stake.of(edge) for edge in edges]


def shareholding_overflow(
    *, owned: Entity, replacing: list[Ownership] = (), adding: list[Ownership] = ()
) -> tuple[datetime.date, Decimal, list[Stake]] | None:
    """The 100% rule (``effects.shareholding_overflow``) on ``owned``'s stored shareholdings,
    leaving out the stored edges in ``replacing`` and counting the unsaved (or changed) edges
    in ``adding`` instead."""
    edges = list(
        Ownership.objects.shareholdings()
        .filter(owned=owned)
        .exclude(pk__in=[edge.pk for edge in replacing])
    )
    return effects.shareholding_overflow(_stakes(edges) + _stakes(list(adding)))


def _refuse_overflow(
    owned: Entity,
    overflow: tuple[datetime.date, Decimal, list[Stake]],
    *,
    field: str = "share",
) -> None:
    day, total, _ = overflow
    # The holders as stored now, before the refused change: who the user must talk to.
    holders = (
        Ownership.objects.shareholdings()
        .active_on(day)
        .filter(owned=owned)
        .select_related("owner")
        .order_by("owner__name", "id")
    )
    listing = ", ".join(f"{edge.owner.name} {edge.share_display}" for edge in holders)
    raise ValidationError(
        {
            field: [
                f"This would bring the shareholdings in {owned.name} to "
                f"{share_text(total, None, None)} on {day:%Y-%m-%d}, above 100%. "
                f"Current holders: {listing or 'none'}."
            ]
        }
    )


def _history_delete(edge: Ownership, actor: AbstractBaseUser | None) -> None:
    if actor is not None and getattr(actor, "is_authenticated", False):
        edge._history_user = actor
    edge.delete()


def _affected_entity_ids(owner: Entity, owned: Entity) -> list[int]:
    # A company's other holdings are not touched by this edge; a person's other seats are.
    return [owned.pk, owner.pk] if owner.kind == EntityKind.PERSON else [owned.pk]


@transaction.atomic
def ownership_set(
    *,
    owner: Entity,
    owned: Entity,
    interest: str = Interest.SHAREHOLDING,
    share: Decimal | None = None,
    share_min: Decimal | None = None,
    share_max: Decimal | None = None,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    source_event: OwnershipEvent | None = None,
    import_run: "ImportRun | None" = None,
    import_record: str = "",
    actor: AbstractBaseUser | None = None,
) -> Ownership:
    """Make ``owner`` hold ``interest`` in ``owned`` from ``start_date``.

    The pair's timeline rule (``effects.timeline_insert``): the edge of the same owner, owned
    and interest that starts on the same day is replaced (its values stay in the audit history),
    an earlier one still running is ended the day before, and a later one is kept — the new
    edge then ends the day before it starts. A shareholding that would take ``owned`` above
    100% on any date is refused, naming the current holders. Vendors affected are rechecked
    after commit, unless an event or an import run wrote the edge: the event's (or the run's)
    own task rechecks them, once.
    """
    # Serialise concurrent writers of the same entity's holders, so the 100% rule holds.
    Entity.objects.select_for_update().filter(pk=owned.pk).first()
    edge = Ownership(
        owner=owner,
        owned=owned,
        interest=interest,
        share=share,
        share_min=share_min,
        share_max=share_max,
        start_date=start_date,
        end_date=end_date,
        source_event=source_event,
        import_run=import_run,
        import_record=import_record,
    )
    edge.full_clean()
    pair = {
        old.pk: old for old in Ownership.objects.filter(owner=owner, owned=owned, interest=interest)
    }
    plan = effects.timeline_insert(
        _stakes(list(pair.values())), start_date=start_date, end_date=end_date
    )
    edge.end_date = plan.end_date
    replaced = [pair[stake.id] for stake in plan.replaced]
    superseded = []
    for stake, end in plan.ended:
        pair[stake.id].end_date = end
        superseded.append(pair[stake.id])
    if interest == Interest.SHAREHOLDING:
        overflow = shareholding_overflow(
            owned=owned, replacing=replaced + superseded, adding=[*superseded, edge]
        )
        if overflow is not None:
            _refuse_overflow(owned, overflow)
    for old in replaced:
        _history_delete(old, actor)
    for old in superseded:
        validated_save(old, actor=actor)
    validated_save(edge, actor=actor)
    if source_event is None and import_run is None:
        recheck_request(
            reason=RecheckReason.OWNERSHIP_CHANGED,
            entity_ids=_affected_entity_ids(owner, owned),
            actor=actor,
        )
    return edge


def _refuse_extension(ownership: Ownership, end_date: datetime.date | None) -> None:
    """Refuse to move ``ownership``'s end to ``end_date`` (``None``: open-ended) if that
    breaks the graph's rules: an overlap with the holder's next edge, or more than 100%."""
    following = Ownership.objects.filter(
        owner=ownership.owner_id,
        owned=ownership.owned_id,
        interest=ownership.interest,
        start_date__gt=ownership.start_date,
    )
    if end_date is not None:
        following = following.filter(start_date__lte=end_date)
    following = following.order_by("start_date").first()
    if following is not None:
        raise ValidationError(
            {
                "end_date": [
                    f"{ownership.owner.name}'s {ownership.get_interest_display().lower()} in "
                    f"{ownership.owned.name} changes on {following.start_date:%Y-%m-%d}; end "
                    f"this edge on {following.start_date - ONE_DAY:%Y-%m-%d} at the latest."
                ]
            }
        )
    if ownership.interest != Interest.SHAREHOLDING:
        return
    extended = Ownership.objects.get(pk=ownership.pk)
    extended.end_date = end_date
    overflow = shareholding_overflow(
        owned=ownership.owned, replacing=[ownership], adding=[extended]
    )
    if overflow is not None:
        _refuse_overflow(ownership.owned, overflow, field="end_date")


@transaction.atomic
def ownership_end(
    *,
    ownership: Ownership,
    end_date: datetime.date,
    source_event: OwnershipEvent | None = None,
    import_run: "ImportRun | None" = None,
    actor: AbstractBaseUser | None = None,
) -> Ownership | None:
    """End an edge on ``end_date`` (its last valid day). An edge that would end before it
    started never took effect and is removed; the audit history keeps it. Moving an end date
    later is refused if it would overlap the holder's next edge or take the owned entity's
    shareholdings above 100%. An edge an import run ends is rechecked by the run's task."""
    Entity.objects.select_for_update().filter(pk=ownership.owned_id).first()
    if ownership.end_date is not None and end_date > ownership.end_date:
        _refuse_extension(ownership, end_date)
    if end_date < ownership.start_date:
        _history_delete(ownership, actor)
        result = None
    else:
        ownership.end_date = end_date
        if source_event is not None:
            # The day it ends is rechecked for the event that ended it (rule 7).
            ownership.ended_by_event = source_event
        validated_save(ownership, actor=actor)
        result = ownership
    if source_event is None and import_run is None:
        recheck_request(
            reason=RecheckReason.OWNERSHIP_CHANGED,
            entity_ids=_affected_entity_ids(ownership.owner, ownership.owned),
            actor=actor,
        )
    return result


#: What identifies an edge; an edit changes its terms, never these.
OWNERSHIP_KEY = ("owner", "owned", "interest")


@transaction.atomic
def ownership_update(
    *,
    ownership: Ownership,
    share: Decimal | None,
    share_min: Decimal | None,
    share_max: Decimal | None,
    start_date: datetime.date,
    end_date: datetime.date | None,
    owner: Entity | None = None,
    owned: Entity | None = None,
    interest: str | None = None,
    actor: AbstractBaseUser | None = None,
) -> Ownership:
    """Change an edge's share or period, whichever door the edit came in by.

    Nothing changed writes nothing. Changing only the end date ends the edge (same row, see
    ``ownership_end``), or clearing it reopens the edge (same row), each refused where it would
    overlap the holder's next edge or take the owned entity above 100%. Any other change goes
    through ``ownership_set``, so the history is kept: a new start date ends this edge the day
    before (the answer is a new edge), the same start date replaces it (its values stay in the
    audit history). An edge's owner, owned
    entity and interest never change: ``owner``, ``owned`` and ``interest``, when given, must
    be the stored ones.
    """
    given = {"owner": owner, "owned": owned, "interest": interest}
    fixed = {
        field: ["An edge's owner, owned and interest cannot change: end it and add another."]
        for field, value in given.items()
        if value is not None and value != getattr(ownership, field)
    }
    if fixed:
        raise ValidationError(fixed)
    terms = {"share": share, "share_min": share_min, "share_max": share_max}
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": ["The end date cannot be before the start date."]})
    same_terms = start_date == ownership.start_date and all(
        value == getattr(ownership, field) for field, value in terms.items()
    )
    if same_terms and end_date == ownership.end_date:
        return ownership
    if same_terms and end_date is not None:
        return ownership_end(ownership=ownership, end_date=end_date, actor=actor)
    if same_terms:
        return _ownership_reopen(ownership, actor)
    return ownership_set(
        owner=ownership.owner,
        owned=ownership.owned,
        interest=ownership.interest,
        **terms,
        start_date=start_date,
        end_date=end_date,
        actor=actor,
    )


def _ownership_reopen(ownership: Ownership, actor: AbstractBaseUser | None) -> Ownership:
    """Clear an edge's end date (it holds again with no end), in place, refused like any other
    extension when it would overlap the holder's next edge or take the owned entity above
    100%."""
    Entity.objects.select_for_update().filter(pk=ownership.owned_id).first()
    _refuse_extension(ownership, None)
    ownership.end_date = None
    validated_save(ownership, actor=actor)
    recheck_request(
        reason=RecheckReason.OWNERSHIP_CHANGED,
        entity_ids=_affected_entity_ids(ownership.owner, ownership.owned),
        actor=actor,
    )
    return ownership


@transaction.atomic
def ownership_delete(*, ownership: Ownership, actor: AbstractBaseUser | None = None) -> None:
    """Remove an edge entered by mistake: it never took effect, so it is ended before its
    start, which removes it (the audit history keeps it) and rechecks the vendors it touched.
    An edge an ownership event wrote is part of that event and is refused."""
    if ownership.source_event_id is not None:
        raise DeleteRefused(
            f"This edge was written by {ownership.source_event} (event "
            f"{ownership.source_event_id}); it is part of that event's record and cannot be "
            "removed. End it instead (set its end date)."
        )
    ownership_end(ownership=ownership, end_date=ownership.start_date - ONE_DAY, actor=actor)
