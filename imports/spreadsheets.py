"""Spreadsheet uploads of vendors and contracts: the columns each kind takes, how a cell is
read into a field, and the services that upload, map, dry-run and apply a sheet.

The registry's bulk services (``registry.services.bulk``) decide what each row does and write
it; this module turns cells into typed values, says at the row and field what it cannot read,
and keeps the report. A dry run and an apply read the same stored cells; an apply checks
again (the registry may have changed since the dry run) and writes every row or none.
"""

import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.selectors import active_users
from imports.choices import SpreadsheetKind, SpreadsheetStatus
from imports.formats.spreadsheet import Formula, SheetError, sheet_csv, sheet_read, sheet_xlsx
from imports.models import SpreadsheetMapping, SpreadsheetUpload
from registry.choices import DataAccess, EntityKind, VendorCategory, VendorStatus
from registry.services.bulk import (
    ERROR,
    RowOutcome,
    RowsInvalid,
    contract_rows_apply,
    contract_rows_check,
    vendor_rows_apply,
    vendor_rows_check,
)

#: Text that a spreadsheet would run as a formula once exported again (core.spreadsheets).
FORMULA_STARTS = ("=", "+", "-", "@")
ROW = "row"
#: What a dry run or an apply changes of an upload (its cells are written once, when read).
REPORT_FIELDS = ["mapping", "status", "counts", "report", "checked_at", "applied_at"]


class CellInvalid(Exception):
    """A cell that cannot be read into its field."""


# --- Reading a cell --------------------------------------------------------------------------


def _text(value: str) -> str:
    value = value.strip()
    if value[:1] in FORMULA_STARTS or value.startswith(("\t", "\r")):
        raise CellInvalid(
            f"“{value[:40]}” begins with “{value[:1]}”, which a spreadsheet runs as a formula; "
            "type the text without it."
        )
    return value


def _choice(choices: Sequence[tuple[str, str]], what: str) -> Callable[[str], str]:
    by_text = {}
    for code, label in choices:
        by_text[code.lower()] = code
        by_text[str(label).lower()] = code
        by_text[code.replace("_", " ").lower()] = code

    def read(value: str) -> str:
        code = by_text.get(value.strip().lower())
        if code is None:
            allowed = ", ".join(code for code, _ in choices)
            raise CellInvalid(f"“{value.strip()}” is not a {what}: one of {allowed}.")
        return code

    return read


def _whole(low: int, high: int) -> Callable[[str], int]:
    def read(value: str) -> int:
        text = value.strip()
        if text.endswith(".0"):
            text = text[:-2]
        if not re.fullmatch(r"[+-]?\d+", text):
            raise CellInvalid(f"“{value.strip()}” is not a whole number.")
        number = int(text)
        if not low <= number <= high:
            raise CellInvalid(f"{number} is not between {low} and {high}.")
        return number

    return read


_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


def _decimal(value: str) -> Decimal:
    text = value.strip().replace(" ", "").replace("\u00a0", "").replace("_", "")
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellInvalid(
            f"“{value.strip()}” is not a number (e.g. 125000 or 125000.50)."
        ) from None
    if not number.is_finite():
        raise CellInvalid(f"“{value.strip()}” is not a number.")
    return number


def _date(value: str) -> datetime.date:
    text = value.strip()
    try:
        return datetime.date.fromisoformat(
            text[:10] if len(text) > 10 and text[10] in " T" else text
        )
    except ValueError:
        raise CellInvalid(
            f"“{text}” is not a date: write it as YYYY-MM-DD (e.g. 2025-06-13)."
        ) from None


_TRUE = {"yes", "y", "true", "1", "x"}
_FALSE = {"no", "n", "false", "0"}


