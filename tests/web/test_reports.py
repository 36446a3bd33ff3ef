"""The exposure report of a watchlisted party and a vendor's one-page summary, as pages and
as PDF files, with the reference scenario's numbers (docs/risk-rules.md)."""

import builtins
import datetime
import io
import re
import sys

import pytest
from django.utils import timezone
from pypdf import PdfReader

from registry.models import RiskAssessment
from reports.pdf import static_file
from tests.web.helpers import assessed_vendor, competitor

#: Queries of an exposure report: the session, the user, the party and the report's reads;
#: and per vendor, its graph (here, a walk that finds no owner, the watchlist marks and which
#: of the chain's entities are our vendors, drawn as vendors).
FIXED = 10
PER_VENDOR = 3

pytestmark = pytest.mark.django_db


def vendor_rows(html: str) -> list[list[str]]:
    table = html.split('id="report-vendors"')[1].split("</table>")[0]
    rows = []
    for row in table.split("<tbody>")[1].split("</tr>")[:-1]:
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append([re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in cells])
    return rows


def pdf_text(response) -> tuple[str, int, set[str]]:
    reader = PdfReader(io.BytesIO(response.content))
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in (page["/Resources"].get("/Font") or {}).values()
    }
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text), len(reader.pages), fonts


def test_meta_platforms_report_lists_its_two_vendors_with_level_share_and_control(
    viewer_client, reference_after
):
    response = viewer_client.get(f"/reports/exposure/{reference_after.meta.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert vendor_rows(html) == [
        ["Scale AI", "Critical score 89", "49.00%", "No", "Yes", "Restricted", "1"],
        ["Remotasks", "High score 58", "49.00%", "No", "No", "Confidential", "2"],
    ]
    assert re.search(r'id="report-vendor-count">2<', html)
    assert "USD 12,000,000.00" in html.split('id="report-totals"')[1].split("</dd>")[0]
    assert "Meta Platforms → Scale AI → Remotasks" in html
    assert "Meta Platforms → Scale AI CEO → Scale AI" in html
    # One drawing per vendor, each with ids of its own.
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="ownership-graph"') == 2
    assert 'id="arrow-1"' in html and 'id="arrow-2"' in html and 'id="arrow"' not in html


def test_the_contract_shows_its_value_clause_window_and_deadline(viewer_client, reference_after):
    html = viewer_client.get(f"/reports/exposure/{reference_after.meta.pk}/").content.decode()
    contracts = html.split('class="report-contracts"')[1].split("</table>")[0]
    cells = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip()
        for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", contracts.split("<tbody>")[1], re.S)
    ]
    assert cells == [
        "SCALE-2024-001 Data labelling services",
        "USD 12,000,000.00",
        "open-ended",
        "Yes",
        "30 days",
        "2025-07-13 overdue",
    ]


def test_the_report_lists_the_open_alerts_of_its_vendors(viewer_client, reference_after):
    html = viewer_client.get(f"/reports/exposure/{reference_after.meta.pk}/").content.decode()
    alerts = html.split('id="alerts-heading"')[1].split("</table>")[0]
    kinds = re.findall(r'<small class="muted">([A-Z][a-z -]+)</small></th>', alerts)
    assert sorted(kinds) == sorted(
        ["Change of control", "New influence", "New influence", "Risk increased", "Risk increased"]
    )


def test_the_report_total_is_the_dashboards_figure(viewer_client):
    party = competitor("Rival Holdings")
    assessed_vendor(party=party, value="1000000.00")
    assessed_vendor(party=party, value="2500000.00")
    other = assessed_vendor(party=competitor("Someone Else"), value="7.00")
    dashboard = viewer_client.get("/").content.decode()
    assert f'href="/reports/exposure/{party.pk}/"' in dashboard
    html = viewer_client.get(f"/reports/exposure/{party.pk}/").content.decode()
    assert "USD 3,500,000.00" in html.split('id="report-totals"')[1].split("</dd>")[0]
    assert len(vendor_rows(html)) == 2
    assert other.entity.name not in html


