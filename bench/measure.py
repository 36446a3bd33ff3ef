"""Drive the real pipeline and time it: events, a full recheck, the naive baseline, memory.

Every measurement goes through the same doors production uses: events are logged with
``ownership_event_log`` and rechecks asked for with ``recheck_request``; the pipeline (a Celery
worker, or in-process tasks when there is no broker) does the rest. A measurement runs from the
moment the writing transaction commits until the database shows the work done (the event
``processed``, the recheck request's ``processed_at`` set), which is also when its alerts are
committed, since the pipeline writes them in the same transaction. The database is polled every
:data:`POLL_SECONDS`.
"""

from __future__ import annotations

import datetime
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
POLL_SECONDS = 0.005
EVENT_KINDS = ("acquisition", "stake_change", "divestiture", "executive_move", "board_appointment")
#: Events touching at most this many vendors have their own latency target.
SMALL_EVENT_VENDORS = 100
#: Draws of random event parameters the registry may refuse before the benchmark gives up.
MAX_DRAWS = 25

T = TypeVar("T")


# --- Timing helpers ------------------------------------------------------------------------------


def committed(write: Callable[[], T]) -> tuple[T, float]:
    """Run ``write`` in a transaction; return its result and the moment the transaction
    committed (``time.perf_counter``), taken before any other after-commit work such as
    sending or, in-process, running the task."""
    from django.db import transaction

    moment: list[float] = []
    with transaction.atomic():
        transaction.on_commit(lambda: moment.append(time.perf_counter()))
        result = write()
    return result, moment[0]


def wait_until(check: Callable[[], bool], *, timeout: float) -> float | None:
    """Poll ``check`` until it holds; the moment it first held, or ``None`` after ``timeout``."""
    deadline = time.perf_counter() + timeout
    while True:
        if check():
            return time.perf_counter()
        if time.perf_counter() > deadline:
            return None
        time.sleep(POLL_SECONDS)


