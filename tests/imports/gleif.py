"""GLEIF files written for the tests, after the published schemas: LEI-CDF 3.1 and RR-CDF 2.1
XML, the reporting exceptions XML, and the golden copy's CSV columns."""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from stdnum.iso7064 import mod_97_10

LEI_NS = "http://www.gleif.org/data/schema/leidata/2016"
RR_NS = "http://www.gleif.org/data/schema/rr/2016"
REPEX_NS = "http://www.gleif.org/data/schema/repex/2016"


def make_lei(prefix: str) -> str:
    """An LEI with its check digits: ``prefix`` padded to 18 characters."""
    base = (prefix.upper() + "0" * 18)[:18]
    return base + mod_97_10.calc_check_digits(base)


def bad_check_digits(lei: str) -> str:
    digits = int(lei[-2:])
    return lei[:-2] + f"{(digits + 1) % 100:02d}"


@dataclass
class Lei:
    lei: str
    name: str
    country: str = "US"
    status: str = "ACTIVE"
    registration: str = "ISSUED"
    category: str = "GENERAL"
    updated: str = "2024-03-01T09:00:00Z"


@dataclass
class Rel:
    child: str
    parent: str
    kind: str = "IS_DIRECTLY_CONSOLIDATED_BY"
    status: str = "ACTIVE"
    start: str = "2020-01-01T00:00:00Z"
    end: str = ""
    percent: str = ""
    updated: str = "2024-03-01T09:00:00Z"
    registration: str = "PUBLISHED"
    #: Other periods the record gives besides its RELATIONSHIP_PERIOD.
    accounting: tuple[str, str] | None = ("2023-01-01T00:00:00Z", "2023-12-31T00:00:00Z")


@dataclass
class Repex:
    lei: str
    category: str = "DIRECT_ACCOUNTING_CONSOLIDATION_PARENT"
    reasons: list[str] = field(default_factory=lambda: ["NON_PUBLIC"])


def _header(prefix: str, content: str, count: int) -> str:
    return (
        f"<{prefix}:Header><{prefix}:ContentDate>2024-03-02T08:00:00Z</{prefix}:ContentDate>"
        f"<{prefix}:Originator>5493001KJTIIGC8Y1R12</{prefix}:Originator>"
        f"<{prefix}:FileContent>{content}</{prefix}:FileContent>"
        f"<{prefix}:RecordCount>{count}</{prefix}:RecordCount></{prefix}:Header>"
    )


def lei_xml(records: list[Lei], *, content: str = "GLEIF_FULL_PUBLISHED", doctype="") -> str:
    body = "".join(
        f"""
    <lei:LEIRecord>
      <lei:LEI>{r.lei}</lei:LEI>
      <lei:Entity>
        <lei:LegalName xml:lang="en">{escape(r.name)}</lei:LegalName>
        <lei:LegalAddress xml:lang="en">
          <lei:FirstAddressLine>1 Main Street</lei:FirstAddressLine>
          <lei:City>Springfield</lei:City>
          <lei:Country>{r.country}</lei:Country>
          <lei:PostalCode>12345</lei:PostalCode>
        </lei:LegalAddress>
        <lei:HeadquartersAddress xml:lang="en">
          <lei:FirstAddressLine>2 Side Street</lei:FirstAddressLine>
          <lei:City>Elsewhere</lei:City>
          <lei:Country>LU</lei:Country>
        </lei:HeadquartersAddress>
        <lei:LegalJurisdiction>{r.country}</lei:LegalJurisdiction>
        <lei:EntityCategory>{r.category}</lei:EntityCategory>
        <lei:LegalForm><lei:EntityLegalFormCode>8888</lei:EntityLegalFormCode></lei:LegalForm>
        <lei:EntityStatus>{r.status}</lei:EntityStatus>
      </lei:Entity>
      <lei:Registration>
        <lei:InitialRegistrationDate>2014-01-01T00:00:00Z</lei:InitialRegistrationDate>
        <lei:LastUpdateDate>{r.updated}</lei:LastUpdateDate>
        <lei:RegistrationStatus>{r.registration}</lei:RegistrationStatus>
        <lei:NextRenewalDate>2025-01-01T00:00:00Z</lei:NextRenewalDate>
        <lei:ManagingLOU>5493001KJTIIGC8Y1R12</lei:ManagingLOU>
        <lei:ValidationSources>FULLY_CORROBORATED</lei:ValidationSources>
      </lei:Registration>
    </lei:LEIRecord>"""
        for r in records
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}\n'
        f'<lei:LEIData xmlns:lei="{LEI_NS}">{_header("lei", content, len(records))}'
        f"<lei:LEIRecords>{body}</lei:LEIRecords></lei:LEIData>\n"
    )


