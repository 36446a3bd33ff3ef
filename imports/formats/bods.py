"""BODS 0.2, 0.3 and 0.4 statements read into the registry's terms (DESIGN, "Mapping").

Each statement is validated where it stands (its position in the file and the field), and
turned into a :class:`Party` (an entity or person statement) or a :class:`Relationship` (an
ownership-or-control statement) that says what the registry should hold. Nothing here reads or
writes the database.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pycountry
from stdnum import lei as lei_number
from stdnum.exceptions import ValidationError as StdnumError

from registry.choices import EntityKind, Interest
from registry.validators import EARLIEST_DATE, LATEST_YEARS_AHEAD

#: ``control`` when the registry has it, else the nearest interest it knows.
CONTROL_INTEREST = getattr(Interest, "CONTROL", Interest.OTHER_INFLUENCE)

VERSIONS = ("0.2", "0.3", "0.4")
LEI_SCHEMES = {"XI-LEI", "LEI"}
FOUR_PLACES = Decimal("0.0001")
ONE_DAY = datetime.timedelta(days=1)
#: An interest's ``details`` beginning so says that it confers control.
CONFERS_CONTROL = "confers control"

#: Unspecified-owner reasons that say nothing is hidden (recorded, not opacity).
NOT_OPACITY = {"nobeneficialowners", "subjectexemptfromdisclosure"}

_INTERESTS = {
    "shareholding": Interest.SHAREHOLDING,
    "votingrights": Interest.VOTING_RIGHTS,
    "boardmember": Interest.BOARD_MEMBER,
    "boardchair": Interest.BOARD_MEMBER,
    "seniormanagingofficial": Interest.SENIOR_MANAGING_OFFICIAL,
}
#: Interests without a share of their own (control "carries no share").
_SEATS = {Interest.BOARD_MEMBER, Interest.SENIOR_MANAGING_OFFICIAL}

_ENTITY_KINDS = {
    "registeredentity": EntityKind.COMPANY,
    "legalentity": EntityKind.COMPANY,
    "arrangement": EntityKind.OTHER,
    "state": EntityKind.GOVERNMENT,
    "statebody": EntityKind.GOVERNMENT,
    "fund": EntityKind.FUND,
}
_UNKNOWN_ENTITY_TYPES = {"anonymousentity", "unknownentity"}
_UNKNOWN_PERSON_TYPES = {"anonymousperson", "unknownperson"}

#: The whole value: a date, partial or full, or a full date with an ISO 8601 time (published
#: files write ``2020-09-11T16:30:23Z``, its day is the date); anything else after it
#: (``2024-01-01junk``) is not a date.
_DATE = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})"
    r"(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)?)?"
)


def _key(value: object) -> str:
    """``voting-rights``, ``votingRights`` and ``VotingRights`` are one code."""
    return str(value or "").replace("-", "").replace("_", "").lower()


class RecordError(Exception):
    """A statement the importer refuses: where it is, which field, and why."""

    def __init__(self, record: str, field: str, message: str):
        super().__init__(f"{record}, {field}: {message}")
        self.record = record
        self.field = field
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"record": self.record, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class Unspecified:
    """An owner the statement does not name, and why."""

    reason: str
    description: str = ""

    @property
    def is_opacity(self) -> bool:
        return _key(self.reason) not in NOT_OPACITY


@dataclass
class Party:
    """An entity or person statement. ``unspecified`` is set for an anonymous or unknown one,
    which is never an entity of the registry."""

    record: str
    where: str
    kind: str
    name: str
    country: str = ""
    lei: str = ""
    identifiers: list[tuple[str, str]] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    statement_date: datetime.date | None = None
    unspecified: Unspecified | None = None
    pep: bool = False
    warnings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.where


@dataclass(frozen=True)
class WantedEdge:
    """One direct interest as the registry holds it."""

    interest: str
    field: str
    share: Decimal | None = None
    share_min: Decimal | None = None
    share_max: Decimal | None = None
    start_date: datetime.date | None = None
    #: The last day it is held: the day before the published endDate.
    end_date: datetime.date | None = None


@dataclass
class Relationship:
    """An ownership-or-control statement: ``owner`` (a record id) or ``unspecified`` holds
    ``edges`` in ``subject``; ``replaces`` names the records whose edges it supersedes."""

    record: str
    statement: str
    where: str
    subject: str
    owner: str | None
    unspecified: Unspecified | None
    edges: list[WantedEdge]
    indirect: int
    statement_date: datetime.date | None
    replaces: list[str]
    closed: bool = False
    warnings: list[tuple[str, str]] = field(default_factory=list)
    #: The fields that name the subject and the owner, where the format has its own names.
    subject_field: str = ""
    owner_field: str = ""
    #: The schema of a format that has several relation schemas (FollowTheMoney).
    statement_schema: str = ""

    @property
    def label(self) -> str:
        return f"{self.where} ({self.statement})"


def statement_version(data: dict, where: str) -> str:
    """The BODS version a statement declares (``0.2`` when it declares none)."""
    details = data.get("publicationDetails")
    version = details.get("bodsVersion") if isinstance(details, dict) else None
    if version is None:
        return "0.2"
    text = str(version)
    for known in VERSIONS:
        if text == known or text.startswith(known + "."):
            return known
    raise RecordError(
        where,
        "publicationDetails.bodsVersion",
        f"BODS version “{text}” is not supported (0.2, 0.3 and 0.4 are).",
    )


def read_statement(data: object, where: str) -> Party | Relationship | None:
    """The registry's reading of one statement; ``None`` for a statement that says nothing
    about ownership (an annotation-only record type). Raises :class:`RecordError`."""
    if not isinstance(data, dict):
        raise RecordError(where, "(statement)", "a statement must be a JSON object.")
    version = statement_version(data, where)
    if version == "0.4" or "recordType" in data:
        return _read_04(data, where)
    return _read_02(data, where)


# --- BODS 0.2 and 0.3 ----------------------------------------------------------------------------


def _read_02(data: dict, where: str) -> Party | Relationship | None:
    statement = _text(data, "statementID", where, required=True)
    kind = data.get("statementType")
    where = f"{where} ({statement})"
    date = _date(data.get("statementDate"), where, "statementDate")
    replaces = _string_list(data.get("replacesStatements"), where, "replacesStatements")
    if kind == "entityStatement":
        return _entity(data, statement, where, date, replaces, data.get("entityType"))
    if kind == "personStatement":
        return _person(data, statement, where, date, replaces)
    if kind == "ownershipOrControlStatement":
        subject = data.get("subject")
        subject_id = (
            subject.get("describedByEntityStatement") if isinstance(subject, dict) else None
        )
        if not isinstance(subject_id, str) or not subject_id:
            raise RecordError(
                where, "subject.describedByEntityStatement", "the subject's statement is missing."
            )
        party = data.get("interestedParty")
        owner, unspecified = None, None
        if isinstance(party, dict) and isinstance(party.get("unspecified"), dict):
            unspecified = _unspecified(party["unspecified"])
        elif isinstance(party, dict):
            owner = party.get("describedByEntityStatement") or party.get(
                "describedByPersonStatement"
            )
        if unspecified is None and (not isinstance(owner, str) or not owner):
            raise RecordError(where, "interestedParty", "the interested party names no statement.")
        return _relationship(data, statement, statement, where, subject_id, owner, unspecified)
    raise RecordError(
        where,
        "statementType",
        f"“{kind}” is not a statement type (entityStatement, personStatement, "
        "ownershipOrControlStatement).",
    )


# --- BODS 0.4 ------------------------------------------------------------------------------------


def _read_04(data: dict, where: str) -> Party | Relationship | None:
    statement = _text(data, "statementId", where, required=True)
    where = f"{where} ({statement})"
    record = _text(data, "recordId", where, required=True)
    kind = data.get("recordType")
    details = data.get("recordDetails")
    if not isinstance(details, dict):
        raise RecordError(where, "recordDetails", "the record's details are missing.")
    date = _date(data.get("statementDate"), where, "statementDate")
    closed = data.get("recordStatus") == "closed"
    if kind == "entity":
        entity_type = details.get("entityType")
        if isinstance(entity_type, dict):
            # The details say "fund" in the registry's own exports (BODS has no fund type).
            fund = _key(entity_type.get("details")) == "fund"
            entity_type = "fund" if fund else entity_type.get("type")
        return _entity(details, record, where, date, [], entity_type, field_prefix="recordDetails.")
    if kind == "person":
        return _person(details, record, where, date, [], field_prefix="recordDetails.")
    if kind == "relationship":
        subject = details.get("subject")
        if not isinstance(subject, str) or not subject:
            raise RecordError(where, "recordDetails.subject", "the subject's record is missing.")
        party = details.get("interestedParty")
        owner, unspecified = None, None
        if isinstance(party, dict):
            unspecified = _unspecified(party)
        elif isinstance(party, str) and party:
            owner = party
        else:
            raise RecordError(
                where, "recordDetails.interestedParty", "the interested party is missing."
            )
        relationship = _relationship(
            details,
            record,
            statement,
            where,
            subject,
            owner,
            unspecified,
            field_prefix="recordDetails.",
            date=date,
        )
        relationship.replaces = [record]
        relationship.closed = closed
        return relationship
    raise RecordError(
        where, "recordType", f"“{kind}” is not a record type (entity, person, relationship)."
    )


# --- Shared readings -----------------------------------------------------------------------------


def _entity(
    data: dict,
    record: str,
    where: str,
    date: datetime.date | None,
    replaces: list[str],
    entity_type: object,
    *,
    field_prefix: str = "",
) -> Party:
    type_key = _key(entity_type)
    if type_key in _UNKNOWN_ENTITY_TYPES:
        details = data.get("unspecifiedEntityDetails")
        reason = details.get("reason", type_key) if isinstance(details, dict) else type_key
        description = details.get("description", "") if isinstance(details, dict) else ""
        return Party(
            record=record,
            where=where,
            kind=EntityKind.COMPANY,
            name="",
            replaces=replaces,
            statement_date=date,
            unspecified=Unspecified(str(reason), str(description or "")),
        )
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RecordError(where, f"{field_prefix}name", "an entity needs a name.")
    party = Party(
        record=record,
        where=where,
        kind=_ENTITY_KINDS.get(type_key, EntityKind.COMPANY),
        name=name.strip()[:255],
        replaces=replaces,
        statement_date=date,
    )
    jurisdiction = data.get("jurisdiction") or data.get("incorporatedInJurisdiction")
    code = jurisdiction.get("code") if isinstance(jurisdiction, dict) else None
    party.country = _country(code, party, f"{field_prefix}jurisdiction.code")
    _identifiers(data.get("identifiers"), party, f"{field_prefix}identifiers")
    return party


def _person(
    data: dict,
    record: str,
    where: str,
    date: datetime.date | None,
    replaces: list[str],
    *,
    field_prefix: str = "",
) -> Party:
    person_type = _key(data.get("personType"))
    if person_type in _UNKNOWN_PERSON_TYPES:
        details = data.get("unspecifiedPersonDetails")
        reason = details.get("reason", person_type) if isinstance(details, dict) else person_type
        description = details.get("description", "") if isinstance(details, dict) else ""
        return Party(
            record=record,
            where=where,
            kind=EntityKind.PERSON,
            name="",
            replaces=replaces,
            statement_date=date,
            unspecified=Unspecified(str(reason), str(description or "")),
        )
    name = _person_name(data.get("names"))
    if not name:
        raise RecordError(where, f"{field_prefix}names", "a known person needs a name.")
    party = Party(
        record=record,
        where=where,
        kind=EntityKind.PERSON,
        name=name[:255],
        replaces=replaces,
        statement_date=date,
    )
    nationalities = data.get("nationalities")
    if isinstance(nationalities, list) and nationalities and isinstance(nationalities[0], dict):
        party.country = _country(
            nationalities[0].get("code"), party, f"{field_prefix}nationalities[0].code"
        )
    exposure = data.get("politicalExposure")
    party.pep = data.get("hasPepStatus") is True or (
        isinstance(exposure, dict) and _key(exposure.get("status")) == "ispep"
    )
    _identifiers(data.get("identifiers"), party, f"{field_prefix}identifiers")
    return party


def _person_name(names: object) -> str:
    if not isinstance(names, list):
        return ""
    entries = [entry for entry in names if isinstance(entry, dict)]
    preferred = sorted(
        entries, key=lambda entry: entry.get("type") not in ("individual", "legal", None)
    )
    for entry in preferred:
        full = entry.get("fullName")
        if isinstance(full, str) and full.strip():
            return full.strip()
        parts = [entry.get("givenName"), entry.get("familyName")]
        joined = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
        if joined:
            return joined
    return ""


def _country(code: object, party: Party, field_name: str) -> str:
    if code in (None, ""):
        return ""
    text = str(code).strip().upper()
    candidate = text[:2] if len(text) > 2 and text[2] == "-" else text
    if len(candidate) == 2 and pycountry.countries.get(alpha_2=candidate):
        return candidate
    party.warnings.append((field_name, f"“{code}” is not an ISO 3166-1 country code: left out."))
    return ""


def _identifiers(items: object, party: Party, field_name: str) -> None:
    if items is None:
        return
    if not isinstance(items, list):
        raise RecordError(party.label, field_name, "identifiers must be a list.")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise RecordError(party.label, f"{field_name}[{index}]", "an identifier is an object.")
        scheme = str(item.get("scheme") or "").strip().upper()
        value = str(item.get("id") or "").strip()
        if not value:
            continue
        if scheme in LEI_SCHEMES:
            try:
                party.lei = lei_number.validate(value)
            except StdnumError as exc:
                raise RecordError(
                    party.label, f"{field_name}[{index}].id", f"“{value}” is not a valid LEI: {exc}"
                ) from None
            continue
        if not scheme or ":" in scheme or len(scheme) > 32 or len(value) > 64:
            party.warnings.append(
                (
                    f"{field_name}[{index}]",
                    f"identifier “{scheme}:{value}” has no usable scheme code: left out.",
                )
            )
            continue
        if (scheme, value) not in party.identifiers:
            party.identifiers.append((scheme, value))


def _unspecified(data: dict) -> Unspecified:
    return Unspecified(str(data.get("reason") or "unknown"), str(data.get("description") or ""))


def _relationship(
    data: dict,
    record: str,
    statement: str,
    where: str,
    subject: str,
    owner: str | None,
    unspecified: Unspecified | None,
    *,
    field_prefix: str = "",
    date: datetime.date | None = None,
) -> Relationship:
    if date is None:
        date = _date(data.get("statementDate"), where, "statementDate")
    interests = data.get("interests") or []
    if not isinstance(interests, list):
        raise RecordError(where, f"{field_prefix}interests", "interests must be a list.")
    relationship = Relationship(
        record=record,
        statement=statement,
        where=where.rsplit(" (", 1)[0],
        subject=subject,
        owner=owner,
        unspecified=unspecified,
        edges=[],
        indirect=0,
        statement_date=date,
        replaces=_string_list(data.get("replacesStatements"), where, "replacesStatements"),
    )
    seen: set[str] = set()
    for index, interest in enumerate(interests):
        name = f"{field_prefix}interests[{index}]"
        if not isinstance(interest, dict):
            raise RecordError(where, name, "an interest is an object.")
        level = _key(interest.get("directOrIndirect") or interest.get("interestLevel"))
        edge = _edge(interest, where, name)
        if level == "indirect":
            relationship.indirect += 1
            continue
        if edge.interest == Interest.SHAREHOLDING and (
            edge.share is None and edge.share_min is None and edge.share_max is None
        ):
            relationship.warnings.append(
                (f"{name}.share", "a shareholding without a share is recorded as other influence.")
            )
            edge = WantedEdge(
                interest=Interest.OTHER_INFLUENCE,
                field=name,
                start_date=edge.start_date,
                end_date=edge.end_date,
            )
        if edge.interest in seen:
            relationship.warnings.append(
                (f"{name}.type", f"a second {edge.interest} interest in one statement: left out.")
            )
            continue
        seen.add(edge.interest)
        relationship.edges.append(edge)
    return relationship


def _edge(interest: dict, where: str, name: str) -> WantedEdge:
    type_key = _key(interest.get("type"))
    mapped = _INTERESTS.get(type_key)
    if mapped is None:
        mapped = CONTROL_INTEREST if _confers_control(interest) else Interest.OTHER_INFLUENCE
    start = _date(interest.get("startDate"), where, f"{name}.startDate")
    ended = _date(interest.get("endDate"), where, f"{name}.endDate")
    if start and ended and ended < start:
        raise RecordError(where, f"{name}.endDate", "the interest ends before it starts.")
    # BODS's endDate is the day the interest ended — the day a successor's starts (the
    # standard's own examples hand a stake over on one date) — so the edge's last day is the
    # day before (an interest that ends the day it starts still held that day).
    end = None if ended is None else max(ended - ONE_DAY, start or ended - ONE_DAY)
    share, low, high = _share(interest.get("share"), where, f"{name}.share")
    if mapped in _SEATS or (mapped == CONTROL_INTEREST != Interest.OTHER_INFLUENCE):
        # A seat or control carries no share.
        share, low, high = None, None, None
    return WantedEdge(
        interest=mapped,
        field=name,
        share=share,
        share_min=low,
        share_max=high,
        start_date=start,
        end_date=end,
    )


def _confers_control(interest: dict) -> bool:
    """The statement says the interest confers control: it is a beneficial owner's
    (``beneficialOwnershipOrControl``), or its ``details`` say so, as the export writes for an
    entity's control (the standard keeps that flag for persons)."""
    if interest.get("beneficialOwnershipOrControl") is True:
        return True
    details = interest.get("details")
    return isinstance(details, str) and details.strip().lower().startswith(CONFERS_CONTROL)


