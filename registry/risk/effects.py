"""What an ownership event does to the edges, and how a new edge enters a pair's timeline.

One home for these rules (docs/risk-rules.md, "Event effects" and the timeline rule), shared by
the services that write them to the database (``ownership_set``, ``ownership_event_log``) and
the preview that applies them to an in-memory copy of the graph. Pure: stored edges in, changes
out; nothing here reads or writes the database.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from itertools import count

from django.core.exceptions import ValidationError

from registry.choices import EventKind, Interest

ONE_DAY = datetime.timedelta(days=1)
HUNDRED = Decimal(100)
FOUR_PLACES = Decimal("0.0001")

SET = "set"
END = "end"


def share_text(share: Decimal | None, share_min: Decimal | None, share_max: Decimal | None) -> str:
    """A share as people read it: ``49%``, a range ``10–25%`` (``?`` for an open bound),
    or ``—``."""
    if share is not None:
        return f"{share.normalize():f}%"
    if share_min is not None or share_max is not None:
        low = "?" if share_min is None else f"{share_min.normalize():f}"
        high = "?" if share_max is None else f"{share_max.normalize():f}"
        return f"{low}–{high}%"
    return "—"


@dataclass(frozen=True)
class Stake:
    """One edge with its period, as the timeline and event rules see it (ids of edges not yet
    stored are negative)."""

    id: int
    owner: int
    owned: int
    interest: str
    share: Decimal | None
    share_min: Decimal | None
    share_max: Decimal | None
    start_date: datetime.date
    end_date: datetime.date | None

    @classmethod
    def of(cls, edge) -> Stake:
        """The stake of a stored ``Ownership`` (or anything with the same attributes)."""
        return cls(
            id=edge.pk,
            owner=edge.owner_id,
            owned=edge.owned_id,
            interest=edge.interest,
            share=edge.share,
            share_min=edge.share_min,
            share_max=edge.share_max,
            start_date=edge.start_date,
            end_date=edge.end_date,
        )

    @property
    def pair(self) -> tuple[int, int, str]:
        return self.owner, self.owned, self.interest

    @property
    def lower_bound(self) -> Decimal:
        """The share it certainly carries: the exact share, else the published minimum."""
        if self.share is not None:
            return self.share
        return self.share_min or Decimal(0)

    @property
    def display(self) -> str:
        return share_text(self.share, self.share_min, self.share_max)

    def is_active_on(self, day: datetime.date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


@dataclass(frozen=True)
class TimelinePlan:
    """Where a new edge goes in its pair's timeline: the stored edges it ends (each with its
    new end date), those it replaces (same start day), and the new edge's own end date."""

    ended: tuple[tuple[Stake, datetime.date], ...]
    replaced: tuple[Stake, ...]
    end_date: datetime.date | None


def timeline_insert(
    pair_edges: Iterable[Stake], *, start_date: datetime.date, end_date: datetime.date | None
) -> TimelinePlan:
    """The timeline rule: a new edge of an owner, owned and interest replaces the edge of the
    same pair that starts on the same day, ends the earlier edge still running on its start
    day (the day before), and, when a later edge of the pair exists, ends the day before that
    one starts — so a backdated edge never deletes what comes after it."""
    ended, replaced, following = [], [], []
    for edge in pair_edges:
        if edge.start_date == start_date:
            replaced.append(edge)
        elif edge.start_date < start_date:
            if edge.end_date is None or edge.end_date >= start_date:
                ended.append((edge, start_date - ONE_DAY))
        else:
            following.append(edge.start_date)
    if following:
        limit = min(following) - ONE_DAY
        end_date = limit if end_date is None else min(end_date, limit)
    return TimelinePlan(ended=tuple(ended), replaced=tuple(replaced), end_date=end_date)


def shareholding_overflow(
    edges: Iterable[Stake],
) -> tuple[datetime.date, Decimal, list[Stake]] | None:
    """The 100% rule: the first date on which the shareholdings among ``edges`` (all into one
    entity) certainly exceed 100% — with the total and the holders that day — or ``None``."""
    edges = [edge for edge in edges if edge.interest == Interest.SHAREHOLDING]
    for day in sorted({edge.start_date for edge in edges}):
        holders = [edge for edge in edges if edge.is_active_on(day)]
        total = sum((edge.lower_bound for edge in holders), Decimal(0))
        if total > HUNDRED:
            return day, total, holders
    return None


@dataclass(frozen=True)
class EdgeChange:
    """One change an event makes. ``set``: ``owner`` holds ``interest`` in ``owned`` with these
    values from ``start_date`` (to ``end_date``), through the timeline rule. ``end``: the edge
    ``edge`` ends on ``end_date`` (before its start, it never took effect and is removed).
    ``from_share`` is what the owner held just before; ``dilution`` marks another holder
    scaled down to make room for the event's stake."""

    kind: str
    owner: int
    owned: int
    interest: str
    share: Decimal | None
    share_min: Decimal | None
    share_max: Decimal | None
    start_date: datetime.date
    end_date: datetime.date | None
    from_share: str | None = None
    edge: int | None = None
    dilution: bool = False
    new_id: int | None = None

    @property
    def to_share(self) -> str:
        return "0%" if self.kind == END else share_text(self.share, self.share_min, self.share_max)