def _yes_no(value: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellInvalid(f"“{value.strip()}” is not yes or no.")


def _upper(value: str) -> str:
    return _text(value).upper()


def _identifiers(value: str) -> list[tuple[str, str]]:
    pairs = []
    for part in re.split(r"[;\n|]", value):
        part = part.strip()
        if not part:
            continue
        scheme, colon, ident = part.partition(":")
        if not (colon and scheme.strip() and ident.strip()):
            raise CellInvalid(
                f"“{part}” is not an identifier written SCHEME:ID (e.g. GB-COH:00445790)."
            )
        pairs.append((_text(scheme), _text(ident)))
    return pairs


@dataclass(frozen=True)
class Column:
    """A field a spreadsheet can fill: its name, whether a file must have its column, how a
    cell is read, what the template shows, and the other column names it is known by."""

    name: str
    label: str
    help: str
    example: str
    read: Callable[[str], Any] = _text
    required: bool = False
    aliases: tuple[str, ...] = ()
    user: bool = False


VENDOR_COLUMNS = (
    Column(
        "name",
        "Name",
        "The vendor's legal name. Needed for a new entity; an entity matched by its LEI or an "
        "identifier keeps its name.",
        "Scale AI, Inc.",
        required=True,
        aliases=("vendor", "vendor name", "legal name", "company", "entity"),
    ),
    Column(
        "lei",
        "LEI",
        "Legal Entity Identifier (ISO 17442), 20 characters; an entity with this LEI is the "
        "vendor's entity.",
        "",
        read=_upper,
        aliases=("legal entity identifier",),
    ),
    Column(
        "identifiers",
        "Identifiers",
        "Other identifiers as SCHEME:ID, several separated by “;” (e.g. GB-COH:00445790; "
        "DUNS:123456789); an entity holding one is the vendor's entity.",
        "US-DE:5683209",
        read=_identifiers,
        aliases=("identifier", "registration number", "company number"),
    ),
    Column(
        "kind",
        "Kind",
        "company, person, government, fund or other (default company).",
        "company",
        read=_choice(EntityKind.choices, "kind"),
        aliases=("entity kind", "type"),
    ),
    Column(
        "country",
        "Country",
        "ISO 3166-1 alpha-2 code of a new entity, e.g. US.",
        "US",
        read=_upper,
        aliases=("country code", "jurisdiction"),
    ),
    Column(
        "category",
        "Category",
        "What we buy: " + ", ".join(code for code, _ in VendorCategory.choices) + ".",
        "data_labelling",
        read=_choice(VendorCategory.choices, "category"),
    ),
    Column(
        "status",
        "Status",
        ", ".join(code for code, _ in VendorStatus.choices) + " (default active).",
        "active",
        read=_choice(VendorStatus.choices, "status"),
        aliases=("vendor status",),
    ),
    Column(
        "tier",
        "Tier",
        "1 (most critical) to 4 (default 3).",
        "1",
        read=_whole(1, 4),
        aliases=("criticality",),
    ),
    Column(
        "data_access",
        "Data access",
        "The most sensitive data it can access: "
        + ", ".join(code for code, _ in DataAccess.choices)
        + " (default none).",
        "restricted",
        read=_choice(DataAccess.choices, "data access level"),
        aliases=("data", "data classification", "access"),
    ),
    Column(
        "business_owner",
        "Business owner",
        "The username or e-mail address of an active user.",
        "",
        read=_text,
        aliases=("owner", "business owner username"),
        user=True,
    ),
)

CONTRACT_COLUMNS = (
    Column(
        "vendor",
        "Vendor",
        "A registered vendor: its LEI, an identifier (SCHEME:ID), #id or its exact name.",
        "Scale AI, Inc.",
        required=True,
        aliases=("vendor name", "supplier", "vendor lei"),
    ),
    Column(
        "reference",
        "Reference",
        "The contract's reference, unique in the registry; a reference the registry holds "
        "updates that contract.",
        "MSA-2025-001",
        required=True,
        aliases=("contract reference", "contract", "contract id", "number"),
    ),
    Column(
        "title",
        "Title",
        "What the contract is for.",
        "Data labelling master services agreement",
        required=True,
        aliases=("contract title", "description", "name"),
    ),
    Column(
        "value",
        "Value",
        "The total contract value, 0 or more (e.g. 1250000.00).",
        "1250000.00",
        read=_decimal,
        required=True,
        aliases=("amount", "contract value", "total value"),
    ),
    Column(
        "currency",
        "Currency",
        "ISO 4217 code (default USD).",
        "USD",
        read=_upper,
        aliases=("ccy",),
    ),
    Column(
        "start_date",
        "Start date",
        "YYYY-MM-DD.",
        "2025-01-01",
        read=_date,
        required=True,
        aliases=("start", "effective date", "from"),
    ),
    Column(
        "end_date",
        "End date",
        "YYYY-MM-DD, not before the start date; empty for open-ended.",
        "2027-12-31",
        read=_date,
        aliases=("end", "expiry", "expiry date", "to"),
    ),
    Column(
        "data_classification",
        "Data classification",
        ", ".join(code for code, _ in DataAccess.choices) + " (default internal).",
        "restricted",
        read=_choice(DataAccess.choices, "data classification"),
        aliases=("classification", "data"),
    ),
    Column(
        "change_of_control_clause",
        "Change-of-control clause",
        "yes or no (default no).",
        "yes",
        read=_yes_no,
        aliases=("coc clause", "coc", "change of control", "change of control clause"),
    ),
    Column(
        "coc_termination_window_days",
        "CoC termination window (days)",
        "Days after a change of control in which we may terminate; needed with a clause.",
        "30",
        read=_whole(0, 3650),
        aliases=("coc window", "termination window", "coc termination window", "window days"),
    ),
    Column(
        "owner",
        "Owner",
        "Who manages the contract: the username or e-mail address of an active user.",
        "",
        read=_text,
        aliases=("contract owner", "manager"),
        user=True,
    ),
)

COLUMNS = {SpreadsheetKind.VENDORS: VENDOR_COLUMNS, SpreadsheetKind.CONTRACTS: CONTRACT_COLUMNS}
CHECKS = {
    SpreadsheetKind.VENDORS: vendor_rows_check,
    SpreadsheetKind.CONTRACTS: contract_rows_check,
}
APPLIES = {
    SpreadsheetKind.VENDORS: vendor_rows_apply,
    SpreadsheetKind.CONTRACTS: contract_rows_apply,
}


def columns_of(kind: str) -> tuple[Column, ...]:
    return COLUMNS[SpreadsheetKind(kind)]


def _normal(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", header.lower()).strip()


# --- Mapping columns to fields ---------------------------------------------------------------


def spreadsheet_mapping_suggest(
    *, kind: str, headers: Sequence[str], user: AbstractBaseUser | None = None
) -> dict[str, str]:
    """The column each field is read from: the user's remembered choice when the file has
    that column, else the column named like the field (its name, label or a usual alias)."""
    remembered: dict[str, str] = {}
    if user is not None and getattr(user, "is_authenticated", False):
        stored = SpreadsheetMapping.objects.filter(user=user, kind=kind).first()
        remembered = stored.columns if stored else {}
    by_normal = {}
    for header in headers:
        by_normal.setdefault(_normal(header), header)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns_of(kind):
        if remembered.get(column.name) in headers:
            mapping[column.name] = remembered[column.name]
            taken.add(remembered[column.name])
    for column in columns_of(kind):
        if column.name in mapping or column.name in remembered:
            continue
        for name in (column.name, column.label, *column.aliases):
            header = by_normal.get(_normal(name))
            if header is not None and header not in taken:
                mapping[column.name] = header
                taken.add(header)
                break
    return mapping


def _mapping_problems(
    kind: str, headers: Sequence[str], mapping: dict[str, str]
) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    known = {column.name for column in columns_of(kind)}
    used: dict[str, str] = {}
    for name, header in mapping.items():
        if name not in known:
            problems.setdefault("mapping", []).append(f"“{name}” is not a field of {kind}.")
        elif header not in headers:
            problems.setdefault(name, []).append(f"The file has no column “{header}”.")
        elif header in used:
            problems.setdefault(name, []).append(
                f"The column “{header}” is already read as {used[header]}."
            )
        else:
            used[header] = name
    missing = [c.label for c in columns_of(kind) if c.required and not mapping.get(c.name)]
    if missing:
        problems.setdefault("mapping", []).append(
            f"Missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}. "
            f"The file's columns are: {', '.join(headers) or 'none'}."
        )
    return problems


# --- Services --------------------------------------------------------------------------------


def _limits() -> dict[str, int]:
    return {
        "max_bytes": settings.SPREADSHEET_UPLOAD_MAX_BYTES,
        "max_rows": settings.SPREADSHEET_MAX_ROWS,
        "max_uncompressed": settings.SPREADSHEET_UPLOAD_MAX_BYTES * 20,
    }


def spreadsheet_upload_create(
    *, file, kind: str, actor: AbstractBaseUser | None = None, file_name: str = ""
) -> SpreadsheetUpload:
    """Read an uploaded CSV or XLSX file (refused at ``file`` when it is too large — checked
    before reading it —, not UTF-8, not a spreadsheet or without a header) and keep its cells,
    with the columns suggested for each field; nothing is checked against the registry yet."""
    if kind not in SpreadsheetKind.values:
        raise ValidationError({"kind": [f"“{kind}” is not vendors or contracts."]})
    try:
        sheet = sheet_read(file, **_limits())
    except SheetError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    duplicates = sorted({h for h in sheet.headers if h and sheet.headers.count(h) > 1})
    if duplicates:
        raise ValidationError(
            {"file": [f"Two columns have the same name: {', '.join(duplicates)}. Rename one."]}
        )
    return SpreadsheetUpload.objects.create(
        kind=kind,
        file_name=(file_name or getattr(file, "name", "") or "")[:255],
        format=sheet.format,
        sha256=sheet.sha256,
        size=sheet.size,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        headers=sheet.headers,
        rows=[
            [{"formula": c.text} if isinstance(c, Formula) else c for c in r] for r in sheet.rows
        ],
        row_numbers=sheet.row_numbers,
        mapping=spreadsheet_mapping_suggest(kind=kind, headers=sheet.headers, user=actor),
    )


def spreadsheet_mapping_remember(
    *, user: AbstractBaseUser, kind: str, mapping: dict[str, str]
) -> None:
    """Keep ``mapping`` as the user's choice for this kind of spreadsheet."""
    if getattr(user, "is_authenticated", False):
        SpreadsheetMapping.objects.update_or_create(
            user=user, kind=kind, defaults={"columns": dict(mapping)}
        )


@dataclass
class _Parsed:
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, list[str]]] = field(default_factory=list)


