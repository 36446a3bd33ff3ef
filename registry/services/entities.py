"""Create and update entities and their identifiers."""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from registry.choices import EntityKind, RecheckReason
from registry.models import Entity, EntityIdentifier, Ownership, OwnershipEvent
from registry.services.common import apply_changes, recorded_delete, validated_save
from registry.services.dispatch import recheck_request

if TYPE_CHECKING:
    from imports.models import ImportRun

Identifier = tuple[str, str]


def _identifiers_wanted(identifiers: Iterable[Identifier]) -> set[Identifier]:
    # Scheme codes are upper case (GB-COH, DUNS), so "duns" and "DUNS" are one scheme.
    return {(scheme.strip().upper(), value.strip()) for scheme, value in identifiers}


def _identifier_problems(*, entity: Entity, wanted: set[Identifier]) -> list[str]:
    """Every problem with the identifiers, not only the first."""
    problems = []
    for scheme, value in sorted(wanted):
        if not scheme or not value:
            problems.append("Each identifier needs a scheme and an id.")
            continue
        if ":" in scheme:
            problems.append(f"“{scheme}”: a scheme code cannot contain “:”.")
            continue
        clash = EntityIdentifier.objects.filter(scheme=scheme, value=value).select_related("entity")
        if entity.pk is not None:
            clash = clash.exclude(entity_id=entity.pk)
        clash = clash.first()
        if clash:
            problems.append(f"{scheme}:{value} already identifies {clash.entity.name}.")
    return problems


def _validated_with_identifiers(
    entity: Entity, wanted: set[Identifier] | None, *, fields: bool = True
) -> None:
    """Check the entity's fields and its identifiers together, so that one answer names every
    field that is wrong (a bad country, a bad LEI checksum and a taken identifier at once)."""
    errors: dict[str, list[str]] = {}
    try:
        if fields:
            entity.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if wanted is not None:
        problems = _identifier_problems(entity=entity, wanted=wanted)
        if problems:
            errors.setdefault("identifiers", []).extend(problems)
    if errors:
        raise ValidationError(errors)


def _identifiers_set(
    *, entity: Entity, wanted: set[Identifier], actor: AbstractBaseUser | None
) -> None:
    """Replace the entity's identifiers with ``wanted`` (already checked)."""
    current = {(i.scheme, i.value): i for i in entity.identifiers.all()}
    for key, identifier in current.items():
        if key not in wanted:
            if actor is not None and getattr(actor, "is_authenticated", False):
                identifier._history_user = actor
            identifier.delete()
    for scheme, value in sorted(wanted - set(current)):
        try:
            validated_save(EntityIdentifier(entity=entity, scheme=scheme, value=value), actor=actor)
        except ValidationError as exc:
            # Callers send identifiers as one list field: report the problem on it.
            raise ValidationError(
                {"identifiers": [f"{scheme}:{value}: {message}" for message in exc.messages]}
            ) from exc


@transaction.atomic
def entity_create(
    *,
    name: str,
    kind: str = "company",
    country: str = "",
    lei: str = "",
    identifiers: Iterable[Identifier] = (),
    owners_undisclosed: bool = False,
    import_run: "ImportRun | None" = None,
    import_record: str = "",
    actor: AbstractBaseUser | None = None,
) -> Entity:
    """Create an entity with its identifiers (``[("GB-COH", "123")]``); ``import_run`` and
    ``import_record`` say which import and record it came from."""
    entity = Entity(
        name=name.strip(),
        kind=kind,
        country=country,
        lei=lei,
        owners_undisclosed=owners_undisclosed,
        import_run=import_run,
        import_record=import_record,
    )
    wanted = _identifiers_wanted(identifiers)
    _validated_with_identifiers(entity, wanted)
    if actor is not None and getattr(actor, "is_authenticated", False):
        entity._history_user = actor
    entity.save()
    _identifiers_set(entity=entity, wanted=wanted, actor=actor)
    return entity


@transaction.atomic
def entity_update(
    *,
    entity: Entity,
    actor: AbstractBaseUser | None = None,
    identifiers: Iterable[Identifier] | None = None,
    import_run: "ImportRun | None" = None,
    **changes: object,
) -> Entity:
    """Change an entity's fields; ``identifiers``, when given, replaces the whole set.

    Whether an entity is a person cannot change once edges or events refer to it: a person's
    seats and a company's holdings mean different things to the risk rules. Declaring its
    owners undisclosed, or disclosed again, rechecks the vendors at or below it after commit
    (rule 5), unless ``import_run`` made the change: the run rechecks what it touched, once."""
    if "name" in changes and isinstance(changes["name"], str):
        changes["name"] = changes["name"].strip()
    was_person = entity.kind == EntityKind.PERSON
    wanted = None if identifiers is None else _identifiers_wanted(identifiers)
    changed = apply_changes(entity, changes)
    kind_flipped = changed and (entity.kind == EntityKind.PERSON) != was_person
    if kind_flipped and _is_referenced(entity):
        raise ValidationError(
            {
                "kind": [
                    f"{entity.name} already has ownership edges or events, so it cannot "
                    f"{'stop being' if was_person else 'become'} a person."
                ]
            }
        )
    if changed or wanted is not None:
        _validated_with_identifiers(entity, wanted, fields=bool(changed))
    if changed:
        if actor is not None and getattr(actor, "is_authenticated", False):
            entity._history_user = actor
        entity.save()
        if "owners_undisclosed" in changed and import_run is None:
            recheck_request(
                reason=RecheckReason.DISCLOSURE_CHANGED, entity_ids=[entity.pk], actor=actor
            )
    if wanted is not None:
        _identifiers_set(entity=entity, wanted=wanted, actor=actor)
    return entity


def _is_referenced(entity: Entity) -> bool:
    edges = Ownership.objects.filter(Q(owner=entity) | Q(owned=entity))
    events = OwnershipEvent.objects.filter(
        Q(subject=entity) | Q(counterparty=entity) | Q(person=entity)
    )
    return edges.exists() or events.exists()


@transaction.atomic
def entity_delete(*, entity: Entity, actor: AbstractBaseUser | None = None) -> None:
    """Delete an entity entered by mistake, that nothing refers to (no edges, vendor,
    watchlist entry, events or risk factors); any other is kept, its edges ended."""
    recorded_delete(
        entity,
        actor=actor,
        instead="End its ownership edges instead; the entity stays in the registry's history.",
    )
