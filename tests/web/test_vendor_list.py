"""The vendor list: search, filters, sorting, pagination, CSV export, constant queries."""

import csv
import io
import re

import pytest

from tests.factories import EntityFactory, VendorFactory

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'<td[^>]*><a href="/vendors/\d+/">([^<]+)</a></td>', html)


@pytest.fixture
def vendors():
    rows = [
        ("Alpha Labelling", "critical", 90, 1, "data_labelling", "active", "restricted"),
        ("Beta Cloud", "high", 60, 2, "cloud", "active", "confidential"),
        ("Gamma Payroll", "medium", 30, 3, "payroll", "suspended", "internal"),
        ("Delta Cloud", "low", 0, 4, "cloud", "onboarding", "none"),
    ]
    return [
        VendorFactory(
            entity=EntityFactory(name=name),
            risk_level=level,
            risk_score=score,
            tier=tier,
            category=category,
            status=status,
            data_access=access,
        )
        for name, level, score, tier, category, status, access in rows
    ]


def test_default_order_is_most_risky_first(viewer_client, vendors):
    assert names(viewer_client.get("/vendors/")) == [
        "Alpha Labelling",
        "Beta Cloud",
        "Gamma Payroll",
        "Delta Cloud",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("search=cloud", ["Beta Cloud", "Delta Cloud"]),
        ("risk_level=medium", ["Gamma Payroll"]),
        ("tier=1", ["Alpha Labelling"]),
        ("status=onboarding", ["Delta Cloud"]),
        ("data_access=confidential", ["Beta Cloud"]),
        ("category=cloud&status=active", ["Beta Cloud"]),
        ("sort=name", ["Alpha Labelling", "Beta Cloud", "Delta Cloud", "Gamma Payroll"]),
        ("sort=-tier", ["Delta Cloud", "Gamma Payroll", "Beta Cloud", "Alpha Labelling"]),
        ("sort=risk", ["Delta Cloud", "Gamma Payroll", "Beta Cloud", "Alpha Labelling"]),
    ],
)
def test_filters_and_sorting(viewer_client, vendors, query, expected):
    assert names(viewer_client.get(f"/vendors/?{query}")) == expected


@pytest.mark.parametrize("query", ["risk_level=extreme", "tier=7", "influenced_by=abc"])
def test_an_unreadable_filter_is_reported_not_ignored(viewer_client, vendors, query):
    response = viewer_client.get(f"/vendors/?{query}")
    assert response.status_code == 200
    assert names(response) == []
    assert 'class="form-errors"' in response.content.decode()


def test_unknown_sort_key_falls_back_to_risk(viewer_client, vendors):
    assert names(viewer_client.get("/vendors/?sort=password"))[0] == "Alpha Labelling"


def test_pagination_pages_through_every_vendor(viewer_client):
    for n in range(30):
        VendorFactory(entity=EntityFactory(name=f"Vendor {n:02d}"))
    first = viewer_client.get("/vendors/?sort=name")
    second = viewer_client.get("/vendors/?sort=name&page=2")
    assert len(names(first)) == 25 and len(names(second)) == 5
    assert names(second)[-1] == "Vendor 29"
    assert "<strong>30</strong> vendors" in first.content.decode()
    assert len(names(viewer_client.get("/vendors/?size=50"))) == 30


def test_live_search_answers_only_the_results(viewer_client, vendors):
    response = viewer_client.get("/vendors/?search=beta", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert names(response) == ["Beta Cloud"]


def test_csv_export_has_every_filtered_vendor(viewer_client, vendors):
    response = viewer_client.get("/vendors/export.csv?category=cloud&sort=name")
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith('attachment; filename="vendors-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["name"], r["risk_level"], r["tier"]) for r in rows] == [
        ("Beta Cloud", "high", "2"),
        ("Delta Cloud", "low", "4"),
    ]


def test_csv_export_writes_formula_like_cells_as_text(viewer_client, django_user_model):
    owner = django_user_model.objects.create_user(username="@owner", password="x")
    hostile = {
        "=1+1": "'=1+1",
        "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
        "-2+3": "'-2+3",
        "@SUM(1+1)*cmd|' /C calc'!A0": "'@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1": "'\t=1+1",
        " =1+1": "' =1+1",
        "Plain Vendor": "Plain Vendor",
    }
    for name in hostile:
        VendorFactory(entity=EntityFactory(name=name), business_owner=owner)

    response = viewer_client.get("/vendors/export.csv?sort=name")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert sorted(r["name"] for r in rows) == sorted(hostile.values())
    assert {r["business_owner"] for r in rows} == {"'@owner"}


def test_csv_export_refuses_an_unreadable_filter(viewer_client, vendors):
    response = viewer_client.get("/vendors/export.csv?risk_level=extreme")
    assert response.status_code == 400
    assert "risk_level" in response.content.decode()


@pytest.mark.parametrize("count", [5, 40])
def test_vendor_list_query_count_is_the_same_for_any_page_size(
    viewer_client, django_assert_num_queries, count
):
    VendorFactory.create_batch(count)
    with django_assert_num_queries(6):
        response = viewer_client.get(f"/vendors/?size={50 if count > 5 else 25}")
    assert len(names(response)) == count


@pytest.mark.parametrize("count", [5, 40])
def test_entity_list_query_count_is_constant(viewer_client, django_assert_num_queries, count):
    VendorFactory.create_batch(count)
    with django_assert_num_queries(7):
        assert viewer_client.get("/entities/?size=50").status_code == 200
