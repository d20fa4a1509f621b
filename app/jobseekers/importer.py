"""Import job-seekers from CSV or XLSX: every row checked, bad rows reported by number,
good rows written one savepoint each, so that an interrupted import leaves no half-written
person; a re-import updates the people it created (same ``external_id``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Callable, Iterable

import pandas as pd
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _
from unidecode import unidecode

from app.auth.models import Agency, Region
from app.extensions import db
from app.jobseekers import services
from app.jobseekers.identity import ID_TYPES, check_national_id, normalise_national_id, parse_birth, parse_phone
from app.jobseekers.models import JobSeeker, Sex
from app.reference.lookup import get_coder
from app.reference.models import Occupation

if TYPE_CHECKING:  # the coder pulls in scikit-learn: import it only when first needed
    from app.reference.coding import OccupationCoder

REQUIRED = ("external_id", "last_name", "first_name", "sex", "birth_date", "phone", "national_id",
            "region", "occupation", "agency")
OPTIONAL = ("national_id_type", "nationality", "email", "commune", "consent")
SEX_VALUES = {"f": Sex.FEMALE, "femme": Sex.FEMALE, "female": Sex.FEMALE, "m": Sex.MALE, "h": Sex.MALE,
              "homme": Sex.MALE, "male": Sex.MALE}
COMMIT_EVERY = 500
# Longest text each column may hold (the database's column sizes).
LIMITS = {"external_id": 64, "last_name": 120, "first_name": 160, "national_id": 40, "email": 254,
          "commune": 120, "occupation": 200}


@dataclass
class RowError:
    row: int
    message: str

    def __str__(self) -> str:
        return _("Row %(row)d: %(message)s", row=self.row, message=self.message)


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: str | None = None
    dry_run: bool = False


def read_table(source: Path | IO[bytes], filename: str) -> pd.DataFrame:
    """A CSV (comma or semicolon, UTF-8) or XLSX file as strings, header names lower-cased."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        frame = pd.read_excel(source, dtype=str, keep_default_na=False, engine="openpyxl")
    else:
        frame = pd.read_csv(source, dtype=str, keep_default_na=False, sep=None, engine="python",
                            encoding="utf-8-sig")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame.fillna("")


def _norm(text: str) -> str:
    return unidecode(text).lower().strip()


class _Lookups:
    """Agencies, regions and fiches read once per import, not once per row; free-text
    occupations coded once per distinct text."""

    def __init__(self, agencies: list[Agency]):
        self.agencies = {a.code.upper(): a for a in agencies}
        regions = db.session.scalars(sa.select(Region)).all()
        self.regions: dict[tuple[str, str], int] = {}
        for region in regions:
            for name in (region.code, region.code.split("-", 1)[-1], region.name, region.label):
                self.regions[(region.country_code, _norm(name))] = region.id
        self.fiches = set(db.session.scalars(sa.select(Occupation.code)))
        self._coder: OccupationCoder | None = None
        self._coder_read = False
        self._coded: dict[str, str | None] = {}

    def code_titles(self, texts: Iterable[str]) -> None:
        """Code, in one batch, the free-text occupations among ``texts`` not coded yet.

        A file repeats a few titles ("maçon", "couturière") thousands of times and the
        coder takes milliseconds per title, so each distinct text is coded once; a batch
        also shares the coder's sparse products (``suggest_many`` answers as ``suggest``).
        """
        todo = list(dict.fromkeys(t for t in texts if t.strip() and t not in self._coded
                                  and t.strip().upper() not in self.fiches))
        if not todo:
            return
        if not self._coder_read:
            self._coder, self._coder_read = get_coder(), True
        found = self._coder.suggest_many(todo, limit=1) if self._coder else [[] for _ in todo]
        self._coded.update((text, best[0].code if best else None) for text, best in zip(todo, found))

    def occupation(self, text: str) -> str | None:
        code = text.strip().upper()
        if code in self.fiches:
            return code
        if text not in self._coded:
            self.code_titles([text])
        return self._coded[text]


