"""A real Celery worker (a subprocess) on Redis, against the test database.

Only possible when both REDIS_URL and a server database (PostgreSQL) are configured: the worker
is another process and must see what the tests commit.
"""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.db import connection

from config.celery_app import notifications_queue

ROOT = Path(__file__).resolve().parents[2]


def real_worker_possible() -> bool:
    return bool(settings.REDIS_URL) and connection.vendor == "postgresql"


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@contextmanager
def broker_mode(broker_url: str, queue: str) -> Iterator[None]:
    """Send tasks to ``broker_url``/``queue`` instead of running them in-process."""
    conf = current_app.conf
    saved = (conf.task_always_eager, conf.broker_url, conf.task_default_queue)
    conf.update(task_always_eager=False, broker_url=broker_url, task_default_queue=queue)
    current_app.amqp._producer_pool = None
    current_app._pool = None
    try:
        yield
    finally:
        conf.update(task_always_eager=saved[0], broker_url=saved[1], task_default_queue=saved[2])
        current_app._pool = None
        current_app.amqp._producer_pool = None


@contextmanager
def celery_worker(
    broker_url: str,
    *,
    queue: str | None = None,
    processes: int = 1,
    extra_env: dict[str, str] | None = None,
    consumes: str = "both",
) -> Iterator[str]:
    """Run ``celery worker`` on ``queue`` until the block ends; yields the queue name. One
    process runs the solo pool; more run a prefork pool of that many. ``consumes``: "both"
    (the pipeline's queue and its notifications queue), "pipeline" or "notifications"."""
    queue = queue or f"vr-test-{uuid.uuid4().hex[:8]}"
    listens = {
        "both": f"{queue},{notifications_queue(queue)}",
        "pipeline": queue,
        "notifications": notifications_queue(queue),
    }[consumes]
    pool = ["--pool=solo"] if processes == 1 else ["--pool=prefork", f"--concurrency={processes}"]
    env = {
        **os.environ,
        **(extra_env or {}),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": broker_url,
        "CELERY_QUEUE": queue,
    }
    log = ROOT / "test-artifacts" / f"worker-{queue}-{consumes}.log"
    log.parent.mkdir(exist_ok=True)
    with open(log, "w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                *pool,
                "--loglevel=INFO",
                "-Q",
                listens,
                "-n",
                f"{consumes}-{queue}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while "ready." not in log.read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Celery worker did not start:\n{log.read_text()}")
                time.sleep(0.1)
            with broker_mode(broker_url, queue):
                yield queue
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(predicate, *, timeout: float = 20.0, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
