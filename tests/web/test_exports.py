"""Every list page exports what it shows, with its filters, as CSV and XLSX (``?export=``),
with no cell a spreadsheet would run as a formula, in a constant number of queries."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from alerts.models import Alert
from registry.models import OwnershipEvent
from tests.factories import (
    ContractFactory,
    EntityFactory,
    OwnershipFactory,
    VendorFactory,
)
from tests.pipeline.scenario import DEAL_DATE
from tests.web.helpers import alerts_for

pytestmark = pytest.mark.django_db

PAGES = ["/vendors/", "/contracts/", "/entities/", "/ownerships/", "/alerts/", "/events/"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def table(response) -> list[list]:
    """The exported rows, heading first, whichever the format."""
    if response["Content-Type"] == XLSX:
        sheet = load_workbook(io.BytesIO(body(response)), read_only=True).active
        return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    return list(csv.reader(io.StringIO(body(response).decode())))


def records(response) -> list[dict]:
    heading, *rows = table(response)
    return [dict(zip(heading, row, strict=True)) for row in rows]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_vendor_list_exports_its_filtered_vendors(viewer_client, reference_after, fmt):
    response = viewer_client.get("/vendors/", {"risk_level": "critical", "export": fmt})
    assert response.status_code == 200
    assert response["Content-Type"] == ("text/csv" if fmt == "csv" else XLSX)
    assert re.match(
        rf'attachment; filename="vendors-\d{{4}}-\d\d-\d\d\.{fmt}"', response["Content-Disposition"]
    )
    rows = records(response)
    assert [(r["name"], r["risk_level"], str(r["risk_score"]), str(r["tier"])) for r in rows] == [
        ("Scale AI", "critical", "89", "1")
    ]
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_contract_list_exports_value_clause_and_window(viewer_client, reference_after, fmt):
    ContractFactory(reference="OTHER-1", change_of_control_clause=False)
    response = viewer_client.get("/contracts/", {"change_of_control_clause": "true", "export": fmt})
    rows = records(response)
    assert len(rows) == 1
    row = rows[0]
    assert (row["reference"], row["vendor"], row["currency"]) == (
        "SCALE-2024-001",
        "Scale AI",
        "USD",
    )
    assert float(row["value"]) == 12_000_000
    assert str(row["coc_termination_window_days"]) == "30"
    # CSV writes the boolean as text, XLSX as a boolean cell.
    assert row["change_of_control_clause"] in ("True", True)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_entity_list_exports_its_filtered_entities(viewer_client, reference_after, fmt):
    rows = records(viewer_client.get("/entities/", {"kind": "person", "export": fmt}))
    assert [(r["name"], r["kind"]) for r in rows] == [("Scale AI CEO", "person")]
    rows = records(viewer_client.get("/entities/", {"search": "meta", "export": fmt}))
    assert [(r["name"], r["watchlist"]) for r in rows] == [("Meta Platforms", "competitor")]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_ownership_list_exports_the_edges_into_an_entity(viewer_client, reference_after, fmt):
    response = viewer_client.get(
        "/ownerships/", {"owned": reference_after.scale.pk, "active": "true", "export": fmt}
    )
    rows = sorted(
        (r["owner"], r["interest"], "" if r["share"] == "" else float(r["share"]))
        for r in records(response)
    )
    assert rows == [("Meta Platforms", "shareholding", 49.0), ("Scale AI CEO", "board_member", "")]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_alert_inbox_exports_its_filtered_alerts(viewer_client, reference_after, fmt):
    response = viewer_client.get("/alerts/", {"kind": "change_of_control", "export": fmt})
    rows = records(response)
    assert [(r["vendor"], r["contract"], str(r["due_date"])[:10]) for r in rows] == [
        ("Scale AI", "SCALE-2024-001", "2025-07-13")
    ]
    # The inbox's default (open or acknowledged) applies to the export as to the page.
    Alert.objects.filter(kind="risk_increased").update(status="resolved")
    everything = records(viewer_client.get("/alerts/", {"export": fmt}))
    assert sorted(r["kind"] for r in everything) == [
        "change_of_control",
        "new_influence",
        "new_influence",
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_event_list_exports_its_filtered_events(viewer_client, reference_after, fmt):
    rows = records(viewer_client.get("/events/", {"kind": "acquisition", "export": fmt}))
    assert [
        (r["subject"], r["counterparty"], float(r["share"]), str(r["effective_date"])[:10])
        for r in rows
    ] == [("Scale AI", "Meta Platforms", 49.0, "2025-06-13")]


HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(1)", "\t=1", "\r=1", " =1"]


def hostile_registry(django_user_model) -> None:
    """A row on every list whose text begins like a formula."""
    owner = django_user_model.objects.create_user(username="=owner", password="x")
    for i, text in enumerate(HOSTILE):
        entity = EntityFactory(name=text)
        vendor = VendorFactory(entity=entity, business_owner=owner)
        ContractFactory(vendor=vendor, reference=f"R{i}", title=text, owner=owner)
        OwnershipFactory(owner=EntityFactory(name=f"{text} holder"), owned=entity)
        OwnershipEvent.objects.create(
            kind="acquisition", subject=entity, share=10, effective_date=DEAL_DATE
        )
        alerts_for([vendor])[0].__class__.objects.filter(vendor=vendor).update(title=text)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("page", PAGES)
def test_no_exported_cell_begins_like_a_formula(viewer_client, django_user_model, page, fmt):
    hostile_registry(django_user_model)
    response = viewer_client.get(page, {"export": fmt, "size": 100})
    assert response.status_code == 200
    content = body(response)
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(content))
        assert all(c.data_type != "f" for row in book.active.iter_rows() for c in row)
        rows = [[c.value for c in row] for row in book.active.iter_rows()]
    else:
        rows = list(csv.reader(io.StringIO(content.decode())))
    cells = [cell for row in rows[1:] for cell in row if isinstance(cell, str) and cell]
    assert cells
    quoted = [cell for cell in cells if cell.startswith("'")]
    # Every hostile text of the page is there, as text behind a quote.
    assert {cell[1:].removesuffix(" holder") for cell in quoted} & set(HOSTILE)
    for cell in cells:
        assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), (page, cell)


@pytest.mark.parametrize("page", PAGES)
def test_an_unknown_format_or_an_unreadable_filter_is_a_clear_400(viewer_client, page):
    response = viewer_client.get(page, {"export": "pdf"})
    assert response.status_code == 400
    assert response.content.decode() == "export: “pdf” is not offered; use csv or xlsx."
    bad = {
        "/vendors/": "risk_level",
        "/contracts/": "vendor",
        "/entities/": "kind",
        "/ownerships/": "interest",
        "/alerts/": "severity",
        "/events/": "status",
    }[page]
    response = viewer_client.get(page, {"export": "csv", bad: "nonsense"})
    assert response.status_code == 400
    assert response.content.decode().startswith(f"{bad}: ")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_above_the_row_limit_is_refused_with_the_count(viewer_client, settings, fmt):
    settings.EXPORT_MAX_ROWS = 2
    VendorFactory.create_batch(3)
    response = viewer_client.get("/vendors/", {"export": fmt})
    assert response.status_code == 400
    assert response.content.decode() == (
        "This export would have 3 rows, more than the 2 an export may have (EXPORT_MAX_ROWS). "
        "Narrow the filters and export again."
    )
    assert viewer_client.get("/vendors/", {"export": fmt, "tier": 9}).status_code == 400


@pytest.mark.parametrize("page", PAGES)
def test_every_list_page_offers_both_exports_of_what_it_shows(viewer_client, page):
    html = viewer_client.get(page, {"search": "acme", "page": "2"}).content.decode()
    for fmt in ("csv", "xlsx"):
        links = re.findall(rf'href="({re.escape(page)}\?[^"]*export={fmt})"', html)
        assert links, (page, fmt)
        if page not in ("/alerts/", "/events/"):
            assert "search=acme&amp;export=" in links[0]
        assert "page=" not in links[0]


def test_the_api_lists_ignore_the_export_parameter(viewer_client, reference_after):
    response = viewer_client.get("/api/v1/vendors/", {"export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")


def test_the_old_csv_address_still_exports_the_vendor_list(viewer_client, reference_after):
    response = viewer_client.get("/vendors/export.csv", {"risk_level": "high"})
    assert response["Content-Type"] == "text/csv"
    assert [r["name"] for r in records(response)] == ["Remotasks"]


def _many(count: int) -> None:
    entities = EntityFactory.create_batch(count)
    vendors = [VendorFactory(entity=e) for e in entities]
    for vendor in vendors:
        ContractFactory(vendor=vendor)
    for owner, owned in zip(entities, entities[1:], strict=False):
        OwnershipFactory(owner=owner, owned=owned)
    alerts_for(vendors)
    OwnershipEvent.objects.bulk_create(
        OwnershipEvent(kind="acquisition", subject=e, share=10, effective_date=DEAL_DATE)
        for e in entities
    )


#: Queries of each export: the session and user, the count, the rows (and their prefetches).
EXPORT_QUERIES = {
    "/vendors/": 4,
    "/contracts/": 4,
    "/entities/": 5,
    "/ownerships/": 4,
    "/alerts/": 4,
    "/events/": 4,
}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("count", [5, 30])
@pytest.mark.parametrize("page", PAGES)
def test_an_export_reads_in_a_constant_number_of_queries(
    viewer_client, django_assert_num_queries, page, count, fmt
):
    _many(count)
    with django_assert_num_queries(EXPORT_QUERIES[page]):
        response = viewer_client.get(page, {"export": fmt})
        rows = table(response)
    assert len(rows) - 1 == (count - 1 if page == "/ownerships/" else count)


#: Queries of the two new list pages, as many as the vendor list's.
@pytest.mark.parametrize("count", [5, 30])
@pytest.mark.parametrize(("page", "queries"), [("/contracts/", 6), ("/ownerships/", 6)])
def test_the_contract_and_ownership_lists_read_in_a_constant_number_of_queries(
    viewer_client, django_assert_num_queries, page, queries, count
):
    _many(count)
    with django_assert_num_queries(queries):
        response = viewer_client.get(page, {"size": 50})
    assert response.status_code == 200


def test_a_live_search_brings_export_links_with_its_filters(viewer_client):
    html = viewer_client.get(
        "/vendors/", {"search": "acme", "tier": "2"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in html
    assert 'href="/vendors/?search=acme&amp;tier=2&amp;export=xlsx"' in html
