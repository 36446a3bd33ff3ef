"""GLEIF's LEI data read into the registry's terms (DESIGN, "Mapping"): Level 1 LEI records
(LEI-CDF 3.x), Level 2 relationship records (RR-CDF 2.x) and reporting exceptions, each as
XML or as the golden-copy CSV, plain or zipped.

XML and CSV are both turned into one flat record per LEI, relationship or exception, keyed by
the golden copy's column names (``Entity.LegalName``, ``Relationship.Period.1.startDate`` …),
so one reading validates both. Files are streamed: the XML parser is lxml's ``iterparse``
with entities, DTDs and the network off, and a document that declares a DTD is refused before
its first record; a zip is checked for size, declared and actual, before and while it is read.
Nothing here reads or writes the database.
"""

import csv
import datetime
import functools
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from django.conf import settings
from lxml import etree
from stdnum import lei as lei_number
from stdnum.exceptions import ValidationError as StdnumError

from imports.formats import bods
from imports.formats.bods import RecordError, WantedEdge
from imports.formats.reader import ReadError
from registry.choices import EntityKind, Interest

LEI = "gleif-lei"
RR = "gleif-rr"
REPEX = "gleif-repex"
FORMATS = (LEI, RR, REPEX)

#: Uncompressed size of a zipped file above which it is refused (a zip bomb).
DEFAULT_MAX_UNCOMPRESSED_BYTES = 16 * 1024**3
ZIP_MAGIC = b"PK\x03\x04"
ONE_DAY = datetime.timedelta(days=1)

#: The root element of each format's XML, and a column only its CSV has.
_ROOTS = {"LEIData": LEI, "RelationshipData": RR, "ReportingExceptionData": REPEX}
_CSV_MARKERS = (
    ("Relationship.StartNode.NodeID", RR),
    ("ExceptionCategory", REPEX),
    ("Entity.LegalName", LEI),
)
#: The columns a CSV of each format must have.
REQUIRED_COLUMNS = {
    LEI: (
        "LEI",
        "Entity.LegalName",
        "Entity.LegalAddress.Country",
        "Entity.EntityStatus",
        "Registration.RegistrationStatus",
    ),
    RR: (
        "Relationship.StartNode.NodeID",
        "Relationship.EndNode.NodeID",
        "Relationship.RelationshipType",
        "Relationship.RelationshipStatus",
    ),
    REPEX: ("LEI", "ExceptionCategory", "ExceptionReason.1"),
}
#: The element each record of a format's XML is.
_RECORD_ELEMENTS = {LEI: "LEIRecord", RR: "RelationshipRecord", REPEX: "Exception"}

CONTROL_TYPES = {"IS_DIRECTLY_CONSOLIDATED_BY", "IS_INTERNATIONAL_BRANCH_OF", "IS_SUBFUND_OF"}
INFLUENCE_TYPES = {"IS_FUND-MANAGED_BY", "IS_FEEDER_TO"}
ULTIMATE = "IS_ULTIMATELY_CONSOLIDATED_BY"
RELATIONSHIP_TYPES = CONTROL_TYPES | INFLUENCE_TYPES | {ULTIMATE}
#: Relationship records GLEIF withdrew as wrong: read, never an edge.
WITHDRAWN = {"ANNULLED", "DUPLICATE"}

DIRECT = "DIRECT_ACCOUNTING_CONSOLIDATION_PARENT"
ULTIMATE_PARENT = "ULTIMATE_ACCOUNTING_CONSOLIDATION_PARENT"
EXCEPTION_CATEGORIES = {DIRECT, ULTIMATE_PARENT}
#: Reasons that say a parent exists and is not disclosed (the legacy reasons are NON_PUBLIC's).
OPAQUE_REASONS = {
    "NON_PUBLIC",
    "NATURAL_PERSONS",
    "NO_LEI",
    "LEGAL_OBSTACLES",
    "CONSENT_NOT_OBTAINED",
    "BINDING_LEGAL_COMMITMENTS",
    "DETRIMENT_NOT_EXCLUDED",
    "DISCLOSURE_DETRIMENTAL",
}
#: Reasons that say there is nothing to disclose.
OPEN_REASONS = {"NO_KNOWN_PERSON", "NON_CONSOLIDATING"}

