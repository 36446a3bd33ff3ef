"""Put entities on the watchlist and take them off; each change rechecks the vendors around."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from registry.choices import RecheckReason
from registry.models import Entity, WatchlistEntry
from registry.services.common import apply_changes, validated_save
from registry.services.dispatch import recheck_request


def _recheck_around(entity_ids: list[int], actor: AbstractBaseUser | None) -> None:
    recheck_request(reason=RecheckReason.WATCHLIST_CHANGED, entity_ids=entity_ids, actor=actor)


@transaction.atomic
def watchlist_entry_create(
    *, entity: Entity, category: str, reason: str, actor: AbstractBaseUser | None = None
) -> WatchlistEntry:
    """List ``entity`` under ``category`` with a reason."""
    entry = WatchlistEntry(entity=entity, category=category, reason=reason.strip())
    validated_save(entry, actor=actor)
    _recheck_around([entity.pk], actor)
    return entry


@transaction.atomic
def watchlist_entry_update(
    *, entry: WatchlistEntry, actor: AbstractBaseUser | None = None, **changes: object
) -> WatchlistEntry:
    """Change an entry; a new entity or category rechecks the vendors around old and new."""
    before = entry.entity_id
    changed = apply_changes(entry, changes)
    if changed:
        validated_save(entry, actor=actor)
    if {"entity", "category"}.intersection(changed):
        _recheck_around([before, entry.entity_id], actor)
    return entry


@transaction.atomic
def watchlist_entry_delete(*, entry: WatchlistEntry, actor: AbstractBaseUser | None = None) -> None:
    """Take an entity off the watchlist."""
    entity_id = entry.entity_id
    if actor is not None and getattr(actor, "is_authenticated", False):
        entry._history_user = actor
    entry.delete()
    _recheck_around([entity_id], actor)
