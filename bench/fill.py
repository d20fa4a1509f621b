"""Bulk filling of the job-seeker tables with one country's register, for the search benchmark.

The people come from a seeded synthetic register (app.jobseekers.synthetic), placed in one
country as a national PES holds them: spread over agencies (most in the capital), in the
region of their agency or another one, with statuses, phones, name keys and one to three
occupations. Rows go in by batches with the secondary indexes dropped, then the indexes
are built as the schema defines them: loading a million people through the importer
would take hours and measure the importer, not the search.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from app.auth.models import Region
from app.extensions import db
from app.jobseekers import dedup
from app.jobseekers.dedup import Person
from app.jobseekers.identity import clean_name, search_key
from app.jobseekers.models import JobSeeker, JobSeekerNameKey, JobSeekerOccupation, JobSeekerPhone
from app.jobseekers.synthetic import generate
from bench.database import create_agencies
from bench.register import AgencyPlan, OccupationPool, PhoneBook, regions

COUNTRY = "SN"
AGENCIES = 30
BATCH = 20_000
STATUSES = (("active", 70), ("placed", 10), ("inactive", 15), ("suspended", 5))
ANONYMISED_SHARE = 0.005
NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)
TABLES = (JobSeeker.__table__, JobSeekerPhone.__table__, JobSeekerNameKey.__table__, JobSeekerOccupation.__table__)


@dataclass
class FilledRegister:
    """What the search benchmark needs to know about the register it got."""

    largest_agency_id: int
    head_office_id: int
    summary: dict[str, Any] = field(default_factory=dict)


def _defaults(table: sa.Table) -> dict[str, Any]:
    """Every column's default, so that columns added to the model later still get a value."""
    out: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if default is None:
            out[column.name] = None
        elif default.is_callable:
            out[column.name] = default.arg(None)
        else:
            out[column.name] = default.arg
    return out


class _Rows:
    """Rows of the four tables for synthetic people, ids dealt in order from 1."""

    def __init__(self, rng: random.Random, agencies: dict[str, int], plan: AgencyPlan, region_ids: dict[str, int]):
        self.rng = rng
        self.agencies = agencies
        self.plan = plan
        self.region_ids = region_ids
        self.phones = PhoneBook(rng, validate=False)
        self.occupations = OccupationPool(rng)
        self.defaults = _defaults(JobSeeker.__table__)
        self.sequences: dict[tuple[str, int], int] = {}
        self.national_ids: set[str] = set()
        self.names: dict[tuple[str, str], tuple[str, str, str, list[str]]] = {}
        self.statuses = [s for s, _ in STATUSES]
        self.status_weights = [w for _, w in STATUSES]
        self.next_phone_id = self.next_occupation_id = 1

    def _name(self, person: Person) -> tuple[str, str, str, list[str]]:
        # Names repeat a lot (that is the point of the synthetic pools): key them once.
        pair = (person.last_name, person.first_names)
        if pair not in self.names:
            last, first = clean_name(person.last_name), clean_name(person.first_names)
            self.names[pair] = (last, first, search_key(last, first), sorted(dedup.name_keys(last, first)))
        return self.names[pair]

    def batch(self, people: list[Person], first_id: int) -> tuple[list[dict], ...]:
        seekers, phones, keys, occupations = [], [], [], []
        for offset, person in enumerate(people):
            seeker_id = first_id + offset
            seekers.append(self._seeker(seeker_id, person))
            for number in dict.fromkeys(self.phones.valid(p, COUNTRY) for p in person.phones):
                phones.append({"id": self.next_phone_id, "jobseeker_id": seeker_id, "number": number})
                self.next_phone_id += 1
            keys.extend({"jobseeker_id": seeker_id, "key": k} for k in self._name(person)[3])
            codes = dict.fromkeys(self.occupations.code() for _ in range(self.rng.choice((1, 1, 1, 2, 2, 3))))
            for rank, code in enumerate(codes, start=1):
                occupations.append({"id": self.next_occupation_id, "jobseeker_id": seeker_id, "rank": rank,
                                    "occupation_code": code, "title": "", "years_experience": None})
                self.next_occupation_id += 1
        return seekers, phones, keys, occupations

    def _seeker(self, seeker_id: int, person: Person) -> dict[str, Any]:
        rng = self.rng
        agency = self.plan.pick(rng)
        region = agency.rsplit("-", 1)[0] if rng.random() < 0.9 else rng.choice(list(self.region_ids))
        created = NOW - timedelta(days=rng.randrange(10 * 365))
        sequence = self.sequences[(agency, created.year)] = self.sequences.get((agency, created.year), 0) + 1
        # The register has one person per national ID: planted duplicates lose theirs.
        national_id = person.national_id if person.national_id not in self.national_ids else None
        if national_id:
            self.national_ids.add(national_id)
        last, first, key, _ = self._name(person)
        row = dict(self.defaults)
        row.update(
            id=seeker_id, registration_number=f"{agency}-{created.year}-{sequence:06d}", external_id=person.id,
            country_code=COUNTRY, agency_id=self.agencies[agency], last_name=last, first_names=first,
            search_name=key, sex=person.sex, birth_date=person.birth_date,
            birth_year=person.birth_date.year if person.birth_date else person.birth_year, nationality=COUNTRY,
            national_id_type="cni" if national_id else None, national_id=national_id,
            region_id=self.region_ids[region], status=rng.choices(self.statuses, weights=self.status_weights)[0],
            last_confirmed_at=NOW - timedelta(days=rng.randrange(365)), created_at=created, updated_at=created,
            anonymised_at=NOW if rng.random() < ANONYMISED_SHARE else None,
        )
        return row


