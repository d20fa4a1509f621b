"""Benchmark of the job-seeker search on a national register (a million people by default).

    python -m bench.search_jobseekers --rows 1000000 [--database-url URL] [--runs 30] [--json]
                                      [--try-indexes] [--keep]

Fills the job-seeker tables of a fresh database (a temporary SQLite file, or a schema of
its own on the PostgreSQL server ``--database-url`` names) with one country's register,
built from a seeded synthetic register (app.jobseekers.synthetic): people, their phones,
name keys and occupations, spread over agencies and regions, with statuses. The rows go
in by bulk inserts (executemany on SQLite, COPY on PostgreSQL), not through the importer,
with the secondary indexes built afterwards, then the tables are analysed (PostgreSQL's
autovacuum would have done so; on SQLite only with ``--analyze``, as the application
itself never runs ANALYZE).

Then it times what the search page runs, for each kind of query (name prefix, misspelt
name, registration number, phone, national ID, occupation code, domain, status and
region): ``build_query`` paged 25 per page with the occupations loaded, as
``db.paginate`` does, and the count ``db.paginate`` runs beside it; as an agent of the
largest agency and as a country-wide manager, ``--runs`` different values per kind.
Printed: median and p95 milliseconds of the page, of the count, and of both, and the
median number of people found. ``--try-indexes`` then creates candidate indexes the
schema lacks, times everything again and prints both, with the DDL.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.auth.models import Role
from app.extensions import db
from app.jobseekers.models import JobSeeker
from app.jobseekers.search import build_query
from app.jobseekers.synthetic import respell, typo
from bench.database import fresh_database, peak_rss_mb, percentile
from bench.fill import COUNTRY, FilledRegister, fill_register
from bench.register import as_typed

#: The PostgreSQL schema this benchmark drops and recreates.
SCHEMA = "bench_jobseekers_search"
PER_PAGE = 25
#: Indexes the schema lacks, tried with ``--try-indexes``: (backend, what for, DDL). SQLite
#: needs none for the prefix (search.py turns it into a GLOB that the existing index serves).
CANDIDATE_INDEXES = [
    # LIKE 'prefix%' can use a b-tree only under the C collation, or with a pattern opclass.
    ("postgresql", "name prefix",
     "CREATE INDEX ix_jobseekers_search_name_pattern ON jobseekers (search_name varchar_pattern_ops)"),
    # The page of a status + region listing read in name order, 25 rows, instead of sorting them all.
    ("postgresql", "status + region, manager",
     "CREATE INDEX ix_jobseekers_region_status_name ON jobseekers (region_id, status, last_name, first_names, id)"),
    ("postgresql", "status + region, agent",
     "CREATE INDEX ix_jobseekers_agency_region_status_name ON jobseekers "
     "(agency_id, region_id, status, last_name, first_names, id)"),
]


@dataclass(frozen=True)
class BenchUser:
    """What ``scope_clause`` reads of a logged-in user, without a users row."""

    id: int
    role: str
    agency_id: int | None
    country_code: str
    employer_id: int | None = None
    is_authenticated: bool = True
    is_active: bool = True


@dataclass(frozen=True)
class Search:
    """One search as the form submits it."""

    q: str = ""
    occupation: str = ""
    status: str = ""
    region_id: int | None = None


def _name_prefix(person: JobSeeker, rng: random.Random) -> Search:
    return Search(q=f"{person.last_name} {person.first_names[:2]}")


def _misspelt(person: JobSeeker, rng: random.Random) -> Search:
    words = f"{person.last_name} {person.first_names}".split()
    for _ in range(10):
        i = rng.randrange(len(words))
        altered = (respell if rng.random() < 0.6 else typo)(words[i], rng)
        if altered.lower() != words[i].lower():
            return Search(q=" ".join(words[:i] + [altered] + words[i + 1:]))
    return Search(q=" ".join(words))


def _registration(person: JobSeeker, rng: random.Random) -> Search:
    return Search(q=person.registration_number.lower() if rng.random() < 0.3 else person.registration_number)


def _phone(person: JobSeeker, rng: random.Random) -> Search:
    return Search(q=as_typed(person.phones[0].number, rng))


def _national_id(person: JobSeeker, rng: random.Random) -> Search:
    return Search(q=person.national_id or "")


def _occupation(person: JobSeeker, rng: random.Random) -> Search:
    return Search(occupation=person.occupations[0].occupation_code)


def _domain(person: JobSeeker, rng: random.Random) -> Search:
    return Search(occupation=person.occupations[0].occupation_code[:3])


def _status_region(person: JobSeeker, rng: random.Random) -> Search:
    return Search(status=person.status, region_id=person.region_id)


#: Query kind → (what a sample person must have, how the search is typed from them).
KINDS: dict[str, tuple[Callable[[JobSeeker], bool], Callable[[JobSeeker, random.Random], Search]]] = {
    "name prefix": (lambda p: True, _name_prefix),
    "misspelt name": (lambda p: True, _misspelt),
    "registration number": (lambda p: True, _registration),
    "phone": (lambda p: bool(p.phones), _phone),
    "national ID": (lambda p: bool(p.national_id), _national_id),
    "occupation code": (lambda p: bool(p.occupations), _occupation),
    "domain": (lambda p: bool(p.occupations), _domain),
    "status + region": (lambda p: p.region_id is not None, _status_region),
}


def sample_searches(user: BenchUser, runs: int, seed: int) -> dict[str, list[Search]]:
    """``runs`` searches per kind, typed from people the user may see, one person each."""
    rng = random.Random(seed)
    query = (sa.select(JobSeeker).where(JobSeeker.anonymised_at.is_(None))
             .options(so.selectinload(JobSeeker.phones), so.selectinload(JobSeeker.occupations)))
    if user.agency_id and user.role == Role.AGENT.value:
        query = query.where(JobSeeker.agency_id == user.agency_id)
    # Random people through random ids: ORDER BY random() would sort the whole register.
    top = db.session.scalar(sa.select(sa.func.max(JobSeeker.id)))
    ids = rng.sample(range(1, top + 1), k=min(top, 60 * runs))
    people = [p for p in db.session.scalars(query.where(JobSeeker.id.in_(ids)))]
    rng.shuffle(people)
    searches = {}
    for kind, (fits, make) in KINDS.items():
        chosen = [p for p in people if fits(p)][:runs]
        searches[kind] = [make(p, rng) for p in chosen]
    db.session.remove()
    return searches


def _time_one(user: BenchUser, search: Search) -> tuple[float, float, int]:
    """Milliseconds of the page and of the count, and the count, as ``db.paginate`` runs them."""
    query = build_query(user, q=search.q, occupation=search.occupation, status=search.status,
                        region_id=search.region_id, default_region=user.country_code)
    start = time.perf_counter()
    items = db.paginate(query.options(so.selectinload(JobSeeker.occupations)), page=1, per_page=PER_PAGE,
                        error_out=False, count=False).items
    page_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    # What Flask-SQLAlchemy's SelectPagination._query_count runs.
    count_query = sa.select(sa.func.count()).select_from(query.options(so.lazyload("*")).order_by(None).subquery())
    total = db.session.execute(count_query).scalar()
    count_ms = (time.perf_counter() - start) * 1000
    assert len(items) <= PER_PAGE
    db.session.remove()  # the next search starts with an empty identity map, as a request does
    return page_ms, count_ms, total


def time_searches(user: BenchUser, searches: dict[str, list[Search]]) -> dict[str, dict]:
    """Median and p95 per kind of query (one untimed run first, for statement caches)."""
    out = {}
    for kind, values in searches.items():
        _time_one(user, values[0])
        runs = [_time_one(user, search) for search in values]
        page = [r[0] for r in runs]
        count = [r[1] for r in runs]
        both = [r[0] + r[1] for r in runs]
        out[kind] = {
            "runs": len(runs),
            "page_median_ms": round(statistics.median(page), 2),
            "count_median_ms": round(statistics.median(count), 2),
            "median_ms": round(statistics.median(both), 2),
            "p95_ms": round(percentile(both, 0.95), 2),
            "found_median": statistics.median(r[2] for r in runs),
        }
    return out


def _users(filled: FilledRegister) -> dict[str, BenchUser]:
    return {
        "agent": BenchUser(1, Role.AGENT.value, filled.largest_agency_id, COUNTRY),
        "manager": BenchUser(2, Role.MANAGER.value, filled.head_office_id, COUNTRY),
    }


def _create_indexes(backend: str) -> list[dict]:
    """Create the candidate indexes of ``backend``, then refresh the planner's statistics."""
    created = []
    for where, purpose, ddl in CANDIDATE_INDEXES:
        if where == backend:
            start = time.perf_counter()
            with db.engine.begin() as connection:
                connection.exec_driver_sql(ddl)
            created.append({"for": purpose, "ddl": ddl, "build_seconds": round(time.perf_counter() - start, 1)})
    if created:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    return created


