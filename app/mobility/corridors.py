"""Figures per migration corridor (the country's dossiers, by destination): dossiers by stage,
departures, placements and returns, by sex and by target occupation. Counts only, never names.

Each measure comes from one grouped query, whatever the number of dossiers. The CSV file is
built apart from the HTTP response (as in indico's ``util/spreadsheets.py``).
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Iterator

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.jobseekers.exports import neutralise
from app.jobseekers.models import JobSeeker
from app.mobility.models import Departure, Dossier, ReturnRecord, Stage, dossier_countries, dossier_occupations

MEASURES = ("dossiers", "departures", "placements", "returns")
MEASURE_TITLES = {
    "dossiers": _l("Dossiers"), "departures": _l("Departures"),
    "placements": _l("Placements"), "returns": _l("Returns"),
}


@dataclass(frozen=True)
class CorridorFilter:
    """Whose figures: the dossiers of ``country``, of one programme, over a period (inclusive)."""

    country: str
    programme_id: int | None = None
    start: date | None = None
    end: date | None = None


@dataclass
class Figures:
    dossiers: int = 0
    departures: int = 0
    placements: int = 0  # departures to a known employer or through an offer
    returns: int = 0

    def add(self, measure: str, count: int) -> None:
        setattr(self, measure, getattr(self, measure) + int(count or 0))


@dataclass
class Corridor:
    """The figures of one destination (``None``: dossiers with no destination chosen yet)."""

    destination: str | None
    totals: Figures = field(default_factory=Figures)
    stages: dict[str, int] = field(default_factory=dict)
    by_sex: dict[str | None, Figures] = field(default_factory=lambda: defaultdict(Figures))
    by_occupation: dict[str | None, Figures] = field(default_factory=lambda: defaultdict(Figures))

    @staticmethod
    def rows(groups: dict[str | None, Figures]) -> list[tuple[str | None, Figures]]:
        """A breakdown in code order, the unknown last."""
        return sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or ""))


@dataclass
class Report:
    corridors: list[Corridor]
    totals: Figures  # each dossier once, whatever its number of destinations
    stages: dict[str, int]


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _dossier_filter(flt: CorridorFilter) -> list[sa.ColumnElement[bool]]:
    clauses = [Dossier.country_code == flt.country]
    if flt.programme_id:
        clauses.append(Dossier.programme_id == flt.programme_id)
    return clauses


def _period(column, flt: CorridorFilter, moments: bool = False) -> list[sa.ColumnElement[bool]]:
    """``column`` within the period; datetimes are compared with midnight UTC of each day."""
    clauses = []
    if flt.start:
        clauses.append(column >= (_moment(flt.start) if moments else flt.start))
    if flt.end:
        clauses.append(column < _moment(flt.end + timedelta(days=1)) if moments else column <= flt.end)
    return clauses


_PLACED = sa.case((sa.or_(Departure.offer_id.is_not(None), sa.func.coalesce(Departure.employer_name, "") != ""), 1),
                  else_=0)


def _dossier_rows(flt: CorridorFilter, key) -> sa.Select:
    """Dossiers opened in the period, counted by destination and ``key``."""
    query = (sa.select(dossier_countries.c.country_code, key, sa.func.count(Dossier.id))
             .select_from(Dossier).join(JobSeeker, JobSeeker.id == Dossier.jobseeker_id)
             .outerjoin(dossier_countries, dossier_countries.c.dossier_id == Dossier.id))
    if key is dossier_occupations.c.occupation_code:
        query = query.outerjoin(dossier_occupations, dossier_occupations.c.dossier_id == Dossier.id)
    return (query.where(*_dossier_filter(flt), *_period(Dossier.created_at, flt, moments=True))
            .group_by(dossier_countries.c.country_code, key))


def _departure_rows(flt: CorridorFilter, key) -> sa.Select:
    """Departures in the period, and how many of them were placements, by destination and ``key``."""
    query = (sa.select(Departure.destination_country, key, sa.func.count(Departure.id), sa.func.sum(_PLACED))
             .join(Dossier, Dossier.id == Departure.dossier_id)
             .join(JobSeeker, JobSeeker.id == Dossier.jobseeker_id))
    if key is dossier_occupations.c.occupation_code:
        query = query.outerjoin(dossier_occupations, dossier_occupations.c.dossier_id == Dossier.id)
    return (query.where(*_dossier_filter(flt), *_period(Departure.departed_on, flt))
            .group_by(Departure.destination_country, key))


def _return_rows(flt: CorridorFilter, key) -> sa.Select:
    """Returns in the period, by the destination of the departure and ``key``."""
    query = (sa.select(Departure.destination_country, key, sa.func.count(ReturnRecord.id))
             .join(Dossier, Dossier.id == ReturnRecord.dossier_id)
             .join(Departure, Departure.dossier_id == Dossier.id)
             .join(JobSeeker, JobSeeker.id == Dossier.jobseeker_id))
    if key is dossier_occupations.c.occupation_code:
        query = query.outerjoin(dossier_occupations, dossier_occupations.c.dossier_id == Dossier.id)
    return (query.where(*_dossier_filter(flt), *_period(ReturnRecord.returned_on, flt))
            .group_by(Departure.destination_country, key))


def corridor_figures(flt: CorridorFilter) -> Report:
    """The figures of every corridor of ``flt.country``, busiest first.

    A dossier with several destinations counts under each of them, and one with several target
    occupations under each occupation; the national totals count it once.
    """
    corridors: dict[str | None, Corridor] = {}

    def corridor(code: str | None) -> Corridor:
        return corridors.setdefault(code, Corridor(code))

    sex, occupation = JobSeeker.sex, dossier_occupations.c.occupation_code
    execute = db.session.execute
    for code, stage, count in execute(_dossier_rows(flt, Dossier.stage)):
        target = corridor(code)
        target.stages[stage] = target.stages.get(stage, 0) + count
        target.totals.add("dossiers", count)
    for code, key, count in execute(_dossier_rows(flt, sex)):
        corridor(code).by_sex[key].add("dossiers", count)
    for code, key, count in execute(_dossier_rows(flt, occupation)):
        corridor(code).by_occupation[key].add("dossiers", count)
    for key_column, attribute in ((sex, "by_sex"), (occupation, "by_occupation")):
        for code, key, count, placed in execute(_departure_rows(flt, key_column)):
            figures = getattr(corridor(code), attribute)[key]
            figures.add("departures", count)
            figures.add("placements", placed)
            if attribute == "by_sex":
                corridor(code).totals.add("departures", count)
                corridor(code).totals.add("placements", placed)
        for code, key, count in execute(_return_rows(flt, key_column)):
            getattr(corridor(code), attribute)[key].add("returns", count)
            if attribute == "by_sex":
                corridor(code).totals.add("returns", count)

    stages = dict(execute(sa.select(Dossier.stage, sa.func.count(Dossier.id))
                          .where(*_dossier_filter(flt), *_period(Dossier.created_at, flt, moments=True))
                          .group_by(Dossier.stage)).all())
    totals = Figures(dossiers=sum(stages.values()))
    for item in corridors.values():
        for measure in ("departures", "placements", "returns"):
            totals.add(measure, getattr(item.totals, measure))
    ordered = sorted(corridors.values(), key=lambda c: (c.destination is None, -c.totals.dossiers,
                                                       -c.totals.departures, c.destination or ""))
    return Report(ordered, totals, stages)


# --- CSV -------------------------------------------------------------------------------------

STAGE_ORDER = [stage.value for stage in Stage]


@dataclass(frozen=True)
class Labels:
    """Everything the CSV file names, already in the reader's language."""

    destination: dict[str | None, str]
    stage: dict[str, str]
    sex: dict[str | None, str]
    occupation: dict[str | None, str]
    headers: list[str]
    breakdowns: dict[str, str]  # total, stage, sex, occupation


def csv_rows(report: Report, labels: Labels) -> Iterator[list[object]]:
    """One row per corridor and breakdown: destination, breakdown, category, then the measures."""
    yield labels.headers
    for item in report.corridors:
        name = labels.destination.get(item.destination, item.destination or "")
        yield [name, labels.breakdowns["total"], "", *(getattr(item.totals, m) for m in MEASURES)]
        for stage in STAGE_ORDER:
            if item.stages.get(stage):
                yield [name, labels.breakdowns["stage"], labels.stage.get(stage, stage), item.stages[stage], "", "", ""]
        for breakdown, groups, titles in (("sex", item.by_sex, labels.sex),
                                          ("occupation", item.by_occupation, labels.occupation)):
            for key, figures in Corridor.rows(groups):
                yield [name, labels.breakdowns[breakdown], titles.get(key, key or ""),
                       *(getattr(figures, m) for m in MEASURES)]


def generate_csv(rows: Iterable[list[object]]) -> str:
    """The rows as CSV text, every cell neutralised against formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()
