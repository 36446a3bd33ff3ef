"""Spreadsheets for the spreadsheet-import tests: CSV and XLSX files built in memory, and
valid LEIs."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from stdnum.iso7064 import mod_97_10


def lei(number: int) -> str:
    """A valid LEI (ISO 17442 check digits), one per number."""
    base = f"5493{number:014d}"
    return base + mod_97_10.calc_check_digits(base)


def csv_file(text: str, name: str = "sheet.csv", *, encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    """A workbook whose first sheet holds ``rows``; a string that starts with ``=`` is stored
    as a formula, as Excel stores one typed in."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_file(rows: list[list[object]], name: str = "sheet.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name,
        xlsx_bytes(rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


VENDOR_HEADER = "Name,LEI,Identifiers,Country,Category,Tier,Data access,Status\n"
CONTRACT_HEADER = (
    "Vendor,Reference,Title,Value,Currency,Start date,End date,"
    "Change-of-control clause,CoC termination window (days)\n"
)


def vendor_rows_csv(count: int, *, start: int = 0, bad: bool = False) -> str:
    """``count`` vendor rows, each a new entity with an LEI and a company number; ``bad``
    rows have a wrong LEI check digit, an unknown country, a tier of 9 and an unknown data
    access level (four errors each)."""
    lines = [VENDOR_HEADER]
    for n in range(start, start + count):
        if bad:
            code = lei(n)
            wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
            lines.append(f"Bad vendor {n},{wrong},,ZZ,cloud,9,secret,active\n")
        else:
            lines.append(
                f"Vendor {n} Ltd,{lei(n)},GB-COH:{n:08d},GB,cloud,{n % 4 + 1},confidential,active\n"
            )
    return "".join(lines)


def contract_rows_csv(count: int, *, vendor_lei=lei, start: int = 0) -> str:
    """``count`` contract rows, the n-th with the vendor whose LEI is ``vendor_lei(n)``."""
    lines = [CONTRACT_HEADER]
    for n in range(start, start + count):
        lines.append(
            f"{vendor_lei(n)},CTR-{n:06d},Services {n},{1000 + n}.50,EUR,2025-01-01,"
            f"2027-12-31,{'yes' if n % 2 else 'no'},{30 if n % 2 else ''}\n"
        )
    return "".join(lines)