def run(rows: int, seed: int, runs: int, database_url: str | None, schema: str, analyze: bool,
        try_indexes: bool, keep: bool) -> dict:
    result: dict = {"rows": rows, "seed": seed, "runs": runs}
    with fresh_database(database_url, schema, keep=keep) as bench, bench.app.app_context():
        result.update(backend=bench.backend, database=bench.where)
        filled = fill_register(rows, seed, analyze=analyze or bench.backend == "postgresql")
        result["fill"] = filled.summary
        users = _users(filled)
        searches = {name: sample_searches(user, runs, seed) for name, user in users.items()}
        result["before"] = {name: time_searches(user, searches[name]) for name, user in users.items()}
        if try_indexes:
            result["indexes"] = _create_indexes(bench.backend)
            if result["indexes"]:
                result["after"] = {name: time_searches(user, searches[name]) for name, user in users.items()}
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return result


def _print_table(title: str, timings: dict[str, dict[str, dict]]) -> None:
    print(title)
    print(f"  {'query':<21}{'scope':<9}{'page ms':>9}{'count ms':>10}{'median ms':>11}{'p95 ms':>9}{'found':>9}")
    for kind in KINDS:
        for scope, by_kind in timings.items():
            t = by_kind[kind]
            print(f"  {kind:<21}{scope:<9}{t['page_median_ms']:>9.1f}{t['count_median_ms']:>10.1f}"
                  f"{t['median_ms']:>11.1f}{t['p95_ms']:>9.1f}{t['found_median']:>9,.0f}")


