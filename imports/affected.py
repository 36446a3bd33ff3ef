"""Rule 6 for a whole import run at once: which vendors its changes affect, and which vendors
each of its events affects, from one walk of the graph instead of one per entity or event.

``registry.risk.loader.affected_entities`` walks *down* from the changed entities: cheap for a
few, but an import run may change hundreds of thousands (a GLEIF golden copy), and walking down
from all of them visits the whole registry. Here the walk goes *up* from the vendors' entities
instead, level by level and in chunks, and records for every entity on the way the vendors at or
below it (:class:`VendorsAbove`). A changed entity then affects the vendors recorded for it, and
an entity the walk never reached has none — whatever the size of the run. The edges followed
are those of ``entities_below`` (control, and shareholdings or votes held in some measure), and
the key-person part of rule 6 is seeded the same way: a vendor whose entity's key person also
sits on another entity counts as below that entity.
"""

import datetime
from collections.abc import Iterable

from django.db import connection

from registry.choices import KEY_PERSON_INTERESTS, Interest
from registry.models import Ownership, Vendor
from registry.risk.loader import _rows

_OWNERSHIP = Ownership._meta.db_table
_VENDOR = Vendor._meta.db_table
_KEY_PERSON = ", ".join(f"'{interest}'" for interest in KEY_PERSON_INTERESTS)
#: Valid at some time in [first, last]: started by ``last`` and not ended before ``first``.
_IN_WINDOW = "start_date <= %s AND (end_date IS NULL OR end_date >= %s)"
#: The edges ``entities_below`` follows down, here followed up.
_HOLDS = (
    f"(interest = '{Interest.CONTROL.value}' OR (interest IN ('{Interest.SHAREHOLDING.value}', "
    f"'{Interest.VOTING_RIGHTS.value}') AND (share > 0 OR share_max > 0 OR (share IS NULL "
    "AND share_max IS NULL AND share_min IS NOT NULL))))"
)


class VendorsAbove:
    """For every entity at or above a vendor's entity, the vendors at or below it, through the
    edges valid on some day from ``first`` to ``last`` (one day when they are equal: exact)."""

    def __init__(self, *, first: datetime.date, last: datetime.date):
        self.first, self.last = first, last
        self.below: dict[int, set[int]] = {}
        self._build()

    def _build(self) -> None:
        with_vendor: dict[int, set[int]] = {}
        for vendor_id, entity_id in Vendor.objects.values_list("pk", "entity_id").iterator(
            chunk_size=20_000
        ):
            with_vendor.setdefault(entity_id, set()).add(vendor_id)
        if not with_vendor:
            return
        window = [self.last, self.first]
        seeds = {entity: set(vendors) for entity, vendors in with_vendor.items()}
        # A key person of a vendor's entity who sits elsewhere: that seat counts as above the
        # vendor (``seats_of_key_people_on``).
        people: dict[int, set[int]] = {}
        for person, entity in _rows(
            f"SELECT owner_id, owned_id FROM {_OWNERSHIP} WHERE {_IN_WINDOW} "
            f"AND interest IN ({_KEY_PERSON}) AND owned_id IN ({{ids}})",
            sorted(with_vendor),
            window,
        ):
            people.setdefault(person, set()).update(with_vendor[entity])
        if people:
            for person, seat in _rows(
                f"SELECT owner_id, owned_id FROM {_OWNERSHIP} WHERE {_IN_WINDOW} "
                f"AND interest IN ({_KEY_PERSON}) AND owner_id IN ({{ids}})",
                sorted(people),
                window,
            ):
                seeds.setdefault(seat, set()).update(people[person])
        below = self.below
        frontier: dict[int, set[int]] = {}
        for entity, vendors in seeds.items():
            below[entity] = set(vendors)
            frontier[entity] = set(vendors)
        sql = (
            f"SELECT owner_id, owned_id FROM {_OWNERSHIP} WHERE {_IN_WINDOW} AND {_HOLDS} "
            "AND owned_id IN ({ids})"
        )
        while frontier:
            reached: dict[int, set[int]] = {}
            for owner, owned in _rows(sql, sorted(frontier), window):
                new = frontier[owned] - below.get(owner, set())
                if new:
                    below.setdefault(owner, set()).update(new)
                    reached.setdefault(owner, set()).update(new)
            frontier = reached

    def vendors_of(self, entity_ids: Iterable[int]) -> set[int]:
        found: set[int] = set()
        for entity in entity_ids:
            vendors = self.below.get(entity)
            if vendors:
                found |= vendors
        return found


def seated_vendors(*, first: datetime.date, last: datetime.date) -> dict[int, set[int]]:
    """For every person (or entity) with a key-person seat on a vendor's entity, valid on some
    day from ``first`` to ``last``, those vendors (rule 6: the entities a person sits on)."""
    found: dict[int, set[int]] = {}
    sql = (
        f"SELECT o.owner_id, v.id FROM {_OWNERSHIP} o JOIN {_VENDOR} v ON v.entity_id = o.owned_id "
        f"WHERE o.start_date <= %s AND (o.end_date IS NULL OR o.end_date >= %s) "
        f"AND o.interest IN ({_KEY_PERSON})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [last, first])
        for person, vendor in cursor.fetchall():
            found.setdefault(person, set()).add(vendor)
    return found


def run_affected_vendors(
    *,
    entity_ids: Iterable[int],
    events: list[tuple[int, int, int | None, datetime.date]],
    today: datetime.date,
) -> tuple[set[int], dict[int, set[int]]]:
    """The vendors a run affects: those around the entities it wrote directly (as of
    ``today``; a person among them both ways) and those of each event ``(id, subject,
    person, effective date)`` on its effective date and today. The union, and the vendors of
    each event that affects any."""
    entity_ids = list(entity_ids)
    if not entity_ids and not events:
        # A run that renamed entities or changed statuses only: no walk of the graph.
        return set(), {}
    today_map = VendorsAbove(first=today, last=today)
    if not today_map.below:
        return set(), {}
    seated = {today: seated_vendors(first=today, last=today)}
    union = today_map.vendors_of(entity_ids)
    for entity in entity_ids:
        if entity in seated[today]:
            union |= seated[today][entity]
    per_event: dict[int, set[int]] = {}
    if events:
        dates = sorted({event[3] for event in events} - {today})
        # Exact for a few effective dates; beyond that, one walk over the edges valid at any
        # time from the earliest of them to today (it can only find more vendors, never fewer).
        if len(dates) <= 8:
            maps = {day: VendorsAbove(first=day, last=day) for day in dates}
        else:
            wide = VendorsAbove(first=min(dates[0], today), last=max(dates[-1], today))
            maps = dict.fromkeys(dates, wide)
        maps[today] = today_map
        if any(event[2] for event in events):
            for day in dates:
                seated[day] = seated_vendors(first=day, last=day)
        for event_id, subject, person, day in events:
            vendors = today_map.vendors_of([subject]) | maps[day].vendors_of([subject])
            if person:
                for seats in (seated[today], seated.get(day, {})):
                    vendors |= seats.get(person, set())
            if vendors:
                per_event[event_id] = vendors
                union |= vendors
    return union, per_event
