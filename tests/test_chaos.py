"""The short chaos suite (bench/chaos.py --short): every fault on a stack of its own — a
database, a private Redis, two workers and beat — loses nothing, doubles nothing and recovers
within its bound."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.chaos import FAULTS, REDIS_BOUND, WORKER_BOUND, _server_url
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parent.parent


def _postgres_server() -> str | None:
    import psycopg

    class Args:
        server = os.environ.get("CHAOS_POSTGRES_URL", "")

    server = _server_url(Args)
    try:
        with psycopg.connect(f"{server}/postgres", connect_timeout=2):
            return server
    except psycopg.Error:
        return None


def test_the_short_chaos_suite_meets_its_targets(tmp_path):
    require_service(shutil.which("redis-server") is not None, "redis-server")
    server = _postgres_server()
    require_service(server is not None, "A PostgreSQL server")
    output = tmp_path / "chaos.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.chaos",
            "--short",
            "--server",
            server,
            "--database",
            "vr_chaos_test",
            "--output",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    report = json.loads(output.read_text())
    faults = {fault["name"]: fault for fault in report["faults"]}
    assert list(faults) == list(FAULTS)
    for name, fault in faults.items():
        bound = REDIS_BOUND if name.startswith("redis") else WORKER_BOUND
        assert fault["sent"] >= 6, name
        assert (fault["processed"], fault["lost"], fault["duplicated"]) == (fault["sent"], 0, 0)
        assert fault["alerts_present"] == fault["alerts_expected"] == fault["sent"], name
        assert fault["invariant_broken"] == 0 and fault["invariant_checked"] > 0, name
        assert fault["recover_s"] is not None and fault["recover_s"] <= bound, name
        assert fault["ok"] is True, name
    assert (
        "the first send after it came back went through" in faults["redis_restart_volatile"]["note"]
    )
