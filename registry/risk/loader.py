"""Fetch the part of the ownership graph that matters for some entities, as of a date.

Risk of an entity depends only on what lies above it (its owners, their owners …), on the
people who sit on it and on where else those people sit. The loader walks upward level by level
(one query per level, for any number of start entities at once), so the cost grows with the
part of the graph that matters and not with the registry.

The walks are plain SQL on purpose: they are the hot path of every recheck, and building an
ORM query per level cost several times more than running it (a full recheck spent most of its
loading time compiling queries).

A walk from a few entities (a typical event's, up to :data:`RECURSIVE_LIMIT`) is one recursive
query (``WITH RECURSIVE``, on PostgreSQL and SQLite alike), so its cost in round trips does not
grow with the depth of the groups. A walk from a large batch goes level by level instead: for
many start entities PostgreSQL cannot estimate how many rows each recursive step yields and
scans the whole ownership table at every step, while a level's ``IN`` list uses the index.

Several walks needed together (an event preview's graph on its effective date and the day
before's, from a whole group's vendors) are one statement whatever their size or depth
(:func:`load_subgraphs`): it walks entities rather than edges, each looked up once by index,
and each graph is then walked in memory from what it read.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection

from core.memo import memoized
from registry.choices import KEY_PERSON_INTERESTS, Interest
from registry.models import Entity, Ownership, Vendor, WatchlistEntry
from registry.risk.engine import Edge, OwnershipGraph

EDGE_COLUMNS = ("id", "owner_id", "owned_id", "interest", "share", "share_min", "share_max")
# Large IN lists are split so that every database accepts them.
CHUNK = 5000
#: Walks from at most this many entities are one recursive query; larger ones go by level.
RECURSIVE_LIMIT = 32
#: … and when the entities already walked (left out of the query by id) are not too many.
RECURSIVE_SEEN_LIMIT = 2_000

_OWNERSHIP = Ownership._meta.db_table
_ENTITY = Entity._meta.db_table
_VENDOR = Vendor._meta.db_table
# Valid on a date: started on or before it and not ended before it (``active_on``).
_ACTIVE = "start_date <= %s AND (end_date IS NULL OR end_date >= %s)"
# The choices' own values, never user input, so they can be written into the SQL.
_KEY_PERSON = ", ".join(f"'{interest}'" for interest in KEY_PERSON_INTERESTS)
_EDGES = f"SELECT {', '.join(EDGE_COLUMNS)} FROM {_OWNERSHIP} WHERE {_ACTIVE}"


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _rows(sql: str, ids: Sequence[int], params: Sequence = ()) -> list[tuple]:
    """Run ``sql`` with ``params`` over ``ids`` in chunks and return every row; the ids go
    where ``sql`` says ``{ids}``.

    The ids are written into the SQL as integer literals rather than passed as thousands of
    placeholders, which the driver would otherwise parse one by one (most of a large batch's
    loading time); ``int()`` makes that safe.
    """
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for chunk in _chunks(list(ids)):
            cursor.execute(sql.format(ids=", ".join(str(int(pk)) for pk in chunk)), params)
            rows += cursor.fetchall()
    return rows


def edge_from_row(row: tuple) -> Edge:
    """An engine ``Edge`` from a ``values_list(*EDGE_COLUMNS)`` row."""
    pk, owner, owned, interest, share, share_min, share_max = row
    if share is not None:
        low = high = float(share)
    elif share_min is None and share_max is None:
        low = high = None
    else:
        low = 0.0 if share_min is None else float(share_min)
        high = 100.0 if share_max is None else float(share_max)
    return Edge(id=pk, owner=owner, owned=owned, interest=interest, share_min=low, share_max=high)


@dataclass
class Subgraph:
    """Edges (by id) valid on ``as_of`` into every entity that matters, with names and kinds."""

    as_of: datetime.date
    edges: dict[int, Edge] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    kinds: dict[int, str] = field(default_factory=dict)
    watchlist: dict[int, set[str]] = field(default_factory=dict)
    #: Entities whose owners published data declares undisclosed (rule 5).
    undisclosed: set[int] = field(default_factory=set)

    def graph(self) -> OwnershipGraph:
        return OwnershipGraph(
            self.edges.values(),
            self.watchlist,
            names=self.names,
            kinds=self.kinds,
            undisclosed=self.undisclosed,
        )


def watchlist_map() -> dict[int, set[str]]:
    """Every watchlisted entity with its categories (the watchlist is small)."""
    listed: dict[int, set[str]] = {}
    # No ordering: the model's (by entity name) would join every listed entity for nothing.
    entries = WatchlistEntry.objects.order_by().values_list("entity_id", "category")
    for entity_id, category in entries:
        listed.setdefault(entity_id, set()).add(category)
    return listed


def _edges_into(ids: list[int], as_of: datetime.date) -> list[Edge]:
    rows = _rows(f"{_EDGES} AND owned_id IN ({{ids}})", ids, [as_of, as_of])
    return [edge_from_row(row) for row in rows]


def _seats_of(person_ids: list[int], as_of: datetime.date) -> list[Edge]:
    rows = _rows(
        f"{_EDGES} AND interest IN ({_KEY_PERSON}) AND owner_id IN ({{ids}})",
        person_ids,
        [as_of, as_of],
    )
    return [edge_from_row(row) for row in rows]


def id_list(ids: Iterable[int]) -> str:
    """``1, 2, 3``: ``ids`` for an ``IN (…)`` written into the SQL (``int()`` makes that safe),
    in id order; ``0``, which no row has, for none (``IN ()`` is not SQL)."""
    return ", ".join(str(int(pk)) for pk in sorted(ids)) or "0"


def id_rows(ids: Iterable[int]) -> str:
    """``(1), (2), …``: ``ids`` as the rows of a ``VALUES`` list, typed as the id columns are
    (PostgreSQL wants both terms of a recursion of one type), in id order; one row of ``0``,
    which no row has, for none."""
    return ", ".join(f"(CAST({int(pk)} AS BIGINT))" for pk in sorted(ids)) or "(CAST(0 AS BIGINT))"


def _id_values(ids: Iterable[int]) -> str:
    """``VALUES (1), (2), …`` for the seed of a recursive walk (:func:`id_rows`)."""
    return f"VALUES {id_rows(ids)}"


def _walk_up_recursive(subgraph: Subgraph, frontier: list[int], seen: set[int]) -> None:
    """Every edge into ``frontier`` and, upward, into their owners, in one query; an owner in
    ``seen`` is not walked again (its edges are already loaded)."""
    as_of = subgraph.as_of
    # (``NOT IN`` an empty list is not SQL, and ``NOT IN (NULL)`` would match nothing.)
    stop = f" AND owned_id NOT IN ({', '.join(str(int(pk)) for pk in seen)})" if seen else ""
    if connection.vendor == "postgresql":
        _walk_up_lateral(subgraph, frontier, seen, stop)
        return
    sql = (
        f"WITH RECURSIVE above(id) AS ({_id_values(frontier)} UNION "
        f"SELECT owner_id FROM {_OWNERSHIP} JOIN above ON owned_id = above.id "
        f"WHERE {_ACTIVE}{stop}) "
        f"SELECT id, NULL, NULL, NULL, NULL, NULL, NULL FROM above UNION ALL "
        f"{_EDGES} AND owned_id IN (SELECT id FROM above){stop}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_of, as_of, as_of, as_of])
        rows = cursor.fetchall()
    for row in rows:
        if row[1] is None:  # an entity the walk reached
            seen.add(row[0])
        else:
            edge = edge_from_row(row)
            subgraph.edges[edge.id] = edge


def _walk_up_lateral(subgraph: Subgraph, frontier: list[int], seen: set[int], stop: str) -> None:
    """PostgreSQL's form of :func:`_walk_up_recursive`: the recursion walks the edges
    themselves, each step a ``LATERAL`` look-up by ``owned_id`` (``OFFSET 0`` keeps the planner
    from turning it into a hash join over the whole ownership table, which it would otherwise
    do at every step, not knowing how few rows a step yields)."""
    columns = ", ".join(EDGE_COLUMNS)
    step = (
        f"LATERAL (SELECT {columns} FROM {_OWNERSHIP} WHERE owned_id = {{parent}} "
        f"AND {_ACTIVE}{stop} OFFSET 0) edge"
    )
    sql = (
        f"WITH RECURSIVE walk({columns}) AS ("
        f"SELECT edge.* FROM ({_id_values(frontier)}) AS start(id), "
        f"{step.format(parent='start.id')} UNION "
        f"SELECT edge.* FROM walk, {step.format(parent='walk.owner_id')}"
        f") SELECT {columns} FROM walk"
    )
    as_of = subgraph.as_of
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_of, as_of, as_of, as_of])
        rows = cursor.fetchall()
    seen.update(frontier)
    for row in rows:
        edge = edge_from_row(row)
        subgraph.edges[edge.id] = edge
        seen.add(edge.owner)


def _walk_up(subgraph: Subgraph, start: set[int], seen: set[int]) -> None:
    frontier = sorted(start - seen)
    if frontier and len(frontier) <= RECURSIVE_LIMIT and len(seen) <= RECURSIVE_SEEN_LIMIT:
        _walk_up_recursive(subgraph, frontier, seen)
        return
    while frontier:
        seen.update(frontier)
        found = _edges_into(frontier, subgraph.as_of)
        for edge in found:
            subgraph.edges[edge.id] = edge
        frontier = sorted({edge.owner for edge in found} - seen)


def load_subgraph(
    entity_ids: Iterable[int],
    *,
    as_of: datetime.date,
    also: Iterable[int] = (),
    people: Iterable[int] = (),
    watchlist: dict[int, set[str]] | None = None,
) -> Subgraph:
    """The graph above ``entity_ids`` (vendors' entities) on ``as_of`` through edges of every
    interest (shares, votes and ``control`` edges all weigh in rule 3), plus the seats held
    elsewhere by the people who sit on them and what lies above those seats. ``also`` adds
    entities whose ancestry is needed too, and ``people`` people whose seats are (e.g. an
    event's counterparty and appointee in a preview).

    From a few entities (a typical event's vendors, up to :data:`RECURSIVE_LIMIT`) the walk up,
    the seats, the walk above them and the names are one statement (:func:`load_subgraphs`);
    from more, each goes by level, which the planner serves by index."""
    targets = set(entity_ids)
    if watchlist is None:
        watchlist = memoized("watchlist", watchlist_map)
    if not (targets or also or people):
        return Subgraph(as_of=as_of, watchlist=watchlist)
    if len(targets | set(also)) <= RECURSIVE_LIMIT:
        walk = Walk(frozenset(targets), as_of=as_of, also=frozenset(also), people=frozenset(people))
        return load_subgraphs([walk], watchlist=watchlist)[0]
    subgraph = Subgraph(as_of=as_of, watchlist=watchlist)
    seen: set[int] = set()
    _walk_up(subgraph, targets | set(also), seen)
    key_people = sorted(
        {
            e.owner
            for e in subgraph.edges.values()
            if e.owned in targets and e.interest in KEY_PERSON_INTERESTS
        }
        | set(people)
    )
    seats = _seats_of(key_people, as_of)
    for edge in seats:
        subgraph.edges[edge.id] = edge
    _walk_up(subgraph, {e.owned for e in seats}, seen)
    node_ids = sorted(seen | {e.owner for e in subgraph.edges.values()})
    # Within one piece of work (core.memo) an entity met by an earlier walk is not read again.
    facts: dict[int, tuple[str, str, bool]] = memoized("entity_facts", dict)
    # The names query also reads the undisclosed-owners flag, so rule 5 costs no query.
    for pk, name, kind, undisclosed in _rows(
        f"SELECT id, name, kind, owners_undisclosed FROM {_ENTITY} WHERE id IN ({{ids}})",
        [pk for pk in node_ids if pk not in facts],
    ):
        facts[pk] = (name, kind, bool(undisclosed))
    for pk in (pk for pk in node_ids if pk in facts):
        name, kind, undisclosed = facts[pk]
        subgraph.names[pk] = name
        subgraph.kinds[pk] = kind
        if undisclosed:
            subgraph.undisclosed.add(pk)
    return subgraph


# Held in any measure: a ``control`` edge, or shares or votes with an exact or maximum share
# above zero, or only a published minimum (whose upper bound the engine takes as 100%).
_HELD = (
    "(interest = %s OR (interest IN (%s, %s) AND (share > 0 OR share_max > 0 OR "
    "(share IS NULL AND share_max IS NULL AND share_min IS NOT NULL))))"
)


def entities_below(entity_ids: Iterable[int], *, as_of: datetime.date) -> set[int]:
    """``entity_ids`` and every entity they own or control, directly or indirectly, on
    ``as_of``: through shareholdings and voting rights above zero, and ``control`` edges."""
    found = set(entity_ids)
    frontier = sorted(found)
    interests = (Interest.CONTROL, Interest.SHAREHOLDING, Interest.VOTING_RIGHTS)
    params = [as_of, as_of, *(interest.value for interest in interests)]
    if frontier and len(frontier) <= RECURSIVE_LIMIT:
        sql = (
            f"WITH RECURSIVE below(id) AS ({_id_values(frontier)} UNION "
            f"SELECT owned_id FROM {_OWNERSHIP} JOIN below ON owner_id = below.id "
            f"WHERE {_ACTIVE} AND {_HELD}) SELECT id FROM below"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return found | {pk for (pk,) in cursor.fetchall()}
    sql = f"SELECT owned_id FROM {_OWNERSHIP} WHERE {_ACTIVE} AND {_HELD} AND owner_id IN ({{ids}})"
    while frontier:
        owned = {pk for (pk,) in _rows(sql, frontier, params)}
        frontier = sorted(owned - found)
        found.update(frontier)
    return found


_KEY_PEOPLE_ON = (
    f"SELECT owner_id FROM {_OWNERSHIP} WHERE {_ACTIVE} AND interest IN ({_KEY_PERSON}) "
    "AND owned_id IN ({ids})"
)


def seats_of_key_people_on(entity_ids: Iterable[int], *, as_of: datetime.date) -> set[int]:
    """Every entity on which a person who sits on one of ``entity_ids`` also sits."""
    sql = (
        f"SELECT owner_id FROM {_OWNERSHIP} WHERE {_ACTIVE} AND interest IN ({_KEY_PERSON}) "
        "AND owned_id IN ({ids})"
    )
    people = {pk for (pk,) in _rows(sql, sorted(set(entity_ids)), [as_of, as_of])}
    return {edge.owned for edge in _seats_of(sorted(people), as_of)}


def affected_entities(
    *, subject_ids: Iterable[int], person_ids: Iterable[int] = (), as_of: datetime.date
) -> set[int]:
    """docs/risk-rules.md, rule 6: the subjects and everything they own or control, directly or
    indirectly (:func:`entities_below`); every entity the people sit on; and every entity on
    which a key person of the subjects or of an entity below them sits."""
    below = entities_below(subject_ids, as_of=as_of)
    seats = {edge.owned for edge in _seats_of(sorted(set(person_ids)), as_of)}
    return below | seats | seats_of_key_people_on(below, as_of=as_of)


@dataclass(frozen=True)
class Reach:
    """What some subjects reach down on one day: :func:`entities_below` them, and the key
    people (board members, senior managing officials) who sit on one of those entities."""

    below: frozenset[int]
    key_people: frozenset[int]


def reach_on(
    entity_ids: Iterable[int], *, days: Iterable[datetime.date]
) -> dict[datetime.date, Reach]:
    """:class:`Reach` of ``entity_ids`` on each of ``days`` (day -> reach). For a few
    entities (an event's subject) one recursive query answers every day at once; for more,
    each day is walked as :func:`entities_below` walks."""
    ids = sorted(set(entity_ids))
    days = sorted(set(days))
    if not ids or not days:
        return {day: Reach(frozenset(ids), frozenset()) for day in days}
    if len(ids) > RECURSIVE_LIMIT:
        reach = {}
        for day in days:
            below = entities_below(ids, as_of=day)
            people = _rows(_KEY_PEOPLE_ON, sorted(below), [day, day])
            reach[day] = Reach(frozenset(below), frozenset(pk for (pk,) in people))
        return reach
    # PostgreSQL wants the days typed; SQLite keeps dates as ISO text and would make numbers
    # of them if cast.
    day = "CAST(%s AS DATE)" if connection.vendor == "postgresql" else "%s"
    on_day = "start_date <= below.day AND (end_date IS NULL OR end_date >= below.day)"
    interests = (Interest.CONTROL, Interest.SHAREHOLDING, Interest.VOTING_RIGHTS)
    sql = (
        f"WITH RECURSIVE start(id) AS ({_id_values(ids)}), "
        f"days(n, day) AS (VALUES {', '.join(f'({n}, {day})' for n in range(len(days)))}), "
        "below(id, n, day) AS (SELECT start.id, days.n, days.day FROM start, days UNION "
        f"SELECT owned_id, below.n, below.day FROM {_OWNERSHIP} JOIN below ON owner_id = below.id "
        f"WHERE {on_day} AND {_HELD}) "
        "SELECT id, n, NULL, NULL, NULL FROM below UNION ALL "
        # The seats on what was reached, each entity looked up once whatever the days (a hub
        # reaches the same hundreds of thousands on both), and dated here.
        f"SELECT owner_id, -1, owned_id, start_date, end_date FROM {_OWNERSHIP} "
        f"WHERE interest IN ({_KEY_PERSON}) AND start_date <= {day} "
        f"AND (end_date IS NULL OR end_date >= {day}) "
        "AND owned_id IN (SELECT DISTINCT id FROM below)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*days, *(interest.value for interest in interests), days[-1], days[0]])
        rows = cursor.fetchall()
    below: list[set[int]] = [set() for _ in days]
    people: list[set[int]] = [set() for _ in days]
    seats = []
    for pk, n, owned, start, end in rows:
        if n >= 0:
            below[n].add(pk)
        else:
            seats.append((pk, owned, _day(start), _day(end)))
    for person, owned, start, end in seats:
        for n, on in enumerate(days):
            if start <= on and (end is None or end >= on) and owned in below[n]:
                people[n].add(person)
    return {on: Reach(frozenset(below[n]), frozenset(people[n])) for n, on in enumerate(days)}


def reached_entities(
    reach: Reach, *, person_ids: Iterable[int] = (), as_of: datetime.date
) -> set[int]:
    """:func:`affected_entities` of subjects whose :class:`Reach` on ``as_of`` is known: it
    and every entity the people, or the key people it met, sit on (one query, none without
    people)."""
    people = sorted(set(person_ids) | reach.key_people)
    return set(reach.below) | {edge.owned for edge in _seats_of(people, as_of)}


def reached_vendor_ids(
    reaches: dict[datetime.date, Reach], *, person_ids: Iterable[int] = ()
) -> list[int]:
    """The vendors, in id order, of :func:`reached_entities` on each day of ``reaches`` (day
    -> what was reached that day): one query for the vendors of the entities reached and of
    the seats the people (and the key people met) hold on each day, where reading the seats
    and then their vendors would be two."""
    below = set().union(*(reach.below for reach in reaches.values()))
    if len(below) > CHUNK:  # (a hub's reach: the seats, then the vendors, in chunks)
        entity_ids = set(below)
        for day, reach in reaches.items():
            entity_ids |= reached_entities(reach, person_ids=person_ids, as_of=day)
        sql = f"SELECT id FROM {_VENDOR} WHERE entity_id IN ({{ids}})"
        return sorted(pk for (pk,) in _rows(sql, sorted(entity_ids)))
    parts = [f"SELECT id FROM {_VENDOR} WHERE entity_id IN ({id_list(below)})"]
    params: list[datetime.date] = []
    for day, reach in sorted(reaches.items()):
        people = set(person_ids) | reach.key_people
        if people:
            parts.append(
                f"SELECT v.id FROM {_OWNERSHIP} o JOIN {_VENDOR} v ON v.entity_id = o.owned_id "
                "WHERE o.start_date <= %s AND (o.end_date IS NULL OR o.end_date >= %s) "
                f"AND o.interest IN ({_KEY_PERSON}) AND o.owner_id IN ({id_list(people)})"
            )
            params += [day, day]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ".join(parts), params)
        return sorted(pk for (pk,) in cursor.fetchall())


def control_graphs(
    entity_ids: Iterable[int], *, days: tuple[datetime.date, datetime.date]
) -> tuple[OwnershipGraph, OwnershipGraph] | None:
    """The edges above a few ``entity_ids`` on two consecutive ``days`` — enough to tell who
    controls them on each (rule 3) — as one graph per day, from one recursive query over the
    edges valid on either day; ``None`` for more entities than one such query takes
    (:data:`RECURSIVE_LIMIT`), when :func:`load_subgraph` on each day is the way.

    The walk over either day's edges reaches every entity above them on each day, and each
    day's graph keeps that day's edges only: an entity reached through the other day's edges
    alone holds nothing in them on this day, so control comes out as each day's own walk
    gives it."""
    first, last = days
    if last - first != datetime.timedelta(days=1):
        raise ValueError("control_graphs takes two consecutive days")
    ids = sorted(set(entity_ids))
    if not ids or len(ids) > RECURSIVE_LIMIT:
        return None
    columns = ", ".join(EDGE_COLUMNS)
    # ``_ACTIVE`` with the later day for the start and the earlier for the end: valid on
    # either day (they are consecutive).
    flags = f"({_ACTIVE}), ({_ACTIVE})"
    flag_params = [first, first, last, last]
    if connection.vendor == "postgresql":
        # The LATERAL form of _walk_up_lateral, for the same reason.
        step = (
            f"LATERAL (SELECT {columns}, {flags} FROM {_OWNERSHIP} "
            f"WHERE owned_id = {{parent}} AND {_ACTIVE} OFFSET 0) edge(id, owner_id, owned_id, "
            "interest, share, share_min, share_max, on_first, on_last)"
        )
        sql = (
            f"WITH RECURSIVE walk({columns}, on_first, on_last) AS ("
            f"SELECT edge.* FROM ({_id_values(ids)}) AS start(id), "
            f"{step.format(parent='start.id')} UNION "
            f"SELECT edge.* FROM walk, {step.format(parent='walk.owner_id')}"
            f") SELECT {columns}, on_first, on_last FROM walk"
        )
        params = [*flag_params, last, first] * 2
    else:
        sql = (
            f"WITH RECURSIVE above(id) AS ({_id_values(ids)} UNION "
            f"SELECT owner_id FROM {_OWNERSHIP} JOIN above ON owned_id = above.id "
            f"WHERE {_ACTIVE}) "
            f"SELECT {columns}, {flags} FROM {_OWNERSHIP} "
            f"WHERE {_ACTIVE} AND owned_id IN (SELECT id FROM above)"
        )
        params = [last, first, *flag_params, last, first]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    graphs: tuple[list[Edge], list[Edge]] = ([], [])
    for *row, on_first, on_last in rows:
        edge = edge_from_row(tuple(row))
        for day, valid in enumerate((on_first, on_last)):
            if valid:
                graphs[day].append(edge)
    return OwnershipGraph(graphs[0], {}), OwnershipGraph(graphs[1], {})


def edges_above(entity_ids: Iterable[int], *, as_of: datetime.date) -> list[Edge]:
    """Every edge valid on ``as_of`` into ``entity_ids``, into their owners, and so on upward:
    the walk of :func:`load_subgraph`, for readers that draw the graph (the vendor page)."""
    subgraph = Subgraph(as_of=as_of)
    _walk_up(subgraph, set(entity_ids), set())
    return list(subgraph.edges.values())


@dataclass(frozen=True)
class Walk:
    """One :func:`load_subgraph` call's arguments, for :func:`load_subgraphs`."""

    entity_ids: frozenset[int]
    as_of: datetime.date
    also: frozenset[int] = frozenset()
    people: frozenset[int] = frozenset()


def _day(value) -> datetime.date | None:
    # SQLite hands a raw cursor dates as text.
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def _walk_sql(walks: Sequence[Walk]) -> str:
    """One statement for every edge :func:`load_subgraph` would read for any of ``walks``,
    on any day from the earliest of their dates to the latest (with the edges' own dates, to
    tell the days apart afterwards), followed by the names of every entity it reaches.

    It walks entities, not edges: ``UNION`` keeps each entity once, so each is looked up
    once however many paths lead to it. On PostgreSQL every step is a ``LATERAL`` look-up by
    index (``OFFSET 0`` keeps the planner from hash-joining the whole ownership table at every
    step, as it otherwise would, not knowing how few rows a step yields)."""
    first, last = min(w.as_of for w in walks), max(w.as_of for w in walks)
    # ISO dates and ``int()`` ids: nothing from outside goes into the statement as text.
    active = (
        f"e.start_date <= '{last.isoformat()}' "
        f"AND (e.end_date IS NULL OR e.end_date >= '{first.isoformat()}')"
    )
    lateral = connection.vendor == "postgresql"

    def step(parent: str, by: str, columns: str, where: str = "") -> str:
        condition = f"e.{by} = {parent} AND {active}{where}"
        if lateral:
            return f", LATERAL (SELECT {columns} FROM {_OWNERSHIP} e WHERE {condition} OFFSET 0) e"
        return f" JOIN {_OWNERSHIP} e ON {condition}"

    columns = ", ".join(f"e.{column}" for column in (*EDGE_COLUMNS, "start_date", "end_date"))
    targets = sorted({pk for walk in walks for pk in walk.entity_ids})
    starts = sorted(set(targets).union(*(walk.also for walk in walks)))
    people = sorted(set().union(*(walk.people for walk in walks)))
    # (``IN ()`` is not SQL; no entity has id 0.)
    target_list = ", ".join(str(int(pk)) for pk in targets) or "0"
    extra_people = f" UNION {_id_values(people)}" if people else ""
    if lateral:
        name_rows = (
            f"SELECT n.id, n.name, n.kind, n.owners_undisclosed FROM nodes, LATERAL "
            f"(SELECT id, name, kind, owners_undisclosed FROM {_ENTITY} WHERE id = nodes.id "
            "OFFSET 0) n"
        )
    else:
        name_rows = (
            f"SELECT n.id, n.name, n.kind, n.owners_undisclosed FROM nodes "
            f"JOIN {_ENTITY} n ON n.id = nodes.id"
        )
    return (
        "WITH RECURSIVE "
        f"above(id) AS ({_id_values(starts)} UNION "
        f"SELECT e.owner_id FROM above{step('above.id', 'owned_id', 'e.owner_id')}), "
        f"into_above AS (SELECT {columns} FROM above{step('above.id', 'owned_id', columns)}), "
        "people(id) AS (SELECT owner_id FROM into_above "
        f"WHERE interest IN ({_KEY_PERSON}) AND owned_id IN ({target_list}){extra_people}), "
        f"seats AS (SELECT {columns} FROM people"
        f"{step('people.id', 'owner_id', columns, f' AND e.interest IN ({_KEY_PERSON})')}), "
        # What lies above the seats, where the first walk has not been already.
        "above_seats(id) AS (SELECT owned_id FROM seats WHERE owned_id NOT IN "
        "(SELECT id FROM above) UNION "
        f"SELECT e.owner_id FROM above_seats{step('above_seats.id', 'owned_id', 'e.owner_id')} "
        "WHERE e.owner_id NOT IN (SELECT id FROM above)), "
        f"into_seats AS (SELECT {columns} FROM above_seats"
        f"{step('above_seats.id', 'owned_id', columns)}), "
        "edges AS (SELECT * FROM into_above UNION SELECT * FROM seats "
        "UNION SELECT * FROM into_seats), "
        "nodes(id) AS (SELECT id FROM above UNION SELECT id FROM above_seats "
        "UNION SELECT owner_id FROM edges) "
        "SELECT 1, id, owner_id, owned_id, interest, share, share_min, share_max, start_date, "
        "end_date, NULL, NULL, NULL FROM edges UNION ALL "
        "SELECT 2, id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, name, kind, "
        f"owners_undisclosed FROM ({name_rows}) named"
    )


class _Reached:
    """The edges one :func:`_walk_sql` statement read, by the entity they go into and (for
    seats) by the person who holds them, each with its dates, and every entity's name."""

    def __init__(self, rows: list[tuple]):
        self.into: dict[int, list[tuple[Edge, datetime.date, datetime.date | None]]] = {}
        self.seats: dict[int, list[tuple[Edge, datetime.date, datetime.date | None]]] = {}
        self.entities: dict[int, tuple[str, str, bool]] = {}
        for row in rows:
            if row[0] == 2:
                self.entities[row[1]] = (row[10], row[11], bool(row[12]))
                continue
            edge = edge_from_row(row[1:8])
            dated = (edge, _day(row[8]), _day(row[9]))
            self.into.setdefault(edge.owned, []).append(dated)
            if edge.interest in KEY_PERSON_INTERESTS:
                self.seats.setdefault(edge.owner, []).append(dated)

    @staticmethod
    def _on(dated, day: datetime.date) -> list[Edge]:
        return [edge for edge, start, end in dated if start <= day and (end is None or end >= day)]

    def _walk_up(self, subgraph: Subgraph, start: set[int], seen: set[int]) -> None:
        # ``_walk_up``'s level walk, on what was read.
        frontier = sorted(start - seen)
        while frontier:
            seen.update(frontier)
            found = [e for pk in frontier for e in self._on(self.into.get(pk, ()), subgraph.as_of)]
            for edge in found:
                subgraph.edges[edge.id] = edge
            frontier = sorted({edge.owner for edge in found} - seen)

    def subgraph(self, walk: Walk, watchlist: dict[int, set[str]]) -> Subgraph:
        """What ``load_subgraph`` returns for ``walk``, step by step as it does."""
        targets = set(walk.entity_ids)
        subgraph = Subgraph(as_of=walk.as_of, watchlist=watchlist)
        seen: set[int] = set()
        self._walk_up(subgraph, targets | set(walk.also), seen)
        key_people = sorted(
            {
                e.owner
                for e in subgraph.edges.values()
                if e.owned in targets and e.interest in KEY_PERSON_INTERESTS
            }
            | set(walk.people)
        )
        seats = [e for pk in key_people for e in self._on(self.seats.get(pk, ()), walk.as_of)]
        for edge in seats:
            subgraph.edges[edge.id] = edge
        self._walk_up(subgraph, {e.owned for e in seats}, seen)
        for pk in sorted(seen | {e.owner for e in subgraph.edges.values()}):
            if pk not in self.entities:  # (an id with no entity, as the names query skips it)
                continue
            name, kind, undisclosed = self.entities[pk]
            subgraph.names[pk] = name
            subgraph.kinds[pk] = kind
            if undisclosed:
                subgraph.undisclosed.add(pk)
        return subgraph


def load_subgraphs(
    walks: Sequence[Walk], *, watchlist: dict[int, set[str]] | None = None
) -> list[Subgraph]:
    """:func:`load_subgraph` for each of ``walks``, in one query whatever their number, size,
    dates or depth (plus the watchlist's when none is given): the statement reads every edge
    any of them could need on any of their dates, and each subgraph is then walked in memory
    as ``load_subgraph`` walks the database, so each is what ``load_subgraph`` would return."""
    if not walks:
        return []
    if watchlist is None:
        watchlist = watchlist_map()
    with connection.cursor() as cursor:
        cursor.execute(_walk_sql(walks))
        reached = _Reached(cursor.fetchall())
    return [reached.subgraph(walk, watchlist) for walk in walks]