def _insert(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """COPY on PostgreSQL (psycopg 3), a Core executemany elsewhere."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    names = list(rows[0])
    columns = ", ".join(f'"{n}"' for n in names)
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[n] for n in names])


def _analyze(backend: str) -> None:
    if backend == "postgresql":
        # VACUUM cannot run in a transaction; it also sets the visibility map that
        # index-only scans (the counts) rely on, as autovacuum would in production.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in TABLES:
                connection.exec_driver_sql(f'VACUUM ANALYZE "{table.name}"')
    else:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


def _reset_sequences(connection: sa.Connection) -> None:
    for table in (JobSeeker.__table__, JobSeekerPhone.__table__, JobSeekerOccupation.__table__):
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM \"{table.name}\"))")


def fill_register(rows: int, seed: int, analyze: bool) -> FilledRegister:
    """Fill the tables with ``rows`` people of :data:`COUNTRY`; commit.

    :param analyze: gather planner statistics afterwards (VACUUM ANALYZE on PostgreSQL).
    """
    start = time.perf_counter()
    people = generate(rows, seed=seed).people[:rows]
    generation = time.perf_counter() - start
    plan = AgencyPlan.build(COUNTRY, AGENCIES)
    agencies = {a.code: a.id for a in create_agencies(plan.codes)}
    region_ids = {code: db.session.scalar(sa.select(Region.id).where(Region.code == code))
                  for code, _ in regions(COUNTRY)}
    db.session.commit()
    backend = db.engine.dialect.name
    maker = _Rows(random.Random(seed), agencies, plan, region_ids)
    counts = dict.fromkeys((t.name for t in TABLES), 0)
    indexes = [index for table in TABLES for index in table.indexes]
    start = time.perf_counter()
    with db.engine.begin() as connection:
        for index in indexes:
            index.drop(connection)
        for first in range(0, len(people), BATCH):
            for table, batch in zip(TABLES, maker.batch(people[first:first + BATCH], first + 1)):
                _insert(connection, table, batch)
                counts[table.name] += len(batch)
        loaded = time.perf_counter()
        for index in indexes:
            index.create(connection)
        if backend == "postgresql":
            _reset_sequences(connection)
    indexed = time.perf_counter()
    if analyze:
        _analyze(backend)
    done = time.perf_counter()
    largest = agencies[plan.codes[0]]
    largest_people = db.session.scalar(sa.select(sa.func.count()).where(JobSeeker.agency_id == largest))
    summary = {
        "people": counts["jobseekers"], "phones": counts["jobseeker_phones"],
        "name_keys": counts["jobseeker_name_keys"], "occupations": counts["jobseeker_occupations"],
        "agencies": len(agencies), "largest_agency_people": largest_people,
        "generation_seconds": round(generation, 1), "seconds": round(done - start, 1),
        "insert_seconds": round(loaded - start, 1), "index_seconds": round(indexed - loaded, 1),
        "analyze_seconds": round(done - indexed, 1), "analyzed": analyze,
        "rows_per_s": round(counts["jobseekers"] / (loaded - start)),
    }
    return FilledRegister(largest, largest, summary)
