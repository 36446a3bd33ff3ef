"""``make bench``: build (or reuse) a synthetic registry and time the pipeline on it.

    python -m bench.run                 # full size: 100k entities, 200k edges, 10k vendors
    python -m bench.run --scale 0.01    # a quick run
    python -m bench.run --rebuild       # rebuild the registry even if one of this shape exists
    python -m bench.run --only events,preview   # only some of the measurements (see SECTIONS)
    python -m bench.run --import-bods   # the BODS import benchmark instead (bench/imports.py)
    python -m bench.run --import-gleif [--gleif-scale N]   # GLEIF's (bench/gleif_import.py)
    python -m bench.run --spreadsheet   # the spreadsheet import's (bench/spreadsheet.py)

The registry lives in PostgreSQL, by default ``vendor_registry_bench`` on the local server
(``BENCH_DATABASE_URL`` overrides; the database is created if missing). It is built once into
that database and copied to ``<name>_seed_<digest of seed and sizes>`` with a marker; later
runs with the same seed and sizes recreate ``<name>`` from the copy in seconds, so every run
measures the same registry (a run logs events, which change it).

Measurements go through a real Celery worker (prefork, two processes) on Redis: ``REDIS_URL``
if set, else a private ``redis-server`` started for the run; with neither, tasks run
in-process and the report says so. The table is printed and the full results are written to
``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import sys
import time
import uuid
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from bench.measure import (
    SMALL_EVENT_VENDORS,
    MemoryWatch,
    api_list_measure,
    celery_worker,
    daily_measure,
    hub_measure,
    hubs,
    pipeline_measure,
    preview_measure,
    redis_broker,
    target_lines,
)
from bench.synthetic import Spec, plan_registry, registry_insert

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/vendor_registry_bench"
RESULTS = Path(__file__).resolve().parent / "results"
MARKER_TABLE = "bench_registry_marker"

TARGET_SMALL_EVENT_P95_MS = 100
TARGET_SMALL_EVENT_P50_MS = 40
TARGET_FULL_RECHECK_SECONDS = 30
TARGET_SPEEDUP = 20
TARGET_WORKER_RSS_MB = 500
TARGET_HUB_EVENT_SECONDS = 60
TARGET_DAILY_RUN_SECONDS = 60
TARGET_PREVIEW_MS = 300
TARGET_API_LIST_P95_MS = 100
#: One worker process against two: the second must halve the hub event's time within 20%.
TARGET_SCALE_OUT = round(2 / 1.2, 2)

#: The measurements ``--only`` can pick; the full recheck always runs first, since it gives
#: every vendor the assessment the events are then measured against.
SECTIONS = ("events", "naive", "hub", "daily", "preview", "api")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    defaults = Spec()
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every size (0.01: quick)"
    )
    for name in ("entities", "edges", "vendors", "contracts", "competitors", "sanctioned"):
        parser.add_argument(
            f"--{name}", type=int, help=f"default {getattr(defaults, name):,} times --scale"
        )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--events", type=int, default=200, help="events to time (default 200)")
    parser.add_argument(
        "--naive-sample", type=int, default=20, help="events also processed the naive way"
    )
    parser.add_argument("--warmup", type=int, default=4, help="untimed events first")
    parser.add_argument("--pool", default="prefork", choices=("prefork", "solo"))
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the registry")
    parser.add_argument(
        "--budget-minutes",
        type=float,
        default=15,
        help="stop the naive baseline early rather than run past this (default 15)",
    )
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated measurements to run, of {', '.join(SECTIONS)} (default all); "
        "e.g. events,preview for the latencies alone",
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    args.only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = args.only - set(SECTIONS)
    if unknown or not args.only:
        parser.error(f"--only takes some of {', '.join(SECTIONS)}, not {args.only or '{}'}")
    try:
        spec = defaults.scaled(args.scale) if args.scale != 1.0 else defaults
    except ValueError as error:
        parser.error(str(error))
    sizes = {
        name: getattr(args, name)
        for name in ("entities", "edges", "vendors", "contracts", "competitors", "sanctioned")
        if getattr(args, name) is not None
    }
    for name, value in sizes.items():
        if value < 1:
            parser.error(f"--{name} must be at least 1")
    args.spec = replace(spec, **sizes, seed=args.seed)
    if args.events < 1 or args.naive_sample < 0 or args.warmup < 0 or args.concurrency < 1:
        parser.error(
            "--events and --concurrency must be at least 1, --naive-sample and --warmup at least 0"
        )
    if "naive" not in args.only:
        args.naive_sample = 0
    if "events" not in args.only:
        # (The naive baseline is measured on the timed events, so it goes with them.)
        args.events, args.warmup, args.naive_sample = 0, 0, 0
    return args


# --- The databases -------------------------------------------------------------------------------


class BenchDatabase:
    """The working database and the seed copy of one registry on a PostgreSQL server.

    The seed copy's name carries a digest of the registry's seed and sizes, so a quick run at
    another scale keeps its own copy and leaves the full-size one alone.
    """

    def __init__(self, url: str, spec: Spec):
        import environ

        config = environ.Env.db_url_config(url)
        if "postgresql" not in config["ENGINE"]:
            raise SystemExit(
                f"BENCH_DATABASE_URL must point to PostgreSQL (a Celery worker in another "
                f"process must see what the benchmark commits), not {url!r}"
            )
        self.url = url
        self.name = config["NAME"]
        digest = hashlib.sha256(json.dumps(spec.key(), sort_keys=True).encode()).hexdigest()
        self.seed_name = f"{self.name}_seed_{digest[:10]}"
        self.params = {
            "host": config.get("HOST") or "127.0.0.1",
            "port": config.get("PORT") or 5432,
            "user": config.get("USER") or None,
            "password": config.get("PASSWORD") or None,
        }

    def _connect(self, dbname: str):
        import psycopg

        return psycopg.connect(dbname=dbname, autocommit=True, **self.params)

    def marker(self) -> dict | None:
        """The seed copy's marker (what was built, how), or ``None`` if there is none."""
        import psycopg

        try:
            with self._connect(self.seed_name) as conn:
                row = conn.execute(
                    f"SELECT key, summary, build_seconds FROM {MARKER_TABLE}"
                ).fetchone()
        except psycopg.Error:
            return None
        if row is None:
            return None
        return {"key": row[0], "summary": row[1], "build_seconds": row[2]}

    def recreate(self, name: str, *, template: str | None = None) -> None:
        """Drop ``name`` (closing its connections) and create it, empty or as a copy."""
        from psycopg import sql

        with self._connect("postgres") as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            if template is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            else:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(template)
                    )
                )


