"""The spreadsheet import's pages (/imports/spreadsheet/) and its admin: who may use them,
the upload → mapping → dry run → apply path, the report's pages, the templates, and bad
uploads answered with a message, never a 500."""

import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.choices import SpreadsheetStatus
from imports.models import SpreadsheetUpload
from registry.models import Contract, Entity, Vendor
from tests.factories import EntityFactory, VendorFactory
from tests.imports.sheets import contract_rows_csv, csv_file, lei, vendor_rows_csv

pytestmark = pytest.mark.django_db

UPLOAD = reverse("web:spreadsheet-upload")


def _upload(client, file, kind="vendors"):
    return client.post(UPLOAD, {"kind": kind, "file": file})


def _detail(upload) -> str:
    return reverse("web:spreadsheet-detail", args=[upload.pk])


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(UPLOAD)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    "url",
    [
        UPLOAD,
        reverse("web:spreadsheet-template", args=["vendors", "csv"]),
    ],
)
def test_viewers_may_not_import(client, viewer, url):
    client.force_login(viewer)

    assert client.get(url).status_code == 403
    assert (
        client.post(UPLOAD, {"kind": "vendors", "file": csv_file("Name\nA\n")}).status_code == 403
    )
    assert SpreadsheetUpload.objects.count() == 0


def test_viewers_may_not_apply_and_others_uploads_are_not_found(client, buyer, viewer, analyst):
    client.force_login(buyer)
    _upload(client, csv_file(vendor_rows_csv(2)))
    upload = SpreadsheetUpload.objects.get()
    client.post(_detail(upload), upload.mapping)

    client.force_login(viewer)
    assert client.post(reverse("web:spreadsheet-apply", args=[upload.pk])).status_code == 403
    client.force_login(analyst)
    assert client.get(_detail(upload)).status_code == 404
    assert client.post(reverse("web:spreadsheet-apply", args=[upload.pk])).status_code == 404
    assert Vendor.objects.count() == 0


def test_the_imports_page_links_the_spreadsheet_import_for_procurement(client, buyer, viewer):
    client.force_login(buyer)
    assert 'id="spreadsheet-button"' in client.get(reverse("web:import-list")).content.decode()
    client.force_login(viewer)
    assert 'id="spreadsheet-button"' not in client.get(reverse("web:import-list")).content.decode()


def test_a_buyer_loads_the_contract_register_upload_map_dry_run_apply(client, buyer):
    for n in range(3):
        VendorFactory(entity=EntityFactory(name=f"Vendor {n}", lei=lei(n)))
    client.force_login(buyer)

    response = _upload(client, csv_file(contract_rows_csv(3), "register.csv"), kind="contracts")

    upload = SpreadsheetUpload.objects.get()
    assert response.status_code == 302 and response.url == _detail(upload)
    page = client.get(_detail(upload)).content.decode()
    # Every column is mapped by its name, preselected in the form.
    assert '<option value="Reference" selected>Reference</option>' in page
    assert "Run the dry run" in page

    response = client.post(_detail(upload), {**upload.mapping})

    assert response.status_code == 302
    upload.refresh_from_db()
    assert upload.status == SpreadsheetStatus.CHECKED
    page = client.get(_detail(upload)).content.decode()
    assert "3 to create, 0 to update, 0 unchanged" in page
    assert page.count('class="badge status sheet-create"') == 3
    assert 'id="apply-button"' in page
    assert Contract.objects.count() == 0

    response = client.post(reverse("web:spreadsheet-apply", args=[upload.pk]))

    assert response.status_code == 302
    assert Contract.objects.count() == 3
    page = client.get(_detail(upload)).content.decode()
    assert "<strong>Applied</strong>" in page
    assert "3 created, 0 updated, 0 unchanged" in page
    listed = client.get(UPLOAD).content.decode()
    assert f'<a href="{_detail(upload)}">#{upload.pk}</a>' in listed
    assert (
        "register.csv" in listed and 'href="/imports/spreadsheet/template/contracts.xlsx"' in listed
    )
    # Applying twice writes nothing more.
    client.post(reverse("web:spreadsheet-apply", args=[upload.pk]))
    assert Contract.objects.count() == 3


def test_errors_are_shown_in_the_cell_of_their_field(client, buyer):
    client.force_login(buyer)
    sheet = "Name,Country,Tier\nGood Co,GB,1\nBad Co,ZZ,7\n"
    _upload(client, csv_file(sheet))
    upload = SpreadsheetUpload.objects.get()
    client.post(_detail(upload), upload.mapping)

    page = client.get(_detail(upload) + "?show=errors").content.decode()

    row = re.search(r'<tr class="action-error" id="row-3">(.*?)</tr>', page, re.S).group(1)
    assert re.search(
        r'<td class="cell-error" data-field="country">ZZ<div class="errorlist">“ZZ” is not an '
        r"ISO 3166-1 alpha-2 country code",
        row,
    )
    assert (
        '<td class="cell-error" data-field="tier">7<div class="errorlist">7 is not between 1 and 4.'
        in row
    )
    assert 'id="row-2"' not in page
    assert 'id="apply-button"' not in page
    assert "<strong>1 row with errors</strong>" in page


