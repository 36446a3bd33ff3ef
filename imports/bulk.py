"""Rows an import run writes in bulk, given as plain values rather than model instances.

A GLEIF golden copy writes millions of entities, records, registrations and edges. Building a
model instance for each row and letting ``bulk_create`` turn it back into parameters costs more
than the database spends storing it, so the applier hands over each row as a mapping of field
``attname`` to value, validated already, and this module writes them: on PostgreSQL with
``COPY … FROM STDIN`` (keys reserved from the table's sequence first when the caller needs
them), elsewhere with ``bulk_create``. Either way the rows are the same — every field a row
leaves out takes its default (``auto_now`` ones the time of the write) — and the rows' audit
history, when asked for, is written by one ``INSERT … SELECT`` a batch
(``registry.services.common.history_recorded``), as for any other bulk write.
"""

import json
import operator
from collections.abc import Hashable, Iterable, Mapping, Sequence

from django.db import connection, models
from django.utils import timezone

from registry.services.common import history_recorded

#: Rows per ``bulk_create`` batch where there is no ``COPY``.
BATCH = 1000


def copy_supported() -> bool:
    """Whether the database takes ``COPY … FROM STDIN`` (PostgreSQL through psycopg 3)."""
    return connection.vendor == "postgresql"


def rows_insert(
    model: type[models.Model],
    rows: Sequence[Mapping[str, object]],
    *,
    keys: bool = False,
    recorded: bool = False,
) -> list[int]:
    """Insert ``rows`` (``attname`` → value) into ``model``'s table, in order; the new keys
    when ``keys`` (or ``recorded``: their "created" history is written too), else ``[]``."""
    if not rows:
        return []
    keys = keys or recorded
    if copy_supported():
        ids = _copy(model, rows, keys=keys, recorded=recorded)
    else:
        ids = _bulk_create(model, rows)
        if recorded:
            history_recorded(model, ids, "+")
    return ids if keys else []


def instances_insert(instances: Sequence[models.Model], *, recorded: bool = False) -> None:
    """Insert unsaved model instances (validated already, of one model), as ``bulk_create``
    does — each gets its primary key, a related object saved since it was assigned gives its
    key, ``auto_now`` fields are set — with their "created" history when ``recorded``; on
    PostgreSQL copied in as rows."""
    if not instances:
        return
    model = type(instances[0])
    if not copy_supported():
        model.objects.bulk_create(instances, batch_size=BATCH)
        if recorded:
            history_recorded(model, [instance.pk for instance in instances], "+")
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    relations = [field for field in fields if field.is_relation]
    stamped = [
        field
        for field in fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    attnames = [field.attname for field in fields if field not in stamped]
    now = timezone.now()
    stamps = {field.attname: now for field in stamped}
    rows = []
    for instance in instances:
        for field in relations:
            if getattr(instance, field.attname) is None and field.is_cached(instance):
                related = field.get_cached_value(instance)
                if related is not None:
                    setattr(instance, field.attname, related.pk)
        rows.append({**{name: getattr(instance, name) for name in attnames}, **stamps})
    ids = rows_insert(model, rows, keys=True, recorded=recorded)
    alias = connection.alias
    for instance, pk in zip(instances, ids, strict=True):
        instance.pk = pk
        instance._state.adding = False
        instance._state.db = alias
        instance.__dict__.update(stamps)


def _copy(
    model: type[models.Model],
    rows: Sequence[Mapping[str, object]],
    *,
    keys: bool,
    recorded: bool = False,
) -> list[int]:
    """``COPY`` the rows in; with ``recorded``, their "created" history too, copied from the
    same values (as ``history_recorded`` would read them back, without reading them)."""
    pk = model._meta.pk
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    now = timezone.now()
    # What a row leaves out, as a model instance would have it; JSON columns take their text.
    fallback: list[object] = []
    encoders: list[object] = []
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now if isinstance(field, models.DateTimeField) else now.date()
        else:
            value = field.get_default()
        json_field = isinstance(field, models.JSONField)
        encoders.append(field.encoder if json_field else _PLAIN)
        fallback.append(json.dumps(value, cls=field.encoder) if json_field else value)
    # Rows that name the same fields (a batch's rows do) are written in the order of those
    # fields followed by the ones they leave out, each row's values taken at once.
    given = set(rows[0])
    first = rows[0].keys()
    if all(row.keys() == first for row in rows):
        order = sorted(
            range(len(fields)), key=lambda position: fields[position].attname not in given
        )
    else:
        order, given = list(range(len(fields))), set()
    fields = [fields[position] for position in order]
    fallback = [fallback[position] for position in order]
    encoders = [encoders[position] for position in order]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in ([pk] if keys else []) + fields)
    attnames = [f.attname for f in fields]
    present = [name for name in attnames if name in given]
    take = operator.itemgetter(*present) if len(present) > 1 else None
    json_at = [i for i, encoder in enumerate(encoders[: len(present)]) if encoder is not _PLAIN]
    tail = fallback[len(present) :]
    ids: list[int] = []
    written: list[list[object]] = []
    with connection.cursor() as cursor:
        if keys:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, pk.column, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        with cursor.copy(statement) as copy:
            for index, row in enumerate(rows):
                if take is not None:
                    values = [*take(row), *tail]
                    for i in json_at:
                        values[i] = json.dumps(values[i], cls=encoders[i])
                else:
                    values = [
                        fallback[position]
                        if name not in row
                        else row[name]
                        if encoder is _PLAIN
                        else json.dumps(row[name], cls=encoder)
                        for position, (name, encoder) in enumerate(
                            zip(attnames, encoders, strict=True)
                        )
                    ]
                if keys:
                    values.insert(0, ids[index])
                copy.write_row(values)
                if recorded:
                    written.append(values)
        if recorded:
            _history_copy(cursor, model, [pk, *fields], written, now)
    return ids


