"""Undisclosed owners on the pages: the factor on the vendor page, the marked entity in the
drawn graph, the dashboard's count with its filtered list, and the entity page and admin."""

import datetime
import re
from decimal import Decimal

import pytest

from registry import services
from tests.factories import EntityFactory, orchard_group
from tests.web.conftest import signed_in
from tests.web.test_vendor_page import nodes, svg_of

SINCE = datetime.date(2020, 1, 1)


@pytest.fixture
def orchard(db, django_capture_on_commit_callbacks):
    """Quarry Trust (owners undisclosed) holds 60% of Orchard Holdco, which holds half of
    Orchard Data, which owns Orchard Labs; all three vendors but Holdco's, and Fernway Print
    is a vendor elsewhere."""
    with django_capture_on_commit_callbacks(execute=True):
        group = orchard_group(SINCE)
    with django_capture_on_commit_callbacks(execute=True):
        services.entity_update(entity=group["trust"], owners_undisclosed=True)
    return group


def _risk(html: str) -> str:
    return html.split('id="risk-heading"')[1].split("</section>")[0]


def test_vendor_page_lists_the_factor_naming_and_linking_the_entity(viewer_client, orchard):
    trust, data = orchard["trust"], orchard["vendors"]["Orchard Data"]
    risk = _risk(viewer_client.get(f"/vendors/{data.pk}/").content.decode())
    assert "<strong>Undisclosed ownership</strong>" in risk
    assert "look-through share <strong>30.00%</strong>" in risk
    assert f'Owners undisclosed: <a href="/entities/{trust.pk}/">Quarry Trust</a>' in risk
    assert "The owners of Quarry Trust are declared undisclosed" in risk
    chain = re.sub(r"<[^>]+>", "", re.search(r'<p class="chain">Chain: (.*?)</p>', risk).group(1))
    assert chain == "Quarry Trust → Orchard Holdco → Orchard Data"


def test_graph_marks_the_entity_with_a_dashed_outline_and_a_legend_entry(viewer_client, orchard):
    trust, data = orchard["trust"], orchard["vendors"]["Orchard Data"]
    html = viewer_client.get(f"/vendors/{data.pk}/").content.decode()
    svg = svg_of(html)
    assert nodes(svg) == {
        "Orchard Data": "OUR VENDOR",
        "Orchard Holdco": "Company",
        "Quarry Trust": "OWNERS UNDISCLOSED",
    }
    marked = re.findall(r'class="node[^"]*node-undisclosed" data-entity="(\d+)"', svg)
    assert marked == [str(trust.pk)]
    assert svg.count('class="undisclosed-ring"') == 1
    assert "<title>Quarry Trust — owners undisclosed</title>" in svg
    assert "Owners undisclosed: Quarry Trust." in svg
    legend = html.split('aria-label="Legend"')[1].split("</ul>")[0]
    assert '<span class="swatch undisclosed"></span> owners undisclosed' in legend
    table = html.split("The graph as a table")[1].split("</table>")[0]
    assert table.count('<span class="badge undisclosed">owners undisclosed</span>') == 1


def test_a_graph_without_undisclosed_owners_has_no_mark_or_legend_entry(viewer_client, orchard):
    fernway = orchard["vendors"]["Fernway Print"]
    services.ownership_set(
        owner=EntityFactory(name="Plain Owner"),
        owned=fernway.entity,
        share=Decimal(10),
        start_date=SINCE,
    )
    html = viewer_client.get(f"/vendors/{fernway.pk}/").content.decode()
    assert "undisclosed" not in html.split('id="graph-heading"')[1].split("</section>")[0]


def test_the_vendors_own_flagged_entity_keeps_its_vendor_tag_and_is_ringed(
    viewer_client, orchard, django_capture_on_commit_callbacks
):
    data = orchard["vendors"]["Orchard Data"]
    with django_capture_on_commit_callbacks(execute=True):
        services.entity_update(entity=data.entity, owners_undisclosed=True)
    html = viewer_client.get(f"/vendors/{data.pk}/").content.decode()
    svg = svg_of(html)
    assert nodes(svg)["Orchard Data"] == "OUR VENDOR"
    assert svg.count('class="undisclosed-ring"') == 2
    details = html.split('id="details-heading"')[1].split("</section>")[0]
    assert '<span class="badge undisclosed">Owners undisclosed</span>' in details
    assert _risk(html).count("<strong>Undisclosed ownership</strong>") == 2


def test_dashboard_counts_vendors_with_undisclosed_owners_above_and_links_the_list(
    viewer_client, orchard
):
    html = viewer_client.get("/").content.decode()
    assert (
        '<a href="/vendors/?factor=undisclosed_ownership&amp;current=true">'
        "<strong>2</strong> vendors with undisclosed owners above them →</a>"
    ) in html
    listed = viewer_client.get(
        "/vendors/?factor=undisclosed_ownership&current=true"
    ).content.decode()
    names = re.findall(r'<td[^>]*><a href="/vendors/\d+/">([^<]+)</a></td>', listed)
    assert sorted(names) == ["Orchard Data", "Orchard Labs"]
    assert "with the risk factor" in listed and "undisclosed ownership" in listed


def test_an_offboarded_vendor_is_not_counted_on_the_dashboard(viewer_client, orchard):
    services.vendor_update(vendor=orchard["vendors"]["Orchard Labs"], status="offboarded")
    html = viewer_client.get("/").content.decode()
    assert "<strong>1</strong> vendor with undisclosed owners above them" in html


def test_an_unknown_factor_in_the_vendor_filter_is_a_field_error(viewer_client, orchard):
    response = viewer_client.get("/vendors/?factor=bogus")
    assert response.status_code == 200
    html = response.content.decode()
    assert "factor: Select a valid choice." in html
    assert re.findall(r'<td[^>]*><a href="/vendors/\d+/">([^<]+)</a></td>', html) == []


def test_entity_page_and_admin_show_the_flag(viewer_client, superuser, orchard):
    trust, holdco = orchard["trust"], orchard["holdco"]
    page = viewer_client.get(f"/entities/{trust.pk}/").content.decode()
    assert '<dt>Owners</dt><dd><span class="badge undisclosed">Owners undisclosed</span>' in page
    plain = viewer_client.get(f"/entities/{holdco.pk}/").content.decode()
    assert "<dt>Owners</dt><dd>disclosed (or nothing says otherwise)</dd>" in plain
    admin = signed_in(superuser)
    change = admin.get(f"/admin/registry/entity/{trust.pk}/change/").content.decode()
    flag = r'Owners undisclosed:</label>\s*<div class="readonly"><img[^>]*alt="True"'
    assert re.search(flag, change)
    listing = admin.get("/admin/registry/entity/?owners_undisclosed__exact=1").content.decode()
    assert "Quarry Trust" in listing and "Orchard Holdco" not in listing