def test_ten_thousand_bad_rows_are_reported_every_one_on_pages(
    client, buyer, django_assert_max_num_queries
):
    client.force_login(buyer)
    _upload(client, csv_file(vendor_rows_csv(10_000, bad=True)))
    upload = SpreadsheetUpload.objects.get()

    started = time.perf_counter()
    client.post(_detail(upload), upload.mapping)
    seconds = time.perf_counter() - started

    upload.refresh_from_db()
    # Generous for a loaded machine; make bench-spreadsheet measures it.
    assert seconds < 60
    assert upload.counts["error"] == 10_000 and upload.counts["messages"] == 40_000
    with django_assert_max_num_queries(8):
        page = client.get(_detail(upload) + "?show=errors&page=200").content.decode()
    assert page.count('class="action-error"') == 50
    assert 'id="row-10001"' in page and 'id="row-9952"' in page
    assert "<strong>10000</strong> rows" in page
    assert client.post(reverse("web:spreadsheet-apply", args=[upload.pk])).status_code == 302
    assert Entity.objects.count() == 0


def test_missing_required_columns_are_named_on_the_mapping_form(client, buyer):
    client.force_login(buyer)
    _upload(client, csv_file("Vendor,Title\nScale AI,Deal\n"), kind="contracts")
    upload = SpreadsheetUpload.objects.get()

    response = client.post(_detail(upload), {"vendor": "Vendor", "title": "Title"})

    assert response.status_code == 400
    assert (
        "Missing required columns: Reference, Value, Start date. The file&#x27;s columns are: "
        "Vendor, Title." in response.content.decode()
    )
    upload.refresh_from_db()
    assert upload.status == SpreadsheetStatus.UPLOADED


def test_a_file_not_in_utf8_gets_its_message_at_the_field(client, buyer):
    client.force_login(buyer)

    response = _upload(client, csv_file("Name\nSociété\n", encoding="latin-1"))

    assert response.status_code == 200
    assert "The file is not UTF-8 (line 2" in response.content.decode()
    assert "save it as “CSV UTF-8” and upload it again." in response.content.decode()
    assert SpreadsheetUpload.objects.count() == 0


def test_a_50_mb_upload_is_refused_as_it_arrives(client, buyer):
    client.force_login(buyer)
    huge = SimpleUploadedFile("huge.csv", b"Name\n" + b"x" * (50 * 1024 * 1024))

    response = _upload(client, huge)

    assert response.status_code == 413
    assert (
        "The file is larger than 20 MB, the most a spreadsheet upload may be: it was not read."
        in response.content.decode()
    )
    assert SpreadsheetUpload.objects.count() == 0


def test_the_upload_handler_stops_before_storing_any_of_a_body_too_large(rf):
    from imports.web.spreadsheets import UploadTooLarge

    file = SimpleUploadedFile("a.csv", b"x" * 200_000)
    request = rf.post(UPLOAD, {"kind": "vendors", "file": file})
    guard = UploadTooLarge(request, 1024)
    request.upload_handlers.insert(0, guard)

    assert "file" not in request.FILES
    assert request.POST["kind"] == "vendors"
    assert (guard.refused, guard.received) == (True, 0)


@pytest.mark.parametrize(
    ("kind", "file_format", "content_type"),
    [
        ("vendors", "csv", "text/csv; charset=utf-8"),
        ("contracts", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_the_templates_download(client, buyer, kind, file_format, content_type):
    client.force_login(buyer)

    response = client.get(reverse("web:spreadsheet-template", args=[kind, file_format]))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert (
        response["Content-Disposition"] == f'attachment; filename="{kind}-template.{file_format}"'
    )
    assert len(response.content) > 100


def test_an_unknown_template_is_not_found(client, buyer):
    client.force_login(buyer)

    assert (
        client.get(reverse("web:spreadsheet-template", args=["alerts", "csv"])).status_code == 404
    )
    assert (
        client.get(reverse("web:spreadsheet-template", args=["vendors", "pdf"])).status_code == 404
    )


# --- The admin ------------------------------------------------------------------------------


def test_the_admin_uploads_and_applies_a_clean_file(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:imports_spreadsheetupload_add"),
        {"kind": "vendors", "upload": csv_file(vendor_rows_csv(4)), "apply": "on"},
    )

    upload = SpreadsheetUpload.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:imports_spreadsheetupload_change", args=[upload.pk])
    assert upload.status == SpreadsheetStatus.APPLIED
    assert Vendor.objects.count() == 4
    page = client.get(response.url).content.decode()
    assert "4 rows: 4 create, 0 update, 0 unchanged, 0 with errors" in page


def test_the_admin_lists_the_errors_and_applies_nothing(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:imports_spreadsheetupload_add"),
        {"kind": "vendors", "upload": csv_file(vendor_rows_csv(2, bad=True)), "apply": "on"},
        follow=True,
    )

    page = response.content.decode()
    assert "2 rows have errors: nothing can be applied." in page
    assert "9 is not between 1 and 4." in page
    assert Vendor.objects.count() == 0


def test_the_admin_names_missing_columns(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:imports_spreadsheetupload_add"),
        {"kind": "contracts", "upload": csv_file("Vendor\nX\n"), "apply": "on"},
        follow=True,
    )

    assert (
        "Missing required columns: Reference, Title, Value, Start date."
        in response.content.decode()
    )
    assert Contract.objects.count() == 0