def test_the_pdf_has_the_vendors_values_and_deadline_in_our_own_font(
    viewer_client, reference_after
):
    response = viewer_client.get(f"/reports/exposure/{reference_after.meta.pk}/?format=pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    today = timezone.localdate().isoformat()
    assert f'filename="exposure-meta-platforms-{today}.pdf"' in response["Content-Disposition"]
    text, pages, fonts = pdf_text(response)
    for expected in (
        "Exposure to Meta Platforms",
        "Scale AI Critical score 89 49.00% No Yes Restricted 1",
        "Remotasks High score 58 49.00% No No Confidential 2",
        "USD 12,000,000.00",
        "SCALE-2024-001",
        "2025-07-13",
        "30 days",
    ):
        assert expected in text
    # "Report Sans" is only the @font-face of static/css/report.css, read from
    # static/vendor/dejavu/: no system font is used.
    assert fonts and all("Report-Sans" in font for font in fonts)
    assert pages >= 1


def test_a_report_as_of_an_earlier_day_shows_what_was_recorded_then(viewer_client, reference_after):
    today = timezone.localdate()
    before = timezone.now() - datetime.timedelta(days=10)
    after_events = timezone.now() - datetime.timedelta(days=2)
    RiskAssessment.objects.filter(event__isnull=True).update(assessed_at=before)
    RiskAssessment.objects.filter(event__isnull=False).update(assessed_at=after_events)
    url = f"/reports/exposure/{reference_after.meta.pk}/"
    earlier = viewer_client.get(url, {"as_of": (today - datetime.timedelta(days=5)).isoformat()})
    assert earlier.status_code == 200
    assert 'id="report-empty"' in earlier.content.decode()
    assert 'id="report-vendor-count">0<' in earlier.content.decode()
    later = viewer_client.get(url, {"as_of": (today - datetime.timedelta(days=1)).isoformat()})
    assert [row[0] for row in vendor_rows(later.content.decode())] == ["Scale AI", "Remotasks"]


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2025-13-01", "as_of: “2025-13-01” is not a date; give it as YYYY-MM-DD"),
        ("yesterday", "as_of: “yesterday” is not a date"),
        ("20250701", "as_of: give the date as YYYY-MM-DD"),
        ("2999-01-01", "as_of: 2999-01-01 is in the future"),
    ],
)
def test_a_bad_date_is_a_clear_400(viewer_client, reference_after, as_of, message):
    for url in (
        f"/reports/exposure/{reference_after.meta.pk}/",
        f"/vendors/{reference_after.scale_vendor.pk}/report/",
    ):
        for fmt in ("html", "pdf"):
            response = viewer_client.get(url, {"as_of": as_of, "format": fmt})
            assert response.status_code == 400
            assert message in response.content.decode()


def test_an_unknown_format_is_a_clear_400(viewer_client, reference_after):
    response = viewer_client.get(f"/reports/exposure/{reference_after.meta.pk}/?format=docx")
    assert response.status_code == 400
    assert "format: “docx” is not offered; use html or pdf." in response.content.decode()


def test_unknown_ids_and_entities_off_the_watchlist_are_404(viewer_client, reference_after):
    assert viewer_client.get("/reports/exposure/999999/").status_code == 404
    assert viewer_client.get(f"/reports/exposure/{reference_after.scale.pk}/").status_code == 404
    assert viewer_client.get("/vendors/999999/report/").status_code == 404
    assert viewer_client.get("/vendors/999999/report/?format=pdf").status_code == 404