class _Register:
    """What the database holds about a chunk of rows: the people their external IDs
    name (phones and occupations loaded) and the holders of their national IDs.

    Read in a few queries per chunk rather than two to four per row, then kept up to
    date as the chunk's rows are written, so each row sees what the rows before it did.
    """

    def __init__(self, rows: list[tuple[Agency, services.PersonData]]):
        countries = {agency.country_code for agency, _ in rows}
        external = {data.external_id for _, data in rows if data.external_id}
        national = {data.national_id for _, data in rows if data.national_id}
        self.people: dict[tuple[str, str | None], JobSeeker] = {}
        if external:
            query = (sa.select(JobSeeker)
                     .where(JobSeeker.country_code.in_(countries), JobSeeker.external_id.in_(external))
                     .options(so.selectinload(JobSeeker.phones), so.selectinload(JobSeeker.occupations)))
            self.people = {(s.country_code, s.external_id): s for s in db.session.scalars(query)}
        self.holders: dict[tuple[str, str], int] = {}
        self.national_of: dict[int, tuple[str, str]] = {}
        if national:
            query = (sa.select(JobSeeker.id, JobSeeker.country_code, JobSeeker.national_id)
                     .where(JobSeeker.country_code.in_(countries), JobSeeker.national_id.in_(national)))
            for seeker_id, country, national_id in db.session.execute(query):
                self.holders[(country, national_id)] = seeker_id
                self.national_of[seeker_id] = (country, national_id)

    def existing(self, country: str, external_id: str | None) -> JobSeeker | None:
        return self.people.get((country, external_id)) if external_id else None

    def holder(self, country: str, national_id: str) -> int | None:
        return self.holders.get((country, national_id))

    def written(self, seeker: JobSeeker) -> None:
        """Record the national ID ``seeker`` holds now (and no longer the one it had)."""
        old = self.national_of.pop(seeker.id, None)
        if old is not None and self.holders.get(old) == seeker.id:
            del self.holders[old]
        if seeker.national_id:
            key = (seeker.country_code, seeker.national_id)
            self.holders[key] = seeker.id
            self.national_of[seeker.id] = key


def _parse_row(record: dict[str, str], lookups: _Lookups) -> tuple[Agency | None, services.PersonData | None, list[str]]:
    problems: list[str] = []
    agency = lookups.agencies.get(record.get("agency", "").strip().upper())
    if agency is None:
        problems.append(_("Unknown agency %(code)s.", code=record.get("agency", "")))
    country = agency.country_code if agency else None
    last, first = record.get("last_name", "").strip(), record.get("first_name", "").strip()
    if not last:
        problems.append(_("The last name is missing."))
    if not first:
        problems.append(_("The first name is missing."))
    sex = SEX_VALUES.get(_norm(record.get("sex", ""))) if record.get("sex", "").strip() else None
    if record.get("sex", "").strip() and sex is None:
        problems.append(_("Unknown sex %(value)s (use F or M).", value=record["sex"]))
    birth_date = birth_year = None
    birth_text = record.get("birth_date", "").strip()
    if birth_text.endswith(" 00:00:00"):  # a date cell of a spreadsheet, read as text
        birth_text = birth_text[:-9]
    if birth_text:
        try:
            birth_date, birth_year = parse_birth(birth_text)
        except ValueError:
            problems.append(_("The birth date %(value)s is neither a date nor a year.", value=record["birth_date"]))
    phones = []
    for raw in filter(None, (p.strip() for p in record.get("phone", "").replace(";", ",").split(","))):
        try:
            phones.append(parse_phone(raw, country or "SN"))
        except ValueError:
            problems.append(_("The phone number %(value)s is not valid.", value=raw))
    national_id = normalise_national_id(record.get("national_id"))
    id_type = record.get("national_id_type", "").strip().lower() or ("cni" if national_id else None)
    if national_id and country and not check_national_id(country, id_type, national_id):
        problems.append(_("The national ID does not have the expected format."))
    region_id = None
    if record.get("region", "").strip() and country:
        region_id = lookups.regions.get((country, _norm(record["region"])))
        if region_id is None:
            problems.append(_("Unknown region %(value)s.", value=record["region"]))
    occupations = []
    if record.get("occupation", "").strip():
        code = lookups.occupation(record["occupation"])
        if code is None:
            problems.append(_("No occupation matches %(value)s.", value=record["occupation"]))
        else:
            occupations.append(services.OccupationChoice(code=code, title=record["occupation"].strip()))
    for column, limit in LIMITS.items():
        if len(record.get(column, "").strip()) > limit:
            problems.append(_("The column %(column)s is longer than %(n)d characters.", column=column, n=limit))
    nationality = record.get("nationality", "").strip().upper() or None
    if nationality and (len(nationality) != 2 or not nationality.isalpha()):
        problems.append(_("The nationality must be a two-letter country code (SN, ML, …)."))
    if id_type and id_type not in ID_TYPES:
        problems.append(_("Unknown identity document type %(value)s.", value=id_type))
    if problems:
        return agency, None, problems
    data = services.PersonData(
        last_name=last, first_names=first, sex=sex.value if sex else None, birth_date=birth_date,
        birth_year=birth_year, phones=phones, national_id_type=id_type, national_id=national_id,
        nationality=nationality, email=record.get("email", "").strip() or None,
        region_id=region_id, commune=record.get("commune", "").strip() or None, occupations=occupations,
        external_id=record.get("external_id", "").strip() or None,
    )
    return agency, data, []


