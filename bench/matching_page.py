"""Benchmark of the "find candidates" page, end to end, on a database of one country.

    python -m bench.matching_page --seekers 100000 --offers 10000 [--database-url URL] [--runs 40] [--json]

Fills a fresh database (a temporary SQLite file, or a schema of its own on the PostgreSQL
server ``--database-url`` names) with the seeded synthetic register of the engine benchmark
(``app.matching.synthetic``), by SQLAlchemy Core bulk inserts: people with their occupations,
skills, languages, mobility and consent, employers and offers with their skills and languages.

Then it measures, as a worker lives it:

* ``load_s``: the first match of the country, which loads the index from the database;
* the candidates page (``/matching/offers/<id>/candidates``, top 20, through the test client
  with a logged-in counsellor, rendering included) for ``--runs`` sampled open offers:
  median and 95th percentile, after a warm-up;
* the same page right after one person was edited (the worker applies the change log first);
* the find-offers page of a person.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import random
import statistics
import time
from datetime import date, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from app.auth import services as auth_services
from app.auth.models import Region, Role
from app.extensions import db
from app.jobseekers.models import (
    Consent, JobSeeker, JobSeekerLanguage, JobSeekerOccupation, JobSeekerSkill, jobseeker_mobility_countries,
    jobseeker_mobility_regions,
)
from app.matching import services, synthetic
from app.matching.loader import load_reference
from app.offers.models import Employer, Offer, OfferLanguage, OfferSkill
from app.reference.vocab import LANGUAGE_LEVEL_RANK
from bench.database import create_agencies, fresh_database, peak_rss_mb, percentile
from bench.fill import _defaults, _insert

SCHEMA = "bench_matching_page"
COUNTRY = "SN"
BATCH = 20_000
NOW = datetime.now(timezone.utc)
TODAY = date.today()
PASSWORD = "Bench-Page-2026x"
LEVEL_NAMES = {rank: name for name, rank in LANGUAGE_LEVEL_RANK.items()}


def _seeker_rows(register: synthetic.Register, regions: dict[int, int], agencies: list[int]) -> dict[str, list]:
    """Rows of every job-seeker table for the register's people (ids kept)."""
    base = _defaults(JobSeeker.__table__)
    out: dict[str, list] = {name: [] for name in ("people", "occupations", "skills", "languages", "regions",
                                                   "countries", "consents")}
    shift = (TODAY - register.on).days  # dates of the register move to today
    for s in register.seekers:
        row = dict(base)
        row.update(id=s.id, registration_number=f"SN-B-{s.id:07d}", country_code=COUNTRY,
                   agency_id=agencies[s.id % len(agencies)], last_name=f"NOM{s.id}", first_names="Prénom",
                   search_name=f"nom{s.id} prenom", region_id=regions.get(s.region), status="active" if s.active
                   else "inactive", education_level=str(s.education) if s.education is not None else None,
                   driving_licences=" ".join(sorted(s.licences)), abroad_interest=s.abroad_interest,
                   availability_date=s.available_from + timedelta(days=shift) if s.available_from else None,
                   salary_amount=s.salary, salary_currency=s.currency, salary_period="month" if s.salary else None,
                   last_confirmed_at=NOW, created_at=NOW, updated_at=NOW)
        out["people"].append(row)
        for rank, occupation in enumerate(s.occupations, 1):
            out["occupations"].append({"jobseeker_id": s.id, "rank": rank, "occupation_code": occupation.fiche,
                                       "title": "", "years_experience": occupation.years})
        out["skills"].extend({"jobseeker_id": s.id, "skill_code": code, "label": ""} for code in sorted(s.skills))
        out["languages"].extend({"jobseeker_id": s.id, "language": code, "level": LEVEL_NAMES[rank]}
                                for code, rank in sorted(s.languages.items()))
        out["regions"].extend({"jobseeker_id": s.id, "region_id": regions[r]} for r in sorted(s.mobility_regions)
                              if r in regions)
        out["countries"].extend({"jobseeker_id": s.id, "country_code": c} for c in sorted(s.mobility_countries))
        if s.consented:
            out["consents"].append({"jobseeker_id": s.id, "purpose": "propose", "notice_version": "2025-01",
                                    "given_at": NOW})
    return out