def _history_copy(
    cursor, model: type[models.Model], fields: list, written: list[list[object]], now
) -> None:
    """The "created" history rows of rows just copied in (key first, then ``fields``), by no
    one in particular, as ``registry.services.common.history_recorded`` writes them."""
    history = model.history.model
    own = ["history_date", "history_change_reason", "history_type"]
    own += ["history_user_id", "history_user_name"]
    columns = {f.column for f in history._meta.concrete_fields} - {"history_id", *own}
    if columns != {f.column for f in fields}:
        raise ValueError(f"{history._meta.db_table} does not mirror {model._meta.db_table}.")
    quote = connection.ops.quote_name
    listed = ", ".join(quote(c) for c in [*(f.column for f in fields), *own])
    stamp = [now, None, "+", None, ""]
    with cursor.copy(f"COPY {quote(history._meta.db_table)} ({listed}) FROM STDIN") as copy:
        for values in written:
            copy.write_row([*values, *stamp])


#: A column written as the value is (not JSON).
_PLAIN = object()


def _bulk_create(model: type[models.Model], rows: Sequence[Mapping[str, object]]) -> list[int]:
    instances = [model(**row) for row in rows]
    model.objects.bulk_create(instances, batch_size=BATCH)
    if any(instance.pk is None for instance in instances):  # a backend that returns no keys
        raise NotImplementedError(f"{connection.vendor} returns no keys from a bulk insert.")
    return [instance.pk for instance in instances]


class Sieve:
    """Keys seen, as one bit per hash of each: ``key in sieve`` is false for a key never
    added, and true for one added (or, rarely, for another key of the same hash).

    A full import into a small registry asks, for each of millions of records, whether the
    registry already has its LEI or an entity of its name; almost always it has not. The
    sieve answers that in memory (16 MiB whatever the number of keys: about one key in 45 is
    a false "maybe" at three million), and only a "maybe" is looked up in the database.
    """

    BITS = 1 << 27

    def __init__(self, keys: Iterable[Hashable] = ()):
        self._bits = bytearray(self.BITS >> 3)
        self._mask = self.BITS - 1
        for key in keys:
            self.add(key)

    def add(self, key: Hashable) -> None:
        spot = hash(key) & self._mask
        self._bits[spot >> 3] |= 1 << (spot & 7)

    def __contains__(self, key: Hashable) -> bool:
        spot = hash(key) & self._mask
        return bool(self._bits[spot >> 3] >> (spot & 7) & 1)
