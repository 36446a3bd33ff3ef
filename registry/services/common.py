"""Helpers shared by the services: validated saves attributed to a user, and bulk writes
with their audit history."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone

from core.history import DeleteRefused, delete_blockers


def validated_save(instance: models.Model, *, actor: AbstractBaseUser | None = None) -> None:
    """Run the model's full validation (fields, ``clean()``, uniqueness) and save, recording
    ``actor`` as the author in the audit history."""
    instance.full_clean()
    if actor is not None and getattr(actor, "is_authenticated", False):
        instance._history_user = actor
    instance.save()


def apply_changes(instance: models.Model, changes: dict[str, Any]) -> list[str]:
    """Set the given fields on ``instance``; return the names of those whose value changed."""
    changed = []
    for field, value in changes.items():
        if getattr(instance, field) != value:
            setattr(instance, field, value)
            changed.append(field)
    return changed


def recorded_delete(
    instance: models.Model, *, actor: AbstractBaseUser | None = None, instead: str
) -> None:
    """Delete ``instance`` with ``actor`` as the author of its audit record. Refused with
    :class:`DeleteRefused` while other records still refer to it (history is never lost);
    ``instead`` says what to do rather than delete it."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        instance._history_user = actor
    try:
        with transaction.atomic():
            instance.delete()
    except (ProtectedError, RestrictedError) as error:
        raise DeleteRefused(
            f"{instance} cannot be deleted: {delete_blockers(error)} refer to it, and their "
            f"history would be lost. {instead}"
        ) from None


#: Rows per INSERT (and per history copy) of the bulk writes.
BULK_BATCH = 1000


def _user_id(actor: AbstractBaseUser | None) -> int | None:
    return actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None


def history_recorded(
    model: type[models.Model],
    ids: Sequence[int],
    history_type: str,
    *,
    actor: AbstractBaseUser | None = None,
    reason: str | None = None,
) -> None:
    """The audit history's rows (``+`` created, ``~`` changed) of the rows ``ids`` as they are
    stored now, each by ``actor``: one ``INSERT … SELECT`` a batch, instead of building a
    historical instance per row (which costs more than the write itself)."""
    history = model.history.model
    own = {
        "history_id",
        "history_date",
        "history_change_reason",
        "history_type",
        "history_user_id",
        "history_user_name",
    }
    columns = [f.column for f in history._meta.concrete_fields if f.column not in own]
    quote = connection.ops.quote_name
    listed = ", ".join(quote(c) for c in columns)
    now = timezone.now()
    user_id = _user_id(actor)
    # The actor's name as text, as every history record keeps it (core.audit).
    user_name = actor.get_username() if user_id is not None else ""
    # On PostgreSQL a batch's keys are one array parameter (core.lookups).
    array = connection.vendor == "postgresql"
    for start in range(0, len(ids), BULK_BATCH):
        batch = list(ids[start : start + BULK_BATCH])
        keys = "= ANY(%s)" if array else f"IN ({', '.join(['%s'] * len(batch))})"
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({listed}, history_date, "
                "history_change_reason, history_type, history_user_id, history_user_name) "
                f"SELECT {listed}, %s, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
                f"WHERE {quote('id')} {keys}",
                [now, reason, history_type, user_id, user_name, *([batch] if array else batch)],
            )


def bulk_create_recorded(
    rows: Sequence[models.Model],
    *,
    actor: AbstractBaseUser | None = None,
    reason: str | None = None,
) -> None:
    """Insert ``rows`` (already validated) in batches, with their "created" history by
    ``actor``; each row gets its primary key."""
    if not rows:
        return
    model = type(rows[0])
    for start in range(0, len(rows), BULK_BATCH):
        batch = list(rows[start : start + BULK_BATCH])
        model.objects.bulk_create(batch)
        history_recorded(model, [row.pk for row in batch], "+", actor=actor, reason=reason)


def bulk_update_recorded(
    rows: Sequence[models.Model],
    fields: Iterable[str],
    *,
    actor: AbstractBaseUser | None = None,
    reason: str | None = None,
) -> None:
    """Write ``fields`` of ``rows`` (already validated) in batches, with their "changed"
    history by ``actor``; ``updated_at`` is set to now on models that have it."""
    if not rows:
        return
    model = type(rows[0])
    fields = list(fields)
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        now = timezone.now()
        for row in rows:
            row.updated_at = now
        fields = [*fields, "updated_at"] if "updated_at" not in fields else fields
    model.objects.bulk_update(rows, fields, batch_size=BULK_BATCH)
    history_recorded(model, [row.pk for row in rows], "~", actor=actor, reason=reason)
