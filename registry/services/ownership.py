"""Set and end ownership edges, keeping history and the 100% rule."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from registry.choices import EntityKind, Interest, RecheckReason
from registry.models import Entity, Ownership, OwnershipEvent
from registry.services.common import validated_save
from registry.services.dispatch import recheck_request

ONE_DAY = datetime.timedelta(days=1)
HUNDRED = Decimal(100)


def share_lower_bound(edge: Ownership) -> Decimal:
    """The share an edge certainly carries: exact share, else the published minimum."""
    if edge.share is not None:
        return edge.share
    return edge.share_min or Decimal(0)


def _format_share(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def shareholding_overflow(
    *, owned: Entity, replacing: list[Ownership] = (), adding: list[Ownership] = ()
) -> tuple[datetime.date, Decimal, list[Ownership]] | None:
    """The first date on which ``owned``'s shareholdings exceed 100%, with the total and the
    holders on that date, or ``None`` if the rule holds on every date. ``replacing`` are stored
    edges to leave out and ``adding`` unsaved (or changed) edges to count instead."""
    edges = list(
        Ownership.objects.shareholdings()
        .filter(owned=owned)
        .exclude(pk__in=[edge.pk for edge in replacing])
        .select_related("owner")
    )
    edges += [edge for edge in adding if edge.interest == Interest.SHAREHOLDING]
    for day in sorted({edge.start_date for edge in edges}):
        holders = [edge for edge in edges if edge.is_active_on(day)]
        total = sum((share_lower_bound(edge) for edge in holders), Decimal(0))
        if total > HUNDRED:
            return day, total, holders
    return None


def _refuse_overflow(
    owned: Entity,
    overflow: tuple[datetime.date, Decimal, list[Ownership]],
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
                f"{_format_share(total)} on {day:%Y-%m-%d}, above 100%. "
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
    actor: AbstractBaseUser | None = None,
) -> Ownership:
    """Make ``owner`` hold ``interest`` in ``owned`` from ``start_date``.

    The previous edge of the same owner, owned and interest is ended the day before; edges of
    theirs that start on or after ``start_date`` are replaced (their values stay in the audit
    history). A shareholding that would take ``owned`` above 100% on any date is refused, naming
    the current holders. Vendors affected are rechecked after commit, unless an event wrote the
    edge: the event's own task rechecks them.
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
    )
    edge.full_clean()
    same = Ownership.objects.filter(owner=owner, owned=owned, interest=interest)
    replaced = list(same.filter(start_date__gte=start_date))
    superseded = list(
        same.filter(start_date__lt=start_date).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=start_date)
        )
    )
    for old in superseded:
        old.end_date = start_date - ONE_DAY
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
    if source_event is None:
        recheck_request(
            reason=RecheckReason.OWNERSHIP_CHANGED,
            entity_ids=_affected_entity_ids(owner, owned),
            actor=actor,
        )
    return edge


def _refuse_extension(ownership: Ownership, end_date: datetime.date) -> None:
    """Refuse to move ``ownership``'s end to ``end_date`` if that breaks the graph's rules."""
    following = (
        Ownership.objects.filter(
            owner=ownership.owner_id,
            owned=ownership.owned_id,
            interest=ownership.interest,
            start_date__gt=ownership.start_date,
            start_date__lte=end_date,
        )
        .order_by("start_date")
        .first()
    )
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
    actor: AbstractBaseUser | None = None,
) -> Ownership | None:
    """End an edge on ``end_date`` (its last valid day). An edge that would end before it
    started never took effect and is removed; the audit history keeps it. Moving an end date
    later is refused if it would overlap the holder's next edge or take the owned entity's
    shareholdings above 100%."""
    Entity.objects.select_for_update().filter(pk=ownership.owned_id).first()
    if ownership.end_date is not None and end_date > ownership.end_date:
        _refuse_extension(ownership, end_date)
    if end_date < ownership.start_date:
        _history_delete(ownership, actor)
        result = None
    else:
        ownership.end_date = end_date
        validated_save(ownership, actor=actor)
        result = ownership
    if source_event is None:
        recheck_request(
            reason=RecheckReason.OWNERSHIP_CHANGED,
            entity_ids=_affected_entity_ids(ownership.owner, ownership.owned),
            actor=actor,
        )
    return result
