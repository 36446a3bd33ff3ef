"""The audit trail read back: what each historical record (django-simple-history) changed,
written once for the API's ``history/`` endpoints and the pages' audit lists."""

from collections import Counter
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


def history_records(*, model: type[models.Model], pk: int) -> list[dict[str, Any]]:
    """Every historical record of ``model`` row ``pk``, newest first, each with the fields it
    changed compared to the record before it (for a creation: every field it was given).

    One query whatever the length of the history; rows deleted since are still reported.
    """
    history_model = model.history.model
    records = list(
        history_model.objects.filter(**{model._meta.pk.attname: pk})
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    fields = reported_fields(history_model)
    previous = None
    result = []
    for record in records:
        result.append(
            {
                "history_id": record.history_id,
                "history_date": record.history_date,
                "history_type": record.history_type,
                "history_user": record.history_user.get_username() if record.history_user else None,
                "request": record.history_change_reason or None,
                "changes": [
                    {"field": change.field.name, "old": change.old, "new": change.new}
                    for change in record_changes(record, previous, fields)
                ],
            }
        )
        previous = record
    result.reverse()
    return result
