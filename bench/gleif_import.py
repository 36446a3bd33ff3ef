"""``make bench-import-gleif``: a GLEIF golden copy imported into an empty registry, then a delta.

    python -m bench.run --import-gleif                    # the world's size: 3M LEI, 600k RR, 1M
    python -m bench.run --import-gleif --gleif-scale 10   # a tenth of it (300k, 60k, 100k)

The golden copy's three CSV files (bench/gleif.py, the columns GLEIF publishes) are written
first, then imported in order — LEI records, relationship records, reporting exceptions — into
an empty PostgreSQL database (``BENCH_IMPORT_DATABASE_URL``, default
``vendor_registry_bench_gleif`` on the local server; dropped and created for the run), the way
``manage.py import_ownership`` does it. Vendors are then registered on one entity in a hundred
(so a recheck has something to do), and a delta of 10,000 changes is imported on top: 5,000
LEI records (half renamed, half lapsed), 3,000 relationship records (2,000 new consolidations
between registry parties, most with a percentage and so an acquisition event each, and 1,000
ended) and 2,000 new reporting exceptions. Each run is timed from its start to its
after-commit recheck done (no broker: the recheck runs in this process). The peak RSS is the
process's own (``getrusage``). The report is printed and written to
``bench/results/gleif.json``.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import random
import sys
import time
from pathlib import Path

from bench import gleif
from bench.measure import target_lines
from bench.run import RESULTS, BenchDatabase, _configure_django, _load_average
from bench.synthetic import Spec

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/vendor_registry_bench_gleif"
FULL = {"lei": 3_000_000, "rr": 600_000, "repex": 1_000_000}
TARGET_FULL_SECONDS = 600
TARGET_DELTA_SECONDS = 30
TARGET_RSS_MB = 1024
DELTA = {"lei": 5_000, "rr_new": 2_000, "rr_ended": 1_000, "repex": 2_000}
VENDOR_EVERY = 100


def _rows(path: Path, count: int) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        next(reader)
        rows = []
        for row in reader:
            rows.append(row)
            if len(rows) == count:
                break
    return rows


def _write(path: Path, columns: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        writer.writerow(columns)
        writer.writerows(rows)


def delta_write(
    out: Path, full: dict[str, Path], sizes: dict[str, int], seed: int
) -> tuple[list[Path], int]:
    """The delta files and the records they hold: 10,000 changes in all (fewer when the copy
    is smaller)."""
    rng = random.Random(seed + 1)
    leis = _rows(full["lei"], min(DELTA["lei"], sizes["lei"]))
    name, status = (
        gleif.LEI_COLUMNS.index("Entity.LegalName"),
        gleif.LEI_COLUMNS.index("Registration.RegistrationStatus"),
    )
    updated = gleif.LEI_COLUMNS.index("Registration.LastUpdateDate")
    for index, row in enumerate(leis):
        if index % 2:
            row[status] = "LAPSED" if row[status] != "LAPSED" else "ISSUED"
        else:
            row[name] = row[name].replace(" Ltd", " Holdings Ltd")
        row[updated] = "2025-06-01T09:00:00Z"
    paths = {"lei": out / "lei-delta.csv", "rr": out / "rr-delta.csv"}
    _write(paths["lei"], gleif.LEI_COLUMNS, leis)
    rr = []
    rr_status = gleif.RR_COLUMNS.index("Relationship.RelationshipStatus")
    rr_end = gleif.RR_COLUMNS.index("Relationship.Period.2.endDate")
    rr_updated = gleif.RR_COLUMNS.index("Registration.LastUpdateDate")
    kind = gleif.RR_COLUMNS.index("Relationship.RelationshipType")
    for row in _rows(full["rr"], min(DELTA["rr_ended"], sizes["rr"])):
        if row[kind] == "IS_ULTIMATELY_CONSOLIDATED_BY":
            continue
        row[rr_status], row[rr_end], row[rr_updated] = (
            "INACTIVE",
            "2025-05-31T00:00:00Z",
            "2025-06-01T09:00:00Z",
        )
        rr.append(row)
    # New consolidations of children no relationship names yet, by an earlier LEI.
    first_free = sizes["rr"] + 1
    for index in range(DELTA["rr_new"]):
        child = first_free + index
        if child >= sizes["lei"]:
            break
        parent = rng.randrange(0, child)
        percent = f"{rng.choice([51, 60, 75, 100]):.2f}" if rng.random() < 0.7 else ""
        rr.append(
            [
                gleif.lei_of(child),
                "LEI",
                gleif.lei_of(parent),
                "LEI",
                "IS_DIRECTLY_CONSOLIDATED_BY",
                "ACTIVE",
                "2024-01-01T00:00:00Z",
                "2024-12-31T00:00:00Z",
                "ACCOUNTING_PERIOD",
                "2025-01-01T00:00:00Z",
                "",
                "RELATIONSHIP_PERIOD",
                "ACCOUNTING_CONSOLIDATION" if percent else "",
                percent,
                "PERCENTAGE" if percent else "",
                "2025-01-15T00:00:00Z",
                "2025-06-01T09:00:00Z",
                "PUBLISHED",
            ]
        )
    _write(paths["rr"], gleif.RR_COLUMNS, rr)
    # Exceptions for LEIs the full file gives none.
    first_free = sizes["repex"] // 2 + 1
    repex = [
        [
            gleif.lei_of(first_free + index),
            "DIRECT_ACCOUNTING_CONSOLIDATION_PARENT",
            "NON_PUBLIC",
            "",
        ]
        for index in range(DELTA["repex"])
        if first_free + index < sizes["lei"]
    ]
    paths["repex"] = out / "repex-delta.csv"
    _write(paths["repex"], gleif.REPEX_COLUMNS, repex)
    return [paths["lei"], paths["rr"], paths["repex"]], len(leis) + len(rr) + len(repex)


def _records(path: Path) -> int:
    with path.open("rb") as stream:
        return sum(1 for _ in stream) - 1


def _import(path: Path) -> dict:
    """One run as the management command does it; the recheck runs on commit."""
    from imports.models import ImportRun
    from imports.services import import_format_detect, import_run_create, import_run_execute

    with path.open("rb") as stream:
        file_format = import_format_detect(stream)
    started = time.perf_counter()
    run = import_run_create(
        source_name="GLEIF", file_name=path.name, format=file_format, enqueue=False
    )
    run = import_run_execute(run=run, path=path)
    seconds = time.perf_counter() - started
    run = ImportRun.objects.get(pk=run.pk)
    records = _records(path)
    return {
        "file": path.name,
        "format": file_format,
        "records": records,
        "status": run.status,
        "errors": run.errors[:3],
        "counts": run.counts,
        "warnings": len(run.warnings),
        "rechecked": run.rechecked_at is not None,
        "affected_vendors": len(run.affected_vendors),
        "seconds": round(seconds, 1),
        "records_per_second": round(records / seconds) if seconds else None,
        "peak_rss_mb": round(gleif.peak_rss_mb(), 1),
    }


def _vendors() -> int:
    """A vendor on one entity in a hundred, so that the delta's recheck has vendors to check."""
    from registry.models import Entity, Vendor

    ids = Entity.objects.order_by("pk").values_list("pk", flat=True)[::VENDOR_EVERY]
    Vendor.objects.bulk_create([Vendor(entity_id=pk) for pk in ids], batch_size=2000)
    return len(ids)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run --import-gleif", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--gleif-scale",
        type=int,
        default=1,
        help="divide the world's size by this (10: 300k LEI, 60k RR, 100k repex)",
    )
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--output", type=Path, default=RESULTS / "gleif.json")
    args = parser.parse_args(argv)
    if args.gleif_scale < 1:
        parser.error("--gleif-scale must be 1 or more")
    return args


