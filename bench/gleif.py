"""A synthetic GLEIF golden copy, and the time it takes to import it.

    python -m bench.gleif --lei 100000 --rr 20000 --repex 30000 --out /tmp/gleif-bench
    python -m bench.gleif --lei 100000 --out /tmp/gleif-bench --import   # and import it

The files are the golden copy's CSV (the columns GLEIF publishes, in its order), LEI records,
relationship records and reporting exceptions, from a seed: LEIs with their check digits, a
forest of direct consolidations (with a percentage on most), some fund relations and ultimate
parents, and exceptions with every category and reason. ``--import`` imports them in order
into the database of ``DATABASE_URL`` (migrated) as runs of one source, printing per file the
seconds, the records per second and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import time
from pathlib import Path

from stdnum.iso7064 import mod_97_10

_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
COUNTRIES = ["US", "GB", "DE", "FR", "LU", "IE", "NL", "JP", "CN", "CA", "CH", "IT", "ES"]
CATEGORIES = ["GENERAL"] * 8 + ["FUND", "BRANCH"]

LEI_COLUMNS = [
    "LEI",
    "Entity.LegalName",
    "Entity.LegalName.xmllang",
    "Entity.LegalAddress.FirstAddressLine",
    "Entity.LegalAddress.City",
    "Entity.LegalAddress.Country",
    "Entity.LegalAddress.PostalCode",
    "Entity.LegalJurisdiction",
    "Entity.EntityCategory",
    "Entity.EntityStatus",
    "Registration.InitialRegistrationDate",
    "Registration.LastUpdateDate",
    "Registration.RegistrationStatus",
    "Registration.ManagingLOU",
]
RR_COLUMNS = [
    "Relationship.StartNode.NodeID",
    "Relationship.StartNode.NodeIDType",
    "Relationship.EndNode.NodeID",
    "Relationship.EndNode.NodeIDType",
    "Relationship.RelationshipType",
    "Relationship.RelationshipStatus",
    "Relationship.Period.1.startDate",
    "Relationship.Period.1.endDate",
    "Relationship.Period.1.periodType",
    "Relationship.Period.2.startDate",
    "Relationship.Period.2.endDate",
    "Relationship.Period.2.periodType",
    "Relationship.Quantifiers.1.MeasurementMethod",
    "Relationship.Quantifiers.1.QuantifierAmount",
    "Relationship.Quantifiers.1.QuantifierUnits",
    "Registration.InitialRegistrationDate",
    "Registration.LastUpdateDate",
    "Registration.RegistrationStatus",
]
REPEX_COLUMNS = ["LEI", "ExceptionCategory", "ExceptionReason.1", "ExceptionReference.1"]
REASONS = ["NON_PUBLIC", "NATURAL_PERSONS", "NO_LEI", "NO_KNOWN_PERSON", "NON_CONSOLIDATING"]


def lei_of(index: int) -> str:
    """The ``index``-th synthetic LEI (prefix 5493, as a local operating unit's)."""
    body = ""
    number = index
    for _ in range(14):
        number, digit = divmod(number, 36)
        body = _DIGITS[digit] + body
    base = "5493" + body
    return base + mod_97_10.calc_check_digits(base)


def write_lei(path: Path, count: int, rng: random.Random) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        writer.writerow(LEI_COLUMNS)
        for index in range(count):
            country = rng.choice(COUNTRIES)
            writer.writerow(
                [
                    lei_of(index),
                    f"Synthetic Entity {index} Ltd",
                    "en",
                    f"{index % 999 + 1} Main Street",
                    "Springfield",
                    country,
                    "12345",
                    country,
                    rng.choice(CATEGORIES),
                    "ACTIVE" if rng.random() < 0.95 else "INACTIVE",
                    "2014-01-01T00:00:00Z",
                    "2024-03-01T09:00:00Z",
                    "ISSUED" if rng.random() < 0.8 else "LAPSED",
                    "5493001KJTIIGC8Y1R12",
                ]
            )


def write_rr(path: Path, count: int, leis: int, rng: random.Random) -> None:
    """``count`` relationships: children from 1 upward, each consolidated by an earlier LEI
    (a forest, no cycles), one in ten a fund relation and one in ten an ultimate parent."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        writer.writerow(RR_COLUMNS)
        for index in range(count):
            child = 1 + index % (leis - 1)
            parent = rng.randrange(0, child)
            roll = rng.random()
            if roll < 0.1:
                kind = rng.choice(["IS_FUND-MANAGED_BY", "IS_FEEDER_TO"])
            elif roll < 0.2:
                kind = "IS_ULTIMATELY_CONSOLIDATED_BY"
            else:
                kind = rng.choice(["IS_DIRECTLY_CONSOLIDATED_BY"] * 8 + ["IS_SUBFUND_OF"])
            percent = f"{rng.choice([51, 60, 75, 100]):.2f}" if rng.random() < 0.7 else ""
            writer.writerow(
                [
                    lei_of(child),
                    "LEI",
                    lei_of(parent),
                    "LEI",
                    kind,
                    "ACTIVE",
                    "2023-01-01T00:00:00Z",
                    "2023-12-31T00:00:00Z",
                    "ACCOUNTING_PERIOD",
                    "2019-01-01T00:00:00Z",
                    "",
                    "RELATIONSHIP_PERIOD",
                    "ACCOUNTING_CONSOLIDATION" if percent else "",
                    percent,
                    "PERCENTAGE" if percent else "",
                    "2019-05-01T00:00:00Z",
                    "2024-03-01T09:00:00Z",
                    "PUBLISHED",
                ]
            )


def write_repex(path: Path, count: int, leis: int, rng: random.Random) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        writer.writerow(REPEX_COLUMNS)
        for index in range(count):
            category = (
                "DIRECT_ACCOUNTING_CONSOLIDATION_PARENT"
                if index % 2
                else "ULTIMATE_ACCOUNTING_CONSOLIDATION_PARENT"
            )
            writer.writerow([lei_of((index // 2) % leis), category, rng.choice(REASONS), ""])


def generate(out: Path, *, lei: int, rr: int, repex: int, seed: int = 17) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    files = [out / "lei.csv"]
    write_lei(files[0], lei, rng)
    if rr:
        files.append(out / "rr.csv")
        write_rr(files[-1], rr, lei, rng)
    if repex:
        files.append(out / "repex.csv")
        write_repex(files[-1], repex, lei, rng)
    return files


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def import_files(files: list[Path], counts: dict[str, int]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from imports.services import import_format_detect, import_run_create, import_run_execute

    for path in files:
        with path.open("rb") as stream:
            file_format = import_format_detect(stream)
        run = import_run_create(
            source_name="GLEIF bench", file_name=path.name, format=file_format, enqueue=False
        )
        started = time.perf_counter()
        run = import_run_execute(run=run, path=path)
        seconds = time.perf_counter() - started
        records = counts[path.stem]
        print(
            f"{path.name}: {run.status} in {seconds:.1f} s, {records / seconds:,.0f} records/s, "
            f"peak RSS {peak_rss_mb():.0f} MB, counts {run.counts}",
            flush=True,
        )
        if run.status != "done":
            print(run.errors[:5], file=sys.stderr)
            return


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.gleif", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--lei", type=int, default=100_000)
    parser.add_argument("--rr", type=int, default=0)
    parser.add_argument("--repex", type=int, default=0)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--out", type=Path, default=Path("/tmp/gleif-bench"))
    parser.add_argument("--import", dest="do_import", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    files = generate(args.out, lei=args.lei, rr=args.rr, repex=args.repex, seed=args.seed)
    print(f"generated {', '.join(str(f) for f in files)} in {time.perf_counter() - started:.1f} s")
    if args.do_import:
        import_files(files, {"lei": args.lei, "rr": args.rr, "repex": args.repex})


if __name__ == "__main__":
    main()
