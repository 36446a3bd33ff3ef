"""Helpers shared by the services: validated saves attributed to a user."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError

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