def _offer_rows(register: synthetic.Register, regions: dict[int, int], employers: list[int], agencies: list[int]
                ) -> dict[str, list]:
    base = _defaults(Offer.__table__)
    out: dict[str, list] = {"offers": [], "skills": [], "languages": []}
    shift = (TODAY - register.on).days
    for o in register.offers:
        row = dict(base)
        row.update(id=o.id, reference=f"SN-O-B-{o.id:06d}", employer_id=employers[o.id % len(employers)],
                   country_code=COUNTRY, agency_id=agencies[o.id % len(agencies)],
                   status="published" if o.open else "closed", occupation_code=o.fiche, job_title=f"Poste {o.id}",
                   positions=2, contract_type="permanent", international=o.international,
                   destination_country=o.destination_country, region_id=regions.get(o.region),
                   salary_min=o.salary_min, salary_max=o.salary_max, salary_currency=o.currency,
                   salary_period="month" if o.currency else None, experience_years=o.experience_years,
                   beginners_ok=o.beginners_ok, education_level=str(o.education) if o.education is not None else None,
                   education_required=o.education_required, driving_licence=o.licence,
                   start_date=o.start_date + timedelta(days=shift) if o.start_date else None,
                   closing_date=TODAY + timedelta(days=60), published_at=NOW, created_at=NOW, updated_at=NOW)
        out["offers"].append(row)
        out["skills"].extend({"offer_id": o.id, "skill_code": s.code, "required": s.required} for s in o.skills)
        out["languages"].extend({"offer_id": o.id, "language": lang.code, "level": LEVEL_NAMES[lang.level],
                                 "required": lang.required} for lang in o.languages)
    return out


def fill(seekers: int, offers: int, seed: int) -> dict[str, Any]:
    start = time.perf_counter()
    register = synthetic.generate(load_reference(), seekers, offers, seed=seed, country=COUNTRY)
    codes = {r.code: r.id for r in db.session.scalars(sa.select(Region).where(Region.country_code == COUNTRY))}
    regions = {i: codes[code] for i, code in register.regions.items() if code in codes}
    agencies = [a.id for a in create_agencies([f"{code}-01" for code in sorted(codes)][:10])]
    db.session.execute(sa.insert(Employer.__table__), [
        {"name": f"Entreprise {n}", "country_code": COUNTRY, "status": "approved", "kind": "national",
         "active": True, "created_at": NOW, "updated_at": NOW} for n in range(1, 501)])
    employers = list(db.session.scalars(sa.select(Employer.id).order_by(Employer.id)))
    db.session.commit()
    tables = {"people": JobSeeker.__table__, "occupations": JobSeekerOccupation.__table__,
              "skills": JobSeekerSkill.__table__, "languages": JobSeekerLanguage.__table__,
              "regions": jobseeker_mobility_regions, "countries": jobseeker_mobility_countries,
              "consents": Consent.__table__, "offers": Offer.__table__, "offer_skills": OfferSkill.__table__,
              "offer_languages": OfferLanguage.__table__}
    counts: dict[str, int] = {}
    connection = db.session.connection()
    for part in range(0, len(register.seekers), BATCH):
        chunk = synthetic.Register(register.seekers[part:part + BATCH], [], register.regions, register.on)
        for name, rows in _seeker_rows(chunk, regions, agencies).items():
            _insert(connection, tables[name], rows)
            counts[name] = counts.get(name, 0) + len(rows)
    rows = _offer_rows(register, regions, employers, agencies)
    for name, key in (("offers", "offers"), ("skills", "offer_skills"), ("languages", "offer_languages")):
        _insert(connection, tables[key], rows[name])
        counts[key] = len(rows[name])
    if connection.dialect.name == "postgresql":
        for table in ("jobseekers", "jobseeker_occupations", "jobseeker_skills", "jobseeker_languages", "consents",
                      "offers", "offer_skills", "offer_languages"):
            connection.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"(SELECT max(id) FROM {table}))")
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as analyse:
            analyse.exec_driver_sql("VACUUM ANALYZE")
    counsellor = auth_services.create_user(username="bench-counsellor", full_name="Bench", role=Role.COUNSELLOR,
                                           password=PASSWORD, agency_id=agencies[0], must_change_password=False)
    db.session.commit()
    open_ids = [o.id for o in register.offers if o.open]
    people = [s.id for s in register.seekers if s.active and s.consented]
    return {"counts": counts, "seconds": round(time.perf_counter() - start, 1), "open_offers": open_ids,
            "people": people, "counsellor": counsellor.username}