@dataclass(frozen=True)
class EventFacts:
    """What the rules need of an event (an unsaved ``OwnershipEvent`` has all of it)."""

    kind: str
    subject: int
    counterparty: int | None
    person: int | None
    share: Decimal | None
    effective_date: datetime.date
    names: dict[int, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, event) -> EventFacts:
        names = {
            entity.pk: entity.name
            for entity in (event.subject, event.counterparty, event.person)
            if entity is not None
        }
        return cls(
            kind=event.kind,
            subject=event.subject_id,
            counterparty=event.counterparty_id,
            person=event.person_id,
            share=event.share,
            effective_date=event.effective_date,
            names=names,
        )

    def name(self, entity: int | None) -> str:
        return self.names.get(entity, f"entity #{entity}")


@dataclass
class EventEffects:
    """The changes in the order they are applied, and the edges as they stand after them."""

    changes: list[EdgeChange]
    after: list[Stake]

    @property
    def dilution(self) -> list[EdgeChange]:
        return [change for change in self.changes if change.dilution]


class _Timeline:
    """The stored edges, changed in memory exactly as the services would change the rows."""

    def __init__(self, edges: Iterable[Stake]):
        self.edges = {edge.id: edge for edge in edges}
        self.changes: list[EdgeChange] = []
        self._new_ids = count(-1, -1)

    def pair(self, owner: int, owned: int, interest: str) -> list[Stake]:
        return [e for e in self.edges.values() if e.pair == (owner, owned, interest)]

    def held_on(self, owned: int, day: datetime.date) -> list[Stake]:
        # Stored edges in id order, new ones after them in the order they were made: the
        # order the database would list them in.
        return sorted(
            (
                e
                for e in self.edges.values()
                if e.owned == owned and e.interest == Interest.SHAREHOLDING and e.is_active_on(day)
            ),
            key=lambda e: (e.owner, e.id < 0, abs(e.id)),
        )

    def set(self, stake: Stake, *, from_share: str | None = None, dilution: bool = False):
        plan = timeline_insert(
            self.pair(*stake.pair), start_date=stake.start_date, end_date=stake.end_date
        )
        for old in plan.replaced:
            del self.edges[old.id]
        for old, end in plan.ended:
            self.edges[old.id] = dataclasses.replace(old, end_date=end)
        new = dataclasses.replace(stake, id=next(self._new_ids), end_date=plan.end_date)
        self.edges[new.id] = new
        self._record(
            SET,
            dataclasses.replace(new, end_date=stake.end_date),
            from_share=from_share,
            dilution=dilution,
            new_id=new.id,
        )

    def end(self, edge: Stake, end_date: datetime.date, *, dilution: bool = False) -> None:
        if end_date < edge.start_date:
            del self.edges[edge.id]
        else:
            self.edges[edge.id] = dataclasses.replace(edge, end_date=end_date)
        ended = dataclasses.replace(edge, end_date=end_date)
        self._record(END, ended, from_share=edge.display, edge=edge.id, dilution=dilution)

    def _record(self, kind: str, stake: Stake, **details) -> None:
        self.changes.append(
            EdgeChange(
                kind=kind,
                owner=stake.owner,
                owned=stake.owned,
                interest=stake.interest,
                share=stake.share,
                share_min=stake.share_min,
                share_max=stake.share_max,
                start_date=stake.start_date,
                end_date=stake.end_date,
                **details,
            )
        )


def _scaled(value: Decimal | None, factor: Decimal) -> Decimal | None:
    # Rounded down so the diluted total never creeps above 100%.
    return None if value is None else (value * factor).quantize(FOUR_PLACES, ROUND_DOWN)


def _dilute_on(timeline: _Timeline, event: EventFacts, day: datetime.date) -> None:
    """Scale the holders other than the counterparty, as they stand on ``day``, pro rata so
    the new stake fits in 100% from that day on."""
    others = [e for e in timeline.held_on(event.subject, day) if e.owner != event.counterparty]
    others_total = sum((edge.lower_bound for edge in others), Decimal(0))
    room = HUNDRED - event.share
    if others_total <= room:
        return
    factor = room / others_total
    for edge in others:
        if factor == 0:
            # The new stake is the whole entity: the other holders are bought out.
            timeline.end(edge, day - ONE_DAY, dilution=True)
            continue
        # The diluted stake keeps the end date the holder's stake already had.
        timeline.set(
            dataclasses.replace(
                edge,
                share=_scaled(edge.share, factor),
                share_min=_scaled(edge.share_min, factor),
                share_max=_scaled(edge.share_max, factor),
                start_date=day,
            ),
            from_share=edge.display,
            dilution=True,
        )