def _verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "FAIL"


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    sizes = {name: count // args.gleif_scale for name, count in FULL.items()}
    url = os.environ.get("BENCH_IMPORT_DATABASE_URL", DEFAULT_DATABASE_URL)
    database = BenchDatabase(url, Spec())
    out = RESULTS / f"gleif-{args.gleif_scale}"
    RESULTS.mkdir(parents=True, exist_ok=True)
    print(f"Writing the golden copy {sizes} to {out} …", file=sys.stderr)
    started = time.perf_counter()
    files = gleif.generate(out, lei=sizes["lei"], rr=sizes["rr"], repex=sizes["repex"])
    full_paths = {path.stem: path for path in files}
    delta_files, delta_records = delta_write(out, full_paths, sizes, args.seed)
    generated = round(time.perf_counter() - started, 1)
    database.recreate(database.name)
    _configure_django(url, None, "vr-bench-gleif")
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    load_before = _load_average()
    full = []
    for path in files:
        print(f"Importing {path.name} …", file=sys.stderr)
        full.append(_import(path))
        if full[-1]["status"] != "done":
            break
    vendors = _vendors()
    delta = []
    for path in delta_files:
        print(f"Importing {path.name} …", file=sys.stderr)
        delta.append(_import(path))
    full_seconds = round(sum(run["seconds"] for run in full), 1)
    delta_seconds = round(sum(run["seconds"] for run in delta), 1)
    rss = round(gleif.peak_rss_mb(), 1)
    results = {
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "scale": f"1/{args.gleif_scale}",
        "sizes": sizes,
        "generated_seconds": generated,
        "database": database.name,
        "vendors": vendors,
        "load_average_before": load_before,
        "load_average_after": _load_average(),
        "full": full,
        "delta": delta,
        "full_seconds": full_seconds,
        "delta_records": delta_records,
        "delta_seconds": delta_seconds,
        "peak_rss_mb": rss,
        "targets": [
            {
                "name": f"full import (1/{args.gleif_scale})",
                "target": f"<= {TARGET_FULL_SECONDS / args.gleif_scale:g} s",
                "measured": f"{full_seconds} s",
                "verdict": _verdict(full_seconds, TARGET_FULL_SECONDS / args.gleif_scale),
            },
            {
                "name": "delta of 10,000 with recheck",
                "target": f"<= {TARGET_DELTA_SECONDS} s",
                "measured": f"{delta_seconds} s",
                "verdict": _verdict(delta_seconds, TARGET_DELTA_SECONDS),
            },
            {
                "name": "peak RSS",
                "target": f"<= {TARGET_RSS_MB} MB",
                "measured": f"{rss} MB",
                "verdict": _verdict(rss, TARGET_RSS_MB),
            },
        ],
    }
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))
    return 0


def report(results: dict) -> str:
    lines = [
        "",
        f"GLEIF golden copy at {results['scale']} of the world's size {results['sizes']}, "
        f"{results['vendors']:,} vendors before the delta; load average "
        f"{results['load_average_before']} before, {results['load_average_after']} after",
        f"{'file':<18}{'status':>8}{'records':>10}{'seconds':>10}{'records/s':>11}"
        f"{'peak RSS MB':>13}",
    ]
    for run in (*results["full"], *results["delta"]):
        lines.append(
            f"  {run['file']:<16}{run['status']:>8}{run['records']:>10,}{run['seconds']:>10}"
            f"{run['records_per_second'] or '—':>11}{run['peak_rss_mb']:>13}"
        )
        lines.append(
            f"    counts {run['counts']}, affected vendors {run['affected_vendors']}, "
            f"rechecked {run['rechecked']}"
        )
        if run["errors"]:
            lines.append(f"    errors {run['errors']}")
    lines.append("")
    lines.extend(target_lines(results["targets"], name_width=34))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
