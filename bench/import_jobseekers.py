"""Benchmark of the job-seeker import on a realistic CSV file.

    python -m bench.import_jobseekers --rows 100000 [--database-url URL] [--seed 1] [--json] [--profile]

Writes a CSV of ``--rows`` people from a seeded synthetic register (app.jobseekers.synthetic,
planted duplicates included) in the importer's columns: birth dates as dates or years,
phones as agents type them, national IDs with or without spaces, regions by name or code,
occupations as ROAME codes or free-text titles (then coded by the occupation coder), and
a few bad rows. It then imports the file into a fresh database (a temporary SQLite file,
or a schema of its own on the PostgreSQL server ``--database-url`` names) through the
path of ``flask jobseekers import`` (``read_table``, ``import_jobseekers``, one commit),
and imports it a second time, which must create nobody.

Printed: rows per second and seconds of each import, the created / updated / unchanged /
rejected counts and the commonest rejection reasons, and the peak resident set size of
the whole process (the generated register included). The first import builds the
occupation coder, as a fresh ``flask jobseekers import`` does; the second reuses it, as
a long-lived worker would. ``--profile`` prints the first import's cProfile top to stderr.
"""
from __future__ import annotations

import argparse
import cProfile
import csv
import json
import pstats
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from flask_babel import force_locale

from app.auth.models import Agency
from app.extensions import db
from app.jobseekers import importer
from app.jobseekers.dedup import Person
from app.jobseekers.models import JobSeeker
from app.jobseekers.synthetic import generate
from bench.database import counting_statements, create_agencies, fresh_database, peak_rss_mb
from bench.register import (
    CALLING_CODES, AgencyPlan, OccupationPool, PhoneBook, as_typed, country_of, regions,
)

#: Share of rows with one planted mistake (an impossible date, a short phone, an unknown region).
ERROR_RATE = 0.005
#: Agencies of each country in the file (a third of them in the capital).
AGENCIES_PER_COUNTRY = 4
#: The PostgreSQL schema this benchmark drops and recreates.
SCHEMA = "bench_jobseekers_import"
SEX_SPELLINGS = {"M": ("M", "M", "M", "H", "Homme"), "F": ("F", "F", "F", "Femme", "F")}