def _configure_django(database_url: str, broker_url: str | None, queue: str) -> None:
    """Point Django at the bench database (and the broker) before it reads its settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DATABASE_URL"] = database_url
    # Debug mode would keep every query in memory.
    os.environ["DJANGO_DEBUG"] = "False"
    os.environ["EMAIL_URL"] = "dummymail://"
    os.environ["CELERY_QUEUE"] = queue
    if broker_url:
        os.environ["REDIS_URL"] = broker_url
    else:
        os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def _build(spec: Spec) -> tuple[dict, float]:
    """Generate and insert the registry with a progress bar; write the marker."""
    from django.db import connection

    started = time.perf_counter()
    print(f"Building the synthetic registry (seed {spec.seed}) …", file=sys.stderr)
    plan = plan_registry(spec)
    with tqdm(total=plan.rows(), unit="row", unit_scale=True, desc="insert") as bar:
        registry_insert(plan, progress=bar.update)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    build_seconds = round(time.perf_counter() - started, 1)
    summary = plan.summary()
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {MARKER_TABLE} (key jsonb NOT NULL, summary jsonb NOT NULL, "
            "build_seconds double precision NOT NULL, built_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (key, summary, build_seconds) VALUES (%s, %s, %s)",
            [json.dumps(spec.key()), json.dumps(summary), build_seconds],
        )
    return summary, build_seconds


# --- The report ----------------------------------------------------------------------------------


def machine(broker_url: str | None) -> dict:
    """What the numbers were measured on."""
    import celery
    import django
    from django.db import connection

    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    models = [
        line.split(":", 1)[1].strip()
        for line in cpuinfo.splitlines()
        if line.startswith("model name")
    ]
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    total_kb = next(
        (int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal:")), 0
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        database_version = cursor.fetchone()[0]
    redis_version = None
    if broker_url:
        import redis

        redis_version = redis.Redis.from_url(broker_url).info("server")["redis_version"]
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": models[0] if models else platform.processor(),
        "memory_gb": round(total_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "database": f"{connection.vendor} {database_version}",
        "redis": redis_version,
        "django": django.get_version(),
        "celery": celery.__version__,
        # Other work on the machine slows every number down; this says how much there was.
        "load_average_before": _load_average(),
    }


def _load_average() -> list[float]:
    return [round(load, 2) for load in os.getloadavg()]


def _verdict(measured: float | None, target: float, *, at_least: bool = False) -> str:
    if measured is None:
        return "FAIL"
    ok = measured >= target if at_least else measured <= target
    return "PASS" if ok else "FAIL"


def _seconds(value: float | None) -> str:
    return "did not finish" if value is None else f"{value} s"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value} ms"


def targets(results: dict) -> list[dict]:
    """The targets of issues 3 and 13, each with the measured value and PASS or FAIL."""
    small = results["events"]["latency_ms"][f"touching_at_most_{SMALL_EVENT_VENDORS}_vendors"]
    full = results["full_recheck"]["seconds"]
    speedup = results["naive"]["speedup"]
    memory = results["worker_memory"]["peak_rss_mb_total"]
    world = results.get("world", {})
    hub = world.get("hub_event", {})
    single = world.get("hub_event_one_process", {})
    scale_out = (
        round(single["seconds"] / hub["seconds"], 2)
        if hub.get("seconds") and single.get("seconds")
        else None
    )
    daily = world.get("daily_run", {})
    preview = world.get("preview", {}).get("ms", {})
    listing = world.get("api_vendor_list", {}).get("ms", {})
    rows = [
        (
            f"p95 latency, events touching ≤ {SMALL_EVENT_VENDORS} vendors",
            f"≤ {TARGET_SMALL_EVENT_P95_MS} ms",
            _ms(small["p95"]),
            _verdict(small["p95"], TARGET_SMALL_EVENT_P95_MS),
        ),
        (
            f"p50 latency, events touching ≤ {SMALL_EVENT_VENDORS} vendors",
            f"≤ {TARGET_SMALL_EVENT_P50_MS} ms",
            _ms(small["p50"]),
            _verdict(small["p50"], TARGET_SMALL_EVENT_P50_MS),
        ),
        (
            f"full recheck of {results['full_recheck']['vendors']:,} vendors",
            f"≤ {TARGET_FULL_RECHECK_SECONDS} s",
            _seconds(full),
            _verdict(full, TARGET_FULL_RECHECK_SECONDS),
        ),
        (
            f"hub event, {hub.get('affected_vendors', 0):,} vendors below, all alerts",
            f"≤ {TARGET_HUB_EVENT_SECONDS} s",
            _seconds(hub.get("seconds")),
            _verdict(hub.get("seconds"), TARGET_HUB_EVENT_SECONDS),
        ),
        (
            "scale-out: hub event, 1 process ÷ 2 processes",
            f"≥ {TARGET_SCALE_OUT}×",
            "n/a" if scale_out is None else f"{scale_out}×",
            _verdict(scale_out, TARGET_SCALE_OUT, at_least=True),
        ),
        (
            "daily scheduled run after the day's events",
            f"≤ {TARGET_DAILY_RUN_SECONDS} s",
            _seconds(daily.get("seconds")),
            _verdict(daily.get("seconds"), TARGET_DAILY_RUN_SECONDS),
        ),
        (
            f"preview of an event touching {world.get('preview', {}).get('vendors', 0)} vendors",
            f"≤ {TARGET_PREVIEW_MS} ms",
            _ms(preview.get("p95")),
            _verdict(preview.get("p95"), TARGET_PREVIEW_MS),
        ),
        (
            "GET /api/v1/vendors/, first/middle/last page, p95",
            f"≤ {TARGET_API_LIST_P95_MS} ms",
            _ms(listing.get("p95")),
            _verdict(listing.get("p95"), TARGET_API_LIST_P95_MS),
        ),
        (
            "incremental vs naive speed-up",
            f"≥ {TARGET_SPEEDUP}×",
            f"{speedup}×" if speedup is not None else "n/a",
            _verdict(speedup, TARGET_SPEEDUP, at_least=True),
        ),
        (
            "worker peak RSS (all its processes)",
            f"≤ {TARGET_WORKER_RSS_MB} MB",
            f"{memory} MB",
            _verdict(memory, TARGET_WORKER_RSS_MB),
        ),
    ]
    # The section (``--only``) each target's measure belongs to; the rest always run.
    sections = ["events", "events", None, "hub", "hub", "daily", "preview", "api", "naive", None]
    run = set(results.get("sections", SECTIONS))
    return [
        {"name": name, "target": target, "measured": measured, "verdict": verdict}
        if section is None or section in run
        else {"name": name, "target": target, "measured": "—", "verdict": "not run"}
        for (name, target, measured, verdict), section in zip(rows, sections, strict=True)
    ]


def _cell(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def table(results: dict) -> str:
    """The human-readable report."""
    machine_, registry, events = results["machine"], results["registry"], results["events"]
    shape, full, naive = registry["summary"], results["full_recheck"], results["naive"]
    built = "built" if registry["built_now"] else "reused, built"
    affected = events["affected_vendors"]
    lines = [
        "",
        f"Machine   {machine_['nproc']} CPU ({machine_['cpu_model']}), "
        f"{machine_['memory_gb']} GB RAM, {machine_['python']}, {machine_['database']}, "
        f"Redis {machine_['redis'] or '—'}; load average {machine_['load_average_before']} "
        f"before, {machine_['load_average_after']} after",
        f"Registry  {shape['entities']:,} entities, {shape['edges']:,} edges, "
        f"{shape['vendors']:,} vendors, {shape['contracts']:,} contracts, "
        f"watchlist {shape['watchlist']} ({built} in {registry['build_seconds']} s)",
        f"Pipeline  {results['pipeline']['mode']}",
        "",
        f"{'event logged → its alerts committed':<40}{'events':>8}"
        f"{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}",
    ]
    for label, stats in events["latency_ms"].items():
        lines.append(
            f"  {label.replace('_', ' '):<38}{stats['n']:>8}{_cell(stats['p50']):>10}"
            f"{_cell(stats['p95']):>10}{_cell(stats['max']):>10}"
        )
    lines += [
        f"  vendors affected per event: median {affected['median']}, p95 {_cell(affected['p95'])}, "
        f"max {affected['max']}; events not processed: {events['not_processed']}",
        "",
        f"Full recheck, {full['where']}: {full['seconds']} s for {full['vendors']:,} vendors",
        f"Naive baseline (every vendor per event), measured on {naive['sample']} of the events"
        + (" (stopped early: time budget)" if naive["stopped_for_time_budget"] else "")
        + f": {_cell(naive['naive_ms_total'])} ms against {_cell(naive['incremental_ms_total'])}"
        " ms incremental",
    ]
    world = results.get("world", {})
    hub, single = world.get("hub_event") or {}, world.get("hub_event_one_process") or {}
    if hub:
        lines.append(
            f"Hub event (an acquisition of the largest hub): {hub['affected_vendors']:,} vendors "
            f"in {hub['chunks']} chunks, {hub['alerts']:,} alerts "
            f"({hub['duplicated_alerts']} doubled), {_seconds(hub['seconds'])} on 2 processes"
            + (f", {_seconds(single.get('seconds'))} on 1" if single else "")
        )
    if world.get("daily_run"):
        daily = world["daily_run"]
        lines.append(
            f"Daily run: {daily['vendors_rechecked_for_events']:,} vendors rechecked for events, "
            f"{daily['recheck_requests']} generic recheck(s), {_seconds(daily['seconds'])}"
        )
    lines += [
        "",
        f"{'target':<54}{'goal':>10}{'measured':>16}  verdict",
    ]
    lines.extend(target_lines(results["targets"], name_width=52, measured_width=16))
    if registry.get("spec") != Spec().key():
        lines.append("(The targets are set for the default, full-size registry.)")
    lines.append(f"\nRun time {results['run_seconds']} s; results in {results['output']}")
    return "\n".join(lines)


# --- The run -------------------------------------------------------------------------------------


def _measure(
    args: argparse.Namespace, broker_url: str | None, queue: str, url: str, deadline: float
) -> dict:
    if broker_url:
        runner = celery_worker(
            database_url=url,
            broker_url=broker_url,
            queue=queue,
            log_path=RESULTS / "worker.log",
            pool=args.pool,
            concurrency=args.concurrency,
        )
        mode = (
            f"Celery worker subprocess (--pool={args.pool} --concurrency={args.concurrency}) "
            "on Redis; the full recheck and the naive baseline run in the worker too"
        )
    else:
        runner = nullcontext(None)
        mode = "IN-PROCESS (no Redis available): tasks ran in the benchmark process"
    print("Full recheck of every vendor …", file=sys.stderr)
    with runner as worker:
        watch = MemoryWatch(worker.pid if worker else os.getpid())
        measured = pipeline_measure(
            seed=args.spec.seed,
            events=args.events,
            naive_sample=args.naive_sample,
            warmup=args.warmup,
            watch=watch,
            deadline=deadline,
        )
        world = _world_measure(watch, args.only)
        measured["memory"] = watch.summary()
    if broker_url and world.get("hub_event"):
        # The same hub event on one worker process: what the second process is worth.
        print("The hub event again, on one worker process …", file=sys.stderr)
        with celery_worker(
            database_url=url,
            broker_url=broker_url,
            queue=queue,
            log_path=RESULTS / "worker-one-process.log",
            pool=args.pool,
            concurrency=1,
        ):
            world["hub_event_one_process"] = _hub_event(second=True)
    measured["world"] = world
    measured["full_recheck"]["where"] = (
        "in the worker (process_recheck task)" if worker else "in-process"
    )
    measured["memory"]["measured"] = (
        "the Celery worker and its pool processes" if worker else "this process"
    )
    measured["worker_memory"] = measured.pop("memory")
    measured["pipeline"] = {"mode": mode, "poll_ms": 5}
    return measured


def _hub_event(*, second: bool = False) -> dict:
    """An acquisition of a fifth of the largest hub by a competitor (another one the second
    time), from a warm cache."""
    from dataclasses import asdict
    from decimal import Decimal

    from django.utils import timezone

    from registry.models import WatchlistEntry

    found = hubs(1)
    competitors = list(
        WatchlistEntry.objects.filter(category="competitor")
        .order_by("entity_id")
        .values_list("entity_id", flat=True)[:2]
    )
    if not found or len(competitors) < 2:
        return {}
    _cache_warmed()
    timing = hub_measure(
        found[0],
        competitors[1 if second else 0],
        share=Decimal("20"),
        today=timezone.localdate(),
        timeout=900,
    )
    return asdict(timing)


def _cache_warmed() -> None:
    """Read the graph's and the vendors' tables and indexes into the operating system's cache
    (``pg_prewarm``, where the server has it), so that the two timings of the hub event
    start equally warm and their ratio measures the second process, not the cache."""
    from django.db import connection

    tables = ["registry_entity", "registry_ownership", "registry_vendor", "registry_contract"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_prewarm'")
        if cursor.fetchone() is None:
            return
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        cursor.execute(
            "SELECT sum(pg_prewarm(c.oid, 'read')) FROM pg_class c "
            "WHERE c.oid = ANY(%s::regclass[]) OR c.oid IN "
            "(SELECT indexrelid FROM pg_index WHERE indrelid = ANY(%s::regclass[]))",
            [tables, tables],
        )


def _world_measure(watch: MemoryWatch, only: Iterable[str] = SECTIONS) -> dict:
    """Issue 13's measurements (those of ``only``): an event on a hub, the day's scheduled
    run, a preview and the API's vendor list at depth."""
    from django.utils import timezone

    today = timezone.localdate()
    world: dict = {}
    if "hub" in only:
        print("An event on a hub …", file=sys.stderr)
        world["hub_event"] = _hub_event()
        watch.sample()
    if "daily" in only:
        print("The daily scheduled run …", file=sys.stderr)
        world["daily_run"] = daily_measure(today=today)
        watch.sample()
    if "preview" in only:
        print("A preview …", file=sys.stderr)
        world["preview"] = preview_measure(today=today)
    if "api" in only:
        print("The API's vendor list …", file=sys.stderr)
        world["api_vendor_list"] = api_list_measure()
    return world


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--import-gleif" in argv:
        # The GLEIF golden copy and its delta, in a database of their own (bench/gleif_import.py).
        from bench import gleif_import

        return gleif_import.main([arg for arg in argv if arg != "--import-gleif"])
    if "--spreadsheet" in argv:
        # The spreadsheet import benchmark, in a database of its own (bench/spreadsheet.py).
        from bench import spreadsheet

        return spreadsheet.main([arg for arg in argv if arg != "--spreadsheet"])
    if "--import-bods" in argv:
        # The import benchmark has a database and arguments of its own (bench/imports.py).
        from bench import imports

        return imports.main([arg for arg in argv if arg != "--import-bods"])
    args = _arguments(argv)
    started = time.perf_counter()
    database = BenchDatabase(os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL), args.spec)
    marker = None if args.rebuild else database.marker()
    reuse = marker is not None and marker["key"] == args.spec.key()
    with redis_broker() as (broker_url, broker_note):
        queue = f"vr-bench-{uuid.uuid4().hex[:8]}"
        database.recreate(database.name, template=database.seed_name if reuse else None)
        _configure_django(database.url, broker_url, queue)
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0, interactive=False)
        if reuse:
            summary, build_seconds = marker["summary"], marker["build_seconds"]
        else:
            try:
                summary, build_seconds = _build(args.spec)
            except ValueError as error:  # sizes that cannot make a registry
                raise SystemExit(f"Cannot build this registry: {error}") from error
            connections.close_all()
            database.recreate(database.seed_name, template=database.name)
        results = {
            "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "sections": [name for name in SECTIONS if name in args.only],
            "machine": machine(broker_url),
            "registry": {
                "database": database.name,
                "spec": args.spec.key(),
                "summary": summary,
                "build_seconds": build_seconds,
                "built_now": not reuse,
            },
            **_measure(
                args,
                broker_url,
                queue,
                database.url,
                deadline=started + args.budget_minutes * 60 - 30,
            ),
        }
        results["pipeline"]["broker"] = broker_note
    results["machine"]["load_average_after"] = _load_average()
    results["targets"] = targets(results)
    results["run_seconds"] = round(time.perf_counter() - started, 1)
    results["output"] = str(args.output)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