def target_lines(targets: list[dict], *, name_width: int, measured_width: int = 12) -> list[str]:
    """One line per target of a benchmark's report: name, goal, measured figure, verdict."""
    return [
        f"  {t['name']:<{name_width}}{t['target']:>10}{t['measured']:>{measured_width}}  "
        f"{t['verdict']}"
        for t in targets
    ]


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    """Count, p50, p95 and max (linear interpolation between ranks), rounded to 0.1."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    p50, p95 = np.percentile(values, [50, 95])
    return {
        "n": len(values),
        "p50": round(float(p50), 1),
        "p95": round(float(p95), 1),
        "max": round(max(values), 1),
    }


# --- Events --------------------------------------------------------------------------------------


@dataclass
class EventTiming:
    """One logged event and how long the pipeline took to finish it."""

    event_id: int
    kind: str
    subject_id: int
    status: str
    latency_ms: float | None
    affected_vendors: int


class EventDrawer:
    """Random but valid ownership events on a registry, from a seed.

    Three subjects in four are drawn from above the vendors (a vendor's entity or one of its
    owners, up to three levels up), the rest from all companies and funds: events about
    entities no vendor depends on would make the pipeline look faster than it is.
    """

    def __init__(self, *, seed: int, today: datetime.date):
        from registry.models import Entity, Ownership, Vendor, WatchlistEntry

        self.rng = random.Random(seed)
        self.today = today
        kinds = dict(Entity.objects.values_list("id", "kind"))
        self.companies = sorted(pk for pk, kind in kinds.items() if kind == "company")
        self.investees = sorted(pk for pk, kind in kinds.items() if kind in ("company", "fund"))
        self.organisations = sorted(pk for pk, kind in kinds.items() if kind != "person")
        self.people = sorted(pk for pk, kind in kinds.items() if kind == "person")
        self.vendor_entities = sorted(Vendor.objects.values_list("entity_id", flat=True))
        self.competitors = sorted(
            WatchlistEntry.objects.filter(category="competitor").values_list("entity_id", flat=True)
        )
        self.seated = sorted(
            set(
                Ownership.objects.active_on(today)
                .filter(interest__in=("board_member", "senior_managing_official"))
                .values_list("owner_id", flat=True)
            )
        )
        self.kinds_of = kinds

    def kinds(self, count: int) -> list[str]:
        """``count`` event kinds, as evenly mixed as possible, in random order."""
        kinds = [EVENT_KINDS[k % len(EVENT_KINDS)] for k in range(count)]
        self.rng.shuffle(kinds)
        return kinds

    def _holders(self, entity: int) -> dict[int, Decimal]:
        from registry.models import Ownership

        rows = (
            Ownership.objects.shareholdings()
            .active_on(self.today)
            .filter(owned_id=entity)
            .values_list("owner_id", "share", "share_max")
        )
        return {
            owner: share if share is not None else share_max
            for owner, share, share_max in rows
            if self.kinds_of.get(owner) != "person"
        }

    def _subject(self) -> int:
        rng = self.rng
        if not self.vendor_entities or rng.random() < 0.25:
            return rng.choice(self.investees)
        entity = rng.choice(self.vendor_entities)
        for _ in range(rng.randint(0, 3)):
            owners = [o for o in self._holders(entity) if self.kinds_of[o] == "company"]
            if not owners:
                break
            entity = rng.choice(owners)
        return entity

    def _other(self, entity: int, *, pool: list[int], competitor_odds: float) -> int:
        rng = self.rng
        while True:
            if self.competitors and rng.random() < competitor_odds:
                other = rng.choice(self.competitors)
            else:
                other = rng.choice(pool)
            if other != entity:
                return other

    def draw(self, kind: str) -> dict:
        """Keyword arguments for ``ownership_event_log`` for one event of ``kind``."""
        rng = self.rng
        base = {"kind": kind, "effective_date": self.today, "note": "benchmark"}
        if kind == "executive_move" and self.seated:
            from registry.models import Ownership

            person = rng.choice(self.seated)
            seats = list(
                Ownership.objects.active_on(self.today)
                .filter(owner_id=person, interest__in=("board_member", "senior_managing_official"))
                .values_list("owned_id", flat=True)
            )
            subject = rng.choice(seats) if seats else self._subject()
            counterparty = self._other(subject, pool=self.companies, competitor_odds=0.25)
            return {**base, "subject": subject, "counterparty": counterparty, "person": person}
        subject = self._subject()
        if kind == "board_appointment":
            return {**base, "subject": subject, "person": rng.choice(self.people)}
        holders = self._holders(subject)
        if kind == "divestiture" and holders:
            counterparty = rng.choice(sorted(holders))
            share = (
                None
                if rng.random() < 0.7
                else (holders[counterparty] / 2).quantize(Decimal("0.01"))
            )
            return {**base, "subject": subject, "counterparty": counterparty, "share": share}
        if kind == "stake_change" and holders:
            counterparty = rng.choice(sorted(holders))
        else:
            counterparty = self._other(subject, pool=self.organisations, competitor_odds=0.2)
        share = Decimal(rng.randint(100, 6_000)).scaleb(-2)
        return {**base, "subject": subject, "counterparty": counterparty, "share": share}


def event_log(drawer: EventDrawer, kind: str) -> tuple[object, float, int]:
    """Log one event of ``kind`` through the service; returns it, its commit moment and how
    many drawn parameter sets the registry refused first (e.g. a divestiture by a holder
    whose stake an earlier event ended)."""
    from django.core.exceptions import ValidationError

    from registry.models import Entity
    from registry.services import ownership_event_log

    for refused in range(MAX_DRAWS):
        drawn = drawer.draw(kind)
        entities = Entity.objects.in_bulk(
            [drawn[key] for key in ("subject", "counterparty", "person") if drawn.get(key)]
        )
        arguments = {
            key: entities[value] if key in ("subject", "counterparty", "person") else value
            for key, value in drawn.items()
        }
        try:
            event, moment = committed(lambda arguments=arguments: ownership_event_log(**arguments))
        except ValidationError:
            continue
        return event, moment, refused
    raise RuntimeError(f"Could not draw a valid {kind} event in {MAX_DRAWS} tries")


def event_finish(event, moment: float, *, timeout: float) -> EventTiming:
    """Wait for the pipeline to finish ``event`` and time it."""
    from registry.choices import EventStatus
    from registry.models import OwnershipEvent

    rows = OwnershipEvent.objects.filter(pk=event.pk)
    terminal = (EventStatus.PROCESSED, EventStatus.FAILED)
    done = wait_until(lambda: rows.filter(status__in=terminal).exists(), timeout=timeout)
    finished = rows.get()
    return EventTiming(
        event_id=event.pk,
        kind=event.kind,
        subject_id=event.subject_id,
        status=finished.status,
        latency_ms=None if done is None else round((done - moment) * 1000, 2),
        affected_vendors=finished.affected_vendors.count(),
    )


def events_measure(
    drawer: EventDrawer,
    count: int,
    *,
    timeout: float = 120.0,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[EventTiming], int]:
    """Log ``count`` events of mixed kinds one after another, each timed until processed.

    One at a time, so each latency is the pipeline's own and not time spent queueing behind
    the previous event. Returns the timings and the number of refused draws.
    """
    timings, refused_total = [], 0
    for kind in drawer.kinds(count):
        event, moment, refused = event_log(drawer, kind)
        refused_total += refused
        timings.append(event_finish(event, moment, timeout=timeout))
        if progress:
            progress(1)
    return timings, refused_total


def events_summary(timings: list[EventTiming]) -> dict:
    """Latency percentiles overall and for events touching at most 100 vendors."""
    ok = [t for t in timings if t.status == "processed" and t.latency_ms is not None]
    small = [t for t in ok if t.affected_vendors <= SMALL_EVENT_VENDORS]
    large = [t for t in ok if t.affected_vendors > SMALL_EVENT_VENDORS]
    affected = [t.affected_vendors for t in timings]
    kinds: dict[str, int] = {}
    for timing in timings:
        kinds[timing.kind] = kinds.get(timing.kind, 0) + 1
    return {
        "count": len(timings),
        "not_processed": len(timings) - len(ok),
        "kinds": kinds,
        "latency_ms": {
            "all": percentiles([t.latency_ms for t in ok]),
            f"touching_at_most_{SMALL_EVENT_VENDORS}_vendors": percentiles(
                [t.latency_ms for t in small]
            ),
            f"touching_more_than_{SMALL_EVENT_VENDORS}_vendors": percentiles(
                [t.latency_ms for t in large]
            ),
        },
        "affected_vendors": {
            "total": sum(affected),
            "median": float(np.median(affected)) if affected else None,
            "p95": float(np.percentile(affected, 95)) if affected else None,
            "max": max(affected, default=None),
        },
        "events": [asdict(t) for t in timings],
    }


# --- Rechecks ------------------------------------------------------------------------------------


@dataclass
class RecheckTiming:
    request_id: int
    vendors: int
    seconds: float | None
    error: str


def recheck_measure(*, event=None, timeout: float = 600.0) -> RecheckTiming:
    """Recheck every vendor through the pipeline (a ``manual`` recheck request naming every
    vendor's entity, so the task calls ``vendors_recheck`` with every vendor id) and time it.

    With ``event``, the assessments and any alert are attributed to that event: this is the
    naive way to process it, recomputing every vendor instead of the affected ones.
    """
    from registry.choices import RecheckReason
    from registry.models import RecheckRequest, Vendor
    from registry.services.dispatch import recheck_request

    entity_ids = list(Vendor.objects.values_list("entity_id", flat=True))
    request, moment = committed(
        lambda: recheck_request(reason=RecheckReason.MANUAL, entity_ids=entity_ids, event=event)
    )
    rows = RecheckRequest.objects.filter(pk=request.pk)
    done = wait_until(lambda: rows.filter(processed_at__isnull=False).exists(), timeout=timeout)
    return RecheckTiming(
        request_id=request.pk,
        vendors=len(entity_ids),
        seconds=None if done is None else round(done - moment, 3),
        error=rows.values_list("last_error", flat=True).get(),
    )


def naive_measure(
    timings: list[EventTiming],
    sample: int,
    *,
    expected_seconds: float,
    deadline: float | None = None,
    timeout: float = 600.0,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """The naive baseline on ``sample`` of the measured events, evenly spread over them:
    for each, recheck every vendor (attributed to the event) and compare with the event's
    incremental latency. Both are measured; nothing is extrapolated.

    A naive run takes about as long as a full recheck (``expected_seconds`` until one was
    measured); if the next one would end after ``deadline`` (``time.perf_counter``), the
    sample stops short and the report says so.
    """
    from registry.models import OwnershipEvent

    processed = [t for t in timings if t.status == "processed" and t.latency_ms is not None]
    step = max(1, len(processed) // max(1, sample))
    chosen = processed[::step][:sample]
    rows = []
    for timing in chosen:
        if deadline is not None and time.perf_counter() + expected_seconds > deadline:
            break
        event = OwnershipEvent.objects.get(pk=timing.event_id)
        naive = recheck_measure(event=event, timeout=timeout)
        if naive.seconds is not None:
            expected_seconds = max(expected_seconds, naive.seconds)
        rows.append(
            {
                "event_id": timing.event_id,
                "kind": timing.kind,
                "affected_vendors": timing.affected_vendors,
                "incremental_ms": timing.latency_ms,
                "naive_ms": None if naive.seconds is None else round(naive.seconds * 1000, 1),
                "naive_error": naive.error,
            }
        )
        if progress:
            progress(1)
    complete = [row for row in rows if row["naive_ms"] is not None]
    incremental_total = sum(row["incremental_ms"] for row in complete)
    naive_total = sum(row["naive_ms"] for row in complete)
    ratios = [row["naive_ms"] / row["incremental_ms"] for row in complete if row["incremental_ms"]]
    return {
        "sample": len(rows),
        "sample_planned": len(chosen),
        "stopped_for_time_budget": len(rows) < len(chosen),
        "measured": True,
        "incremental_ms_total": round(incremental_total, 1),
        "naive_ms_total": round(naive_total, 1),
        "speedup": round(naive_total / incremental_total, 1) if incremental_total else None,
        "speedup_median_per_event": round(float(np.median(ratios)), 1) if ratios else None,
        "events": rows,
    }


def pipeline_measure(
    *,
    seed: int,
    events: int,
    naive_sample: int,
    warmup: int,
    watch: MemoryWatch,
    deadline: float | None = None,
    progress: bool = True,
) -> dict:
    """Every measurement, in order: a full recheck (which gives every vendor its first
    assessment, as in production), ``warmup`` untimed events, ``events`` timed ones, then the
    naive baseline on ``naive_sample`` of them. ``watch`` samples the memory of whatever runs
    the tasks after each phase."""
    from django.utils import timezone

    def bar(total: int, desc: str):
        return tqdm(total=total, unit="event", desc=desc, disable=not progress)

    full = recheck_measure()
    watch.sample()
    drawer = EventDrawer(seed=seed, today=timezone.localdate())
    for kind in drawer.kinds(warmup):
        event, moment, _ = event_log(drawer, kind)
        event_finish(event, moment, timeout=120)
    with bar(events, "events") as progress_bar:
        timings, refused = events_measure(drawer, events, progress=progress_bar.update)
    watch.sample()
    with bar(naive_sample, "naive") as progress_bar:
        naive = naive_measure(
            timings,
            naive_sample,
            expected_seconds=full.seconds or 0.0,
            deadline=deadline,
            progress=progress_bar.update,
        )
    watch.sample()
    return {
        "full_recheck": {
            "vendors": full.vendors,
            "seconds": full.seconds,
            "error": full.error,
            "note": "the first assessment of every vendor, raising its risk_increased alerts",
        },
        "events": {
            **events_summary(timings),
            "warmup_events": warmup,
            "refused_draws": refused,
            "subjects": "3 in 4 a vendor's entity or an owner up to 3 levels above it; "
            "the rest any company or fund",
        },
        "naive": naive,
        "memory": watch.summary(),
    }


# --- Processes and memory ------------------------------------------------------------------------


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (2nd field) may hold spaces; the parent id follows its ")".
    return int(stat.rsplit(")", 1)[1].split()[1])


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (Linux ``/proc``)."""
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            parent = _parent_of(int(entry.name))
            if parent is not None:
                parents[int(entry.name)] = parent
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def peak_rss_kb(pid: int) -> int | None:
    """The process's peak resident set size (``VmHWM``) in kB, if it is still running."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class MemoryWatch:
    """Keeps the highest ``VmHWM`` seen for every process of a tree."""

    def __init__(self, root: int):
        self.root = root
        self.peaks: dict[int, int] = {}

    def sample(self) -> None:
        for pid in process_tree(self.root):
            peak = peak_rss_kb(pid)
            if peak is not None:
                self.peaks[pid] = max(peak, self.peaks.get(pid, 0))

    def summary(self) -> dict:
        return {
            "processes": len(self.peaks),
            "peak_rss_mb_total": round(sum(self.peaks.values()) / 1024, 1),
            "peak_rss_mb_largest_process": round(max(self.peaks.values(), default=0) / 1024, 1),
            "peak_rss_mb_by_process": {
                str(pid): round(kb / 1024, 1) for pid, kb in sorted(self.peaks.items())
            },
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def redis_broker() -> Iterator[tuple[str | None, str]]:
    """The broker to measure through: ``REDIS_URL`` if set, else a private ``redis-server`` on
    a spare port (stopped afterwards), else none (tasks will run in-process)."""
    url = os.environ.get("REDIS_URL", "")
    if url:
        yield url, "Redis from REDIS_URL"
        return
    binary = shutil.which("redis-server")
    if binary is None:
        yield None, "none (no REDIS_URL and no redis-server): tasks ran in-process"
        return
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        if wait_until(lambda: _port_open(port), timeout=10) is None:
            raise RuntimeError("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0", f"private redis-server on port {port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def celery_worker(
    *,
    database_url: str,
    broker_url: str,
    queue: str,
    log_path: Path,
    settings_module: str = "config.settings.local",
    pool: str = "prefork",
    concurrency: int = 2,
) -> Iterator[subprocess.Popen]:
    """A ``celery worker`` subprocess on ``queue``, against ``database_url``, until the block
    ends. E-mail goes to the dummy backend: the benchmark times the pipeline, not a mail
    server."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DJANGO_DEBUG": "False",
        "DATABASE_URL": database_url,
        "REDIS_URL": broker_url,
        "CELERY_QUEUE": queue,
        "EMAIL_URL": "dummymail://",
    }
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                "--loglevel=INFO",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            ready = wait_until(
                lambda: "ready." in log_path.read_text() or worker.poll() is not None, timeout=60
            )
            if ready is None or worker.poll() is not None:
                raise RuntimeError(f"The Celery worker did not start:\n{log_path.read_text()}")
            yield worker
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


