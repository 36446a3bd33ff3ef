"""Spreadsheets of vendors or contracts: read a CSV or XLSX upload into its header and rows
of cell text, and write the template files.

A CSV must be UTF-8 (with or without the byte-order mark Excel writes for “CSV UTF-8”); its
delimiter may be a comma, a semicolon (Excel in many European locales) or a tab. An XLSX is
read with openpyxl in read-only mode (rows are streamed from the first worksheet), its
declared uncompressed size is checked before anything is unpacked, and its XML is parsed with
DTDs and entities refused (openpyxl uses defusedxml when it is installed). A cell that holds a
formula is kept as :class:`Formula`, never as its text or a cached result, so the import can
refuse it at its row and field.
"""

import csv
import datetime
import hashlib
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

CSV, XLSX = "csv", "xlsx"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97–2003 .xls
SNIFF_BYTES = 16 * 1024


class SheetError(Exception):
    """The file cannot be read as a spreadsheet; the message says why and what to do."""


@dataclass(frozen=True)
class Formula:
    """A cell that holds a formula (``=SUM(B2:B9)``)."""

    text: str


Cell = str | Formula


@dataclass
class Sheet:
    """The header (column names) and the rows that have anything in them, each with its row
    number in the file (1 is the header's row when it comes first)."""

    format: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    sha256: str = ""
    size: int = 0


def sheet_read(stream: BinaryIO, *, max_bytes: int, max_rows: int, max_uncompressed: int) -> Sheet:
    """Read a CSV or XLSX file (told apart by its first bytes); :class:`SheetError` for a
    file too large (checked before it is read), not UTF-8, not a spreadsheet, with more than
    ``max_rows`` rows, or without a header."""
    size = _size_of(stream)
    if size > max_bytes:
        raise SheetError(
            f"The file is {_megabytes(size)}; the most a spreadsheet upload may be is "
            f"{_megabytes(max_bytes)}. Split it into smaller files."
        )
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(OLE_MAGIC):
        raise SheetError(
            "This is an Excel 97–2003 workbook (.xls): save it as an Excel workbook (.xlsx) "
            "or as “CSV UTF-8” and upload it again."
        )
    if head.startswith(ZIP_MAGIC):
        sheet = _xlsx_read(stream, max_rows=max_rows, max_uncompressed=max_uncompressed)
    else:
        sheet = _csv_read(stream.read(), max_rows=max_rows)
    stream.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(chunk)
    sheet.sha256, sheet.size = digest.hexdigest(), size
    return sheet


def _size_of(stream: BinaryIO) -> int:
    size = getattr(stream, "size", None)
    if size is None:
        stream.seek(0, io.SEEK_END)
        size = stream.tell()
    return size


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def _csv_read(data: bytes, *, max_rows: int) -> Sheet:
    if b"\x00" in data[:SNIFF_BYTES]:
        raise SheetError(
            "This is not a CSV or XLSX file (it holds binary data). Save the spreadsheet as "
            "an Excel workbook (.xlsx) or as “CSV UTF-8”."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SheetError(
            f"The file is not UTF-8 (line {line} has the byte 0x{data[exc.start]:02X}, which "
            "UTF-8 does not allow there): save it as “CSV UTF-8” and upload it again."
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text[:SNIFF_BYTES], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _sheet_from(CSV, ((reader.line_num, row) for row in reader), max_rows=max_rows)
    except csv.Error as exc:
        raise SheetError(f"Line {reader.line_num} is not valid CSV: {exc}.") from None


def _xlsx_read(stream: BinaryIO, *, max_rows: int, max_uncompressed: int) -> Sheet:
    # Imported here: only XLSX uploads and templates need it.
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(stream) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise SheetError(
            "This is not a readable XLSX file. Save it again as an Excel workbook (.xlsx) or "
            "as “CSV UTF-8”."
        ) from None
    if unpacked > max_uncompressed:
        raise SheetError(
            f"The workbook unpacks to {_megabytes(unpacked)}, more than the "
            f"{_megabytes(max_uncompressed)} an upload may hold. Save it as “CSV UTF-8”, or "
            "split it."
        )
    stream.seek(0)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise SheetError(
            f"This is not a readable XLSX file ({type(exc).__name__}). Save it again as an "
            "Excel workbook (.xlsx) or as “CSV UTF-8”."
        ) from None
    try:
        worksheet = workbook.worksheets[0] if workbook.worksheets else None
        if worksheet is None:
            raise SheetError("The workbook has no worksheet.")
        rows = (
            (number, [_xlsx_cell(value) for value in row])
            for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1)
        )
        try:
            return _sheet_from(XLSX, rows, max_rows=max_rows)
        except SheetError:
            raise
        except Exception as exc:
            raise SheetError(
                f"The worksheet cannot be read ({type(exc).__name__}). Save it again as an "
                "Excel workbook (.xlsx) or as “CSV UTF-8”."
            ) from None
    finally:
        workbook.close()


def _xlsx_cell(value: object) -> Cell:
    """A cell's value as text. Values are read without their cell objects (much faster);
    without ``data_only`` a formula cell's value is its formula, so text beginning with ``=``
    is taken as one (Excel stores a typed ``=…`` as a formula, and text so written would be
    refused all the same)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith("=") and len(value) > 1:
        return Formula(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if not isinstance(value, str):
        # An ArrayFormula or DataTableFormula object from a formula cell.
        if type(value).__name__.endswith("Formula"):
            return Formula(str(getattr(value, "text", "") or value))
        return str(value)
    return value


def _blank(row: Sequence[Cell]) -> bool:
    return all(isinstance(cell, str) and not cell.strip() for cell in row)


def _sheet_from(
    file_format: str, numbered: Iterable[tuple[int, list[Cell]]], *, max_rows: int
) -> Sheet:
    """The first row with anything in it is the header; blank rows are skipped."""
    sheet: Sheet | None = None
    width = 0
    for number, row in numbered:
        if _blank(row):
            continue
        if sheet is None:
            headers = [cell.text if isinstance(cell, Formula) else cell.strip() for cell in row]
            while headers and not headers[-1]:
                headers.pop()
            sheet = Sheet(format=file_format, headers=headers)
            width = len(headers)
            continue
        if len(sheet.rows) >= max_rows:
            raise SheetError(
                f"The file has more than {max_rows:,} rows, the most one upload may have. "
                "Split it into smaller files."
            )
        sheet.rows.append(list(row[:width]) + [""] * (width - len(row)))
        sheet.row_numbers.append(number)
    if sheet is None or not sheet.headers:
        raise SheetError(
            "The file is empty: its first row must name the columns (download the template)."
        )
    return sheet


def sheet_csv(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file (UTF-8 with the byte-order mark, so Excel opens it as UTF-8)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")


def sheet_xlsx(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    title: str,
    notes: Sequence[tuple[str, str]] = (),
) -> bytes:
    """An XLSX workbook: the header and rows on the first worksheet (named ``title``), and
    ``notes`` (column, what it takes) on a second worksheet, “Columns”."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(
            12, len(header) + 4
        )
    sheet.freeze_panes = "A2"
    if notes:
        help_sheet = workbook.create_sheet("Columns")
        help_sheet.append(["Column", "What it takes"])
        for cell in help_sheet[1]:
            cell.font = Font(bold=True)
        for note in notes:
            help_sheet.append(list(note))
        help_sheet.column_dimensions["A"].width = 30
        help_sheet.column_dimensions["B"].width = 110
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
