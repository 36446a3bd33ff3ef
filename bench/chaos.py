"""``make chaos``: the pipeline under faults, on a stack of its own on this machine.

It creates a PostgreSQL database of its own (``vr_chaos_…`` on the server of ``DATABASE_URL``,
or of ``--server``), starts a private ``redis-server`` on a spare port, two Celery workers
(prefork, two processes each) and beat, and plays the web process itself: events are logged
through ``ownership_event_log`` as a view would, and sent on commit through its own, long-lived
broker connection. Then, one after the other, each on a subject of its own:

- ``pool_children_sigkill``: SIGKILL of the pool processes while they work;
- ``worker_sigkill``: SIGKILL of a whole worker (and its pool) with work in flight, restarted;
- ``redis_restart_persistent`` / ``redis_restart_volatile``: Redis killed while events are
  logged and processed, restarted with its append-only file, and without any persistence;
- ``pg_terminate_backend``: the workers' PostgreSQL connections killed mid-transaction;
- ``conflicting_clients``: 8 client processes log conflicting stakes in one subject at once;
- ``duplicate_delivery``: every task published twice with the same id.

For each it counts the events sent, processed and lost; the change-of-control alerts expected
(one per event: each subject's vendor has a contract with the clause), present and duplicated,
e-mails duplicated; the 100% rule per entity and date; and the seconds from the moment the
fault is over (the worker back, Redis back, the last connection killed) until the last event is
processed. A table is printed and ``bench/results/chaos.json`` written. Targets: nothing lost,
nothing doubled, the rule held, recovery within 90 s of a worker being back and 60 s of Redis
being back. The exit status is 1 when a target is missed.

``--short`` runs a few events per fault with short leases and sweeps (CI, tests/test_chaos.py).
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
#: Seconds from a worker being back (or the fault over) to the last event processed.
WORKER_BOUND = 90.0
#: Seconds from Redis being back to the last event processed.
REDIS_BOUND = 60.0
WORKER_APP = "vr-chaos-worker"
CLIENTS = 8
FIRST_DAY = datetime.date(2025, 1, 1)


@dataclass
class Profile:
    events: int
    vendors: int
    client_events: int
    env: dict[str, str]


FULL = Profile(events=100, vendors=6, client_events=6, env={})
SHORT = Profile(
    events=6,
    vendors=3,
    client_events=2,
    env={
        "PIPELINE_LEASE_SECONDS": "6",
        "PIPELINE_SWEEP_EVERY_SECONDS": "2",
        "PIPELINE_SWEEP_AFTER_SECONDS": "6",
    },
)


@dataclass
class Outcome:
    name: str
    sent: int
    processed: int
    lost: int
    duplicated: int
    recover_s: float | None
    bound_s: float
    alerts_expected: int = 0
    alerts_present: int = 0
    alerts_duplicated: int = 0
    emails_duplicated: int = 0
    invariant_checked: int = 0
    invariant_broken: int = 0
    refused: int = 0
    note: str = ""
    ok: bool = field(default=False)


# --- The stack -----------------------------------------------------------------------------------


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (a worker's pool)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


class Redis:
    """A private redis-server on a spare port, killed and started again at will."""

    def __init__(self, folder: Path) -> None:
        self.port = spare_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None
        self.persistent = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, persistent: bool) -> None:
        self.persistent = persistent
        if not persistent:
            for stale in self.folder.glob("appendonly*"):
                shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink()
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--save",
                "",
                "--appendonly",
                "yes" if persistent else "no",
                "--appendfsync",
                "always",
                "--logfile",
                str(self.folder / "redis.log"),
            ],
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while not self.ping():
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


class Celery:
    """Two workers and beat, as subprocesses of their own sessions (killed with their pool),
    under a supervisor that starts again a worker that exits by itself, as systemd's
    ``Restart=always`` or a container runtime does in production."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.workers: dict[str, subprocess.Popen] = {}
        self.beat: subprocess.Popen | None = None
        self.lock = threading.RLock()
        self.restarts: Counter = Counter()
        self.supervising = threading.Event()

    def supervise(self) -> None:
        """Start the supervisor thread."""
        self.supervising.set()
        threading.Thread(target=self._supervise, daemon=True).start()

    def _supervise(self) -> None:
        while self.supervising.is_set():
            with self.lock:
                for name, process in list(self.workers.items()):
                    if process.poll() is not None and self.supervising.is_set():
                        self.restarts[name] += 1
                        self.start_worker(name)
                if self.beat is not None and self.beat.poll() is not None:
                    self.restarts["beat"] += 1
                    self.start_beat()
            time.sleep(0.5)

    def _spawn(self, name: str, args: list[str]) -> tuple[subprocess.Popen, Path, int]:
        log = self.logs / f"{name}.log"
        offset = log.stat().st_size if log.exists() else 0
        with open(log, "a") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", *args],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return process, log, offset

    @staticmethod
    def _wait_for(process, log: Path, offset: int, marker: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with open(log) as text:
                text.seek(offset)
                if marker in text.read():
                    return
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{log.name}: did not start (see {log})")
            time.sleep(0.1)

    def start_worker(self, name: str) -> None:
        with self.lock:
            self._start_worker(name)

    def _start_worker(self, name: str) -> None:
        process, log, offset = self._spawn(
            name,
            [
                "worker",
                "--pool=prefork",
                "--concurrency=2",
                "-n",
                f"{name}@%h",
                # The pipeline's queue and the notifications' (webhooks, e-mails), as one
                # worker that takes both would in production.
                "-Q",
                f"{self.env['CELERY_QUEUE']},{self.env['CELERY_QUEUE']}-notifications",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
            ],
        )
        self.workers[name] = process
        self._wait_for(process, log, offset, "ready.")

    def start_beat(self) -> None:
        process, log, offset = self._spawn(
            "beat",
            ["beat", "--loglevel=INFO", f"--pidfile={self.logs / 'beat.pid'}"],
        )
        self.beat = process
        self._wait_for(process, log, offset, "beat: Starting")

    def pool(self, name: str) -> list[int]:
        return _children(self.workers[name].pid)

    def kill_worker(self, name: str) -> None:
        with self.lock:
            process = self.workers.pop(name)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop(self) -> None:
        self.supervising.clear()
        with self.lock:
            self._stop()

    def _stop(self) -> None:
        for process in [*self.workers.values(), self.beat]:
            if process is None or process.poll() is not None:
                continue
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.workers.clear()
        self.beat = None


def _server_url(args) -> str:
    """The PostgreSQL server to create the database on, without a database or options."""
    from urllib.parse import urlsplit

    url = args.server or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def database_create(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_drop(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- The registry each fault works on ------------------------------------------------------------


@dataclass
class Subject:
    """An entity with vendors at and below it, one contract with a change-of-control clause,
    and buyers."""

    entity_id: int
    contract_id: int
    buyer_ids: list[int]
    next_day: int = 0


def subject_create(label: str, *, vendors: int, buyers: int) -> Subject:
    from django.db import transaction

    from registry import services
    from registry.choices import DataAccess

    with transaction.atomic():
        subject = services.entity_create(name=f"{label} Holdings", country="GB")
        vendor = services.vendor_create(
            entity=subject, category="data_labelling", tier=1, data_access=DataAccess.RESTRICTED
        )
        contract = services.contract_create(
            vendor=vendor,
            reference=f"{label.upper()}-COC",
            title=f"{label} services",
            value=Decimal("1000000.00"),
            currency="EUR",
            start_date=datetime.date(2020, 1, 1),
            change_of_control_clause=True,
            coc_termination_window_days=30,
            data_classification=DataAccess.RESTRICTED,
        )
        for index in range(vendors - 1):
            child = services.entity_create(name=f"{label} Subsidiary {index + 1}", country="GB")
            services.ownership_set(
                owner=subject, owned=child, share=Decimal(100), start_date=datetime.date(2020, 1, 1)
            )
            services.vendor_create(
                entity=child, category="data_labelling", tier=2, data_access=DataAccess.INTERNAL
            )
        buyer_ids = [
            services.entity_create(name=f"{label} Buyer {index + 1}", country="US").pk
            for index in range(buyers)
        ]
    return Subject(subject.pk, contract.pk, buyer_ids)


def event_log(subject: Subject, index: int, *, share: str = "0.5", enqueue: bool = True) -> int:
    """Log an acquisition of a small stake in the subject by its ``index``-th buyer (each event
    on a day of its own): one change-of-control review expected."""
    from registry import services
    from registry.models import Entity

    event = services.ownership_event_log(
        kind="acquisition",
        subject=Entity.objects.get(pk=subject.entity_id),
        counterparty=Entity.objects.get(pk=subject.buyer_ids[index % len(subject.buyer_ids)]),
        share=Decimal(share),
        effective_date=FIRST_DAY + datetime.timedelta(days=index),
        enqueue=enqueue,
    )
    return event.pk


class Logger(threading.Thread):
    """Logs events in the background, as the web process would while a fault strikes."""

    def __init__(self, subject: Subject, indexes: range, *, pause: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.subject, self.indexes, self.pause = subject, indexes, pause
        self.ids: list[int] = []
        self.errors: list[str] = []

    def run(self) -> None:
        from django.db import connection

        try:
            for index in self.indexes:
                try:
                    self.ids.append(event_log(self.subject, index))
                except Exception as exc:
                    self.errors.append(f"{exc.__class__.__name__}: {exc}")
                time.sleep(self.pause)
        finally:
            connection.close()


class SendFailures(logging.Handler):
    """Counts the sends the web side could not make (the outbox keeps them for the sweeper)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Could not send"):
            self.count += 1


# --- Counting ------------------------------------------------------------------------------------


def processed_count(ids: list[int]) -> int:
    from registry.models import OwnershipEvent

    return OwnershipEvent.objects.filter(pk__in=ids, status="processed").count()


def in_flight_count(ids: list[int]) -> int:
    from registry.models import OwnershipEvent

    return OwnershipEvent.objects.filter(pk__in=ids, status="processing").count()


def wait_processed(ids: list[int], *, since: float, timeout: float) -> float | None:
    """Seconds from ``since`` (a ``time.monotonic``) until every event of ``ids`` is processed,
    or ``None`` if some are not after ``timeout`` seconds."""
    deadline = since + timeout
    while time.monotonic() < deadline:
        if processed_count(ids) == len(ids):
            return round(max(time.monotonic() - since, 0.0), 1)
        time.sleep(0.2)
    return None


def wait_quiet(timeout: float = 180) -> None:
    """Until the pipeline has nothing left to do (the seeding's rechecks included)."""
    from registry.models import OwnershipEvent, RecheckRequest

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = OwnershipEvent.objects.exclude(status__in=("processed", "failed")).exists()
        if not busy and not RecheckRequest.objects.filter(processed_at__isnull=True).exists():
            return
        time.sleep(0.2)
    raise RuntimeError("The pipeline did not settle between faults")


def shares_over_100(entity_ids: list[int]) -> tuple[int, int]:
    """The 100% rule, counted independently of the code under test: for each entity and each
    day an edge of it starts or ends, the shareholdings active that day (a range counts at its
    upper bound). (entity-days checked, entity-days above 100%)."""
    from registry.models import Ownership

    checked = broken = 0
    edges: dict[int, list] = {}
    for row in Ownership.objects.filter(owned_id__in=entity_ids, interest="shareholding").values(
        "owned_id", "share", "share_max", "start_date", "end_date"
    ):
        edges.setdefault(row["owned_id"], []).append(row)
    for rows in edges.values():
        days = {row["start_date"] for row in rows} | {
            row["end_date"] for row in rows if row["end_date"]
        }
        for day in days:
            total = sum(
                (row["share"] if row["share"] is not None else row["share_max"] or Decimal(0))
                for row in rows
                if row["start_date"] <= day and (row["end_date"] is None or row["end_date"] >= day)
            )
            checked += 1
            broken += total > 100
    return checked, broken


def outcome(
    name: str,
    subject: Subject,
    ids: list[int],
    *,
    since: float,
    bound: float,
    refused: int = 0,
    note: str = "",
) -> Outcome:
    """Wait for the fault's events and count what came of them."""
    from alerts.models import Alert, EmailNotification

    recover = wait_processed(ids, since=since, timeout=bound + 60)
    processed = processed_count(ids)
    alerts = list(
        Alert.objects.filter(kind="change_of_control", event_id__in=ids).values_list(
            "event_id", "contract_id"
        )
    )
    pairs = Counter(alerts)
    alerts_duplicated = sum(count - 1 for count in pairs.values())
    missing = sum(1 for pk in ids if (pk, subject.contract_id) not in pairs)
    emails = Counter(
        EmailNotification.objects.filter(alert__event_id__in=ids).values_list(
            "alert_id", "recipient"
        )
    )
    emails_duplicated = sum(count - 1 for count in emails.values())
    checked, broken = shares_over_100([subject.entity_id])
    result = Outcome(
        name=name,
        sent=len(ids),
        processed=processed,
        lost=len(ids) - processed + missing,
        duplicated=alerts_duplicated + emails_duplicated,
        recover_s=recover,
        bound_s=bound,
        alerts_expected=len(ids),
        alerts_present=len(alerts),
        alerts_duplicated=alerts_duplicated,
        emails_duplicated=emails_duplicated,
        invariant_checked=checked,
        invariant_broken=broken,
        refused=refused,
        note=note,
    )
    result.ok = (
        result.lost == 0
        and result.duplicated == 0
        and broken == 0
        and recover is not None
        and recover <= bound
        and result.sent > 0
    )
    return result


# --- The faults ----------------------------------------------------------------------------------


class Suite:
    def __init__(self, profile: Profile, redis: Redis, celery: Celery, failures: SendFailures):
        self.profile, self.redis, self.celery, self.failures = profile, redis, celery, failures

    def subject(self, label: str, buyers: int | None = None) -> Subject:
        subject = subject_create(
            label, vendors=self.profile.vendors, buyers=buyers or self.profile.events
        )
        wait_quiet()
        return subject

    def _wait_some(self, logger: Logger, share: float = 0.25, timeout: float = 60) -> None:
        """Until a share of the logger's events is processed: the fault strikes mid-work."""
        want = max(1, int(len(logger.indexes) * share))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if processed_count(list(logger.ids)) >= want or not logger.is_alive():
                return
            time.sleep(0.05)

    def pool_children_sigkill(self) -> Outcome:
        subject = self.subject("Pool")
        logger = Logger(subject, range(self.profile.events))
        logger.start()
        self._wait_some(logger)
        killed = 0
        for _ in range(3):
            for name in list(self.celery.workers):
                killed += sum(_kill(pid) for pid in self.celery.pool(name))
            time.sleep(0.5)
        logger.join()
        back = time.monotonic()  # the pool replaces its processes at once
        return outcome(
            "pool_children_sigkill",
            subject,
            logger.ids,
            since=back,
            bound=WORKER_BOUND,
            note=f"{killed} pool processes killed",
        )

    def worker_sigkill(self) -> Outcome:
        subject = self.subject("Worker")
        logger = Logger(subject, range(self.profile.events))
        logger.start()
        self._wait_some(logger)
        names = list(self.celery.workers)
        in_flight = in_flight_count(logger.ids)
        for name in names:
            self.celery.kill_worker(name)
        logger.join()
        time.sleep(2)
        for name in names:
            self.celery.start_worker(name)
        back = time.monotonic()
        return outcome(
            "worker_sigkill",
            subject,
            logger.ids,
            since=back,
            bound=WORKER_BOUND,
            note=(
                f"every worker and its pool killed with {in_flight} events in flight and "
                f"{len(logger.ids) - processed_count(logger.ids)} not done, then restarted"
            ),
        )

    def _redis(self, name: str, *, persistent: bool) -> Outcome:
        self.redis.stop()
        self.redis.start(persistent=persistent)
        subject = self.subject(name.title())
        count = self.profile.events
        during = max(2, count // 20)
        logger = Logger(subject, range(count - during))
        logger.start()
        self._wait_some(logger)
        self.redis.kill()
        logger.join()
        failed_before = self.failures.count
        outage = Logger(subject, range(count - during, count))
        outage.run()  # logged while Redis is down: sent by the sweeper later
        time.sleep(2)
        self.redis.start(persistent=persistent)
        back = time.monotonic()
        failed_during = self.failures.count - failed_before
        # The web side's broker connection recovers by itself: the next event is sent at once.
        time.sleep(1)
        probe_failures = self.failures.count
        probe = event_log(subject, count)
        probe_sent = self.failures.count == probe_failures
        result = outcome(
            name,
            subject,
            [*logger.ids, *outage.ids, probe],
            since=back,
            bound=REDIS_BOUND,
            note=(
                f"{failed_during} sends failed while Redis was down; the first send after it "
                f"came back {'went through' if probe_sent else 'FAILED'}"
            ),
        )
        result.ok = result.ok and probe_sent
        return result

    def redis_restart_persistent(self) -> Outcome:
        return self._redis("redis_restart_persistent", persistent=True)

    def redis_restart_volatile(self) -> Outcome:
        return self._redis("redis_restart_volatile", persistent=False)

    def pg_terminate_backend(self) -> Outcome:
        from django.db import connection

        subject = self.subject("Postgres")
        logger = Logger(subject, range(self.profile.events))
        logger.start()
        self._wait_some(logger, share=0.1)
        killed = 0
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = %s "
                    "AND xact_start IS NOT NULL AND pid <> pg_backend_pid()",
                    [WORKER_APP],
                )
                killed += cursor.fetchone()[0]
            time.sleep(0.05)
        back = time.monotonic()
        logger.join()
        return outcome(
            "pg_terminate_backend",
            subject,
            logger.ids,
            since=back,
            bound=WORKER_BOUND,
            note=f"{killed} worker connections killed in a transaction",
        )

    def conflicting_clients(self) -> Outcome:
        subject = self.subject("Contest", buyers=CLIENTS * 2)
        env = {**os.environ}
        command = [sys.executable, "-m", "bench.chaos", "--client"]
        clients = [
            subprocess.Popen(
                [*command, json.dumps({"subject": asdict(subject), "client": client})],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for client in range(CLIENTS)
        ]
        ids: list[int] = []
        refused = 0
        for client in clients:
            out, _ = client.communicate(timeout=300)
            report = json.loads(out.strip().splitlines()[-1])
            ids += report["ids"]
            refused += report["refused"]
        back = time.monotonic()
        return outcome(
            "conflicting_clients",
            subject,
            ids,
            since=back,
            bound=WORKER_BOUND,
            refused=refused,
            note=f"{CLIENTS} clients, stakes of 20–45% on the same days",
        )

    def duplicate_delivery(self) -> Outcome:
        from django.db import transaction

        from registry.models import OwnershipEvent
        from registry.tasks import process_event

        subject = self.subject("Twice")
        ids = []
        for index in range(self.profile.events):
            with transaction.atomic():
                ids.append(event_log(subject, index, enqueue=False))
            task_id = str(uuid.uuid4())
            process_event.apply_async((ids[-1],), task_id=task_id)
            process_event.apply_async((ids[-1],), task_id=task_id)
        back = time.monotonic()
        result = outcome(
            "duplicate_delivery", subject, ids, since=back, bound=WORKER_BOUND, note=""
        )
        runs = OwnershipEvent.objects.filter(pk__in=ids, attempts__gt=1).count()
        result.note = f"every task published twice; {runs} events taken up more than once"
        return result


def _kill(pid: int) -> int:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return 0
    return 1


def client_main(spec: str) -> None:
    """One of the conflicting clients: log stakes of 20–45% on the contest's subject, on the
    same few days as every other client, as fast as it can."""
    import django

    django.setup()
    args = json.loads(spec)
    subject = Subject(**args["subject"])
    client = args["client"]
    count = int(os.environ.get("CHAOS_CLIENT_EVENTS", "2"))
    ids, refused = [], 0
    from django.core.exceptions import ValidationError

    from registry import services
    from registry.models import Entity

    entity = Entity.objects.get(pk=subject.entity_id)
    for index in range(count):
        buyer = subject.buyer_ids[(client * 2 + index) % len(subject.buyer_ids)]
        try:
            event = services.ownership_event_log(
                kind="acquisition" if index % 2 == 0 else "stake_change",
                subject=entity,
                counterparty=Entity.objects.get(pk=buyer),
                share=Decimal(20 + (client * 7 + index * 11) % 26),
                effective_date=FIRST_DAY + datetime.timedelta(days=index % 3),
            )
            ids.append(event.pk)
        except ValidationError:
            refused += 1
    print(json.dumps({"ids": ids, "refused": refused}))


# --- The run -------------------------------------------------------------------------------------

FAULTS = (
    "pool_children_sigkill",
    "worker_sigkill",
    "redis_restart_persistent",
    "redis_restart_volatile",
    "pg_terminate_backend",
    "conflicting_clients",
    "duplicate_delivery",
)


def table(results: list[Outcome]) -> str:
    head = (
        f"{'fault':<26} {'sent':>5} {'done':>5} {'lost':>5} {'alerts':>13} {'dup':>4} "
        f"{'100% rule':>10} {'recover':>9} {'bound':>6}  ok"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        alerts = f"{r.alerts_present}/{r.alerts_expected}"
        rule = f"{r.invariant_checked - r.invariant_broken}/{r.invariant_checked}"
        recover = "—" if r.recover_s is None else f"{r.recover_s:.1f} s"
        lines.append(
            f"{r.name:<26} {r.sent:>5} {r.processed:>5} {r.lost:>5} {alerts:>13} "
            f"{r.duplicated:>4} {rule:>10} {recover:>9} {r.bound_s:>5.0f}s  "
            f"{'yes' if r.ok else 'NO'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="A few events per fault (CI).")
    parser.add_argument("--server", default="", help="PostgreSQL server URL (no database).")
    parser.add_argument("--database", default="vr_chaos_suite", help="Its database (dropped).")
    parser.add_argument("--only", action="append", choices=FAULTS, help="Run just these.")
    parser.add_argument("--output", default=str(RESULTS / "chaos.json"))
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        client_main(args.client)
        return 0
    if shutil.which("redis-server") is None:
        print("redis-server is needed (apt-get install redis-server)", file=sys.stderr)
        return 2
    profile = SHORT if args.short else FULL
    # A stop from outside (a CI timeout) still ends the stack and drops the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = _server_url(args)
    database_create(server, args.database)
    folder = Path(tempfile.mkdtemp(prefix="vr-chaos-"))
    logs = ROOT / "test-artifacts" / "chaos"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    redis = Redis(folder)
    redis.start(persistent=False)
    base_env = {
        **os.environ,
        **profile.env,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "REDIS_URL": redis.url,
        "CELERY_QUEUE": f"vr-chaos-{redis.port}",
        "CHAOS_CLIENT_EVENTS": str(profile.client_events),
        "EMAIL_URL": "dummymail://",
    }
    web_env = {
        **base_env,
        "DATABASE_URL": f"{server}/{args.database}?application_name=vr-chaos-web",
    }
    os.environ.update(web_env)
    worker_env = {
        **base_env,
        "DATABASE_URL": f"{server}/{args.database}?application_name={WORKER_APP}",
    }
    celery = Celery(worker_env, logs)
    results: list[Outcome] = []
    started = time.monotonic()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        failures = SendFailures()
        dispatch = logging.getLogger("registry.services.dispatch")
        dispatch.addHandler(failures)
        dispatch.propagate = False  # counted, not printed: the sweeper sends them later
        celery.start_worker("w1")
        celery.start_worker("w2")
        celery.start_beat()
        suite = Suite(profile, redis, celery, failures)
        celery.supervise()
        for name in args.only or FAULTS:
            restarts = sum(celery.restarts.values())
            result = getattr(suite, name)()
            restarted = sum(celery.restarts.values()) - restarts
            if restarted:
                result.note += f"; {restarted} worker exits restarted by the supervisor"
            results.append(result)
            print(
                f"{name}: {result.processed}/{result.sent} processed, recovered in "
                f"{result.recover_s} s — {'ok' if result.ok else 'MISSED'}",
                flush=True,
            )
    finally:
        celery.stop()
        redis.stop()
        shutil.rmtree(folder, ignore_errors=True)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            database_drop(server, args.database)
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    report = {
        "profile": "short" if args.short else "full",
        "events_per_fault": profile.events,
        "lease_seconds": int(profile.env.get("PIPELINE_LEASE_SECONDS", 30)),
        "sweep_every_seconds": int(profile.env.get("PIPELINE_SWEEP_EVERY_SECONDS", 10)),
        "seconds": round(time.monotonic() - started, 1),
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "faults": [asdict(result) for result in results],
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(table(results))
    print(f"\nload average {' '.join(load_before)} → {' '.join(load_after)}; written to {output}")
    return 0 if results and all(result.ok for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