# --- Hubs, previews and lists (the world's shape) -------------------------------------------------


@dataclass
class HubTiming:
    event_id: int
    hub_id: int
    affected_vendors: int
    chunks: int
    seconds: float | None
    status: str
    alerts: int
    duplicated_alerts: int


def hubs(count: int = 2) -> list[int]:
    """The entities holding a stake in the most others (the registry's hubs), largest first."""
    from django.db.models import Count

    from registry.models import Ownership

    rows = (
        Ownership.objects.shareholdings()
        .filter(end_date__isnull=True)
        .values("owner_id")
        .annotate(held=Count("id"))
        .order_by("-held", "owner_id")[:count]
    )
    return [row["owner_id"] for row in rows]


def hub_measure(
    hub_id: int, counterparty_id: int, *, share: Decimal, today: datetime.date, timeout: float
) -> HubTiming:
    """Log an acquisition of ``share`` of the hub by ``counterparty`` and time it until the
    event is processed, that is until every chunk of its recheck has committed its alerts."""
    from django.db.models import Count

    from alerts.models import Alert
    from registry.choices import EventStatus
    from registry.models import Entity, OwnershipEvent, RecheckChunk
    from registry.services import ownership_event_log

    hub, counterparty = Entity.objects.get(pk=hub_id), Entity.objects.get(pk=counterparty_id)
    event, moment = committed(
        lambda: ownership_event_log(
            kind="acquisition",
            subject=hub,
            counterparty=counterparty,
            share=share,
            effective_date=today,
            note="benchmark: an event on a hub",
        )
    )
    rows = OwnershipEvent.objects.filter(pk=event.pk)
    terminal = (EventStatus.PROCESSED, EventStatus.FAILED)
    done = wait_until(lambda: rows.filter(status__in=terminal).exists(), timeout=timeout)
    finished = rows.get()
    alerts = Alert.objects.filter(event=event)
    # The dedup key is unique, so a doubled alert would show as the same kind, vendor and
    # contract raised twice for the event (e.g. by a chunk run twice).
    duplicated = (
        alerts.values("kind", "vendor_id", "contract_id", "severity")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    return HubTiming(
        event_id=event.pk,
        hub_id=hub_id,
        affected_vendors=finished.affected_vendors.count(),
        chunks=RecheckChunk.objects.filter(event=event).count(),
        seconds=None if done is None else round(done - moment, 2),
        status=finished.status,
        alerts=alerts.count(),
        duplicated_alerts=duplicated,
    )


def preview_measure(*, today: datetime.date, target_vendors: int = 400, repeat: int = 5) -> dict:
    """Time ``ownership_event_preview`` of an acquisition of the group root whose group holds
    the number of vendors closest to ``target_vendors`` (best of the 60 largest groups)."""
    from django.db.models import Count

    from registry.models import Entity, Ownership, Vendor, WatchlistEntry
    from registry.risk.loader import entities_below
    from registry.services.preview import ownership_event_preview

    owned = Ownership.objects.shareholdings().filter(end_date__isnull=True)
    parents = (
        owned.filter(owner__kind="company")
        .values("owner_id")
        .annotate(n=Count("id"))
        .order_by("-n")[:60]
    )
    vendor_entities = set(Vendor.objects.values_list("entity_id", flat=True))
    best, best_count = None, None
    for row in parents:
        below = len(entities_below([row["owner_id"]], as_of=today) & vendor_entities)
        if best_count is None or abs(below - target_vendors) < abs(best_count - target_vendors):
            best, best_count = row["owner_id"], below
    if best is None:
        return {"vendors": 0, "ms": percentiles([])}
    competitor = (
        WatchlistEntry.objects.filter(category="competitor")
        .exclude(entity_id=best)
        .values_list("entity_id", flat=True)
        .first()
    )
    subject, counterparty = Entity.objects.get(pk=best), Entity.objects.get(pk=competitor)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        preview = ownership_event_preview(
            kind="acquisition",
            subject=subject,
            counterparty=counterparty,
            share=Decimal("5"),
            effective_date=today,
        )
        times.append((time.perf_counter() - started) * 1000)
    return {
        "subject_id": best,
        "vendors": len(preview.affected_vendors),
        "vendors_below": best_count,
        "ms": percentiles(times),
    }


def api_list_measure(*, repeat: int = 20) -> dict:
    """``GET /api/v1/vendors/`` on the first, a middle and the last page, ``repeat`` times each
    through Django's test client (the whole request: middleware, auth, query, rendering)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="bench-api-reader", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    first = client.get("/api/v1/vendors/")
    if first.status_code != 200:
        return {"error": f"{first.status_code} on page 1", "ms": percentiles([])}
    body = first.json()
    count, size = body.get("count", 0), max(1, len(body.get("results", [])))
    last = max(1, -(-count // size))
    pages = {"first": 1, "middle": max(1, last // 2), "last": last}
    by_page, times = {}, []
    for label, page in pages.items():
        page_times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get("/api/v1/vendors/", {"page": page})
            page_times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                return {"error": f"{response.status_code} on page {page}", "ms": percentiles([])}
        by_page[label] = {"page": page, **percentiles(page_times)}
        times += page_times
    return {"vendors": count, "page_size": size, "pages": by_page, "ms": percentiles(times)}


def daily_measure(*, today: datetime.date, timeout: float = 600.0) -> dict:
    """The daily scheduled run (rule 7) for ``today``, after the day's events: run in this
    process as beat's task would, timed until the generic recheck it asks for has been
    processed by the worker too."""
    from registry.models import RecheckRequest
    from registry.services.pipeline import scheduled_recheck

    before = RecheckRequest.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    started = time.perf_counter()
    vendors = scheduled_recheck(today=today)
    pending = RecheckRequest.objects.filter(pk__gt=before, processed_at__isnull=True)
    done = wait_until(lambda: not pending.exists(), timeout=timeout)
    return {
        "vendors_rechecked_for_events": vendors,
        "recheck_requests": RecheckRequest.objects.filter(pk__gt=before).count(),
        "seconds": None if done is None else round(done - started, 2),
    }
