"""Spreadsheet import of vendors and contracts: the dry run row by row and field by field,
the apply (all or nothing, in bulk, with history and one recheck), the mapping remembered,
and bad input."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from imports.choices import SpreadsheetStatus
from imports.formats.spreadsheet import SheetError, sheet_read
from imports.models import SpreadsheetMapping, SpreadsheetUpload
from imports.spreadsheets import (
    spreadsheet_mapping_suggest,
    spreadsheet_template,
    spreadsheet_upload_apply,
    spreadsheet_upload_check,
    spreadsheet_upload_create,
)
from registry.models import Contract, Entity, EntityIdentifier, RecheckRequest, Vendor
from registry.services import bulk
from tests.factories import ContractFactory, EntityFactory, VendorFactory
from tests.imports.sheets import (
    CONTRACT_HEADER,
    VENDOR_HEADER,
    contract_rows_csv,
    csv_file,
    lei,
    vendor_rows_csv,
    xlsx_file,
)

pytestmark = pytest.mark.django_db


def _checked(file, kind: str, actor, mapping=None) -> SpreadsheetUpload:
    upload = spreadsheet_upload_create(file=file, kind=kind, actor=actor)
    return spreadsheet_upload_check(upload=upload, mapping=mapping, actor=actor)


def _by_row(upload: SpreadsheetUpload) -> dict[int, dict]:
    return {line["row"]: line for line in upload.report}


# --- The dry run ----------------------------------------------------------------------------


def test_vendor_dry_run_says_per_row_what_it_creates_updates_or_refuses_at_the_field(buyer):
    scale = EntityFactory(name="Scale AI", lei=lei(1), country="US")
    VendorFactory(entity=scale, tier=2, data_access="confidential")
    remotasks = EntityFactory(name="Remotasks", country="US")
    EntityIdentifier.objects.create(entity=remotasks, scheme="US-DE", value="777")
    sheet = (
        VENDOR_HEADER
        + "Acme Labelling,,GB-COH:00000001,GB,data_labelling,2,restricted,active\n"
        + f"Scale AI Inc,{lei(1)},,US,data_labelling,1,restricted,active\n"
        + "Remotasks LLC,,us-de:777,US,Data labelling,3,confidential,onboarding\n"
        + "Bad Co,5493000000000000077X,,ZZ,cloud,9,secret,asleep\n"
    )

    upload = _checked(csv_file(sheet), "vendors", buyer)

    rows = _by_row(upload)
    assert upload.status == SpreadsheetStatus.CHECKED
    assert upload.counts == {
        "rows": 4,
        "create": 2,
        "update": 1,
        "unchanged": 0,
        "error": 1,
        "messages": 5,
        "entities_new": 1,
    }
    assert rows[2]["action"] == "create" and rows[2]["target"] == "a new entity"
    assert rows[3]["action"] == "update"
    assert rows[3]["target"] == f"vendor Scale AI (#{scale.pk}), by LEI {lei(1)}"
    assert rows[3]["changes"] == ["tier", "data_access", "category"] or set(rows[3]["changes"]) == {
        "tier",
        "data_access",
        "category",
    }
    # Matched by its identifier (the scheme's case does not matter): a vendor is created on it.
    assert rows[4]["action"] == "create"
    assert rows[4]["target"] == f"Remotasks (#{remotasks.pk}), by US-DE:777"
    assert rows[5]["action"] == "error"
    assert set(rows[5]["errors"]) == {"lei", "country", "tier", "data_access", "status"}
    assert rows[5]["errors"]["tier"] == ["9 is not between 1 and 4."]
    assert rows[5]["errors"]["country"] == [
        "“ZZ” is not an ISO 3166-1 alpha-2 country code (e.g. US, GB, DE)."
    ]
    assert rows[5]["errors"]["lei"][0].startswith("“5493000000000000077X” is not a valid LEI")
    assert rows[5]["errors"]["status"] == [
        "“asleep” is not a status: one of onboarding, active, suspended, offboarded."
    ]
    # A dry run writes nothing but the upload.
    assert Entity.objects.count() == 2 and Vendor.objects.count() == 1


def test_contract_dry_run_names_each_wrong_field(buyer):
    vendor = VendorFactory(entity=EntityFactory(name="Scale AI", lei=lei(1)))
    ContractFactory(vendor=vendor, reference="MSA-1", title="Old title", value=Decimal("10"))
    other = VendorFactory(entity=EntityFactory(name="Remotasks"))
    ContractFactory(vendor=other, reference="RT-1")
    sheet = (
        CONTRACT_HEADER
        + f"{lei(1)},MSA-1,New title,10,USD,2024-01-01,,no,\n"
        + 'scale ai,MSA-2,Labelling,"1,250,000.50",EUR,2025-01-01,2026-12-31,yes,30\n'
        + "Nobody Inc,X-1,Deal,10,USD,2025-01-01,,no,\n"
        + "Scale AI,X-2,Deal,10,XYZ,2025-06-01,2025-01-01,yes,\n"
        + "Scale AI,MSA-2,Twice,10,USD,2025-01-01,,no,\n"
        + "Scale AI,RT-1,Moved,10,USD,2025-01-01,,no,\n"
        + f"#{vendor.pk},X-3,Deal,ten,USD,13/45/2020,,maybe,\n"
    )

    upload = _checked(csv_file(sheet), "contracts", buyer)

    rows = _by_row(upload)
    assert [rows[n]["action"] for n in range(2, 9)] == [
        "update",
        "create",
        "error",
        "error",
        "error",
        "error",
        "error",
    ]
    assert rows[2]["changes"] == ["title"]
    assert rows[3]["target"] == "a contract with Scale AI"
    assert rows[4]["errors"] == {
        "vendor": [
            "No vendor is “Nobody Inc”: give a registered vendor's LEI, an identifier "
            "(SCHEME:ID), #id or its exact name."
        ]
    }
    assert rows[5]["errors"] == {
        "currency": ["“XYZ” is not an ISO 4217 currency code (e.g. USD, EUR, GBP)."],
        "end_date": ["The end date cannot be before the start date."],
        "coc_termination_window_days": [
            "A contract with a change-of-control clause needs its termination window in days."
        ],
    }
    assert rows[6]["errors"] == {"reference": ["MSA-2 is also on row 3."]}
    assert rows[7]["errors"] == {
        "vendor": [
            f"RT-1 is a contract with Remotasks (#{other.pk}); it cannot move to Scale AI here."
        ]
    }
    assert rows[8]["errors"] == {
        "value": ["“ten” is not a number (e.g. 125000 or 125000.50)."],
        "start_date": ["“13/45/2020” is not a date: write it as YYYY-MM-DD (e.g. 2025-06-13)."],
        "change_of_control_clause": ["“maybe” is not yes or no."],
    }
    assert upload.counts["error"] == 5 and upload.counts["messages"] == 9
    assert Contract.objects.count() == 2


def test_a_vendor_named_twice_is_refused_asking_for_its_lei(buyer):
    VendorFactory(entity=EntityFactory(name="Acme"))
    VendorFactory(entity=EntityFactory(name="ACME"))
    sheet = CONTRACT_HEADER + "acme,C-1,Deal,10,USD,2025-01-01,,no,\n"

    upload = _checked(csv_file(sheet), "contracts", buyer)

    (message,) = upload.report[0]["errors"]["vendor"]
    assert message.startswith("2 vendors are named “acme”")
    assert message.endswith("give its LEI or an identifier.")


def test_the_same_entity_twice_in_a_vendor_file_is_refused_on_the_second_row(buyer):
    sheet = (
        VENDOR_HEADER
        + f"One,{lei(5)},GB-COH:1,GB,cloud,1,none,active\n"
        + f"Two,{lei(5)},GB-COH:1,GB,cloud,1,none,active\n"
    )

    upload = _checked(csv_file(sheet), "vendors", buyer)

    rows = _by_row(upload)
    assert rows[2]["action"] == "create"
    assert rows[3]["errors"] == {
        "lei": [f"LEI {lei(5)} is also on row 2."],
        "identifiers": ["GB-COH:1 is also on row 2."],
    }


def test_lei_and_identifier_of_two_different_entities_is_refused(buyer):
    a = EntityFactory(name="Alpha", lei=lei(1))
    b = EntityFactory(name="Beta")
    EntityIdentifier.objects.create(entity=b, scheme="DUNS", value="1")
    sheet = VENDOR_HEADER + f"Alpha,{lei(1)},DUNS:1,US,cloud,1,none,active\n"

    upload = _checked(csv_file(sheet), "vendors", buyer)

    assert upload.report[0]["errors"] == {
        "identifiers": [
            f"The row names two registry entities: LEI {lei(1)} identifies Alpha (#{a.pk}); "
            f"DUNS:1 identifies Beta (#{b.pk})."
        ]
    }


def test_a_new_entity_like_an_existing_one_is_created_with_a_warning(buyer):
    twin = EntityFactory(name="Acme Ltd", country="GB")
    sheet = VENDOR_HEADER + "ACME LTD,,,GB,cloud,1,none,active\n"

    upload = _checked(csv_file(sheet), "vendors", buyer)

    line = upload.report[0]
    assert line["action"] == "create"
    assert line["warnings"]["name"][0].startswith(f"Possibly the same as Acme Ltd (#{twin.pk})")


# --- The apply ------------------------------------------------------------------------------


def test_apply_writes_entities_vendors_and_identifiers_with_history_and_one_recheck(buyer):
    existing = EntityFactory(name="Scale AI", lei=lei(900))
    sheet = vendor_rows_csv(25) + f"Scale AI,{lei(900)},US-DE:5,US,data_labelling,1,restricted,\n"
    upload = _checked(csv_file(sheet), "vendors", buyer)

    assert spreadsheet_upload_apply(upload=upload, actor=buyer) is True

    assert Entity.objects.count() == 26
    assert Vendor.objects.count() == 26
    assert EntityIdentifier.objects.count() == 26
    vendor = Vendor.objects.get(entity__lei=lei(7))
    assert (vendor.entity.name, vendor.entity.country, vendor.tier) == ("Vendor 7 Ltd", "GB", 4)
    assert vendor.entity.identifiers.get().value == "00000007"
    assert existing.identifiers.get().scheme == "US-DE"
    assert Vendor.objects.get(entity=existing).data_access == "restricted"
    # Every created row has its history, by the buyer, naming the upload.
    assert Vendor.history.filter(history_type="+", history_user=buyer).count() == 26
    assert Entity.history.filter(history_type="+", history_user=buyer).count() == 25
    assert set(
        Entity.history.filter(history_user=buyer).values_list("history_change_reason", flat=True)
    ) == {f"Spreadsheet #{upload.pk}"}
    (recheck,) = RecheckRequest.objects.all()
    assert recheck.reason == "vendor_added"
    assert len(recheck.entity_ids) == 26
    upload.refresh_from_db()
    assert upload.status == SpreadsheetStatus.APPLIED
    assert upload.counts["create"] == 26 and upload.counts["entities_new"] == 25


def test_apply_of_contracts_creates_and_updates_in_bulk(buyer):
    vendors = [VendorFactory(entity=EntityFactory(lei=lei(n))) for n in range(3)]
    ContractFactory(vendor=vendors[0], reference="CTR-000000", title="Old", value=Decimal("1"))
    upload = _checked(csv_file(contract_rows_csv(3)), "contracts", buyer)
    assert [line["action"] for line in upload.report] == ["update", "create", "create"]

    assert spreadsheet_upload_apply(upload=upload, actor=buyer) is True

    updated = Contract.objects.get(reference="CTR-000000")
    assert (updated.title, updated.value, updated.currency) == (
        "Services 0",
        Decimal("1000.50"),
        "EUR",
    )
    assert updated.history.latest().history_type == "~"
    assert updated.history.latest().history_user == buyer
    created = Contract.objects.get(reference="CTR-000001")
    assert created.vendor == vendors[1]
    assert (created.change_of_control_clause, created.coc_termination_window_days) == (True, 30)
    assert created.end_date == datetime.date(2027, 12, 31)
    assert Contract.objects.count() == 3


def test_apply_refuses_when_the_registry_changed_since_the_dry_run_and_writes_nothing(buyer):
    vendor = VendorFactory(entity=EntityFactory(name="Scale AI", lei=lei(0)))
    VendorFactory(entity=EntityFactory(name="Other", lei=lei(1)))
    upload = _checked(csv_file(contract_rows_csv(2)), "contracts", buyer)
    assert upload.counts["create"] == 2
    # Someone else records CTR-000001 with another vendor before the apply.
    ContractFactory(vendor=vendor, reference="CTR-000001")

    assert spreadsheet_upload_apply(upload=upload, actor=buyer) is False

    upload.refresh_from_db()
    assert upload.status == SpreadsheetStatus.CHECKED
    assert upload.counts["error"] == 1
    assert _by_row(upload)[3]["errors"]["vendor"][0].startswith("CTR-000001 is a contract with")
    assert list(Contract.objects.values_list("reference", flat=True)) == ["CTR-000001"]


def test_a_failure_in_the_middle_of_the_apply_changes_nothing(buyer, monkeypatch):
    upload = _checked(csv_file(vendor_rows_csv(10)), "vendors", buyer)
    written = []
    real = bulk.bulk_create_recorded

    def fail_at_the_vendors(rows, **kwargs):
        if rows and isinstance(rows[0], Vendor):
            raise RuntimeError("the database went away")
        real(rows, **kwargs)
        written.append(len(rows))

    monkeypatch.setattr(bulk, "bulk_create_recorded", fail_at_the_vendors)

    with pytest.raises(RuntimeError):
        spreadsheet_upload_apply(upload=upload, actor=buyer)

    assert written == [10, 10]  # entities, then identifiers, were written …
    assert Entity.objects.count() == 0  # … and rolled back with the rest
    assert EntityIdentifier.objects.count() == 0
    assert Entity.history.count() == 0
    assert RecheckRequest.objects.count() == 0
    upload.refresh_from_db()
    assert upload.status == SpreadsheetStatus.CHECKED


def test_a_file_with_errors_is_never_applied(buyer):
    sheet = vendor_rows_csv(3) + "Bad,,,ZZ,cloud,1,none,active\n"
    upload = _checked(csv_file(sheet), "vendors", buyer)

    with pytest.raises(ValidationError) as refused:
        spreadsheet_upload_apply(upload=upload, actor=buyer)

    assert refused.value.messages == [
        "The dry run found 1 rows with errors: nothing was applied. Correct them and run the "
        "dry run again."
    ]
    assert Entity.objects.count() == 0
    unchecked = spreadsheet_upload_create(file=csv_file(sheet), kind="vendors", actor=buyer)
    with pytest.raises(ValidationError, match="Run the dry run first"):
        spreadsheet_upload_apply(upload=unchecked, actor=buyer)
    assert Entity.objects.count() == 0


def test_an_applied_upload_cannot_be_applied_again(buyer):
    upload = _checked(csv_file(vendor_rows_csv(1)), "vendors", buyer)
    spreadsheet_upload_apply(upload=upload, actor=buyer)

    with pytest.raises(ValidationError, match="applied already"):
        spreadsheet_upload_apply(upload=upload, actor=buyer)
    assert Vendor.objects.count() == 1


def test_the_same_file_again_changes_nothing(buyer):
    upload = _checked(csv_file(vendor_rows_csv(5)), "vendors", buyer)
    spreadsheet_upload_apply(upload=upload, actor=buyer)

    again = _checked(csv_file(vendor_rows_csv(5)), "vendors", buyer)

    assert again.counts["unchanged"] == 5
    assert spreadsheet_upload_apply(upload=again, actor=buyer) is True
    assert Entity.objects.count() == 5 and Vendor.history.count() == 5


def test_bulk_dry_run_and_apply_make_no_query_per_row(buyer):
    def queries(count: int, start: int) -> int:
        upload = spreadsheet_upload_create(
            file=csv_file(vendor_rows_csv(count, start=start)), kind="vendors", actor=buyer
        )
        with CaptureQueriesContext(connection) as captured:
            spreadsheet_upload_check(upload=upload, actor=buyer)
            spreadsheet_upload_apply(upload=upload, actor=buyer)
        return len(captured)

    small, large = queries(30, 0), queries(300, 1000)

    # Ten times the rows: a few more batches (SQLite caps the values of one INSERT), never
    # a query per row (270 more rows).
    assert large - small <= 8
    assert small <= 25


# --- Mapping --------------------------------------------------------------------------------


def test_columns_are_mapped_by_name_and_alias(buyer):
    mapping = spreadsheet_mapping_suggest(
        kind="contracts",
        headers=["Supplier", "Contract ID", "Description", "Amount", "CCY", "Start", "Expiry"],
    )

    assert mapping == {
        "vendor": "Supplier",
        "reference": "Contract ID",
        "title": "Description",
        "value": "Amount",
        "currency": "CCY",
        "start_date": "Start",
        "end_date": "Expiry",
    }


def test_the_mapping_a_user_chose_is_offered_on_their_next_upload(buyer, analyst):
    VendorFactory(entity=EntityFactory(name="Scale AI"))
    sheet = "Lieferant,Nr,Was,Betrag,Beginn\nScale AI,K-1,Labelling,10,2025-01-01\n"
    mapping = {
        "vendor": "Lieferant",
        "reference": "Nr",
        "title": "Was",
        "value": "Betrag",
        "start_date": "Beginn",
    }
    first = spreadsheet_upload_create(file=csv_file(sheet), kind="contracts", actor=buyer)
    assert first.mapping == {}
    spreadsheet_upload_check(upload=first, mapping=mapping, actor=buyer)

    second = spreadsheet_upload_create(file=csv_file(sheet), kind="contracts", actor=buyer)
    theirs = spreadsheet_upload_create(file=csv_file(sheet), kind="contracts", actor=analyst)

    assert second.mapping == mapping
    assert theirs.mapping == {}
    assert SpreadsheetMapping.objects.get(user=buyer, kind="contracts").columns == mapping
    assert first.counts["create"] == 1


def test_missing_required_columns_are_named(buyer):
    sheet = "Vendor,Title,Value\nScale AI,Deal,10\n"
    upload = spreadsheet_upload_create(file=csv_file(sheet), kind="contracts", actor=buyer)

    with pytest.raises(ValidationError) as refused:
        spreadsheet_upload_check(upload=upload, actor=buyer)

    assert refused.value.message_dict["mapping"] == [
        "Missing required columns: Reference, Start date. The file's columns are: Vendor, "
        "Title, Value."
    ]
    assert Contract.objects.count() == 0


# --- Bad input ------------------------------------------------------------------------------


def test_formula_cells_of_an_xlsx_are_refused_at_their_row_and_field(buyer):
    VendorFactory(entity=EntityFactory(name="Scale AI"))
    rows = [
        ["Vendor", "Reference", "Title", "Value", "Start date"],
        ["Scale AI", "K-1", "Labelling", 1000, datetime.datetime(2025, 1, 1)],
        ["Scale AI", "K-2", '=HYPERLINK("http://x","open")', "=SUM(1,2)", "2025-01-01"],
    ]

    upload = _checked(xlsx_file(rows), "contracts", buyer)

    rows = _by_row(upload)
    assert upload.format == "xlsx"
    assert rows[2]["action"] == "create"
    assert rows[3]["action"] == "error"
    assert rows[3]["errors"] == {
        "title": [
            'The cell holds a formula (=HYPERLINK("http://x","open")): type its value '
            "instead; formulas are not imported."
        ],
        "value": [
            "The cell holds a formula (=SUM(1,2)): type its value instead; formulas are not "
            "imported."
        ],
    }


def test_formula_like_text_in_a_csv_is_refused_not_stored(buyer):
    sheet = (
        VENDOR_HEADER
        + "=cmd|' /C calc'!A0,,,GB,cloud,1,none,active\n@SUM(1),,,GB,cloud,1,none,active\n"
    )

    upload = _checked(csv_file(sheet), "vendors", buyer)

    rows = _by_row(upload)
    assert rows[2]["errors"]["name"][0].endswith(
        "is a formula: type its value instead; formulas are not imported."
    )
    assert rows[3]["errors"]["name"] == [
        "“@SUM(1)” begins with “@”, which a spreadsheet runs as a formula; type the text "
        "without it."
    ]
    assert upload.counts["error"] == 2


def test_a_file_not_in_utf8_is_refused_with_what_to_do(buyer):
    sheet = VENDOR_HEADER + "Société Générale,,,FR,cloud,1,none,active\n"

    with pytest.raises(ValidationError) as refused:
        spreadsheet_upload_create(
            file=csv_file(sheet, encoding="cp1252"), kind="vendors", actor=buyer
        )

    assert refused.value.message_dict == {
        "file": [
            "The file is not UTF-8 (line 2 has the byte 0xE9, which UTF-8 does not allow "
            "there): save it as “CSV UTF-8” and upload it again."
        ]
    }
    assert SpreadsheetUpload.objects.count() == 0


def test_a_utf8_csv_with_excel_bom_and_semicolons_is_read(buyer):
    sheet = "Name;Country;Tier\nSociété Générale;FR;2\n"
    upload = spreadsheet_upload_create(
        file=csv_file(sheet, encoding="utf-8-sig"), kind="vendors", actor=buyer
    )

    assert upload.headers == ["Name", "Country", "Tier"]
    assert upload.rows == [["Société Générale", "FR", "2"]]


class _Huge(io.BytesIO):
    """A 50 MB upload that must never be read: only its size is looked at."""

    size = 50 * 1024 * 1024
    name = "huge.csv"

    def read(self, *args):
        raise AssertionError("the file was read")


def test_a_50_mb_file_is_refused_before_it_is_read(buyer):
    with pytest.raises(ValidationError) as refused:
        spreadsheet_upload_create(file=_Huge(), kind="vendors", actor=buyer)

    assert refused.value.message_dict["file"] == [
        "The file is 50.0 MB; the most a spreadsheet upload may be is 20.0 MB. Split it into "
        "smaller files."
    ]


def test_other_files_are_refused_with_what_to_do():
    limits = {"max_bytes": 10**6, "max_rows": 10, "max_uncompressed": 10**7}
    with pytest.raises(SheetError, match=r"Excel 97–2003 workbook \(\.xls\)"):
        sheet_read(io.BytesIO(b"\xd0\xcf\x11\xe0" + b"\x00" * 100), **limits)
    with pytest.raises(SheetError, match="not a readable XLSX file"):
        sheet_read(io.BytesIO(b"PK\x03\x04 not really a zip"), **limits)
    with pytest.raises(SheetError, match="holds binary data"):
        sheet_read(io.BytesIO(b"Name\n\x00\x01\x02"), **limits)
    with pytest.raises(SheetError, match="The file is empty"):
        sheet_read(io.BytesIO(b"\n\n"), **limits)
    with pytest.raises(SheetError, match="more than 10 rows"):
        sheet_read(io.BytesIO(("Name\n" + "x\n" * 11).encode()), **limits)


def test_a_workbook_that_unpacks_too_large_is_refused_before_it_is_unpacked():
    from tests.imports.sheets import xlsx_bytes

    data = xlsx_bytes([["Name"], ["x" * 1000]])
    with pytest.raises(SheetError, match="The workbook unpacks to"):
        sheet_read(io.BytesIO(data), max_bytes=10**6, max_rows=10, max_uncompressed=1000)


# --- The template ---------------------------------------------------------------------------


def test_the_templates_name_every_column_and_their_example_rows_check_clean(buyer):
    content, name, content_type = spreadsheet_template(kind="vendors", file_format="csv")
    assert name == "vendors-template.csv" and content_type.startswith("text/csv")
    header = content.decode("utf-8-sig").splitlines()[0]
    assert header == (
        "Name,LEI,Identifiers,Kind,Country,Category,Status,Tier,Data access,Business owner"
    )
    vendors = _checked(csv_file(content.decode("utf-8-sig")), "vendors", buyer)
    assert vendors.counts["create"] == 1 and vendors.counts["error"] == 0
    spreadsheet_upload_apply(upload=vendors, actor=buyer)

    content, name, _ = spreadsheet_template(kind="contracts", file_format="xlsx")
    assert name == "contracts-template.xlsx"
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True)
    assert workbook.sheetnames == ["Contracts", "Columns"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    contracts = _checked(SimpleUploadedFile("t.xlsx", content), "contracts", buyer)
    assert contracts.counts["create"] == 1 and contracts.counts["error"] == 0
    assert set(contracts.mapping) == {
        "vendor",
        "reference",
        "title",
        "value",
        "currency",
        "start_date",
        "end_date",
        "data_classification",
        "change_of_control_clause",
        "coc_termination_window_days",
        "owner",
    }