_KINDS = {
    "FUND": EntityKind.FUND,
    "RESIDENT_GOVERNMENT_ENTITY": EntityKind.GOVERNMENT,
    "INTERNATIONAL_ORGANIZATION": EntityKind.OTHER,
}
_PERIOD = re.compile(r"^Relationship\.Period\.(\d+)\.(startDate|endDate|periodType)$")
_QUANTIFIER = re.compile(r"^Relationship\.Quantifiers\.(\d+)\.(\w+)$")


@dataclass
class LeiParty(bods.Party):
    """A Level 1 record: the entity, and the status GLEIF gives it and its LEI."""

    entity_status: str = ""
    registration_status: str = ""


@dataclass
class GleifRelationship(bods.Relationship):
    """A Level 2 record; ``relationship_type`` as published, ``active`` its status."""

    relationship_type: str = ""
    active: bool = True

    @property
    def label(self) -> str:
        return self.where


@dataclass
class ReportingException:
    """A reporting exception: why ``lei`` reports no parent of ``category``."""

    record: str
    where: str
    lei: str
    category: str
    reasons: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.where

    @property
    def opaque(self) -> bool:
        return any(reason in OPAQUE_REASONS for reason in self.reasons)


# --- Detection -----------------------------------------------------------------------------------


def detect(head: bytes) -> str | None:
    """The GLEIF format a file's first bytes show: its XML root element or its CSV header."""
    text = head.decode("utf-8-sig", errors="replace")
    if text.lstrip().startswith("<"):
        match = re.search(
            r"<(?:[\w.-]+:)?(LEIData|RelationshipData|ReportingExceptionData)\b", text
        )
        return _ROOTS[match.group(1)] if match else None
    header = text.splitlines()[0] if text else ""
    for marker, name in _CSV_MARKERS:
        if marker in header:
            return name
    return None


def zip_head(stream: BinaryIO, size: int = 4096) -> bytes:
    """The first bytes of the file a zip holds (``b""`` when it is not a usable zip)."""
    try:
        with zipfile.ZipFile(stream) as archive:
            member = _member(archive, check_size=False)
            with archive.open(member) as data:
                # Short of the declared end, so a lying size is found by the import, not here.
                return data.read(max(0, min(size, member.file_size - 1)))
    except (zipfile.BadZipFile, ReadError, OSError, NotImplementedError):
        return b""


# --- Opening -------------------------------------------------------------------------------------


def max_uncompressed_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", DEFAULT_MAX_UNCOMPRESSED_BYTES)


def _member(archive: zipfile.ZipFile, *, check_size: bool = True) -> zipfile.ZipInfo:
    files = [info for info in archive.infolist() if not info.is_dir()]
    if len(files) != 1:
        raise ReadError("(zip)", f"a zip must hold one file; this one holds {len(files)}.")
    member = files[0]
    limit = max_uncompressed_bytes()
    if check_size and member.file_size > limit:
        raise ReadError(
            f"(zip) {member.filename}",
            f"the zipped file would be {member.file_size} bytes uncompressed, above the limit of "
            f"{limit}: refused.",
        )
    return member


class _LimitedReader:
    """A zip member's bytes, refused as soon as more come out than the limit allows (a
    member whose declared size lies)."""

    def __init__(self, stream: BinaryIO, name: str, limit: int):
        self.stream, self.name, self.limit, self.count = stream, name, limit, 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size if size and size > 0 else 64 * 1024)
        self.count += len(data)
        if self.count > self.limit:
            raise ReadError(
                f"(zip) {self.name}",
                f"the zipped file holds more than the limit of {self.limit} bytes uncompressed: "
                "refused.",
            )
        return data


def _is_zip(reader) -> bool:
    stream = reader.stream
    try:
        position = stream.tell()
        head = stream.read(4)
        stream.seek(position)
    except (AttributeError, OSError):
        return False
    return head == ZIP_MAGIC


# --- Reading -------------------------------------------------------------------------------------


def read_file(reader, file_format: str) -> Iterator:
    """Every record of the file, read: :class:`LeiParty`, :class:`GleifRelationship` or
    :class:`ReportingException`, or a :class:`RecordError` for a bad record (yielded, so the
    caller reports them all). ``ReadError`` where the file itself is wrong."""
    if _is_zip(reader):
        reader.drain()  # the digest covers the archive as stored
        stream = reader.stream
        stream.seek(0)
        try:
            archive = zipfile.ZipFile(stream)
        except zipfile.BadZipFile as exc:
            raise ReadError("(zip)", f"the file is not a readable zip ({exc}).") from None
        with archive:
            member = _member(archive)
            try:
                data = archive.open(member)
            except (NotImplementedError, RuntimeError) as exc:
                raise ReadError(f"(zip) {member.filename}", f"cannot be read: {exc}.") from None
            with data:
                limited = _LimitedReader(data, member.filename, max_uncompressed_bytes())
                try:
                    yield from _read_stream(limited, file_format)
                except zipfile.BadZipFile as exc:
                    raise ReadError(f"(zip) {member.filename}", f"is damaged ({exc}).") from None
        return
    yield from _read_stream(reader, file_format)


