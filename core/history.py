"""The audit trail read back: what each historical record (django-simple-history) changed,
written once for the API's ``history/`` endpoints and the pages' audit lists."""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models.deletion import ProtectedError, RestrictedError


class DeleteRefused(Exception):
    """A delete that would lose history: the row is ended, offboarded or archived instead.
    The message says why and what to do; the API answers it with 409."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def delete_blockers(error: ProtectedError | RestrictedError) -> str:
    """``"ownerships (2), watchlist (1)"``: what still refers to the row being deleted."""
    blocking = (
        error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
    )
    counts = Counter(str(obj._meta.verbose_name_plural) for obj in blocking)
    return ", ".join(f"{label} ({count})" for label, count in sorted(counts.items()))


#: Bookkeeping timestamps that change on every save and say nothing a reader needs.
UNREPORTED_FIELDS = {"created_at", "updated_at"}


@dataclass(frozen=True)
class FieldChange:
    field: models.Field
    old: Any
    new: Any


def reported_fields(history_model: type[models.Model]) -> list[models.Field]:
    """The fields of a history model whose changes are reported: those a user can edit."""
    return [
        field
        for field in history_model.tracked_fields
        if field.editable and not field.primary_key and field.name not in UNREPORTED_FIELDS
    ]


def record_changes(
    record: models.Model, previous: models.Model | None, fields: list[models.Field]
) -> list[FieldChange]:
    """The ``fields`` whose value ``record`` changed compared to ``previous``, the record of
    the same row before it; for a first record (``previous`` is ``None``), every field it was
    given a value."""
    changes = []
    for field in fields:
        new = field.value_from_object(record)
        if previous is None:
            if new in (None, ""):
                continue
            old = None
        else:
            old = field.value_from_object(previous)
        if old != new:
            changes.append(FieldChange(field=field, old=old, new=new))
    return changes


@dataclass(frozen=True)
class HistoryCollection:
    """Rows of another model that belong to a record and are edited with it, with their own
    history table (an entity's identifiers): each of their historical records is reported in
    the record's history as a change (``~``) of one field, ``field``, whose old and new values
    are the whole collection before and after, each row shown by ``item``, sorted."""

    field: str
    model: type[models.Model]
    #: The attribute of ``model`` that points at the record (``entity_id``).
    key: str
    item: Callable[[models.Model], Any]


def _user(record: models.Model) -> str | None:
    from core.audit import actor_name

    return actor_name(record)


def _collection_records(collection: HistoryCollection, pk: int) -> list[tuple[Any, dict]]:
    """The history of ``collection`` rows of record ``pk`` as (sort key, entry) pairs."""
    history_model = collection.model.history.model
    records = (
        history_model.objects.filter(**{collection.key: pk})
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    members: dict[int, Any] = {}  # row id -> its item, for the rows in the collection now

    def current() -> list[Any]:
        return sorted(members.values(), key=repr)

    result = []
    for record in records:
        old = current()
        if record.history_type == "-":
            members.pop(record.id, None)
        else:
            members[record.id] = collection.item(record)
        new = current()
        if old == new:
            continue
        entry = {
            "history_id": record.history_id,
            "history_date": record.history_date,
            "history_type": "~",
            "history_user": _user(record),
            "request": record.history_change_reason or None,
            "changes": [{"field": collection.field, "old": old, "new": new}],
        }
        result.append(((record.history_date, 1, record.history_id), entry))
    return result


def history_records(
    *, model: type[models.Model], pk: int, collections: Sequence[HistoryCollection] = ()
) -> list[dict[str, Any]]:
    """Every historical record of ``model`` row ``pk``, newest first, each with the fields it
    changed compared to the record before it (for a creation: every field it was given); and
    for each of ``collections``, every change of its rows, in date order among them (see
    ``HistoryCollection``).

    One query (per collection) whatever the length of the history; rows deleted since are
    still reported.
    """
    history_model = model.history.model
    records = list(
        history_model.objects.filter(**{model._meta.pk.attname: pk})
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    fields = reported_fields(history_model)
    previous = None
    keyed = []
    for record in records:
        entry = {
            "history_id": record.history_id,
            "history_date": record.history_date,
            "history_type": record.history_type,
            "history_user": _user(record),
            "request": record.history_change_reason or None,
            "changes": [
                {"field": change.field.name, "old": change.old, "new": change.new}
                for change in record_changes(record, previous, fields)
            ],
        }
        keyed.append(((record.history_date, 0, record.history_id), entry))
        previous = record
    if not keyed:
        return []
    for collection in collections:
        keyed.extend(_collection_records(collection, pk))
    keyed.sort(key=lambda pair: pair[0], reverse=True)
    return [entry for _key, entry in keyed]
