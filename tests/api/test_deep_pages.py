"""Deep pages of a list read the page's keys first (core.paging): the same rows in the same
order as one query would give, in a fixed number of queries whatever the depth."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.paging import KeysFirstPaginator
from registry.models import Vendor
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

NAMES = [f"Vendor {number:03d}" for number in range(23)]


@pytest.fixture
def vendors():
    # Created out of name order, so that the list's order is the names', not the keys'.
    return [VendorFactory(entity__name=name) for name in reversed(NAMES)]


@pytest.fixture
def keys_first_from_page_two(monkeypatch):
    monkeypatch.setattr(KeysFirstPaginator, "keys_first_from", 5)


def _names(client, page: int) -> list[str]:
    response = client.get("/api/v1/vendors/", {"page_size": 5, "page": page})
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_every_page_holds_the_rows_one_query_would_give(
    vendors, viewer_client, keys_first_from_page_two
):
    pages = [_names(viewer_client, page) for page in range(1, 6)]

    assert pages == [NAMES[start : start + 5] for start in range(0, 23, 5)]
    assert len(pages[-1]) == 3


def test_a_deep_page_costs_one_query_more_than_the_first_whatever_its_depth(
    vendors, viewer_client, keys_first_from_page_two
):
    viewer_client.get("/api/v1/risk-policy/")  # the session and the user, read once
    counts = {}
    for page in (1, 2, 5):
        with CaptureQueriesContext(connection) as captured:
            assert _names(viewer_client, page)
        counts[page] = len(captured)

    assert counts[2] == counts[5] == counts[1] + 1


def test_a_deep_page_of_a_filtered_list_keeps_the_filter(
    vendors, viewer_client, keys_first_from_page_two
):
    Vendor.objects.filter(entity__name__in=NAMES[::2]).update(risk_level="high")

    response = viewer_client.get(
        "/api/v1/vendors/", {"page_size": 5, "page": 3, "risk_level": "high"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 12
    assert [row["name"] for row in body["results"]] == NAMES[::2][10:12]


def test_the_paginator_reads_a_deep_page_in_two_queries(
    vendors, keys_first_from_page_two, django_assert_num_queries
):
    paginator = KeysFirstPaginator(Vendor.objects.select_related("entity"), 5)
    assert paginator.count == 23  # counted before

    with django_assert_num_queries(2):
        page = paginator.page(4)
        names = [vendor.entity.name for vendor in page]

    assert names == NAMES[15:20]
    assert page.has_next() and page.next_page_number() == 5
