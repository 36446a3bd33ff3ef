"""``make bench-spreadsheet``: time the spreadsheet import of 10,000 vendors, 10,000 contracts
and 10,000 bad rows, dry run and apply, on PostgreSQL.

    python -m bench.spreadsheet                 # 10,000 rows each (also: bench.run --spreadsheet)
    python -m bench.spreadsheet --rows 1000     # a quick run
    python -m bench.spreadsheet --profile       # also write cProfile stats of each step

Three files are written first: a CSV of vendors (each a new entity with an LEI and a company
number, as a vendor list exported from a procurement system), an XLSX contract register whose
rows name those vendors by LEI, and a CSV of vendors whose every row is wrong in four fields
(LEI check digits, country, tier, data access). They go, as a buyer's uploads, through the
same services as the web page: ``spreadsheet_upload_create`` and ``spreadsheet_upload_check``
(the dry run: the file read, every row checked, the report stored) and
``spreadsheet_upload_apply`` (timed to its commit; the one recheck of the new vendors runs
after it, in-process, and is timed on its own). The bad file's apply is refused (its dry run
found errors) and must leave the registry as it was. Beside the wall-clock seconds, the
process's CPU seconds say how much of the time was its own work on a busy machine. The
database (``BENCH_SPREADSHEET_DATABASE_URL``, default ``vendor_registry_bench_spreadsheet`` on
the local server) is dropped and created for the run.
The report is printed and written to ``bench/results/spreadsheet.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import os
import sys
import time
from pathlib import Path

from bench.measure import committed, target_lines
from bench.run import RESULTS, BenchDatabase, _configure_django, _load_average
from bench.synthetic import Spec

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/vendor_registry_bench_spreadsheet"
TARGET_APPLY_SECONDS = 60
TARGET_BAD_SECONDS = 30
VENDOR_HEADER = ["Name", "LEI", "Identifiers", "Country", "Category", "Tier", "Data access"]
CONTRACT_HEADER = [
    "Vendor",
    "Reference",
    "Title",
    "Value",
    "Currency",
    "Start date",
    "End date",
    "Change-of-control clause",
    "CoC termination window (days)",
]
CATEGORIES = ("cloud", "software", "data_labelling", "payroll", "consulting", "telecom")
ACCESS = ("none", "internal", "confidential", "restricted")


def lei(number: int) -> str:
    """A valid LEI (ISO 17442 check digits), one per number."""
    from stdnum.iso7064 import mod_97_10

    base = f"5493{number:014d}"
    return base + mod_97_10.calc_check_digits(base)


def vendors_csv(rows: int, *, bad: bool = False) -> bytes:
    import csv

    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(VENDOR_HEADER)
    for n in range(rows):
        code = lei(n)
        if bad:
            wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
            writer.writerow([f"Bad vendor {n}", wrong, "", "ZZ", "cloud", "9", "secret"])
        else:
            writer.writerow(
                [
                    f"Vendor {n} Ltd",
                    code,
                    f"GB-COH:{n:08d}",
                    "GB" if n % 3 else "US",
                    CATEGORIES[n % len(CATEGORIES)],
                    str(n % 4 + 1),
                    ACCESS[n % len(ACCESS)],
                ]
            )
    return out.getvalue().encode("utf-8-sig")


def contracts_xlsx(rows: int) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Contracts")
    sheet.append(CONTRACT_HEADER)
    for n in range(rows):
        coc = n % 2 == 1
        sheet.append(
            [
                lei(n),
                f"CTR-{n:06d}",
                f"Services agreement {n}",
                1000 + n + 0.5,
                "EUR" if n % 5 else "USD",
                datetime.datetime(2024 + n % 2, 1 + n % 12, 1),
                datetime.datetime(2027, 12, 31),
                "yes" if coc else "no",
                30 if coc else None,
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _profiled(profile: Path | None, step):
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    try:
        return step()
    finally:
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)


def _measure(name: str, content: bytes, kind: str, actor, *, profile_dir: Path | None) -> dict:
    """Dry run, then apply, of one file; seconds of each, the counts, what the registry
    holds after."""
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from imports.spreadsheets import (
        spreadsheet_upload_apply,
        spreadsheet_upload_check,
        spreadsheet_upload_create,
    )

    def profile(step: str) -> Path | None:
        return profile_dir / f"spreadsheet-{name}-{step}.prof" if profile_dir else None

    def dry_run():
        upload = spreadsheet_upload_create(
            file=SimpleUploadedFile(name, content), kind=kind, actor=actor
        )
        return spreadsheet_upload_check(upload=upload, actor=actor)

    started, cpu_started = time.perf_counter(), time.process_time()
    upload = _profiled(profile("dry-run"), dry_run)
    dry_seconds = time.perf_counter() - started
    dry_cpu = time.process_time() - cpu_started

    def apply() -> bool:
        try:
            return spreadsheet_upload_apply(upload=upload, actor=actor)
        except ValidationError:  # a dry run with errors is never applied
            return False

    started, cpu_started = time.perf_counter(), time.process_time()
    applied, commit_moment = _profiled(profile("apply"), lambda: committed(apply))
    done = time.perf_counter()
    apply_cpu = time.process_time() - cpu_started
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM registry_entity),"
            " (SELECT count(*) FROM registry_vendor),"
            " (SELECT count(*) FROM registry_contract),"
            " (SELECT count(*) FROM registry_riskassessment)"
        )
        entities, vendors, contracts, assessments = cursor.fetchone()
    upload.refresh_from_db()
    return {
        "file": name,
        "file_mb": round(len(content) / 1024 / 1024, 2),
        "rows": upload.counts.get("rows", 0),
        "counts": upload.counts,
        "applied": applied,
        "dry_run_seconds": round(dry_seconds, 2),
        "apply_seconds": round(commit_moment - started, 2),
        "recheck_after_commit_seconds": round(done - commit_moment, 2),
        # This process's own CPU time (the database server's is not in it): with other work
        # on the machine, the wall-clock figures above are mostly waiting for a core.
        "dry_run_cpu_seconds": round(dry_cpu, 2),
        "apply_and_recheck_cpu_seconds": round(apply_cpu, 2),
        "registry_after": {
            "entities": entities,
            "vendors": vendors,
            "contracts": contracts,
            "assessments": assessments,
        },
    }


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.spreadsheet", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rows", type=int, default=10_000, help="rows of each file")
    parser.add_argument("--profile", action="store_true", help="write cProfile stats")
    parser.add_argument("--output", type=Path, default=RESULTS / "spreadsheet.json")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    return args


def _verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "FAIL"


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    url = os.environ.get("BENCH_SPREADSHEET_DATABASE_URL", DEFAULT_DATABASE_URL)
    database = BenchDatabase(url, Spec())
    RESULTS.mkdir(parents=True, exist_ok=True)
    print(f"Writing three files of {args.rows:,} rows …", file=sys.stderr)
    files = {
        "vendors": vendors_csv(args.rows),
        "contracts": contracts_xlsx(args.rows),
        "bad": vendors_csv(args.rows, bad=True),
    }
    database.recreate(database.name)
    # No broker: the recheck runs in this process after commit, as without Redis; its
    # progress lines would bury the report.
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    _configure_django(url, None, "vr-bench-spreadsheet")
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from registry.roles import PROCUREMENT

    call_command("migrate", verbosity=0, interactive=False)
    buyer = User.objects.create_user("bench-buyer", "buyer@example.com", "bench")
    buyer.groups.add(Group.objects.get(name=PROCUREMENT))
    profile_dir = RESULTS if args.profile else None
    load_before = _load_average()
    print("Vendors (CSV) …", file=sys.stderr)
    vendors = _measure("vendors.csv", files["vendors"], "vendors", buyer, profile_dir=profile_dir)
    print("Contracts (XLSX) …", file=sys.stderr)
    contracts = _measure(
        "contracts.xlsx", files["contracts"], "contracts", buyer, profile_dir=profile_dir
    )
    print("Bad rows (CSV) …", file=sys.stderr)
    bad = _measure("bad.csv", files["bad"], "vendors", buyer, profile_dir=profile_dir)
    results = {
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "rows": args.rows,
        "database": database.name,
        "load_average_before": load_before,
        "load_average_after": _load_average(),
        "vendors": vendors,
        "contracts": contracts,
        "bad": bad,
    }
    results["bad_changed_nothing"] = (
        not bad["applied"] and bad["registry_after"] == contracts["registry_after"]
    )
    results["targets"] = [
        {
            "name": "vendors: dry run + apply",
            "target": f"< {TARGET_APPLY_SECONDS} s",
            "measured": f"{vendors['dry_run_seconds'] + vendors['apply_seconds']:.1f} s",
            "verdict": _verdict(
                vendors["dry_run_seconds"] + vendors["apply_seconds"], TARGET_APPLY_SECONDS
            ),
        },
        {
            "name": "contracts: dry run + apply",
            "target": f"< {TARGET_APPLY_SECONDS} s",
            "measured": f"{contracts['dry_run_seconds'] + contracts['apply_seconds']:.1f} s",
            "verdict": _verdict(
                contracts["dry_run_seconds"] + contracts["apply_seconds"], TARGET_APPLY_SECONDS
            ),
        },
        {
            "name": "bad rows: dry run + refused apply",
            "target": f"< {TARGET_BAD_SECONDS} s",
            "measured": f"{bad['dry_run_seconds'] + bad['apply_seconds']:.1f} s",
            "verdict": _verdict(bad["dry_run_seconds"] + bad["apply_seconds"], TARGET_BAD_SECONDS)
            if results["bad_changed_nothing"]
            else "FAIL",
        },
    ]
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))
    return 0


def report(results: dict) -> str:
    lines = [
        "",
        f"Spreadsheet import of {results['rows']:,} rows a file, load average "
        f"{results['load_average_before']} before, {results['load_average_after']} after",
        f"{'file':<18}{'rows':>8}{'errors':>8}{'dry run s':>11}{'apply s':>9}{'recheck s':>11}"
        f"{'rows/s':>9}{'cpu s dry / apply+recheck':>28}",
    ]
    for name in ("vendors", "contracts", "bad"):
        run = results[name]
        seconds = run["dry_run_seconds"] + run["apply_seconds"]
        lines.append(
            f"  {run['file']:<16}{run['rows']:>8}{run['counts'].get('error', 0):>8}"
            f"{run['dry_run_seconds']:>11}{run['apply_seconds']:>9}"
            f"{run['recheck_after_commit_seconds']:>11}"
            f"{round(run['rows'] / seconds) if seconds else '—':>9}"
            f"{run['dry_run_cpu_seconds']:>14} / {run['apply_and_recheck_cpu_seconds']}"
        )
        lines.append(f"    applied {run['applied']}, registry after {run['registry_after']}")
    lines.append(f"  bad rows changed nothing: {results['bad_changed_nothing']}")
    lines.append("")
    lines.extend(target_lines(results["targets"], name_width=36))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
