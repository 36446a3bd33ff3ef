"""The benchmark's own code, run at a tiny scale: the generator builds the registry it plans,
by construction within the 100% rule, and the measurements complete and report.

No timing is asserted here: ``make bench`` measures, these tests only prove it can.
"""

import datetime
import os
import uuid
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

import pytest

from bench.measure import MemoryWatch, celery_worker, pipeline_measure
from bench.run import _world_measure, table, targets
from bench.synthetic import Spec, plan_registry, registry_insert
from registry.models import (
    Contract,
    Entity,
    Ownership,
    OwnershipEvent,
    RiskAssessment,
    Vendor,
    WatchlistEntry,
)
from tests.conftest import require_service
from tests.pipeline.worker import ROOT, _database_url, broker_mode, real_worker_possible

# The pipeline runs its tasks after commit, so the tests that measure must really commit.
in_committed_transactions = pytest.mark.django_db(transaction=True)

TINY = Spec(entities=300, edges=600, vendors=30, contracts=60, competitors=3, sanctioned=5, seed=7)


def _shareholding_totals_by_day() -> dict[tuple[int, datetime.date], Decimal]:
    """Every entity's total shareholdings (upper bounds) on each day an edge into it starts."""
    edges = list(
        Ownership.objects.filter(interest="shareholding").values_list(
            "owned_id", "share", "share_max", "start_date", "end_date"
        )
    )
    into = defaultdict(list)
    for owned, share, share_max, start, end in edges:
        into[owned].append((share if share is not None else share_max, start, end))
    totals = {}
    for owned, held in into.items():
        for day in {start for _, start, _ in held}:
            totals[owned, day] = sum(
                (
                    share
                    for share, start, end in held
                    if start <= day and (end is None or end >= day)
                ),
                Decimal(0),
            )
    return totals


def test_the_same_seed_plans_the_same_registry():
    assert plan_registry(TINY).edges == plan_registry(TINY).edges
    assert plan_registry(TINY).edges != plan_registry(replace(TINY, seed=8)).edges


def test_too_few_edges_for_the_entities_is_refused_naming_the_option():
    with pytest.raises(ValueError, match="--edges 200 is too few"):
        plan_registry(Spec(entities=1_000, edges=200, vendors=10, contracts=10))


@in_committed_transactions
def test_tiny_registry_is_inserted_as_planned_and_within_100_percent():
    plan = plan_registry(TINY)

    registry_insert(plan)

    assert Entity.objects.count() == 300
    assert Entity.objects.filter(kind="person").count() == 30
    assert Ownership.objects.count() == 600
    assert Vendor.objects.count() == 30
    assert Contract.objects.count() == 60
    assert Contract.objects.filter(change_of_control_clause=True).count() == sum(
        contract.coc_window is not None for contract in plan.contracts
    )
    assert WatchlistEntry.objects.filter(category="competitor").count() == 3
    assert WatchlistEntry.objects.filter(category="sanctioned").count() == 5
    assert Ownership.objects.filter(share__isnull=True, share_max__isnull=False).exists()
    assert Ownership.objects.filter(end_date__isnull=False).count() == 12  # 2% history
    totals = _shareholding_totals_by_day()
    assert max(totals.values()) <= 100
    summary = plan.summary()
    # Trees up to 10 levels deep; at this size the power law gives depths 2–4.
    assert summary["holding_groups_by_depth"] == {2: 36, 3: 9, 4: 13}
    # Two hubs, each holding 1–5% of 40% of the 58 group roots that have room for it.
    assert summary["hubs"] == [
        {"entity": 246, "group_roots_held": 23},
        {"entity": 247, "group_roots_held": 23},
    ]
    hub_stakes = Ownership.objects.filter(
        owner__name=plan.names[246], interest="shareholding"
    ).values_list("share", flat=True)
    assert len(hub_stakes) >= 23
    assert all(Decimal(1) <= share <= Decimal(25) for share in hub_stakes)