def import_jobseekers(frame: pd.DataFrame, agencies: list[Agency], dry_run: bool = False,
                      progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import the rows of ``frame`` into ``agencies`` (those the importer may write to).

    Each row is written in its own savepoint and committed in batches; with ``dry_run``
    everything is checked and rolled back.
    """
    report = ImportReport(total=len(frame), dry_run=dry_run)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        report.file_error = _("Missing columns: %(columns)s.", columns=", ".join(missing))
        return report
    lookups = _Lookups(agencies)
    records = frame.to_dict("records")
    seen: dict[str, int] = {}
    # Rows go by chunks of COMMIT_EVERY: titles coded and the register read once per chunk.
    for start in range(0, len(records), COMMIT_EVERY):
        chunk = records[start:start + COMMIT_EVERY]
        lookups.code_titles(str(record.get("occupation", "")) for record in chunk)
        parsed = [_parse_row(record, lookups) for record in chunk]
        register = _Register([(agency, data) for agency, data, _ in parsed if data])
        for offset, (agency, data, problems) in enumerate(parsed):
            index = start + offset
            line = index + 2
            if data and data.external_id:
                if data.external_id in seen:
                    problems = [_("The external_id %(id)s repeats row %(row)d.", id=data.external_id,
                                  row=seen[data.external_id])]
                seen.setdefault(data.external_id, line)
            if problems:
                report.errors.append(RowError(line, " ".join(problems)))
            else:
                outcome = _write_row(agency, data, register)
                if isinstance(outcome, str):
                    setattr(report, outcome, getattr(report, outcome) + 1)
                else:
                    report.errors.append(RowError(line, outcome.message))
            if progress:
                progress(index + 1, report.total)
        if not dry_run and len(chunk) == COMMIT_EVERY:
            db.session.commit()
    if dry_run:
        db.session.rollback()
    return report


def _write_row(agency: Agency, data: services.PersonData, register: _Register) -> str | RowError:
    existing = register.existing(agency.country_code, data.external_id)
    if data.national_id:
        holder = register.holder(agency.country_code, data.national_id)
        if holder is not None and (existing is None or holder != existing.id):
            return RowError(0, _("This national ID is already registered to another person."))
    try:
        with db.session.begin_nested():
            if existing is None:
                seeker, outcome = services.register_jobseeker(agency, data), "created"
            else:
                seeker = existing
                outcome = "updated" if services.update_jobseeker(existing, data) else "unchanged"
    except sa.exc.IntegrityError:
        return RowError(0, _("This person conflicts with a record saved at the same time; import the row again."))
    except sa.exc.DBAPIError:
        # The savepoint is rolled back: this row is refused, the import goes on.
        return RowError(0, _("The database refused this row; check its values."))
    register.written(seeker)
    return outcome