def _users_by_name(texts: set[str]) -> dict[str, AbstractBaseUser]:
    found: dict[str, AbstractBaseUser] = {}
    wanted = sorted(texts)
    for start in range(0, len(wanted), 2000):
        batch = wanted[start : start + 2000]
        for user in active_users().filter(Q(username__in=batch) | Q(email__in=batch)):
            found.setdefault(user.username.lower(), user)
            if user.email:
                found.setdefault(user.email.lower(), user)
    return found


def _cells_read(upload: SpreadsheetUpload) -> _Parsed:
    """Each row as the fields it gives (typed), and per row what could not be read."""
    columns = [c for c in columns_of(upload.kind) if upload.mapping.get(c.name)]
    position = {name: upload.headers.index(header) for name, header in upload.mapping.items()}
    user_texts = {
        str(row[position[c.name]]).strip()
        for c in columns
        if c.user
        for row in upload.rows
        if isinstance(row[position[c.name]], str) and row[position[c.name]].strip()
    }
    users = _users_by_name(user_texts)
    parsed = _Parsed()
    for row in upload.rows:
        values: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for column in columns:
            cell = row[position[column.name]]
            if isinstance(cell, dict):
                errors[column.name] = [
                    f"The cell holds a formula ({cell.get('formula', '')[:60]}): type its "
                    "value instead; formulas are not imported."
                ]
                continue
            if not cell.strip():
                continue
            if cell.strip().startswith("="):
                errors[column.name] = [
                    f"“{cell.strip()[:60]}” is a formula: type its value instead; formulas are "
                    "not imported."
                ]
                continue
            try:
                value = column.read(cell)
                if column.user:
                    user = users.get(value.lower())
                    if user is None:
                        raise CellInvalid(f"No active user has the username or e-mail “{value}”.")
                    value = user
            except CellInvalid as exc:
                errors[column.name] = [str(exc)]
                continue
            values[column.name] = value
        parsed.rows.append(values)
        parsed.errors.append(errors)
    return parsed