def _get(client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    return elapsed


def run(seekers: int, offers: int, seed: int, runs: int, database_url: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {"seekers": seekers, "offers": offers, "seed": seed, "runs": runs}
    rng = random.Random(seed)
    with fresh_database(database_url, SCHEMA) as bench:
        result["backend"] = bench.backend
        with bench.app.app_context():
            filled = fill(seekers, offers, seed)
        result["fill_s"] = filled["seconds"]
        result["rows"] = filled["counts"]
        sample = rng.sample(filled["open_offers"], min(runs, len(filled["open_offers"])))
        bench.app.config["WTF_CSRF_ENABLED"] = False  # the test client posts no token
        client = bench.app.test_client()
        response = client.post("/login", data={"username": filled["counsellor"], "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        client.post("/language", data={"language": "fr"})

        page = "/matching/offers/{}/candidates"
        start = time.perf_counter()
        _get(client, page.format(sample[0]))
        result["first_page_with_load_s"] = round(time.perf_counter() - start, 2)
        with bench.app.app_context():
            entry = bench.app.extensions["matching_indexes"][COUNTRY]
            result["load_s"] = round(entry.build_seconds, 2)
            result["index_mb"] = round(entry.index.nbytes / 1e6, 1)
            result["indexed_people"] = len(entry.index.seekers)
            result["indexed_offers"] = len(entry.index.offers)
        for offer_id in sample[:3]:
            _get(client, page.format(offer_id))
        timings = [_get(client, page.format(offer_id)) for offer_id in sample]
        result["candidates_page_p50_ms"] = round(statistics.median(timings), 1)
        result["candidates_page_p95_ms"] = round(percentile(timings, 0.95), 1)

        # One person edited between two queries: the page applies the change log first.
        after_edit = []
        for offer_id, person in zip(sample[:10], rng.sample(filled["people"], 10)):
            with bench.app.app_context():
                seeker = db.session.get(JobSeeker, person)
                seeker.occupations[0].years_experience = (seeker.occupations[0].years_experience or 0) + 1
                db.session.commit()
            after_edit.append(_get(client, page.format(offer_id)))
        result["candidates_page_after_edit_p50_ms"] = round(statistics.median(after_edit), 1)

        people = rng.sample(filled["people"], min(runs, len(filled["people"])))
        for person in people[:3]:
            _get(client, f"/matching/jobseekers/{person}/offers")
        offers_timings = [_get(client, f"/matching/jobseekers/{person}/offers") for person in people]
        result["offers_page_p50_ms"] = round(statistics.median(offers_timings), 1)
        result["offers_page_p95_ms"] = round(percentile(offers_timings, 0.95), 1)
        result["rss_peak_mb"] = round(peak_rss_mb(), 0)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seekers", type=int, default=100_000)
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL; default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = run(args.seekers, args.offers, args.seed, args.runs, args.database_url)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>36}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
