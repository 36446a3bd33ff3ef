"""A list page's rows as a CSV or XLSX file (``?export=csv`` / ``?export=xlsx``).

Every cell goes through ``core.spreadsheets``, so nothing a user typed opens as a formula. The
CSV is streamed as it is written; the XLSX is written row by row by openpyxl's write-only
workbook into a temporary file and streamed from it, so neither holds the list in memory.
An export of more than ``EXPORT_MAX_ROWS`` rows is refused with a message saying how many
there are, before anything is written.
"""

import csv
import datetime
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from core.spreadsheets import spreadsheet_row

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Rows a list reads from the database at a time.
CHUNK_SIZE = 2000


@dataclass(frozen=True)
class Column:
    """A column of an export: its heading and how to read it from a row's object."""

    heading: str
    value: Callable[[Any], Any]


class ExportRefused(Exception):
    """An export that cannot be made, with the message to answer (400)."""


def export_format(params) -> str | None:
    """The ``export`` asked for in ``params`` (a QueryDict), ``None`` when none is; an
    unknown one is refused naming the parameter."""
    wanted = params.get("export")
    if wanted is None:
        return None
    if wanted not in FORMATS:
        raise ExportRefused(f"export: “{wanted[:20]}” is not offered; use csv or xlsx.")
    return wanted


def refused(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def filters_refused(filterset) -> HttpResponse:
    """The answer to an export whose filters cannot be read: every filter's message."""
    return refused("; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items()))


def _plain(value: Any) -> Any:
    """A value a spreadsheet cell takes: text for times (with their zone), ids for objects."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value
    if value is None or isinstance(value, str | int | float | Decimal | datetime.date):
        return value
    return str(value)


def _rows(columns: list[Column], objects: Iterable) -> Iterator[list]:
    yield [column.heading for column in columns]
    for obj in objects:
        yield spreadsheet_row(_plain(column.value(obj)) for column in columns)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv(rows: Iterator[list], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(["" if v is None else v for v in row]) for row in rows),
        content_type="text/csv",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _xlsx(rows: Iterator[list], filename: str, title: str) -> FileResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                # openpyxl would store text that starts with "=" as a formula; text stays text.
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    # FileResponse closes (and so deletes) the file once it has been sent.
    file = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(file)
    file.seek(0)
    return FileResponse(
        file, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_TYPE
    )


def export_response(
    *,
    fmt: str,
    objects: QuerySet,
    columns: list[Column],
    name: str,
    title: str,
    count: int | None = None,
) -> HttpResponse:
    """``objects`` (filtered and ordered as the page shows them) as a ``fmt`` file named
    ``name-<today>``; refused (400) above ``EXPORT_MAX_ROWS`` rows. ``count``, when the page
    knows it, saves counting again."""
    limit = settings.EXPORT_MAX_ROWS
    total = objects.count() if count is None else count
    if total > limit:
        return refused(
            f"This export would have {total:,} rows, more than the {limit:,} an export may "
            "have (EXPORT_MAX_ROWS). Narrow the filters and export again."
        )
    rows = _rows(columns, objects.iterator(chunk_size=CHUNK_SIZE))
    filename = f"{name}-{timezone.localdate().isoformat()}"
    if fmt == "csv":
        return _csv(rows, filename)
    return _xlsx(rows, filename, title)


def list_export(
    request, *, filterset, objects: QuerySet, columns: list[Column], name: str, title: str
) -> HttpResponse | None:
    """The export a list page's request asks for (``?export=``), of ``objects`` as filtered
    by ``filterset``; ``None`` when it asks for none, so the page is shown. Filters that
    cannot be read are refused (400), as the page shows them."""
    try:
        fmt = export_format(request.GET)
    except ExportRefused as problem:
        return refused(str(problem))
    if fmt is None:
        return None
    if not filterset.is_valid():
        return filters_refused(filterset)
    return export_response(fmt=fmt, objects=objects, columns=columns, name=name, title=title)