def lei_csv(records: list[Lei]) -> str:
    columns = [
        "LEI",
        "Entity.LegalName",
        "Entity.LegalName.xmllang",
        "Entity.LegalAddress.FirstAddressLine",
        "Entity.LegalAddress.City",
        "Entity.LegalAddress.Country",
        "Entity.HeadquartersAddress.Country",
        "Entity.EntityCategory",
        "Entity.EntityStatus",
        "Registration.InitialRegistrationDate",
        "Registration.LastUpdateDate",
        "Registration.RegistrationStatus",
    ]
    rows = [
        [
            r.lei,
            r.name,
            "en",
            "1 Main Street",
            "Springfield",
            r.country,
            "LU",
            r.category,
            r.status,
            "2014-01-01T00:00:00Z",
            r.updated,
            r.registration,
        ]
        for r in records
    ]
    return _csv(columns, rows)


def _periods(r: Rel) -> list[tuple[str, str, str]]:
    periods = []
    if r.accounting:
        periods.append((*r.accounting, "ACCOUNTING_PERIOD"))
    periods.append((r.start, r.end, "RELATIONSHIP_PERIOD"))
    return periods


def rr_xml(records: list[Rel], *, content: str = "GLEIF_FULL_PUBLISHED", doctype="") -> str:
    parts = []
    for r in records:
        periods = "".join(
            "<rr:RelationshipPeriod>"
            + (f"<rr:StartDate>{start}</rr:StartDate>" if start else "")
            + (f"<rr:EndDate>{end}</rr:EndDate>" if end else "")
            + f"<rr:PeriodType>{kind}</rr:PeriodType></rr:RelationshipPeriod>"
            for start, end, kind in _periods(r)
        )
        quantifiers = (
            "<rr:RelationshipQuantifiers><rr:RelationshipQuantifier>"
            "<rr:MeasurementMethod>ACCOUNTING_CONSOLIDATION</rr:MeasurementMethod>"
            f"<rr:QuantifierAmount>{r.percent}</rr:QuantifierAmount>"
            "<rr:QuantifierUnits>PERCENTAGE</rr:QuantifierUnits>"
            "</rr:RelationshipQuantifier></rr:RelationshipQuantifiers>"
            if r.percent
            else ""
        )
        parts.append(
            f"""
    <rr:RelationshipRecord>
      <rr:Relationship>
        <rr:StartNode><rr:NodeID>{r.child}</rr:NodeID><rr:NodeIDType>LEI</rr:NodeIDType></rr:StartNode>
        <rr:EndNode><rr:NodeID>{r.parent}</rr:NodeID><rr:NodeIDType>LEI</rr:NodeIDType></rr:EndNode>
        <rr:RelationshipType>{r.kind}</rr:RelationshipType>
        <rr:RelationshipPeriods>{periods}</rr:RelationshipPeriods>
        <rr:RelationshipStatus>{r.status}</rr:RelationshipStatus>
        <rr:RelationshipQualifiers><rr:RelationshipQualifier>
          <rr:QualifierDimension>ACCOUNTING_STANDARD</rr:QualifierDimension>
          <rr:QualifierCategory>IFRS</rr:QualifierCategory>
        </rr:RelationshipQualifier></rr:RelationshipQualifiers>{quantifiers}
      </rr:Relationship>
      <rr:Registration>
        <rr:InitialRegistrationDate>2019-05-01T00:00:00Z</rr:InitialRegistrationDate>
        <rr:LastUpdateDate>{r.updated}</rr:LastUpdateDate>
        <rr:RegistrationStatus>{r.registration}</rr:RegistrationStatus>
        <rr:NextRenewalDate>2025-05-01T00:00:00Z</rr:NextRenewalDate>
        <rr:ManagingLOU>5493001KJTIIGC8Y1R12</rr:ManagingLOU>
        <rr:ValidationSources>FULLY_CORROBORATED</rr:ValidationSources>
        <rr:ValidationDocuments>ACCOUNTS_FILING</rr:ValidationDocuments>
      </rr:Registration>
    </rr:RelationshipRecord>"""
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}\n'
        f'<rr:RelationshipData xmlns:rr="{RR_NS}">{_header("rr", content, len(records))}'
        f"<rr:RelationshipRecords>{''.join(parts)}</rr:RelationshipRecords>"
        "</rr:RelationshipData>\n"
    )


