"""FollowTheMoney entities (OpenSanctions exports, JSON Lines) read into the registry's terms
(DESIGN, "Mapping").

Each line is one entity: ``{"id", "schema", "properties": {name: [values]}, "datasets": [...]}``.
Parties (``Company``, ``Organization``, ``LegalEntity``, ``PublicBody``, ``Person``) become
:class:`FtmParty` — a BODS party with the watchlist entries its topics call for — and the
relation schemas (``Ownership``, ``Directorship``, ``Control``) become BODS relationships, so
the import run applies both the way it applies BODS. Every other schema (``Address``,
``Sanction``, ``Vessel`` …) is skipped and counted, and so is a relation that names a skipped
entity; a ``Sanction`` still lends its programme to the reason of the entity it names. Nothing
here reads or writes the database.

The schema map is written out here rather than taken from the ``followthemoney`` package: the
importer needs eight schemas and a dozen properties, and the package would bring its own
graph, database and RDF libraries into the registry for them.
"""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pycountry
from stdnum import lei as lei_number
from stdnum.exceptions import ValidationError as StdnumError

from imports.formats import bods
from imports.formats.bods import FOUR_PLACES, Party, RecordError, Relationship, WantedEdge
from imports.formats.reader import Value
from registry.choices import EntityKind, Interest, WatchlistCategory

PARTY_KINDS = {
    "Company": EntityKind.COMPANY,
    "Organization": EntityKind.COMPANY,
    "LegalEntity": EntityKind.COMPANY,
    "PublicBody": EntityKind.GOVERNMENT,
    "Person": EntityKind.PERSON,
}
#: Relation schema → (owner property, owned property).
RELATIONS = {
    "Ownership": ("owner", "asset"),
    "Directorship": ("director", "organization"),
    "Control": ("controller", "entity"),
}
#: Topic → (watchlist category, the words its reason starts with).
TOPICS = {
    "sanction": (WatchlistCategory.SANCTIONED, "Sanctioned"),
    "gov.soe": (WatchlistCategory.STATE_OWNED, "State-owned enterprise"),
}
#: A director whose role says this is an officer (senior managing official), not a board seat.
OFFICER_ROLE = re.compile(
    r"\b(chief|ceo|cfo|coo|cto|officer|president|managing\s+director|secretary)\b", re.IGNORECASE
)
#: National company registers by country, as org-id.guide codes them; any other jurisdiction's
#: registration number is kept under ``{COUNTRY}-REG``.
REGISTER_SCHEMES = {
    "GB": "GB-COH",
    "IE": "IE-CRO",
    "NL": "NL-KVK",
    "DK": "DK-CVR",
    "NO": "NO-BRC",
}
_RANGE = re.compile(r"^\s*([0-9.]+)\s*%?\s*(?:-|–|to)\s*([0-9.]+)\s*%?\s*$", re.IGNORECASE)


@dataclass
class FtmParty(Party):
    """A party with the topics that put it on the watchlist, and where they come from."""

    topics: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    #: Sanctions programmes: the entity's own, then those of ``Sanction`` entities naming it.
    programs: list[str] = field(default_factory=list)

    @property
    def watchlist(self) -> list[tuple[str, str]]:
        """``[(category, reason)]``, the reason naming the datasets (and, for a sanction, the
        programmes)."""
        entries = []
        for topic in self.topics:
            category, words = TOPICS[topic]
            where = f"in {', '.join(self.datasets)}" if self.datasets else f"(topic {topic})"
            programs = self.programs if category == WatchlistCategory.SANCTIONED else []
            program = f"; program {', '.join(programs)}" if programs else ""
            entries.append((category, f"{words} {where}{program}."))
        return entries


@dataclass
class Reading:
    """What the file says: the parties and relations the registry maps, the errors, and what
    was skipped (schema → how many, and the line of the first)."""

    statements: list[Party | Relationship] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    first_skipped: dict[str, str] = field(default_factory=dict)

    def skip(self, key: str, where: str) -> None:
        self.skipped[key] += 1
        self.first_skipped.setdefault(key, where)

    def skipped_warnings(self) -> list[dict[str, str]]:
        """One warning per skipped schema, at its first line, with how many."""
        rows = []
        for key, count in sorted(self.skipped.items()):
            schema, _, relation = key.partition(" ")
            why = (
                "they name an entity of a schema the registry does not map"
                if relation
                else "the registry does not map that schema"
            )
            noun = "entity" if count == 1 else "entities"
            rows.append(
                {
                    "record": self.first_skipped[key],
                    "field": "schema",
                    "message": f"{count} {noun} of schema {schema} skipped: {why}.",
                }
            )
        return rows