def _assert_measured(results: dict, *, events: int) -> None:
    assert results["full_recheck"]["vendors"] == 30
    assert results["full_recheck"]["seconds"] is not None
    assert results["full_recheck"]["error"] == ""
    assert results["events"]["count"] == events
    assert results["events"]["not_processed"] == 0
    assert results["events"]["kinds"] == {
        "acquisition": 2,
        "stake_change": 2,
        "divestiture": 2,
        "executive_move": 2,
        "board_appointment": 2,
    }
    assert all(e["latency_ms"] is not None for e in results["events"]["events"])
    assert results["naive"]["sample"] == 2
    assert all(row["naive_ms"] is not None for row in results["naive"]["events"])
    assert results["memory"]["peak_rss_mb_total"] > 0
    # Warm-up and timed events all went through the pipeline to the end.
    assert OwnershipEvent.objects.count() == events + 1
    assert set(OwnershipEvent.objects.values_list("status", flat=True)) == {"processed"}
    # One full recheck plus two naive ones assessed every vendor three times, at least.
    assert RiskAssessment.objects.count() >= 3 * 30


def _report(results: dict) -> str:
    results.update(
        machine={
            "nproc": 2,
            "cpu_model": "test",
            "memory_gb": 1.0,
            "python": "CPython",
            "database": "test",
            "redis": None,
            "load_average_before": [0, 0, 0],
            "load_average_after": [0, 0, 0],
        },
        registry={
            "summary": plan_registry(TINY).summary(),
            "build_seconds": 0.1,
            "built_now": True,
        },
        pipeline={"mode": "in-process"},
        run_seconds=1.0,
        output="latest.json",
        worker_memory=results["memory"],
    )
    results["full_recheck"]["where"] = "in-process"
    results["targets"] = targets(results)
    return table(results)


@in_committed_transactions
def test_measurements_complete_in_process_and_report_every_target():
    registry_insert(plan_registry(TINY))

    results = pipeline_measure(
        seed=1,
        events=10,
        naive_sample=2,
        warmup=1,
        watch=MemoryWatch(os.getpid()),
        progress=False,
    )

    _assert_measured(results, events=10)
    results["world"] = _world_measure(MemoryWatch(os.getpid()))
    report = _report(results)
    assert [target["verdict"] in ("PASS", "FAIL") for target in results["targets"]] == [True] * 10
    assert "full recheck of 30 vendors" in report
    assert "touching at most 100 vendors" in report
    world = results["world"]
    hub = world["hub_event"]
    # The largest hub holds 23 group roots; the vendors of those groups are rechecked.
    assert hub["hub_id"] == Entity.objects.get(name=plan_registry(TINY).names[246]).pk
    assert hub["status"] == "processed"
    assert hub["affected_vendors"] > 0
    assert hub["duplicated_alerts"] == 0
    assert f"hub event, {hub['affected_vendors']:,} vendors below" in report
    assert world["daily_run"]["seconds"] is not None
    assert world["preview"]["vendors"] > 0
    assert world["preview"]["ms"]["n"] == 5
    assert world["api_vendor_list"]["vendors"] == 30
    assert world["api_vendor_list"]["ms"]["n"] == 60


@pytest.mark.redis
@in_committed_transactions
def test_measurements_complete_through_a_real_worker_and_watch_its_memory(settings):
    require_service(real_worker_possible(), "Redis (REDIS_URL) and PostgreSQL (DATABASE_URL)")
    registry_insert(plan_registry(TINY))
    queue = f"vr-bench-test-{uuid.uuid4().hex[:8]}"

    with (
        celery_worker(
            database_url=_database_url(),
            broker_url=settings.REDIS_URL,
            queue=queue,
            log_path=ROOT / "test-artifacts" / f"worker-{queue}.log",
            settings_module="config.settings.test",
        ) as worker,
        broker_mode(settings.REDIS_URL, queue),
    ):
        watch = MemoryWatch(worker.pid)
        results = pipeline_measure(
            seed=1, events=10, naive_sample=2, warmup=1, watch=watch, progress=False
        )

    _assert_measured(results, events=10)
    # The worker and its two pool processes.
    assert results["memory"]["processes"] == 3