def _report(upload: SpreadsheetUpload, parsed: _Parsed, outcomes: list[RowOutcome]) -> None:
    report = []
    counts = {"rows": len(outcomes), "create": 0, "update": 0, "unchanged": 0, "error": 0}
    messages = 0
    for number, cell_errors, outcome in zip(
        upload.row_numbers, parsed.errors, outcomes, strict=True
    ):
        errors = dict(cell_errors)
        for name, found in outcome.errors.items():
            # A cell that could not be read explains the field's problem; what the registry
            # says of the missing value would only repeat it.
            if name not in errors:
                errors[ROW if name == "__all__" else name] = found
        action = ERROR if errors else outcome.action
        counts[action] += 1
        messages += sum(len(m) for m in errors.values())
        report.append(
            {
                "row": number,
                "action": action,
                "target": outcome.target,
                "changes": outcome.changes
                + outcome.entity_changes
                + (["identifiers"] if outcome.identifiers_new and action == "update" else []),
                "errors": errors,
                "warnings": outcome.warnings,
            }
        )
    counts["messages"] = messages
    counts["entities_new"] = sum(
        1 for o, r in zip(outcomes, report, strict=True) if o.entity_new and r["action"] != ERROR
    )
    upload.report, upload.counts = report, counts


def spreadsheet_upload_check(
    *,
    upload: SpreadsheetUpload,
    mapping: dict[str, str] | None = None,
    actor: AbstractBaseUser | None = None,
) -> SpreadsheetUpload:
    """The dry run: read every row through the mapping (``mapping``, when given, replaces the
    upload's and is remembered for ``actor``) and check it against the registry; the report
    says per row what it would create or update, or every field that is wrong. Writes nothing
    but the upload. A mapping that leaves a required field unread is refused, naming it."""
    if upload.status == SpreadsheetStatus.APPLIED:
        raise ValidationError({"mapping": ["This spreadsheet was applied already."]})
    if mapping is not None:
        mapping = {name: header for name, header in mapping.items() if header}
        problems = _mapping_problems(upload.kind, upload.headers, mapping)
        if problems:
            raise ValidationError(problems)
        upload.mapping = mapping
        if actor is not None:
            spreadsheet_mapping_remember(user=actor, kind=upload.kind, mapping=mapping)
    else:
        problems = _mapping_problems(upload.kind, upload.headers, upload.mapping)
        if problems:
            raise ValidationError(problems)
    parsed = _cells_read(upload)
    outcomes = CHECKS[upload.kind](rows=parsed.rows, row_numbers=upload.row_numbers)
    _report(upload, parsed, outcomes)
    upload.status = SpreadsheetStatus.CHECKED
    upload.checked_at = timezone.now()
    upload.save(update_fields=REPORT_FIELDS)
    return upload


