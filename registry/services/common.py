"""Helpers shared by the services: validated saves attributed to a user."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models


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


def recorded_delete(instance: models.Model, *, actor: AbstractBaseUser | None = None) -> None:
    """Delete ``instance`` with ``actor`` as the author of its audit record. Refused with
    ``ProtectedError`` while other records still refer to it (history is never lost)."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        instance._history_user = actor
    instance.delete()
