"""Every list reads through its selector in a constant number of queries, whatever the page
size: the same pinned count for 5 rows as for 50."""

import datetime

import pytest

from alerts.models import Alert
from registry.models import EntityIdentifier, OwnershipEvent
from tests.factories import (
    ContractFactory,
    EntityFactory,
    OwnershipFactory,
    VendorFactory,
    WatchlistEntryFactory,
)

pytestmark = pytest.mark.django_db

ROWS = 51
# Token lookup, the user's own permissions, the permissions of the user's groups (a token's
# last-used time is written at most once a minute: the warm-up request below does it).
AUTH = 3
# The page's count and its rows, plus one query per prefetched relation.
LIST_QUERIES = {
    "entities": AUTH + 2 + 1,
    "watchlist": AUTH + 2,
    "ownerships": AUTH + 2,
    "vendors": AUTH + 2,
    "contracts": AUTH + 2,
    "ownership-events": AUTH + 2 + 1,
    "alerts": AUTH + 2,
}


@pytest.fixture
def many_of_everything(db):
    vendors = VendorFactory.create_batch(ROWS)
    for number, vendor in enumerate(vendors):
        EntityIdentifier.objects.create(entity=vendor.entity, scheme="DUNS", value=str(number))
        EntityIdentifier.objects.create(entity=vendor.entity, scheme="GB-COH", value=str(number))
        WatchlistEntryFactory(entity=vendor.entity, category="other")
        OwnershipFactory(owned=vendor.entity)
        contract = ContractFactory(vendor=vendor)
        event = OwnershipEvent.objects.create(
            kind="other", subject=vendor.entity, effective_date=datetime.date(2025, 1, 1)
        )
        event.affected_vendors.set(vendors[number : number + 3])
        Alert.objects.create(
            kind="change_of_control",
            severity="high",
            title=f"Alert {number}",
            vendor=vendor,
            contract=contract,
            event=event,
            dedup_key=f"test:{number}",
        )
    EntityFactory.create_batch(5)


@pytest.mark.parametrize("resource", sorted(LIST_QUERIES))
@pytest.mark.parametrize("page_size", [5, 50])
def test_list_query_count_is_pinned_whatever_the_page_size(
    resource, page_size, viewer_client, many_of_everything, django_assert_num_queries
):
    viewer_client.get("/api/v1/risk-policy/")
    with django_assert_num_queries(LIST_QUERIES[resource]):
        response = viewer_client.get(f"/api/v1/{resource}/", {"page_size": page_size})

    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