def test_every_role_may_read_a_report_and_a_visitor_signs_in_first(
    client, viewer_client, buyer_client, analyst_client, reference_after
):
    urls = [
        f"/reports/exposure/{reference_after.meta.pk}/",
        f"/vendors/{reference_after.scale_vendor.pk}/report/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        for signed_in in (viewer_client, buyer_client, analyst_client):
            assert signed_in.get(url).status_code == 200


def test_the_dashboard_entity_and_vendor_pages_link_to_the_reports(viewer_client, reference_after):
    meta, scale = reference_after.meta, reference_after.scale_vendor
    assert f'href="/reports/exposure/{meta.pk}/"' in viewer_client.get("/").content.decode()
    entity_page = viewer_client.get(f"/entities/{meta.pk}/").content.decode()
    assert f'href="/reports/exposure/{meta.pk}/"' in entity_page
    assert (
        "/reports/exposure/"
        not in viewer_client.get(f"/entities/{reference_after.scale.pk}/").content.decode()
    )
    assert (
        f'href="/vendors/{scale.pk}/report/"'
        in viewer_client.get(f"/vendors/{scale.pk}/").content.decode()
    )
    report = viewer_client.get(f"/reports/exposure/{meta.pk}/").content.decode()
    today = timezone.localdate().isoformat()
    assert f"?as_of={today}&amp;format=pdf" in report


def test_the_vendor_summary_shows_level_factors_contracts_and_alerts(
    viewer_client, reference_after
):
    html = viewer_client.get(f"/vendors/{reference_after.scale_vendor.pk}/report/").content.decode()
    level = re.sub(r"<[^>]+>|\s+", " ", html.split('id="report-level"')[1].split("</p>")[0])
    assert " ".join(level.split()).startswith("> Critical score 89 / 100")
    assert "Competitor ownership" in html and "Key-person interlock" in html
    assert "Meta Platforms → Scale AI CEO → Scale AI" in html
    assert f'href="/reports/exposure/{reference_after.meta.pk}/?as_of=' in html
    assert "2025-07-13" in html and "USD 12,000,000.00" in html


def test_the_vendor_summary_pdf_is_one_page(viewer_client, reference_after):
    response = viewer_client.get(f"/vendors/{reference_after.scale_vendor.pk}/report/?format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text, pages, _ = pdf_text(response)
    assert pages == 1
    for expected in (
        "Scale AI",
        "Critical score 89 / 100",
        "Competitor ownership High Meta Platforms 49.00%",
        "SCALE-2024-001",
        "USD 12,000,000.00",
    ):
        assert expected in text


def test_without_weasyprint_the_pdf_link_says_what_is_missing(
    viewer_client, reference_after, monkeypatch
):
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    url = f"/reports/exposure/{reference_after.meta.pk}/"
    response = viewer_client.get(url, {"format": "pdf"})
    assert response.status_code == 503
    body = response.content.decode()
    assert "PDF reports need the Python package WeasyPrint" in body
    assert f"The printable page is at http://testserver{url}" in body
    assert viewer_client.get(url).status_code == 200


def test_without_pango_the_pdf_link_names_the_system_libraries(
    viewer_client, reference_after, monkeypatch
):
    real_import = builtins.__import__

    def without_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    monkeypatch.setattr(builtins, "__import__", without_pango)
    response = viewer_client.get(f"/vendors/{reference_after.scale_vendor.pk}/report/?format=pdf")
    assert response.status_code == 503
    body = response.content.decode()
    assert "libpango-1.0-0, libpangoft2-1.0-0 and libharfbuzz-subset0" in body
    assert "cannot load library 'libpango-1.0-0'" in body


def test_the_pdf_reads_only_the_sites_static_files(settings):
    body, media_type = static_file("http://anything.example/static/vendor/dejavu/DejaVuSans.ttf")
    assert media_type == "font/ttf" and body[:4] == b"\x00\x01\x00\x00"
    assert static_file("/static/css/report.css")[1] == "text/css"
    for url in (
        "http://example.com/secret",
        "file:///etc/passwd",
        "data:text/css,body{}",
        "http://testserver/static/../config/settings/base.py",
        "http://testserver/static/%2e%2e/manage.py",
        "ftp://testserver/static/css/report.css",
        "http://testserver/static/css/missing.css",
    ):
        with pytest.raises(ValueError):
            static_file(url)


@pytest.mark.parametrize("count", [1, 6])
def test_the_exposure_report_reads_a_fixed_number_of_queries_and_each_vendors_graph(
    viewer_client, django_assert_num_queries, count
):
    party = competitor("Rival Holdings")
    for _ in range(count):
        assessed_vendor(party=party)
    viewer_client.get(f"/reports/exposure/{party.pk}/")
    with django_assert_num_queries(FIXED + PER_VENDOR * count):
        response = viewer_client.get(f"/reports/exposure/{party.pk}/")
    assert len(vendor_rows(response.content.decode())) == count