def _share(data: object, where: str, name: str) -> tuple[Decimal | None, ...]:
    """``(exact, minimum, maximum)`` in percent: an exact share wins over its bounds, and an
    exclusive bound (a number in 0.4) is taken at its value."""
    if data is None:
        return None, None, None
    if not isinstance(data, dict):
        raise RecordError(where, name, "a share is an object (exact, minimum, maximum).")
    exact = _percent(data.get("exact"), where, f"{name}.exact")
    if exact is not None:
        return exact, None, None
    low = _percent(data.get("minimum"), where, f"{name}.minimum")
    if low is None:
        low = _percent(_bound(data.get("exclusiveMinimum")), where, f"{name}.exclusiveMinimum")
    high = _percent(data.get("maximum"), where, f"{name}.maximum")
    if high is None:
        high = _percent(_bound(data.get("exclusiveMaximum")), where, f"{name}.exclusiveMaximum")
    if low is not None and high is not None and low > high:
        raise RecordError(
            where, f"{name}.minimum", f"the minimum {low} is above the maximum {high}."
        )
    if low is not None and high is not None and low == high:
        return low, None, None
    return None, low, high


def _bound(value: object) -> object:
    # In 0.2 and 0.3 an exclusive bound is a flag on minimum/maximum; in 0.4 it is the number.
    return None if isinstance(value, bool) else value