def _print(result: dict) -> None:
    fill = result["fill"]
    print(f"backend   {result['backend']} ({result['database']}), seed {result['seed']}")
    print(f"register  {fill['people']:,} people, {fill['phones']:,} phones, {fill['name_keys']:,} name keys, "
          f"{fill['occupations']:,} occupations, {fill['agencies']} agencies "
          f"(the agent's has {fill['largest_agency_people']:,} people)")
    print(f"fill      {fill['seconds']:.0f} s: insert {fill['insert_seconds']:.0f} s "
          f"({fill['rows_per_s']:,} people/s), indexes {fill['index_seconds']:.0f} s, "
          f"analyze {fill['analyze_seconds']:.0f} s (register generated in {fill['generation_seconds']:.0f} s before)")
    _print_table(f"search, {result['runs']} different values per kind, medians of page (25 rows + occupations) "
                 "and count, p95 of both:", result["before"])
    if "after" in result:
        print("candidate indexes:")
        for index in result["indexes"]:
            print(f"  {index['ddl']};  -- {index['for']}, built in {index['build_seconds']} s")
        _print_table("search with them:", result["after"])
    print(f"peak RSS  {result['peak_rss_mb']:.0f} MB (whole process)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search_jobseekers",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="people in the register (default 100,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=30, help="different values per kind of query (default 30)")
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: a temporary SQLite file)")
    parser.add_argument("--schema", default=SCHEMA, help="PostgreSQL schema to drop and recreate")
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE on SQLite too")
    parser.add_argument("--try-indexes", action="store_true", help="time again with candidate indexes")
    parser.add_argument("--keep", action="store_true", help="leave the database behind")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = run(args.rows, args.seed, args.runs, args.database_url, args.schema, args.analyze,
                 args.try_indexes, args.keep)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