class _RowMaker:
    """Turns synthetic people into CSV rows the way PES files are filled in."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.phones = PhoneBook(rng)
        self.occupations = OccupationPool(rng)
        self.plans: dict[str, AgencyPlan] = {}
        self.regions: dict[str, list[tuple[str, str]]] = {}

    def row(self, person: Person) -> list[str]:
        rng = self.rng
        country = country_of(person, rng)
        if country not in self.plans:
            self.plans[country] = AgencyPlan.build(country, AGENCIES_PER_COUNTRY)
            self.regions[country] = regions(country)
        agency = self.plans[country].pick(rng)
        row = [person.id, person.last_name, person.first_names, self._sex(person.sex), self._birth(person),
               self._phones(person, country), self._national_id(person.national_id),
               self._region(agency, country), self._occupation(), agency]
        if rng.random() < ERROR_RATE:
            column, value = rng.choice((("birth_date", "31/02/1990"), ("phone", "12345"), ("region", "Atlantide")))
            row[importer.REQUIRED.index(column)] = value
        return row

    def _sex(self, sex: str | None) -> str:
        return self.rng.choice(SEX_SPELLINGS[sex]) if sex else ""

    def _birth(self, person: Person) -> str:
        if person.birth_date:
            born = person.birth_date
            return born.isoformat() if self.rng.random() < 0.6 else born.strftime("%d/%m/%Y")
        return str(person.birth_year) if person.birth_year else ""

    def _phones(self, person: Person, country: str) -> str:
        # A foreign number stays in its own country (people move); typed as agents do.
        numbers = [self.phones.valid(p, CALLING_CODES.get(p[:4], country)) for p in person.phones]
        return ", ".join(as_typed(n, self.rng) for n in numbers)

    def _national_id(self, value: str | None) -> str:
        if not value or self.rng.random() < 0.8:
            return value or ""
        return " ".join(value[i:i + 4] for i in range(0, len(value), 4))

    def _region(self, agency: str, country: str) -> str:
        code = agency.rsplit("-", 1)[0]
        if self.rng.random() < 0.15:
            code = self.rng.choice(self.regions[country])[0]
        name = dict(self.regions[country])[code]
        r = self.rng.random()
        return name if r < 0.6 else code if r < 0.8 else name.upper()

    def _occupation(self) -> str:
        r = self.rng.random()
        if r < 0.45:
            return self.occupations.code()
        return self.occupations.title() if r < 0.95 else ""


def write_file(rows: int, seed: int, path: Path) -> list[str]:
    """Write the CSV; return the agency codes it uses."""
    people = generate(rows, seed=seed).people[:rows]
    maker = _RowMaker(random.Random(seed))
    agencies: set[str] = set()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(importer.REQUIRED)
        for person in people:
            row = maker.row(person)
            agencies.add(row[-1])
            writer.writerow(row)
    return sorted(agencies)


def _reason(message: str) -> str:
    """A rejection message without its row-specific values, to count reasons."""
    return re.sub(r"\d[\d/+. -]*\d|\d", "#", message)[:90]


def timed_import(path: Path, profile: bool = False) -> dict:
    """One import as ``flask jobseekers import`` runs it: read, import, commit."""
    profiler = cProfile.Profile() if profile else None
    start, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    frame = importer.read_table(path, path.name)
    read = time.perf_counter() - start
    agencies = list(db.session.scalars(sa.select(Agency)))
    with counting_statements(db.engine) as statements:
        report = importer.import_jobseekers(frame, agencies)
        db.session.commit()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if profiler:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    reasons = Counter(_reason(e.message) for e in report.errors)
    return {
        "rows": report.total,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "read_seconds": round(read, 2),
        "rows_per_s": round(report.total / seconds),
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": len(report.errors),
        "statements_per_row": round(statements[0] / max(report.total, 1), 2),
        "reasons": dict(reasons.most_common(6)),
    }


def run(rows: int, seed: int, database_url: str | None, schema: str, profile: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="pes-import-") as directory:
        path = Path(directory) / "jobseekers.csv"
        start = time.perf_counter()
        codes = write_file(rows, seed, path)
        generation = time.perf_counter() - start
        size = path.stat().st_size
        with fresh_database(database_url, schema) as bench, bench.app.app_context(), force_locale("en"):
            create_agencies(codes)
            db.session.commit()
            rss_before = peak_rss_mb()
            first = timed_import(path, profile)
            second = timed_import(path)
            stored = db.session.scalar(sa.select(sa.func.count()).select_from(JobSeeker))
    return {
        "backend": bench.backend,
        "database": bench.where,
        "rows": rows,
        "seed": seed,
        "agencies": len(codes),
        "file_mb": round(size / 2**20, 1),
        "generation_seconds": round(generation, 1),
        "first": first,
        "second": second,
        "stored": stored,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "peak_rss_before_import_mb": round(rss_before, 1),
    }


def _print(result: dict) -> None:
    print(f"backend      {result['backend']} ({result['database']}), {result['agencies']} agencies, "
          f"seed {result['seed']}")
    print(f"file         {result['file_mb']} MB, generated in {result['generation_seconds']} s")
    for name in ("first", "second"):
        r = result[name]
        print(f"{name + ' import':<13}{r['rows']:>8,} rows  {r['seconds']:>8.2f} s  {r['rows_per_s']:>7,} rows/s"
              f"   (CPU {r['cpu_seconds']:.2f} s, read_table {r['read_seconds']:.2f} s, "
              f"{r['statements_per_row']} statements/row)")
        print(f"{'':13}created {r['created']:,}, updated {r['updated']:,}, unchanged {r['unchanged']:,}, "
              f"rejected {r['rejected']:,}")
        for reason, n in r["reasons"].items():
            print(f"{'':15}{n:>6,}  {reason}")
    print(f"stored       {result['stored']:>8,} job-seekers after both imports")
    print(f"peak RSS     {result['peak_rss_mb']:>8.1f} MB (whole process; "
          f"{result['peak_rss_before_import_mb']:.1f} MB before the first import)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_jobseekers",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the file (default 10,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: a temporary SQLite file)")
    parser.add_argument("--schema", default=SCHEMA, help="PostgreSQL schema to drop and recreate")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--profile", action="store_true", help="cProfile the first import (slower)")
    args = parser.parse_args(argv)
    result = run(args.rows, args.seed, args.database_url, args.schema, args.profile)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