def read_entities(values: Iterable[Value], *, max_errors: int) -> Reading:
    """Read every line; a relation naming an entity of a skipped schema is skipped too."""
    reading = Reading()
    skipped_ids: set[str] = set()
    relations: list[Relationship] = []
    programs: dict[str, list[str]] = {}
    for value in values:
        try:
            statement = read_entity(value.data, value.where)
        except RecordError as exc:
            reading.errors.append(exc.as_dict())
            if len(reading.errors) >= max_errors:
                break
            continue
        if isinstance(statement, str):
            reading.skip(statement, value.where)
            skipped_ids.add(value.data["id"].strip())
            if statement == "Sanction":
                _sanction_programs(value, programs)
        elif isinstance(statement, Relationship):
            relations.append(statement)
        else:
            reading.statements.append(statement)
    for relation in relations:
        if relation.subject in skipped_ids or relation.owner in skipped_ids:
            reading.skip(f"{relation.statement_schema} relation", relation.where)
        else:
            reading.statements.append(relation)
    for statement in reading.statements:
        if isinstance(statement, FtmParty) and statement.record in programs:
            statement.programs = list(
                dict.fromkeys(statement.programs + programs[statement.record])
            )
    return reading


def _sanction_programs(value: Value, programs: dict[str, list[str]]) -> None:
    """A ``Sanction`` entity is not mapped, but its programme goes into the reason of the
    sanctioned entity it names."""
    properties = value.data.get("properties")
    if not isinstance(properties, dict):
        return
    read = _Properties(properties, value.where)
    try:
        names, found = read.all("entity"), _programs(read)
    except RecordError:
        return
    for entity_id in names:
        programs.setdefault(entity_id, []).extend(found)


def read_entity(data: object, where: str) -> Party | Relationship | str:
    """The registry's reading of one line, or the name of its schema when the registry does
    not map it. Raises :class:`RecordError`."""
    if not isinstance(data, dict):
        raise RecordError(where, "(entity)", "an entity must be a JSON object.")
    entity_id = data.get("id")
    if not isinstance(entity_id, str) or not entity_id.strip():
        raise RecordError(where, "id", "the entity has no id.")
    entity_id = entity_id.strip()[:255]
    schema = data.get("schema")
    if not isinstance(schema, str) or not schema.strip():
        raise RecordError(f"{where} ({entity_id})", "schema", "the entity has no schema.")
    schema = schema.strip()
    where = f"{where} ({entity_id})"
    properties = data.get("properties", {})
    if not isinstance(properties, dict):
        raise RecordError(where, "properties", "properties must be an object of lists.")
    values = _Properties(properties, where)
    if schema in PARTY_KINDS:
        return _party(data, entity_id, where, schema, values)
    if schema in RELATIONS:
        return _relation(entity_id, where, schema, values)
    return schema


class _Properties:
    """An entity's multi-valued properties, each read as a list of non-empty strings."""

    def __init__(self, properties: dict, where: str):
        self.properties = properties
        self.where = where

    def all(self, name: str) -> list[str]:
        value = self.properties.get(name)
        if value is None:
            return []
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list):
            raise RecordError(self.where, f"properties.{name}", "a property is a list of values.")
        texts = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise RecordError(
                    self.where, f"properties.{name}", f"{item!r} is not a property value."
                )
            text = str(item).strip()
            if text:
                texts.append(text)
        return texts

    def first(self, name: str) -> str:
        found = self.all(name)
        return found[0] if found else ""


def _party(data: dict, entity_id: str, where: str, schema: str, values: _Properties) -> FtmParty:
    name = values.first("name")
    if not name:
        raise RecordError(where, "properties.name", f"a {schema} needs a name.")
    kind = PARTY_KINDS[schema]
    party = FtmParty(record=entity_id, where=where, kind=kind, name=name[:255])
    _country(party, values, kind)
    _lei(party, values)
    _registration_numbers(party, values)
    datasets = data.get("datasets") or []
    if not isinstance(datasets, list) or not all(isinstance(d, str) for d in datasets):
        raise RecordError(where, "datasets", "datasets must be a list of dataset names.")
    party.datasets = list(dict.fromkeys(datasets))
    party.programs = _programs(values)
    party.topics = list(dict.fromkeys(t for t in values.all("topics") if t in TOPICS))
    return party


def _programs(values: _Properties) -> list[str]:
    return list(dict.fromkeys(values.all("programId") or values.all("program")))


def _country(party: FtmParty, values: _Properties, kind: str) -> None:
    names = ("country", "nationality", "citizenship") if kind == EntityKind.PERSON else ()
    names = names or ("jurisdiction", "country", "mainCountry")
    for name in names:
        codes = values.all(name)
        for index, code in enumerate(codes):
            found = bods._country(code, party, f"properties.{name}[{index}]")
            if found:
                party.country = found
                others = {c.upper() for c in codes[index + 1 :]} - {found}
                if others:
                    party.warnings.append(
                        (
                            f"properties.{name}",
                            f"more than one country ({', '.join(sorted(others))} beside "
                            f"{found}): {found} kept.",
                        )
                    )
                return