def _percent(value: object, where: str, name: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RecordError(where, name, f"{value!r} is not a number.")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise RecordError(where, name, f"“{value}” is not a number.") from None
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        raise RecordError(
            where, name, f"{value} is not a share: a share runs from 0 to 100 percent."
        )
    return number.quantize(FOUR_PLACES)


def _date(value: object, where: str, name: str) -> datetime.date | None:
    """A BODS date: ``2016-04-06``, or partial (``2016-04``, ``2016``: the first day)."""
    if value in (None, ""):
        return None
    match = _DATE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise RecordError(where, name, f"“{value}” is not a date (YYYY-MM-DD).")
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        parsed = datetime.date(year, month, day)
    except ValueError:
        raise RecordError(where, name, f"“{value}” is not a date (YYYY-MM-DD).") from None
    latest = datetime.date.today() + datetime.timedelta(days=round(365.25 * LATEST_YEARS_AHEAD))
    if not EARLIEST_DATE <= parsed <= latest:
        raise RecordError(
            where, name, f"{parsed} is outside the dates the registry accepts (1900 to +10 years)."
        )
    return parsed


def _text(data: dict, name: str, where: str, *, required: bool = False) -> str:
    value = data.get(name)
    if value in (None, "") and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise RecordError(where, name, f"the statement's {name} is missing.")
    return value.strip()[:255]


def _string_list(value: object, where: str, name: str) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RecordError(where, name, "must be a list of statement ids.")
    return list(value)
