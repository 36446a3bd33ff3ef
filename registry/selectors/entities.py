"""Reads of entities: the API list, the entity pages and the pickers."""

from collections.abc import Iterable

from django.db.models import (
    Case,
    CharField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Concat, Lower

from registry.models import Entity, EntityIdentifier, Ownership, OwnershipEvent

#: The most matches an entity picker returns.
PICKER_LIMIT = 20
#: The most possible duplicates a create form or API answer names.
DUPLICATES_LIMIT = 10


def entities_labelled(entities: QuerySet[Entity]) -> QuerySet[Entity]:
    """``entities`` with their first identifier as ``SCHEME:ID`` (``first_identifier``, or
    ``None``), so that :attr:`Entity.label` needs no further query."""
    first = (
        EntityIdentifier.objects.filter(entity=OuterRef("pk"))
        .order_by("scheme", "value")
        .annotate(text=Concat("scheme", Value(":"), "value", output_field=CharField()))
        .values("text")[:1]
    )
    return entities.annotate(first_identifier=Subquery(first, output_field=CharField()))


def identifier_match(text: str) -> Q | None:
    """Entities holding the identifier ``SCHEME:ID`` (the scheme in any case, the id exactly),
    as a filter of ``Entity``, or ``None`` if ``text`` is not of that form. The API's
    ``?identifier=`` filter, the admin's search and the pickers all match through this."""
    scheme, colon, value = text.partition(":")
    scheme, value = scheme.strip(), value.strip()
    if not (colon and scheme and value):
        return None
    held = EntityIdentifier.objects.filter(
        entity=OuterRef("pk"), scheme__iexact=scheme, value=value
    )
    return Q(Exists(held))


def entity_possible_duplicates(
    name: str,
    country: str = "",
    identifiers: Iterable[tuple[str, str]] = (),
    exclude_pk: int | None = None,
) -> list[Entity]:
    """Entities that may be the one described: the same name in any case and the same country
    (both without a country counts as the same), or any of the same identifiers ``SCHEME:ID``
    (the scheme in any case). An equal LEI is refused outright, so it is not looked at here.
    At most :data:`DUPLICATES_LIMIT`, oldest first, ``exclude_pk`` (the entity being edited or
    just created) left out, with their identifiers and :attr:`Entity.label` ready (two
    queries)."""
    name = (name or "").replace("\x00", "").strip()
    match = Q(name__iexact=name, country=(country or "").strip().upper()) if name else Q()
    held = Q()
    for scheme, value in identifiers:
        scheme, value = scheme.replace("\x00", "").strip(), value.replace("\x00", "").strip()
        if scheme and value:
            held |= Q(scheme__iexact=scheme, value=value)
    if held:
        match |= Q(Exists(EntityIdentifier.objects.filter(held, entity=OuterRef("pk"))))
    if not match:
        return []
    entities = Entity.objects.filter(match)
    if exclude_pk is not None:
        entities = entities.exclude(pk=exclude_pk)
    return list(
        entities_labelled(entities)
        .prefetch_related("identifiers")
        .order_by("id")[:DUPLICATES_LIMIT]
    )


def entity_list() -> QuerySet[Entity]:
    """Entities with their identifiers, for lists and detail reads."""
    return Entity.objects.prefetch_related("identifiers")


def entity_page_list() -> QuerySet[Entity]:
    """Entities by name, with whether each is a vendor and its watchlist entries."""
    return (
        Entity.objects.select_related("vendor")
        .prefetch_related("watchlist_entries")
        .order_by("name", "id")
    )


def entity_page() -> QuerySet[Entity]:
    """Entities with what their page shows: vendor, identifiers and watchlist entries."""
    return Entity.objects.select_related("vendor").prefetch_related(
        "identifiers", "watchlist_entries"
    )


def entity_by_id(pk: int) -> Entity | None:
    """The entity ``pk``, or ``None`` if there is none (also for an id too large to exist),
    with :attr:`Entity.label` ready."""
    return entities_labelled(Entity.objects.filter(pk=pk)).first()


def entities_by_id(ids) -> dict[int, Entity]:
    """The entities of ``ids`` by id (one query, none for no ids)."""
    ids = set(ids)
    return Entity.objects.in_bulk(ids) if ids else {}


def _edges() -> QuerySet[Ownership]:
    return Ownership.objects.select_related("owner", "owned", "source_event")


def entity_owners(*, entity: Entity, limit: int = 200) -> list[Ownership]:
    """Edges into ``entity`` (who owns or sits on it), current and past, latest first."""
    return list(_edges().filter(owned=entity).order_by("-start_date", "owner__name")[:limit])


def entity_holdings(*, entity: Entity, limit: int = 200) -> list[Ownership]:
    """Edges out of ``entity`` (what it owns or sits on), current and past, latest first."""
    return list(_edges().filter(owner=entity).order_by("-start_date", "owned__name")[:limit])


def entity_events(*, entity: Entity, limit: int = 20) -> list[OwnershipEvent]:
    """Events in which ``entity`` is the subject, the counterparty or the person, latest
    effective first."""
    return list(
        OwnershipEvent.objects.filter(Q(subject=entity) | Q(counterparty=entity) | Q(person=entity))
        .select_related("subject", "counterparty", "person")
        .order_by("-effective_date", "-id")[:limit]
    )


def entity_search(
    *, query: str, kind: str | None = None, limit: int = PICKER_LIMIT
) -> list[Entity]:
    """Entities matching ``query`` — an id, an LEI, an identifier ``SCHEME:ID`` or part of the
    name — names that start with it first, at most ``limit``, with :attr:`Entity.label`
    ready. One query."""
    # A NUL character cannot be sent to PostgreSQL and matches no name anyway.
    query = query.replace("\x00", "").strip()
    if not query:
        return []
    entities = entities_labelled(Entity.objects.all())
    if kind:
        entities = entities.filter(kind=kind)
    match = Q(name__icontains=query)
    if query.isdigit():
        match |= Q(pk=int(query))
    if len(query) == 20:
        match |= Q(lei=query.upper())
    identified = identifier_match(query)
    if identified is not None:
        match |= identified
    starts = Case(When(name__istartswith=query, then=0), default=1, output_field=IntegerField())
    return list(
        entities.filter(match)
        .annotate(starts=starts)
        .order_by("starts", Lower("name"), "id")[:limit]
    )