def _stake(timeline: _Timeline, event: EventFacts) -> None:
    """``acquisition``/``stake_change``: make room for the new stake on its effective date and
    on every later date on which another holder's stake starts, then set it."""
    later_starts = {
        edge.start_date
        for edge in timeline.edges.values()
        if edge.owned == event.subject
        and edge.interest == Interest.SHAREHOLDING
        and edge.owner != event.counterparty
        and edge.start_date > event.effective_date
    }
    for day in sorted({event.effective_date, *later_starts}):
        _dilute_on(timeline, event, day)
    held = [
        e
        for e in timeline.held_on(event.subject, event.effective_date)
        if e.owner == event.counterparty
    ]
    timeline.set(
        _new_stake(event, event.counterparty, event.subject, Interest.SHAREHOLDING, event.share),
        from_share=held[0].display if held else None,
    )


def _divestiture(timeline: _Timeline, event: EventFacts) -> None:
    """``divestiture``: end the counterparty's shareholding the day before, or lower it."""
    held = [
        e
        for e in timeline.held_on(event.subject, event.effective_date)
        if e.owner == event.counterparty
    ]
    counterparty, subject = event.name(event.counterparty), event.name(event.subject)
    on = f"{event.effective_date:%Y-%m-%d}"
    if not held:
        raise ValidationError(
            {
                "counterparty": [
                    f"{counterparty} holds no shares in {subject} on {on}, "
                    "so there is nothing to divest."
                ]
            }
        )
    stake = max(held, key=lambda e: e.start_date)
    upper = stake.share if stake.share is not None else stake.share_max
    if event.share and upper is not None and event.share >= upper:
        raise ValidationError(
            {
                "share": [
                    f"A divestiture lowers a stake: {counterparty} holds {stake.display} of "
                    f"{subject} on {on}, so the share after it must be lower."
                ]
            }
        )
    if event.share:
        timeline.set(
            dataclasses.replace(
                _new_stake(
                    event, event.counterparty, event.subject, Interest.SHAREHOLDING, event.share
                ),
                end_date=stake.end_date,
            ),
            from_share=stake.display,
        )
    else:
        timeline.end(stake, event.effective_date - ONE_DAY)


def _seat(timeline: _Timeline, event: EventFacts, holder: int, entity: int, interest: str):
    if holder == entity:
        raise ValidationError({"person": ["Nobody can sit on their own board."]})
    timeline.set(_new_stake(event, holder, entity, interest, None))


def _new_stake(
    event: EventFacts, owner: int, owned: int, interest: str, share: Decimal | None
) -> Stake:
    return Stake(
        id=0,
        owner=owner,
        owned=owned,
        interest=interest,
        share=share,
        share_min=None,
        share_max=None,
        start_date=event.effective_date,
        end_date=None,
    )


def event_edges_needed(event: EventFacts) -> list[tuple[int | None, int]]:
    """The (owner or ``None`` for any, owned) pairs whose stored edges ``event_effects`` needs."""
    if event.kind == EventKind.EXECUTIVE_MOVE:
        return [(event.person, event.counterparty)]
    if event.kind == EventKind.BOARD_APPOINTMENT:
        return [(event.person or event.counterparty, event.subject)]
    if event.kind in (EventKind.ACQUISITION, EventKind.STAKE_CHANGE, EventKind.DIVESTITURE):
        return [(None, event.subject)]
    return []


def event_effects(event: EventFacts, edges: Iterable[Stake]) -> EventEffects:
    """The changes ``event`` makes to the stored ``edges`` (at least those that
    :func:`event_edges_needed` names), in the order they are applied (docs/risk-rules.md,
    "Event effects"):

    - ``acquisition``/``stake_change`` set the counterparty's shareholding in the subject to
      ``share`` from the effective date; when that would take the subject above 100%, the other
      holders are first diluted pro rata (by their certain share, rounded down), on the
      effective date and on each later date on which another holder's stake starts;
    - ``divestiture`` ends that shareholding the day before, or lowers it to ``share``;
    - ``executive_move`` makes the person a senior managing official of the counterparty;
    - ``board_appointment`` makes the person (else the counterparty) a board member of the
      subject.

    Refuses what cannot be applied (nothing to divest, a "divestiture" that raises a stake,
    a seat on oneself) with a ``ValidationError`` naming the field.
    """
    timeline = _Timeline(edges)
    if event.kind in (EventKind.ACQUISITION, EventKind.STAKE_CHANGE):
        _stake(timeline, event)
    elif event.kind == EventKind.DIVESTITURE:
        _divestiture(timeline, event)
    elif event.kind == EventKind.EXECUTIVE_MOVE:
        _seat(
            timeline,
            event,
            event.person,
            event.counterparty,
            Interest.SENIOR_MANAGING_OFFICIAL,
        )
    elif event.kind == EventKind.BOARD_APPOINTMENT:
        _seat(
            timeline,
            event,
            event.person or event.counterparty,
            event.subject,
            Interest.BOARD_MEMBER,
        )
    return EventEffects(changes=timeline.changes, after=list(timeline.edges.values()))
