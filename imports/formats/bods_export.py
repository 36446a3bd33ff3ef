"""The registry's graph written as BODS 0.4 statements (DESIGN, "Export").

One entity or person statement per entity, one relationship statement per edge (its interest,
share and dates), each with the schema's required fields: statementId, declarationSubject,
statementDate, recordId, recordType, recordDetails and publicationDetails. Record ids are
stable (``entity-<id>``, ``ownership-<id>``), so exporting twice names the same records, and an
entity's identifiers and LEI (scheme ``XI-LEI``) go with it, so importing the export matches.
"""

import datetime
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal

import pycountry
from django.db.models import QuerySet

from imports.formats.bods import CONFERS_CONTROL
from registry.choices import EntityKind, Interest
from registry.models import Entity, Ownership

PUBLISHER = "Vendor Registry"
#: A fixed namespace, so a statement's id depends only on what it says.
_NAMESPACE = uuid.UUID("7c1f3a6e-4f8e-4b7a-9a33-2f6f0f4c9d21")

_INTEREST_TYPES = {
    Interest.SHAREHOLDING: "shareholding",
    Interest.VOTING_RIGHTS: "votingRights",
    Interest.BOARD_MEMBER: "boardMember",
    Interest.SENIOR_MANAGING_OFFICIAL: "seniorManagingOfficial",
    Interest.OTHER_INFLUENCE: "otherInfluenceOrControl",
}
_CONTROL = getattr(Interest, "CONTROL", None)
if _CONTROL is not None:
    _INTEREST_TYPES[_CONTROL] = "controlViaCompanyRulesOrArticles"

_ENTITY_TYPES = {
    EntityKind.COMPANY: {"type": "registeredEntity"},
    # BODS has no fund type: a legal entity, with the registry's word for it in the details.
    EntityKind.FUND: {"type": "legalEntity", "details": "fund"},
    EntityKind.GOVERNMENT: {"type": "stateBody"},
    EntityKind.OTHER: {"type": "arrangement"},
}


def export_entity_ids(*, entity: Entity | None = None) -> set[int] | None:
    """The entities to export: ``entity`` and everything above it (its owners, their owners
    … on any date), or ``None`` for the whole registry."""
    if entity is None:
        return None
    wanted, frontier = {entity.pk}, {entity.pk}
    while frontier:
        owners = set(
            Ownership.objects.filter(owned_id__in=frontier).values_list("owner_id", flat=True)
        )
        frontier = owners - wanted
        wanted |= frontier
    return wanted


def _number(value: Decimal) -> int | float:
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


def _country(code: str) -> dict:
    """A BODS Country or Jurisdiction: the schema requires its name beside the code."""
    country = pycountry.countries.get(alpha_2=code)
    return {"name": country.name if country is not None else code, "code": code}


def _statement_id(record: str, details: dict) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{record}:{sorted(details.items())!r}"))


def _publication(today: datetime.date) -> dict:
    return {
        "publicationDate": today.isoformat(),
        "bodsVersion": "0.4",
        "publisher": {"name": PUBLISHER},
    }


def _entity_statement(entity: Entity, today: datetime.date) -> dict:
    record = f"entity-{entity.pk}"
    identifiers = [{"scheme": i.scheme, "id": i.value} for i in entity.identifiers.all()]
    if entity.lei:
        identifiers.insert(0, {"scheme": "XI-LEI", "id": entity.lei})
    if entity.kind == EntityKind.PERSON:
        details: dict = {
            "isComponent": False,
            "personType": "knownPerson",
            "names": [{"type": "legal", "fullName": entity.name}],
        }
        if entity.country:
            details["nationalities"] = [_country(entity.country)]
        record_type = "person"
    else:
        details = {
            "isComponent": False,
            "entityType": dict(_ENTITY_TYPES.get(entity.kind, {"type": "registeredEntity"})),
            "name": entity.name,
        }
        if entity.country:
            details["jurisdiction"] = _country(entity.country)
        record_type = "entity"
    if identifiers:
        details["identifiers"] = identifiers
    return {
        "statementId": _statement_id(record, details),
        "declarationSubject": record,
        "statementDate": (entity.updated_at or entity.created_at).date().isoformat(),
        "recordId": record,
        "recordType": record_type,
        "recordStatus": "new",
        "recordDetails": details,
        "publicationDetails": _publication(today),
    }


def _relationship_statement(edge: Ownership, today: datetime.date) -> dict:
    record = f"ownership-{edge.pk}"
    owner_is_person = edge.owner.kind == EntityKind.PERSON
    interest: dict = {
        "type": _INTEREST_TYPES.get(edge.interest, "otherInfluenceOrControl"),
        "directOrIndirect": "direct",
        # The standard keeps this flag for a person's (beneficial) interest; an entity's
        # control is said in the interest's details, which the importer reads back.
        "beneficialOwnershipOrControl": edge.interest == _CONTROL and owner_is_person,
        "startDate": edge.start_date.isoformat(),
    }
    if edge.interest == _CONTROL:
        interest["details"] = f"{CONFERS_CONTROL} (without a known share)"
    if edge.end_date is not None:
        # BODS's endDate is the day the interest ended: the day after the edge's last day.
        interest["endDate"] = (edge.end_date + datetime.timedelta(days=1)).isoformat()
    share: dict = {}
    if edge.share is not None:
        share["exact"] = _number(edge.share)
    if edge.share_min is not None:
        share["minimum"] = _number(edge.share_min)
    if edge.share_max is not None:
        share["maximum"] = _number(edge.share_max)
    if share:
        interest["share"] = share
    details = {
        "isComponent": False,
        "subject": f"entity-{edge.owned_id}",
        "interestedParty": f"entity-{edge.owner_id}",
        "interests": [interest],
    }
    return {
        "statementId": _statement_id(record, details),
        "declarationSubject": f"entity-{edge.owned_id}",
        "statementDate": edge.created_at.date().isoformat(),
        "recordId": record,
        "recordType": "relationship",
        "recordStatus": "new",
        "recordDetails": details,
        "publicationDetails": _publication(today),
    }


def _entities(ids: set[int] | None) -> QuerySet[Entity]:
    entities = Entity.objects.prefetch_related("identifiers").order_by("pk")
    return entities if ids is None else entities.filter(pk__in=ids)


def _edges(ids: set[int] | None) -> QuerySet[Ownership]:
    edges = Ownership.objects.select_related("owner").order_by("pk")
    return edges if ids is None else edges.filter(owner_id__in=ids, owned_id__in=ids)


def bods_statements(*, entity: Entity | None = None) -> Iterator[dict]:
    """BODS 0.4 statements of the registry (or of ``entity`` and everything above it):
    parties first, then the relationships between them."""
    today = datetime.date.today()
    ids = export_entity_ids(entity=entity)
    for row in _entities(ids).iterator(chunk_size=500):
        yield _entity_statement(row, today)
    for edge in _edges(ids).iterator(chunk_size=500):
        yield _relationship_statement(edge, today)


def bods_json_chunks(*, entity: Entity | None = None) -> Iterator[str]:
    """The statements as one JSON array, a statement at a time (memory stays flat)."""
    yield "["
    for index, statement in enumerate(bods_statements(entity=entity)):
        yield ("\n" if index == 0 else ",\n") + json.dumps(statement, ensure_ascii=False)
    yield "\n]\n"
