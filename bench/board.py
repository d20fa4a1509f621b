"""Benchmark of the public job board on one country's open offers (100,000 by default).

    python -m bench.board --offers 100000 [--database-url URL] [--runs 15] [--analyze] [--try-index] [--json]

Fills a fresh database (a temporary SQLite file, or a schema of its own on the PostgreSQL
server ``--database-url`` names) by SQLAlchemy Core bulk inserts: ``--offers`` open offers in
Senegal, national and international, over the whole reference, published over the last 90
days, plus a quarter as many that the board must skip (drafts, closed, expired or past their
closing date) and a tenth as many in Mali. PostgreSQL is analysed after the load, as its
autovacuum would be; SQLite only with ``--analyze``, as the application never runs ANALYZE.

Then, for each search of ``SEARCHES``, it times what the index page runs: the page of 25
offers with their employer, occupation and region, as ``db.paginate`` loads it, and the count
``db.paginate`` runs beside it; and the whole page through the test client (rendering
included). Printed: the median of ``--runs`` runs each, in milliseconds, after one untimed
run. ``--try-index`` then applies ``CANDIDATE_INDEXES`` and times everything again.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.auth.models import Region
from app.config import Config
from app.extensions import db
from app.offers.board_search import MAX_PAGES, BoardFilters, build_query, list_options
from app.offers.models import ContractType, Employer, Offer
from app.reference.models import Occupation
from bench.database import create_agencies, fresh_database, percentile

SCHEMA = "bench_board"
COUNTRY, OTHER_COUNTRY = "SN", "ML"
PER_PAGE = Config.ITEMS_PER_PAGE
BATCH = 10_000
TODAY = date.today()
NOW = datetime.now(timezone.utc)
DESTINATIONS = ("FR", "ES", "IT", "DE", "CA", "MA", "SA", "AE", "QA", "CI", "GA")
SKIPPED_STATUSES = ("draft", "submitted", "closed", "filled", "expired", "rejected")
#: What ``--try-index`` changes: an index in the board's order, so that a page walks 25 offers instead
#: of sorting all of them; and ``ix_offers_open`` widened (same leading columns) to every column a
#: filter reads, so that SQLite counts from the index alone, without ANALYZE.
CANDIDATE_INDEXES = (
    "CREATE INDEX ix_offers_board ON offers (country_code, status, published_at, id)",
    "DROP INDEX ix_offers_open",
    "CREATE INDEX ix_offers_open ON offers (country_code, status, closing_date, international, occupation_code, "
    "region_id, destination_country, contract_type)",
)
#: Name → (the board's filters, the query string of the same search); ``{pages}`` is the last
#: page the board serves (``MAX_PAGES``).
SEARCHES: dict[str, tuple[dict, str]] = {
    "first page": ({}, ""),
    "page 2": ({}, "page=2"),
    "last page (40)": ({}, "page={pages}"),
    "occupation F1703": ({"occupation_codes": ("F1703",)}, "occupation=F1703"),
    "words 'maçon'": ({"occupation_codes": ("F1703",)}, "occupation=ma%C3%A7on"),
    "grand domain N": ({"domain": "N"}, "domain=N"),
    "region, national": ({"region_id": "{region}", "scope": "national"}, "region={region}&scope=national"),
    "abroad, seasonal": ({"scope": "international", "contract_type": "seasonal"},
                         "scope=international&contract=seasonal"),
    "destination CA": ({"destination": "CA"}, "destination=CA"),
}


def _offer_rows(rng: random.Random, count: int, start: int, country: str, open_: bool, refs: dict) -> list[dict]:
    """``count`` offers numbered from ``start``; ``refs`` holds the ids the rows point to."""
    contracts = [kind.value for kind in ContractType]
    rows = []
    for number in range(start, start + count):
        abroad = rng.random() < 0.15
        status = "published" if open_ else rng.choice(SKIPPED_STATUSES + ("published",))
        closing = TODAY + timedelta(days=rng.randint(0, 60)) if rng.random() < 0.8 else None
        if status == "published" and not open_:
            closing = TODAY - timedelta(days=rng.randint(1, 60))  # published but past its closing date
        rows.append({
            "reference": f"{country}-B-{number:07d}", "employer_id": rng.choice(refs["employers"]),
            "country_code": country, "status": status, "occupation_code": rng.choice(refs["occupations"]),
            "job_title": f"Offre {number}", "description": "Description de l'offre. " * rng.randint(2, 30),
            "contract_type": rng.choice(contracts), "international": abroad,
            "destination_country": rng.choice(DESTINATIONS) if abroad else None,
            "region_id": None if abroad else rng.choice(refs["regions"][country]), "city": "Ville",
            "salary_min": rng.randint(60, 400) * 1000, "salary_currency": "XOF", "salary_period": "month",
            "closing_date": closing,
            "published_at": NOW - timedelta(minutes=rng.randint(0, 90 * 24 * 60)) if status != "draft" else None,
        })
    return rows


def fill(offers: int, seed: int, analyze: bool) -> dict:
    """Employers and offers by Core bulk inserts, in batches; returns counts and seconds."""
    rng = random.Random(seed)
    start = time.perf_counter()
    create_agencies(["SN-DK-01", "ML-BKO-01"])
    db.session.execute(sa.insert(Employer.__table__), [
        {"name": f"Entreprise {n}", "country_code": COUNTRY if n % 10 else OTHER_COUNTRY} for n in range(1, 2001)])
    refs = {
        "employers": list(db.session.scalars(sa.select(Employer.id).order_by(Employer.id))),
        "occupations": list(db.session.scalars(sa.select(Occupation.code).order_by(Occupation.code))),
        "regions": {c: list(db.session.scalars(sa.select(Region.id).where(Region.country_code == c)
                                               .order_by(Region.code))) for c in (COUNTRY, OTHER_COUNTRY)},
    }
    plan = [(COUNTRY, True, offers), (COUNTRY, False, offers // 4), (OTHER_COUNTRY, True, offers // 10)]
    number = 1
    for country, open_, total in plan:
        for done in range(0, total, BATCH):
            rows = _offer_rows(rng, min(BATCH, total - done), number, country, open_, refs)
            db.session.execute(sa.insert(Offer.__table__), rows)
            number += len(rows)
    db.session.commit()
    if analyze:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    return {"open": offers, "skipped": offers // 4, "other_country": offers // 10,
            "seconds": round(time.perf_counter() - start, 1)}


def _filters(values: dict, region: int) -> BoardFilters:
    values = {key: region if value == "{region}" else value for key, value in values.items()}
    return BoardFilters(country=COUNTRY, **values)


def _time_query(filters: BoardFilters, page: int) -> tuple[float, float, int]:
    """Milliseconds of the page and of the count, as the index page runs them, and the count."""
    query = build_query(filters, TODAY)
    start = time.perf_counter()
    items = db.paginate(query.options(*list_options()), page=page, per_page=PER_PAGE, error_out=False,
                        count=False).items
    page_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    # What Flask-SQLAlchemy's SelectPagination._query_count runs.
    total = db.session.scalar(sa.select(sa.func.count()).select_from(
        query.options(so.lazyload("*")).order_by(None).subquery()))
    count_ms = (time.perf_counter() - start) * 1000
    assert len(items) <= PER_PAGE
    db.session.remove()  # each run starts with an empty identity map, as a request does
    return page_ms, count_ms, total


def _time_page(client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return (time.perf_counter() - start) * 1000


def time_searches(app, runs: int, region: int, pages: int) -> dict[str, dict]:
    """Median milliseconds of query, count and whole page per search (one untimed run first)."""
    out = {}
    client = app.test_client()
    for name, (values, args) in SEARCHES.items():
        url = "/jobs/?country=SN&" + args.format(region=region, pages=pages)
        page = int(args.split("page=")[1].format(pages=pages)) if "page=" in args else 1
        filters = _filters(values, region)
        with app.app_context():
            _time_query(filters, page)
            timed = [_time_query(filters, page) for _ in range(runs)]
        _time_page(client, url)
        whole = [_time_page(client, url) for _ in range(runs)]
        out[name] = {"query_ms": round(statistics.median(t[0] for t in timed), 1),
                     "count_ms": round(statistics.median(t[1] for t in timed), 1),
                     "page_ms": round(statistics.median(whole), 1), "page_p95_ms": round(percentile(whole, 0.95), 1),
                     "found": timed[0][2]}
    return out


def run(offers: int, seed: int, runs: int, database_url: str | None, analyze: bool, try_index: bool) -> dict:
    result: dict = {"offers": offers, "seed": seed, "runs": runs}
    with fresh_database(database_url, SCHEMA) as bench:
        analyze = analyze or bench.backend == "postgresql"
        result.update(backend=bench.backend, database=bench.where, analyzed=analyze)
        with bench.app.app_context():
            result["fill"] = fill(offers, seed, analyze)
            region = db.session.scalar(sa.select(Region.id).where(Region.code == "SN-TH"))
        pages = min(MAX_PAGES, -(-offers // PER_PAGE))
        result["before"] = time_searches(bench.app, runs, region, pages)
        if try_index:
            with bench.app.app_context(), db.engine.begin() as connection:
                for ddl in CANDIDATE_INDEXES:
                    connection.exec_driver_sql(ddl)
                if analyze:
                    connection.exec_driver_sql("ANALYZE offers")
            result["indexes"] = CANDIDATE_INDEXES
            result["after"] = time_searches(bench.app, runs, region, pages)
    return result


def _print_table(title: str, timings: dict[str, dict]) -> None:
    print(title)
    print(f"  {'search':<20}{'query ms':>10}{'count ms':>10}{'page ms':>10}{'p95 ms':>9}{'found':>10}")
    for name, t in timings.items():
        print(f"  {name:<20}{t['query_ms']:>10.1f}{t['count_ms']:>10.1f}{t['page_ms']:>10.1f}"
              f"{t['page_p95_ms']:>9.1f}{t['found']:>10,}")


def _print(result: dict) -> None:
    fill_ = result["fill"]
    analysed = "analysed" if result["analyzed"] else "not analysed"
    print(f"backend   {result['backend']} ({result['database']}, {analysed}), seed {result['seed']}")
    print(f"offers    {fill_['open']:,} open in {COUNTRY}, {fill_['skipped']:,} the board skips, "
          f"{fill_['other_country']:,} in {OTHER_COUNTRY}; filled in {fill_['seconds']:.0f} s")
    _print_table(f"medians of {result['runs']} runs: page query (25 offers + relations), count, "
                 "whole page through the test client, and its p95:", result["before"])
    if "after" in result:
        print("candidate indexes:")
        for ddl in result["indexes"]:
            print(f"  {ddl};")
        _print_table("with them:", result["after"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.board", description=__doc__.split("\n\n")[0])
    parser.add_argument("--offers", type=int, default=100_000, help="open offers in the country (default 100,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=15, help="timed runs per search (default 15)")
    parser.add_argument("--database-url", help="a PostgreSQL URL (default: a temporary SQLite file)")
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE on SQLite too")
    parser.add_argument("--try-index", action="store_true", help="time again with CANDIDATE_INDEXES")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = run(args.offers, args.seed, args.runs, args.database_url, args.analyze, args.try_index)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
