"""Put entities on the watchlist and take them off; each change rechecks the vendors around."""

from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from registry.choices import RecheckReason
from registry.models import Entity, WatchlistEntry
from registry.services.common import apply_changes, validated_save
from registry.services.dispatch import recheck_request

if TYPE_CHECKING:
    from imports.models import ImportRun


def _recheck_around(entity_ids: list[int], actor: AbstractBaseUser | None) -> None:
    recheck_request(reason=RecheckReason.WATCHLIST_CHANGED, entity_ids=entity_ids, actor=actor)


@transaction.atomic
def watchlist_entry_create(
    *,
    entity: Entity,
    category: str,
    reason: str,
    import_run: "ImportRun | None" = None,
    import_record: str = "",
    actor: AbstractBaseUser | None = None,
) -> WatchlistEntry:
    """List ``entity`` under ``category`` with a reason. An entry an import run lists keeps
    the run and record; the run's own recheck covers the vendors around it, once."""
    entry = WatchlistEntry(
        entity=entity,
        category=category,
        reason=reason.strip(),
        import_run=import_run,
        import_record=import_record,
    )
    validated_save(entry, actor=actor)
    if import_run is None:
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
def watchlist_entry_delete(
    *,
    entry: WatchlistEntry,
    import_run: "ImportRun | None" = None,
    actor: AbstractBaseUser | None = None,
) -> None:
    """Take an entity off the watchlist; when an import run does, the run's own recheck
    covers the vendors around it."""
    entity_id = entry.entity_id
    if actor is not None and getattr(actor, "is_authenticated", False):
        entry._history_user = actor
    entry.delete()
    if import_run is None:
        _recheck_around([entity_id], actor)