def rr_csv(records: list[Rel], *, drop: tuple[str, ...] = ()) -> str:
    columns = [
        "Relationship.StartNode.NodeID",
        "Relationship.StartNode.NodeIDType",
        "Relationship.EndNode.NodeID",
        "Relationship.EndNode.NodeIDType",
        "Relationship.RelationshipType",
        "Relationship.RelationshipStatus",
    ]
    for n in (1, 2, 3):
        columns += [
            f"Relationship.Period.{n}.{name}" for name in ("startDate", "endDate", "periodType")
        ]
    for n in (1, 2):
        columns += [
            f"Relationship.Quantifiers.{n}.{name}"
            for name in ("MeasurementMethod", "QuantifierAmount", "QuantifierUnits")
        ]
    columns += [
        "Registration.InitialRegistrationDate",
        "Registration.LastUpdateDate",
        "Registration.RegistrationStatus",
    ]
    rows = []
    for r in records:
        row = [r.child, "LEI", r.parent, "LEI", r.kind, r.status]
        periods = _periods(r) + [("", "", "")] * 3
        for start, end, kind in periods[:3]:
            row += [start, end, kind]
        row += ["ACCOUNTING_CONSOLIDATION", r.percent, "PERCENTAGE"] if r.percent else [""] * 3
        row += [""] * 3
        row += ["2019-05-01T00:00:00Z", r.updated, r.registration]
        rows.append(row)
    keep = [i for i, name in enumerate(columns) if name not in drop]
    return _csv([columns[i] for i in keep], [[row[i] for i in keep] for row in rows])


def repex_xml(records: list[Repex], *, content: str = "GLEIF_FULL_PUBLISHED") -> str:
    body = "".join(
        f"""
    <repex:Exception>
      <repex:LEI>{r.lei}</repex:LEI>
      <repex:ExceptionCategory>{r.category}</repex:ExceptionCategory>
      {"".join(f"<repex:ExceptionReason>{reason}</repex:ExceptionReason>" for reason in r.reasons)}
    </repex:Exception>"""
        for r in records
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<repex:ReportingExceptionData xmlns:repex="{REPEX_NS}">'
        f"{_header('repex', content, len(records))}"
        f"<repex:ReportingExceptions>{body}</repex:ReportingExceptions>"
        "</repex:ReportingExceptionData>\n"
    )


def repex_csv(records: list[Repex]) -> str:
    columns = [
        "LEI",
        "ExceptionCategory",
        "ExceptionReason.1",
        "ExceptionReason.2",
        "ExceptionReason.3",
        "ExceptionReference.1",
    ]
    rows = [[r.lei, r.category, *(r.reasons + ["", "", ""])[:3], ""] for r in records]
    return _csv(columns, rows)


def _csv(columns: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def zipped(name: str, content: str | bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return out.getvalue()
