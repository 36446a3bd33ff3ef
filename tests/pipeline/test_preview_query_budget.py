"""The preview of an event on a group root costs the same small number of queries however deep
and wide the group is and however large the registry around it (issue 13: a preview on a large
group stays interactive; no query per level of the graph, per vendor or per contract)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import services
from registry.choices import DataAccess, EventKind, Interest
from registry.models import RiskAssessment, Vendor
from registry.services.preview import ownership_event_preview
from registry.services.risk import previous_influences

START = datetime.date(2020, 1, 1)
DEAL = datetime.date(2025, 6, 13)


def _group(depth: int, width: int, *, tag: str):
    """A group root over ``depth`` levels of ``width`` wholly owned companies each (each level's
    companies owned by the first of the level above), every company a vendor with a
    change-of-control contract, and a director on the bottom company who also sits on a company
    outside the group with an owner of its own; returns the root."""
    root = services.entity_create(name=f"Root {tag}", country="GB")
    parent = root
    number = 0
    for level in range(depth):
        companies = []
        for n in range(width):
            company = services.entity_create(name=f"L{level}-{n} {tag}", country="GB")
            services.ownership_set(
                owner=parent, owned=company, share=Decimal(100), start_date=START
            )
            vendor = services.vendor_create(
                entity=company, category="software", tier=2, data_access=DataAccess.CONFIDENTIAL
            )
            number += 1
            services.contract_create(
                vendor=vendor,
                reference=f"C-{tag}-{number}",
                title="Services",
                value=Decimal("1000.00"),
                currency="EUR",
                start_date=START,
                change_of_control_clause=True,
                coc_termination_window_days=30,
            )
            companies.append(company)
        parent = companies[0]
    director = services.entity_create(name=f"Director {tag}", kind="person", country="GB")
    elsewhere = services.entity_create(name=f"Elsewhere {tag}", country="GB")
    holder = services.entity_create(name=f"Holder {tag}", country="GB")
    services.ownership_set(owner=holder, owned=elsewhere, share=Decimal(60), start_date=START)
    for seat in (parent, elsewhere):
        services.ownership_set(
            owner=director, owned=seat, interest=Interest.BOARD_MEMBER, start_date=START
        )
    return root


def _preview_queries(depth: int, width: int, django_capture_on_commit_callbacks, *, noise=0):
    """Queries of previewing an acquisition of 30% of a group root by a competitor."""
    with django_capture_on_commit_callbacks(execute=True):
        meta = services.entity_create(name="Meta Platforms", country="US")
        services.watchlist_entry_create(entity=meta, category="competitor", reason="A rival.")
        root = _group(depth, width, tag="ours")
        for n in range(noise):
            _group(depth, width, tag=f"other {n}")
    with CaptureQueriesContext(connection) as queries:
        preview = ownership_event_preview(
            kind=EventKind.ACQUISITION,
            subject=root,
            counterparty=meta,
            share=Decimal(30),
            effective_date=DEAL,
        )
    vendors = depth * width
    # Every vendor of the group, and for each its change-of-control review and the
    # competitor's new 30% look-through influence (the whole group is wholly owned).
    assert len(preview.affected_vendors) == vendors
    kinds = [alert["kind"] for alert in preview.alerts]
    assert kinds.count("change_of_control") == vendors
    assert kinds.count("new_influence") == vendors
    # (Validating the event's constraints inside a transaction, as here, adds a savepoint
    # around each check; those are not round trips for the preview's reads.)
    return len([q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))])


#: What previewing an event costs: validating it (its parties and checks), its stored edges,
#: what is below the subject and the key people there on the effective date and the day before
#: (one query), those key people's other seats, the vendors, their contracts, the watchlist,
#: one walk for both days' graphs, the policy and the vendors' latest influences.
PREVIEW_QUERIES = 17


@pytest.mark.django_db
@pytest.mark.parametrize(("depth", "width"), [(1, 1), (3, 2), (8, 3)])
def test_a_preview_costs_the_same_queries_at_any_depth_and_size(
    depth, width, django_capture_on_commit_callbacks
):
    assert _preview_queries(depth, width, django_capture_on_commit_callbacks) == PREVIEW_QUERIES


@pytest.mark.django_db
def test_a_preview_costs_the_same_queries_in_a_larger_registry(
    django_capture_on_commit_callbacks,
):
    assert _preview_queries(5, 2, django_capture_on_commit_callbacks, noise=6) == PREVIEW_QUERIES


@pytest.mark.django_db
def test_the_latest_influences_are_read_by_index_from_each_vendors_latest_assessment(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        meta = services.entity_create(name="Meta Platforms", country="US")
        services.watchlist_entry_create(entity=meta, category="competitor", reason="A rival.")
        root = _group(3, 2, tag="ours")
        # Processed: each vendor's latest assessment holds Meta's 30% look-through share.
        services.ownership_event_log(
            kind=EventKind.ACQUISITION,
            subject=root,
            counterparty=meta,
            share=Decimal(30),
            effective_date=DEAL,
        )
    outsider = services.vendor_create(
        entity=services.entity_create(name="Never assessed", country="GB"),
        category="software",
        tier=3,
    )
    ids = [*Vendor.objects.exclude(pk=outsider.pk).values_list("pk", flat=True), outsider.pk]
    found = previous_influences(ids)
    latest = {
        vendor: RiskAssessment.objects.filter(vendor_id=vendor).latest().pk for vendor in found
    }
    assert {vendor: assessment for vendor, (assessment, _) in found.items()} == latest
    assert len(found) == 6 and outsider.pk not in found
    assert all(parties == {meta.pk: {"a look-through share"}} for _, parties in found.values())