def _read_stream(stream, file_format: str) -> Iterator:
    head = stream.read(1)
    while head in (b" ", b"\t", b"\r", b"\n"):
        head = stream.read(1)
    if head == b"\xef":  # a byte-order mark: CSV or XML follows it
        head += stream.read(2)
        rest = stream.read(1)
        while rest in (b" ", b"\t", b"\r", b"\n"):
            rest = stream.read(1)
        head += rest
    if head == b"":
        raise ReadError("line 1", "the file is empty.")
    source = _Prefixed(head, stream)
    records = _xml_records if head.lstrip(b"\xef\xbb\xbf").startswith(b"<") else _csv_records
    for where, row in records(source, file_format):
        try:
            yield _READERS[file_format](row, where)
        except RecordError as exc:
            yield exc


class _Prefixed:
    """A stream with bytes already read put back in front."""

    def __init__(self, head: bytes, stream):
        self.head, self.stream = head, stream

    def read(self, size: int = -1) -> bytes:
        if self.head:
            data, self.head = self.head, b""
            if size is None or size < 0:
                return data + self.stream.read(-1)
            return data if len(data) >= size else data + self.stream.read(size - len(data))
        return self.stream.read(size)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _xml_records(source, file_format: str) -> Iterator[tuple[str, dict[str, str]]]:
    record_tag = _RECORD_ELEMENTS[file_format]
    parser = etree.iterparse(
        source,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    index = 0
    checked = False
    try:
        for event, element in parser:
            if not checked:
                checked = True
                docinfo = element.getroottree().docinfo
                if docinfo.doctype or docinfo.internalDTD is not None:
                    raise ReadError(
                        "line 1",
                        "the XML declares a DTD (<!DOCTYPE>): DTDs and entities are refused.",
                    )
                root = _local(element.tag)
                if _ROOTS.get(root) != file_format:
                    raise ReadError(
                        f"line {element.sourceline}",
                        f"the root element is <{root}>, not the one of {file_format} "
                        f"(<{next(k for k, v in _ROOTS.items() if v == file_format)}>).",
                    )
            if event != "end" or _local(element.tag) != record_tag:
                continue
            index += 1
            if any(isinstance(node, etree._Entity) for node in element.iter()):
                raise ReadError(
                    f"record {index} (line {element.sourceline})", "entities are refused."
                )
            row = _FLATTEN[file_format](element)
            where = f"record {index} (line {element.sourceline})"
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
            yield where, row
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 1
        raise ReadError(f"line {line}", f"the XML is not well-formed: {exc.msg}.") from None


def _text(element, *path: str) -> str:
    node = element
    for name in path:
        node = next((child for child in node if _local(child.tag) == name), None)
        if node is None:
            return ""
    return (node.text or "").strip()


def _children(element, name: str):
    return [child for child in element if _local(child.tag) == name]


def _flatten_lei(element) -> dict[str, str]:
    return {
        "LEI": _text(element, "LEI"),
        "Entity.LegalName": _text(element, "Entity", "LegalName"),
        "Entity.LegalAddress.Country": _text(element, "Entity", "LegalAddress", "Country"),
        "Entity.EntityCategory": _text(element, "Entity", "EntityCategory"),
        "Entity.EntityStatus": _text(element, "Entity", "EntityStatus"),
        "Registration.RegistrationStatus": _text(element, "Registration", "RegistrationStatus"),
        "Registration.LastUpdateDate": _text(element, "Registration", "LastUpdateDate"),
    }


def _flatten_rr(element) -> dict[str, str]:
    row = {
        "Relationship.StartNode.NodeID": _text(element, "Relationship", "StartNode", "NodeID"),
        "Relationship.StartNode.NodeIDType": _text(
            element, "Relationship", "StartNode", "NodeIDType"
        ),
        "Relationship.EndNode.NodeID": _text(element, "Relationship", "EndNode", "NodeID"),
        "Relationship.EndNode.NodeIDType": _text(element, "Relationship", "EndNode", "NodeIDType"),
        "Relationship.RelationshipType": _text(element, "Relationship", "RelationshipType"),
        "Relationship.RelationshipStatus": _text(element, "Relationship", "RelationshipStatus"),
        "Registration.InitialRegistrationDate": _text(
            element, "Registration", "InitialRegistrationDate"
        ),
        "Registration.LastUpdateDate": _text(element, "Registration", "LastUpdateDate"),
        "Registration.RegistrationStatus": _text(element, "Registration", "RegistrationStatus"),
    }
    relationship = next(iter(_children(element, "Relationship")), None)
    if relationship is None:
        return row
    for periods in _children(relationship, "RelationshipPeriods"):
        for number, period in enumerate(_children(periods, "RelationshipPeriod"), 1):
            row[f"Relationship.Period.{number}.startDate"] = _text(period, "StartDate")
            row[f"Relationship.Period.{number}.endDate"] = _text(period, "EndDate")
            row[f"Relationship.Period.{number}.periodType"] = _text(period, "PeriodType")
    for quantifiers in _children(relationship, "RelationshipQuantifiers"):
        for number, quantifier in enumerate(_children(quantifiers, "RelationshipQuantifier"), 1):
            for name in ("MeasurementMethod", "QuantifierAmount", "QuantifierUnits"):
                row[f"Relationship.Quantifiers.{number}.{name}"] = _text(quantifier, name)
    return row


def _flatten_repex(element) -> dict[str, str]:
    row = {"LEI": _text(element, "LEI"), "ExceptionCategory": _text(element, "ExceptionCategory")}
    for number, reason in enumerate(_children(element, "ExceptionReason"), 1):
        row[f"ExceptionReason.{number}"] = (reason.text or "").strip()
    return row


_FLATTEN = {LEI: _flatten_lei, RR: _flatten_rr, REPEX: _flatten_repex}


class _RawBytes(io.RawIOBase):
    """A stream that has only ``read(size)`` (the hashing reader, a zip member, a prefix put
    back), as raw bytes for ``io.TextIOWrapper``."""

    def __init__(self, stream):
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _text_lines(stream) -> io.TextIOWrapper:
    """The stream's UTF-8 text (a byte-order mark dropped), its lines as the csv module
    wants them (``newline=""``): decoded a block at a time, not a line at a time."""
    return io.TextIOWrapper(
        io.BufferedReader(_RawBytes(stream), 256 * 1024), encoding="utf-8-sig", newline=""
    )


def _csv_records(source, file_format: str) -> Iterator[tuple[str, dict[str, str]]]:
    rows = csv.reader(_text_lines(source))
    try:
        header = next(rows, None)
        if not header:
            raise ReadError("line 1", "the CSV has no header.")
        header = [name.strip() for name in header]
        missing = [name for name in REQUIRED_COLUMNS[file_format] if name not in header]
        if missing:
            raise ReadError(
                "line 1",
                f"the CSV header lacks the column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} of {file_format}.",
            )
        number = 0
        for values in rows:
            if not any(value.strip() for value in values):
                continue
            number += 1
            where = f"row {number} (line {rows.line_num})"
            if len(values) != len(header):
                raise ReadError(
                    where, f"the row has {len(values)} fields; the header has {len(header)}."
                )
            yield where, {name: value.strip() for name, value in zip(header, values, strict=True)}
    except csv.Error as exc:
        raise ReadError(f"line {rows.line_num}", f"the CSV is malformed: {exc}.") from None
    except UnicodeDecodeError as exc:
        raise ReadError("(file)", f"the file is not UTF-8 text ({exc.reason}).") from None


# --- Records into the registry's terms -----------------------------------------------------------


#: Each character of an LEI as the digits ISO 7064 MOD 97-10 reads it as (A = 10 … Z = 35).
_BASE10 = str.maketrans({c: str(int(c, 36)) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


def _lei(value: str, where: str, name: str) -> str:
    """The LEI as python-stdnum validates it. One already in its compact form (upper-case
    letters and digits, as GLEIF publishes every LEI) has its check digits checked here, by
    the same MOD 97-10 sum, without stdnum's per-character work; any other is stdnum's to
    compact, and every refusal is worded by stdnum."""
    if not value:
        raise RecordError(where, name, "the LEI is missing.")
    canonical = value.isascii() and value.isalnum() and value == value.upper()
    if canonical and int(value.translate(_BASE10)) % 97 == 1:
        return value
    try:
        return lei_number.validate(value)
    except StdnumError as exc:
        raise RecordError(where, name, f"“{value}” is not a valid LEI: {exc}") from None


#: Dates and country codes already read, as read: a golden copy repeats a few thousand of each.
_DATES: dict[str, datetime.date] = {}
_COUNTRIES: dict[str, str] = {}
_CACHE_SIZE = 50_000


def _date(value: str, where: str, name: str) -> datetime.date | None:
    # A date accepted once stays accepted: the latest date allowed only moves later.
    if not value:
        return None
    parsed = _DATES.get(value)
    if parsed is None:
        parsed = bods._date(value, where, name)
        if len(_DATES) < _CACHE_SIZE:
            _DATES[value] = parsed
    return parsed


def _country(code: str, party: LeiParty, field_name: str) -> str:
    country = _COUNTRIES.get(code)
    if country is None:
        country = bods._country(code, party, field_name)
        if country and len(_COUNTRIES) < _CACHE_SIZE:
            _COUNTRIES[code] = country
    return country


def read_lei(row: dict[str, str], where: str) -> LeiParty:
    lei = _lei(row.get("LEI", ""), where, "LEI")
    where = f"{where} (LEI {lei})"
    name = row.get("Entity.LegalName", "")
    if not name:
        raise RecordError(where, "Entity.LegalName", "the legal name is missing.")
    party = LeiParty(
        record=lei,
        where=where,
        kind=_KINDS.get(row.get("Entity.EntityCategory", "").upper(), EntityKind.COMPANY),
        name=name[:255],
        lei=lei,
        statement_date=_date(
            row.get("Registration.LastUpdateDate", ""), where, "Registration.LastUpdateDate"
        ),
        entity_status=row.get("Entity.EntityStatus", "").upper()[:16],
        registration_status=row.get("Registration.RegistrationStatus", "").upper()[:32],
    )
    party.country = _country(
        row.get("Entity.LegalAddress.Country", ""), party, "Entity.LegalAddress.Country"
    )
    return party


@functools.cache
def _column_parts(name: str) -> tuple[str, str, str] | None:
    """``("period", "2", "endDate")`` for ``Relationship.Period.2.endDate``, ``("quantifier",
    "1", "QuantifierUnits")`` for a quantifier's column, else ``None``: read once a column
    name, not once a row (a file has a few dozen names)."""
    for kind, pattern in (("period", _PERIOD), ("quantifier", _QUANTIFIER)):
        match = pattern.match(name)
        if match:
            return kind, match.group(1), match.group(2)
    return None


def _numbered(row: dict[str, str], kind: str) -> dict[str, dict[str, str]]:
    numbered: dict[str, dict[str, str]] = {}
    for name, value in row.items():
        parts = _column_parts(name)
        if parts is not None and parts[0] == kind:
            numbered.setdefault(parts[1], {})[parts[2]] = value
    return numbered


def _relationship_period(row: dict[str, str], where: str) -> tuple:
    periods = _numbered(row, "period")
    for number, period in sorted(periods.items(), key=lambda item: int(item[0])):
        if period.get("periodType", "").upper() == "RELATIONSHIP_PERIOD":
            prefix = f"Relationship.Period.{number}"
            start = _date(period.get("startDate", ""), where, f"{prefix}.startDate")
            end = _date(period.get("endDate", ""), where, f"{prefix}.endDate")
            if start and end and end < start:
                raise RecordError(where, f"{prefix}.endDate", "the period ends before it starts.")
            return start, end
    return None, None


def _percentage(row: dict[str, str], where: str) -> Decimal | None:
    quantifiers = _numbered(row, "quantifier")
    for number, quantifier in sorted(quantifiers.items(), key=lambda item: int(item[0])):
        if quantifier.get("QuantifierUnits", "").upper() != "PERCENTAGE":
            continue
        name = f"Relationship.Quantifiers.{number}.QuantifierAmount"
        amount = quantifier.get("QuantifierAmount", "")
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise RecordError(where, name, f"“{amount}” is not a number.") from None
        if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
            raise RecordError(where, name, f"{amount} is not a percentage from 0 to 100.")
        return value.quantize(bods.FOUR_PLACES)
    return None


def read_rr(row: dict[str, str], where: str) -> GleifRelationship:
    child = _lei(
        row.get("Relationship.StartNode.NodeID", ""), where, "Relationship.StartNode.NodeID"
    )
    parent = _lei(row.get("Relationship.EndNode.NodeID", ""), where, "Relationship.EndNode.NodeID")
    for side in ("StartNode", "EndNode"):
        name = f"Relationship.{side}.NodeIDType"
        if row.get(name, "LEI").upper() not in ("LEI", ""):
            raise RecordError(where, name, f"“{row[name]}” is not LEI: only LEIs are nodes.")
    kind = row.get("Relationship.RelationshipType", "").upper()
    record = f"{child}:{kind}:{parent}"
    where = f"{where} ({child} {kind} {parent})"
    if kind not in RELATIONSHIP_TYPES:
        raise RecordError(
            where,
            "Relationship.RelationshipType",
            f"“{row.get('Relationship.RelationshipType', '')}” is not a relationship type "
            f"({', '.join(sorted(RELATIONSHIP_TYPES))}).",
        )
    status = row.get("Relationship.RelationshipStatus", "").upper()
    if status not in ("ACTIVE", "INACTIVE", "NULL", ""):
        raise RecordError(
            where,
            "Relationship.RelationshipStatus",
            f"“{status}” is not a relationship status (ACTIVE, INACTIVE).",
        )
    updated = _date(
        row.get("Registration.LastUpdateDate", ""), where, "Registration.LastUpdateDate"
    )
    registered = _date(
        row.get("Registration.InitialRegistrationDate", ""),
        where,
        "Registration.InitialRegistrationDate",
    )
    start, end = _relationship_period(row, where)
    if status == "INACTIVE" and end is None:
        # Inactive without an end date: it ended by the time the record said so.
        day = updated or datetime.date.today()
        end = max(day - ONE_DAY, start or registered or day - ONE_DAY)
    start = start or registered
    relationship = GleifRelationship(
        record=record,
        statement=record,
        where=where,
        subject=child,
        owner=parent,
        unspecified=None,
        edges=[],
        indirect=0,
        statement_date=updated,
        replaces=[],
        relationship_type=kind,
        active=status != "INACTIVE",
    )
    registration = row.get("Registration.RegistrationStatus", "").upper()
    if registration in WITHDRAWN:
        relationship.warnings.append(
            ("Registration.RegistrationStatus", f"the record is {registration}: read, not applied.")
        )
        return relationship
    if kind == ULTIMATE:
        return relationship
    field_name = "Relationship.RelationshipType"
    if kind in CONTROL_TYPES:
        relationship.edges.append(
            WantedEdge(interest=Interest.CONTROL, field=field_name, start_date=start, end_date=end)
        )
        share = _percentage(row, where)
        if share is not None:
            relationship.edges.append(
                WantedEdge(
                    interest=Interest.SHAREHOLDING,
                    field="Relationship.Quantifiers",
                    share=share,
                    start_date=start,
                    end_date=end,
                )
            )
    else:
        relationship.edges.append(
            WantedEdge(
                interest=Interest.OTHER_INFLUENCE, field=field_name, start_date=start, end_date=end
            )
        )
    return relationship


def read_repex(row: dict[str, str], where: str) -> ReportingException:
    lei = _lei(row.get("LEI", ""), where, "LEI")
    category = row.get("ExceptionCategory", "").upper()
    where = f"{where} (LEI {lei} {category})"
    if category not in EXCEPTION_CATEGORIES:
        raise RecordError(
            where,
            "ExceptionCategory",
            f"“{row.get('ExceptionCategory', '')}” is not an exception category "
            f"({', '.join(sorted(EXCEPTION_CATEGORIES))}).",
        )
    reasons = []
    for name in sorted(
        (n for n in row if n.startswith("ExceptionReason.")), key=lambda n: int(n.split(".")[1])
    ):
        reason = row[name].upper()
        if not reason:
            continue
        if reason not in OPAQUE_REASONS | OPEN_REASONS:
            raise RecordError(
                where,
                name,
                f"“{row[name]}” is not an exception reason "
                f"({', '.join(sorted(OPAQUE_REASONS | OPEN_REASONS))}).",
            )
        reasons.append(reason)
    if not reasons:
        raise RecordError(where, "ExceptionReason.1", "the exception gives no reason.")
    return ReportingException(
        record=f"{lei}:{category}", where=where, lei=lei, category=category, reasons=reasons
    )


_READERS = {LEI: read_lei, RR: read_rr, REPEX: read_repex}
