"""``make bench-import``: time a BODS import of 100,000 statements, and its re-import.

    python -m bench.imports                      # 100k statements (also: bench.run --import-bods)
    python -m bench.imports --statements 10000   # a quick run
    python -m bench.imports --profile            # also write cProfile stats of both runs

A synthetic BODS 0.4 file (JSON Lines) of company groups is written first: each group a
holding company with its subsidiaries (identified by company number), two people who own the
holding company and one of whom sits on its board, and the relationships between them. It is
imported into an empty PostgreSQL database (``BENCH_IMPORT_DATABASE_URL``, default
``vendor_registry_bench_import`` on the local server; dropped and created for the run), the
way ``manage.py import_ownership`` does it, then imported again: the second run must change
nothing. Each is timed from the start of the run to its after-commit recheck done, with its
records per second; the peak RSS is the process's own (``getrusage``), measured after each.
The report is printed and written to ``bench/results/imports.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

from bench.measure import target_lines
from bench.run import RESULTS, BenchDatabase, _configure_django, _load_average
from bench.synthetic import Spec

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/vendor_registry_bench_import"
TARGET_IMPORT_SECONDS = 60
TARGET_REIMPORT_SECONDS = 30
TARGET_RSS_MB = 500
#: Statements per group: 5 companies, 2 people, 4 + 2 + 1 relationships.
GROUP_STATEMENTS = 14
PUBLICATION = {
    "publicationDate": "2025-06-01",
    "bodsVersion": "0.4",
    "publisher": {"name": "Synthetic register"},
}


def _statement(record: str, record_type: str, details: dict, date: str) -> dict:
    return {
        "statementId": f"{record}-{date}",
        "declarationSubject": record,
        "statementDate": date,
        "recordId": record,
        "recordType": record_type,
        "recordStatus": "new",
        "recordDetails": details,
        "publicationDetails": PUBLICATION,
    }


def _company(record: str, name: str, number: int, date: str) -> dict:
    details = {
        "isComponent": False,
        "entityType": {"type": "registeredEntity"},
        "name": name,
        "jurisdiction": {"name": "United Kingdom", "code": "GB"},
        "identifiers": [{"scheme": "GB-COH", "id": f"{number:08d}"}],
    }
    return _statement(record, "entity", details, date)


def _person(record: str, name: str, date: str) -> dict:
    details = {
        "isComponent": False,
        "personType": "knownPerson",
        "names": [{"type": "legal", "fullName": name}],
    }
    return _statement(record, "person", details, date)


def _interest(record, subject, owner, date, *, kind="shareholding", share=None, start):
    interest = {"type": kind, "directOrIndirect": "direct", "startDate": start}
    if share is not None:
        interest["share"] = {"exact": share}
    details = {
        "isComponent": False,
        "subject": subject,
        "interestedParty": owner,
        "interests": [interest],
    }
    return _statement(record, "relationship", details, date)


def bods_write(path: Path, statements: int, *, seed: int) -> int:
    """Write about ``statements`` statements as JSON Lines, a group at a time (memory stays
    flat); the number written."""
    rng = random.Random(seed)
    groups = max(1, statements // GROUP_STATEMENTS)
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for g in range(groups):
            date = f"20{rng.randint(10, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            start = date
            holding = f"g{g}-holding"
            group = [_company(holding, f"Group {g} Holdings Ltd", g * 10 + 1, date)]
            for s in range(3):
                sub = f"g{g}-sub{s}"
                group.append(_company(sub, f"Group {g} Subsidiary {s} Ltd", g * 10 + 2 + s, date))
                share = rng.choice((100, 75, 51.5, 60))
                group.append(_interest(f"{sub}-own", sub, holding, date, share=share, start=start))
            founder, partner = f"g{g}-p0", f"g{g}-p1"
            group.append(_person(founder, f"Founder {g}", date))
            group.append(_person(partner, f"Partner {g}", date))
            first = rng.choice((60, 70, 80))
            group += [
                _interest(f"{holding}-p0", holding, founder, date, share=first, start=start),
                _interest(f"{holding}-p1", holding, partner, date, share=100 - first, start=start),
                _interest(
                    f"{holding}-p0-board", holding, founder, date, kind="boardMember", start=start
                ),
            ]
            # A group's fourth subsidiary is held by the first: a chain of three levels.
            deep = f"g{g}-sub3"
            group.append(_company(deep, f"Group {g} Subsidiary 3 Ltd", g * 10 + 5, date))
            group.append(_interest(f"{deep}-own", deep, f"g{g}-sub0", date, share=100, start=start))
            for statement in group:
                out.write(json.dumps(statement, separators=(",", ":")))
                out.write("\n")
            written += len(group)
    return written


def _peak_rss_mb() -> float:
    # Linux reports kilobytes.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _import(path: Path, *, profile: Path | None) -> dict:
    """One run, as the management command does it (the recheck runs on commit)."""
    from django.db import connection

    from imports.models import ImportRun
    from imports.services import import_run_create, import_run_execute

    started = time.perf_counter()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    run = import_run_create(
        source_name="Synthetic register", file_name=path.name, format="bods", enqueue=False
    )
    run = import_run_execute(run=run, path=path)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    seconds = time.perf_counter() - started
    run = ImportRun.objects.get(pk=run.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registry_ownership")
        edges = cursor.fetchone()[0]
    return {
        "status": run.status,
        "errors": run.errors[:3],
        "counts": run.counts,
        "warnings": len(run.warnings),
        "rechecked": run.rechecked_at is not None,
        "seconds": round(seconds, 1),
        "edges_in_registry": edges,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.imports", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="write cProfile stats")
    parser.add_argument("--output", type=Path, default=RESULTS / "imports.json")
    args = parser.parse_args(argv)
    if args.statements < GROUP_STATEMENTS:
        parser.error(f"--statements must be at least {GROUP_STATEMENTS}")
    return args


def _verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "FAIL"


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    url = os.environ.get("BENCH_IMPORT_DATABASE_URL", DEFAULT_DATABASE_URL)
    database = BenchDatabase(url, Spec())
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"bods-{args.statements}.jsonl"
    print(f"Writing {path} …", file=sys.stderr)
    statements = bods_write(path, args.statements, seed=args.seed)
    database.recreate(database.name)
    # No broker: the run's recheck runs in this process after commit, as without Redis.
    _configure_django(url, None, "vr-bench-import")
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    load_before = _load_average()
    print(f"Importing {statements:,} statements …", file=sys.stderr)
    first = _import(path, profile=RESULTS / "import.prof" if args.profile else None)
    print("Importing the same file again …", file=sys.stderr)
    second = _import(path, profile=RESULTS / "reimport.prof" if args.profile else None)
    for run in (first, second):
        run["records_per_second"] = round(statements / run["seconds"]) if run["seconds"] else None
    results = {
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "statements": statements,
        "file_mb": round(path.stat().st_size / 1024 / 1024, 1),
        "database": database.name,
        "load_average_before": load_before,
        "load_average_after": _load_average(),
        "import": first,
        "reimport": second,
        "targets": [
            {
                "name": "import",
                "target": f"< {TARGET_IMPORT_SECONDS} s",
                "measured": f"{first['seconds']} s",
                "verdict": _verdict(first["seconds"], TARGET_IMPORT_SECONDS),
            },
            {
                "name": "re-import (nothing changes)",
                "target": f"< {TARGET_REIMPORT_SECONDS} s",
                "measured": f"{second['seconds']} s",
                "verdict": _verdict(second["seconds"], TARGET_REIMPORT_SECONDS),
            },
            {
                "name": "peak RSS",
                "target": f"< {TARGET_RSS_MB} MB",
                "measured": f"{second['peak_rss_mb']} MB",
                "verdict": _verdict(second["peak_rss_mb"], TARGET_RSS_MB),
            },
        ],
    }
    unchanged = second["counts"]
    results["reimport_changed_nothing"] = (
        unchanged["entities_new"] == unchanged["edges_new"] == unchanged["edges_changed"] == 0
        and unchanged["edges_ended"] == unchanged["events"] == 0
    )
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))
    return 0


def report(results: dict) -> str:
    lines = [
        "",
        f"BODS import of {results['statements']:,} statements ({results['file_mb']} MB), "
        f"load average {results['load_average_before']} before, "
        f"{results['load_average_after']} after",
        f"{'run':<30}{'status':>8}{'seconds':>10}{'records/s':>11}{'peak RSS MB':>13}",
    ]
    for name in ("import", "reimport"):
        run = results[name]
        lines.append(
            f"  {name:<28}{run['status']:>8}{run['seconds']:>10}"
            f"{run['records_per_second'] or '—':>11}{run['peak_rss_mb']:>13}"
        )
        lines.append(f"    counts {run['counts']}")
        if run["errors"]:
            lines.append(f"    errors {run['errors']}")
    lines.append(f"  re-import changed nothing: {results['reimport_changed_nothing']}")
    lines.append("")
    lines.extend(target_lines(results["targets"], name_width=30))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