def spreadsheet_upload_apply(
    *, upload: SpreadsheetUpload, actor: AbstractBaseUser | None = None
) -> bool:
    """Apply a spreadsheet whose dry run found nothing wrong: every row or none, in one
    transaction, through the registry's bulk services (which check each row again). ``True``
    when it was applied; ``False`` when a row is wrong now (the registry changed since the dry
    run), with the upload's report saying which; nothing of the registry changed. An upload
    not checked yet, or whose dry run found errors, is refused (``ValidationError``)."""
    if upload.status == SpreadsheetStatus.APPLIED:
        raise ValidationError({"__all__": ["This spreadsheet was applied already."]})
    if upload.status != SpreadsheetStatus.CHECKED or upload.counts.get("error"):
        # Only a clean dry run is applied; after correcting the file or the mapping, the dry
        # run is run again (and it sees what changed in the registry meanwhile).
        raise ValidationError(
            {
                "__all__": [
                    f"The dry run found {upload.counts.get('error', 0)} rows with errors: "
                    "nothing was applied. Correct them and run the dry run again."
                    if upload.counts.get("error")
                    else "Run the dry run first: nothing was applied."
                ]
            }
        )
    problems = _mapping_problems(upload.kind, upload.headers, upload.mapping)
    if problems:
        raise ValidationError(problems)
    parsed = _cells_read(upload)
    reason = f"Spreadsheet #{upload.pk}"[:100]
    applied = False
    try:
        with transaction.atomic():
            if any(parsed.errors):
                outcomes = CHECKS[upload.kind](rows=parsed.rows, row_numbers=upload.row_numbers)
            else:
                outcomes = APPLIES[upload.kind](
                    rows=parsed.rows, actor=actor, row_numbers=upload.row_numbers, reason=reason
                )
                applied = True
    except RowsInvalid as exc:
        outcomes = exc.outcomes
    except IntegrityError:
        # Someone wrote the same LEI, identifier or reference between the check and the
        # write: the transaction was rolled back; the next dry run shows the clash.
        raise ValidationError(
            {
                "__all__": [
                    "The registry changed while the spreadsheet was applied; nothing was "
                    "written. Run the dry run again."
                ]
            }
        ) from None
    _report(upload, parsed, outcomes)
    upload.checked_at = timezone.now()
    if applied:
        upload.status = SpreadsheetStatus.APPLIED
        upload.applied_at = upload.checked_at
    else:
        upload.status = SpreadsheetStatus.CHECKED
    upload.save(update_fields=REPORT_FIELDS)
    return applied


# --- Templates -------------------------------------------------------------------------------


def spreadsheet_template(*, kind: str, file_format: str) -> tuple[bytes, str, str]:
    """The template of a kind (its columns, one example row, and in XLSX a sheet that says
    what each column takes): ``(content, file name, content type)``."""
    columns = columns_of(kind)
    headers = [c.label for c in columns]
    example = [c.example for c in columns]
    name = f"{kind}-template"
    if file_format == "xlsx":
        notes = [(f"{c.label}{' (required)' if c.required else ''}", c.help) for c in columns]
        content = sheet_xlsx(headers, [example], title=kind.capitalize(), notes=notes)
        return (
            content,
            f"{name}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return sheet_csv(headers, [example]), f"{name}.csv", "text/csv; charset=utf-8"
