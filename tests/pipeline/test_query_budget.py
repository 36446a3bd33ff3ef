"""A typical event costs the same small number of queries however deep its vendor sits and
however large the registry around it is (issue 13: no query per level of the graph)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import services
from registry.choices import DataAccess, EventKind
from registry.services import pipeline

START = datetime.date(2020, 1, 1)
DEAL = datetime.date(2025, 6, 13)


def _chain(depth: int, *, tag: str):
    """A group ``depth`` levels deep (wholly owned at each step, so whatever the depth the
    root's owners look through to the vendor in full) whose bottom company is our vendor,
    with a change-of-control contract; returns the root, the vendor's entity and a competitor."""
    root = services.entity_create(name=f"Root {tag}", country="GB")
    above = root
    for level in range(depth):
        below = services.entity_create(name=f"Level {level} {tag}", country="GB")
        services.ownership_set(owner=above, owned=below, share=Decimal(100), start_date=START)
        above = below
    vendor = services.vendor_create(
        entity=above, category="software", tier=2, data_access=DataAccess.CONFIDENTIAL
    )
    services.contract_create(
        vendor=vendor,
        reference=f"C-{tag}",
        title="Services",
        value=Decimal("1000.00"),
        currency="EUR",
        start_date=START,
        change_of_control_clause=True,
        coc_termination_window_days=30,
    )
    return root, above


def _processed(*, subject, counterparty, capture):
    """An acquisition of 30% of ``subject`` by ``counterparty``, logged without running its
    task, then processed: the event (refreshed) and the queries its processing made."""
    with capture(execute=False):
        event = services.ownership_event_log(
            kind=EventKind.ACQUISITION,
            subject=subject,
            counterparty=counterparty,
            share=Decimal(30),
            effective_date=DEAL,
        )
    with CaptureQueriesContext(connection) as queries:
        pipeline.event_process(event_id=event.pk)
    event.refresh_from_db()
    return event, queries


def _queries_of_one_event(depth: int, django_capture_on_commit_callbacks, *, noise: int = 0):
    """Queries of processing an acquisition of 30% of a group root ``depth`` levels above our
    vendor by a competitor, in a registry with ``noise`` other groups of the same depth."""
    with django_capture_on_commit_callbacks(execute=True):
        meta = services.entity_create(name="Meta Platforms", country="US")
        services.watchlist_entry_create(entity=meta, category="competitor", reason="A rival.")
        root, _ = _chain(depth, tag="ours")
        for n in range(noise):
            _chain(depth, tag=f"other {n}")
    event, queries = _processed(
        subject=root, counterparty=meta, capture=django_capture_on_commit_callbacks
    )
    assert event.status == "processed"
    # The contract's change-of-control review, the competitor's new influence on the vendor
    # (30%, looked through the wholly owned chain) and the vendor's level rising with it.
    assert sorted(event.alerts.values_list("kind", flat=True)) == [
        "change_of_control",
        "new_influence",
        "risk_increased",
    ]
    return len(queries)


#: What processing a typical event costs: its lease and its claim; the locked event (with
#: whether chunks were planned); its subject's reach on every day it is judged on (one
#: query), the vendors and contracts there, the affected vendors stored; the policy, the
#: locked vendors, their previous influences, the watchlist, one statement for the walk up
#: (with the seats of the vendors' key people) and the names; the assessments, factors and
#: risk levels written; the rises and new influences raised in one insert with their
#: history, the webhook endpoints, the older rises superseded; a walk up for the change of
#: control (both days in one), its review raised with its history; the finish and the lease
#: released (the savepoint and its release stand for the transaction's begin and commit,
#: inside the test's own).
TYPICAL_EVENT_QUERIES = 26


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [2, 4, 8])
def test_a_typical_event_costs_the_same_queries_at_any_depth(
    depth, django_capture_on_commit_callbacks
):
    assert _queries_of_one_event(depth, django_capture_on_commit_callbacks) == (
        TYPICAL_EVENT_QUERIES
    )


@pytest.mark.django_db
def test_a_typical_event_costs_the_same_queries_in_a_larger_registry(
    django_capture_on_commit_callbacks,
):
    assert (
        _queries_of_one_event(6, django_capture_on_commit_callbacks, noise=12)
        == TYPICAL_EVENT_QUERIES
    )


#: An event that raises no alert: the typical event's queries less the alerts' (and, with no
#: change-of-control contract, less the walks before and after the event).
QUIET_EVENT_QUERIES = 18


@pytest.mark.django_db
def test_an_event_that_raises_no_alert_writes_nothing_for_alerts(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        acme = services.entity_create(name="Acme Holdings", country="GB")
        root = services.entity_create(name="Root quiet", country="GB")
        company = services.entity_create(name="Quiet Ltd", country="GB")
        services.ownership_set(owner=root, owned=company, share=Decimal(100), start_date=START)
        vendor = services.vendor_create(
            entity=company, category="software", tier=2, data_access=DataAccess.CONFIDENTIAL
        )
    event, queries = _processed(
        subject=root, counterparty=acme, capture=django_capture_on_commit_callbacks
    )
    vendor.refresh_from_db()

    assert event.status == "processed"
    assert list(event.affected_vendors.all()) == [vendor]
    assert vendor.risk_level == "low"
    assert not event.alerts.exists()
    sql = [query["sql"] for query in queries.captured_queries]
    # No alert means no insert of one, no history, no e-mail, no webhook endpoint read.
    assert [statement for statement in sql if '"alerts_' in statement] == []
    assert len(sql) == QUIET_EVENT_QUERIES


@pytest.mark.django_db
def test_an_event_no_vendor_depends_on_costs_only_its_bookkeeping(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        acme = services.entity_create(name="Acme Holdings", country="GB")
        lone = services.entity_create(name="Lone Ltd", country="GB")
    event, queries = _processed(
        subject=lone, counterparty=acme, capture=django_capture_on_commit_callbacks
    )

    assert event.status == "processed"
    assert (event.vendors_total, event.vendors_done) == (0, 0)
    # Its lease and claim, the locked event, its reach, the vendors and the contracts there
    # (none), the finish, the lease released, and the savepoint with its release: no policy,
    # no graph, no alerts.
    assert len(queries) == 10