def _lei(party: FtmParty, values: _Properties) -> None:
    for index, code in enumerate(values.all("leiCode")):
        field_name = f"properties.leiCode[{index}]"
        try:
            lei = lei_number.validate(code)
        except StdnumError as exc:
            party.warnings.append((field_name, f"“{code}” is not a valid LEI ({exc}): left out."))
            continue
        if not party.lei:
            party.lei = lei
        elif lei != party.lei:
            party.warnings.append((field_name, f"a second LEI {lei} beside {party.lei}: left out."))


def _registration_numbers(party: FtmParty, values: _Properties) -> None:
    numbers = values.all("registrationNumber")
    if not numbers:
        return
    # The register is the first jurisdiction that is a country, else the party's country.
    valid = [code[:2].upper() for code in values.all("jurisdiction") if _is_country(code)]
    country = valid[0] if valid else party.country
    if not country:
        party.warnings.append(
            (
                "properties.registrationNumber",
                "a registration number without a jurisdiction names no register: left out.",
            )
        )
        return
    scheme = REGISTER_SCHEMES.get(country, f"{country}-REG")
    for index, number in enumerate(numbers):
        if len(number) > 64:
            party.warnings.append(
                (f"properties.registrationNumber[{index}]", "longer than 64 characters: left out.")
            )
        elif (scheme, number) not in party.identifiers:
            party.identifiers.append((scheme, number))


def _is_country(code: str) -> bool:
    text = code.strip().upper()
    return (len(text) == 2 or (len(text) > 2 and text[2] == "-")) and bool(
        pycountry.countries.get(alpha_2=text[:2])
    )


def _relation(entity_id: str, where: str, schema: str, values: _Properties) -> Relationship:
    owner_name, owned_name = RELATIONS[schema]
    ends = {}
    for name in (owner_name, owned_name):
        found = values.all(name)
        if not found:
            raise RecordError(where, f"properties.{name}", f"a {schema} needs its {name}.")
        ends[name] = found[0]
    warnings = [
        (f"properties.{name}", f"a {schema} links two entities: only {ends[name]} is read.")
        for name in (owner_name, owned_name)
        if len(values.all(name)) > 1
    ]
    start = _first_date(values, "startDate", where, warnings)
    end = _first_date(values, "endDate", where, warnings)
    if start and end and end < start:
        raise RecordError(where, "properties.endDate", "the relation ends before it starts.")
    # A relation known only by its end was held at least on its last day.
    start = start or end
    edge_field = "properties"
    if schema == "Ownership":
        share, low, high = _percentage(values, where, warnings)
        if share is None and low is None and high is None:
            interest = Interest.OTHER_INFLUENCE
            edge_field = "properties.percentage"
        else:
            interest = Interest.SHAREHOLDING
            edge_field = "properties.percentage"
    else:
        share = low = high = None
        if schema == "Control":
            interest = Interest.CONTROL
        elif any(OFFICER_ROLE.search(role) for role in values.all("role")):
            interest = Interest.SENIOR_MANAGING_OFFICIAL
        else:
            interest = Interest.BOARD_MEMBER
    relation = Relationship(
        record=entity_id,
        statement=entity_id,
        where=where.rsplit(" (", 1)[0],
        subject=ends[owned_name],
        owner=ends[owner_name],
        unspecified=None,
        edges=[
            WantedEdge(
                interest=interest,
                field=edge_field,
                share=share,
                share_min=low,
                share_max=high,
                start_date=start,
                end_date=end,
            )
        ],
        indirect=0,
        statement_date=None,
        replaces=[],
        warnings=warnings,
        subject_field=f"properties.{owned_name}",
        owner_field=f"properties.{owner_name}",
        statement_schema=schema,
    )
    return relation


def _first_date(values: _Properties, name: str, where: str, warnings: list) -> object:
    dates = values.all(name)
    if len(dates) > 1:
        warnings.append((f"properties.{name}", f"more than one date: {dates[0]} is read."))
    return bods._date(dates[0], where, f"properties.{name}") if dates else None


def _percentage(
    values: _Properties, where: str, warnings: list
) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """``percentage`` as written: ``50``, ``50%``, ``25-50`` (a range) or empty (no share)."""
    written = values.all("percentage")
    if not written:
        return None, None, None
    if len(written) > 1:
        warnings.append(
            ("properties.percentage", f"more than one percentage: {written[0]} is read.")
        )
    text = written[0]
    name = "properties.percentage"
    ranged = _RANGE.match(text)
    if ranged:
        low = _percent(ranged.group(1), text, where, name)
        high = _percent(ranged.group(2), text, where, name)
        if low > high:
            raise RecordError(where, name, f"“{text}”: the range runs from high to low.")
        return (low, None, None) if low == high else (None, low, high)
    return _percent(text.rstrip("%").strip(), text, where, name), None, None


def _percent(number: str, written: str, where: str, name: str) -> Decimal:
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise RecordError(where, name, f"“{written}” is not a percentage.") from None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise RecordError(
            where, name, f"“{written}” is not a share: a share runs from 0 to 100 percent."
        )
    return value.quantize(FOUR_PLACES)
