"""Search results as spreadsheets (CSV, XLSX): one row per person, nothing a list need not show.

Row building is kept apart from the file formats, and both apart from the HTTP response
(as in indico's ``util/spreadsheets.py``), so that each can be tested on its own.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Iterator

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from app.auth.models import Region
from app.extensions import db
from app.i18n import current_language, format_number, localised_label
from app.jobseekers.models import SEX_TITLES, STATUS_TITLES, JobSeeker, JobSeekerOccupation, JobSeekerPhone
from app.reference.models import Occupation

#: The most rows an export holds: a working list, not a copy of the register. openpyxl
#: (without lxml) writes under a thousand rows a second where a CSV file takes 6,000, so a
#: workbook stops sooner; both end well within the web server's 30-second timeout.
MAX_ROWS = {"csv": 100_000, "xlsx": 10_000}
#: Rows fetched per round trip; PostgreSQL streams them through a server-side cursor.
BATCH = 1000

# The national ID is deliberately absent: a list that leaves the system never carries it.
HEADERS = (_l("Number"), _l("Last name"), _l("First names"), _l("Sex"), _l("Date of birth, or year"),
           _l("Phone"), _l("Region"), _l("Commune"), _l("Occupations sought"), _l("Status"),
           _l("Last confirmed"))

# A spreadsheet runs a cell that starts with one of these as a formula (DDE, HYPERLINK…):
# an apostrophe in front makes it text (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """``value`` as text a spreadsheet will never evaluate."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def headers() -> list[str]:
    return [str(title) for title in HEADERS]


def limit_note(fmt: str) -> str:
    return _("Only the first %(count)s rows are exported: narrow the search to get the others.",
             count=format_number(MAX_ROWS[fmt]))


_PERSON_COLUMNS = (JobSeeker.id, JobSeeker.registration_number, JobSeeker.last_name, JobSeeker.first_names,
                   JobSeeker.sex, JobSeeker.birth_date, JobSeeker.birth_year, JobSeeker.region_id,
                   JobSeeker.commune, JobSeeker.status, JobSeeker.last_confirmed_at)


@dataclass(frozen=True)
class _Labels:
    """The labels of every code, translated once per export instead of once per row."""

    regions: dict[int, str]
    occupations: dict[str, str]
    sexes: dict[str, str]
    statuses: dict[str, str]


def _labels() -> _Labels:
    fiches = db.session.execute(sa.select(Occupation.code, Occupation.label_fr, Occupation.label_en))
    return _Labels(
        regions={region.id: region.label for region in db.session.scalars(sa.select(Region))},
        occupations={fiche.code: localised_label(fiche) for fiche in fiches},
        sexes={code: str(title) for code, title in SEX_TITLES.items()},
        statuses={code: str(title) for code, title in STATUS_TITLES.items()},
    )


def _cells(person: sa.Row, phones: list[str], codes: list[str], labels: _Labels) -> list[str]:
    # Phones stay in E.164, the form SMS gateways and a re-import expect.
    born = person.birth_date.isoformat() if person.birth_date else person.birth_year
    occupations = "; ".join(f"{code} · {labels.occupations.get(code, '')}" for code in codes)
    return [neutralise(value) for value in (
        person.registration_number, person.last_name, person.first_names,
        labels.sexes.get(person.sex, person.sex), born, ", ".join(phones),
        labels.regions.get(person.region_id), person.commune, occupations,
        labels.statuses.get(person.status, person.status), person.last_confirmed_at.date().isoformat(),
    )]


def _grouped(statement: sa.Select) -> dict[int, list[str]]:
    """``(person id, value)`` rows as each person's list of values."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for owner, value in db.session.execute(statement):
        grouped[owner].append(value)
    return grouped


def count_rows(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0


def iter_rows(query: sa.Select, limit: int) -> Iterator[list[str]]:
    """The first ``limit`` people ``query`` selects, as rows of text, streamed.

    Plain columns rather than ORM objects, and phones and occupations fetched once per
    batch: memory stays flat and a large result takes seconds, not minutes.
    """
    labels = _labels()
    people = db.session.execute(query.with_only_columns(*_PERSON_COLUMNS).limit(limit)
                                .execution_options(yield_per=BATCH))
    for batch in people.partitions():
        ids = [person.id for person in batch]
        phones = _grouped(sa.select(JobSeekerPhone.jobseeker_id, JobSeekerPhone.number)
                          .where(JobSeekerPhone.jobseeker_id.in_(ids)).order_by(JobSeekerPhone.id))
        codes = _grouped(sa.select(JobSeekerOccupation.jobseeker_id, JobSeekerOccupation.occupation_code)
                         .where(JobSeekerOccupation.jobseeker_id.in_(ids))
                         .order_by(JobSeekerOccupation.rank, JobSeekerOccupation.id))
        for person in batch:
            yield _cells(person, phones[person.id], codes[person.id], labels)


def csv_delimiter() -> str:
    # Excel splits a CSV on the list separator of the reader's locale: ";" where the decimal
    # mark is a comma (French), "," in English.
    return "," if current_language() == "en" else ";"


def generate_csv(header: list[str], rows: Iterable[list[str]], delimiter: str = ";",
                 note: str | None = None) -> Iterator[str]:
    """CSV text, a line at a time: a BOM first (Excel then reads UTF-8 accents), the
    header, the rows, and ``note`` as a last line when there is one."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")

    def line(cells: list[str]) -> str:
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff" + line(header)
    for row in rows:
        yield line(row)
    if note:
        yield line([neutralise(note)])


def _text_cell(sheet, value: str, font: Font | None = None) -> WriteOnlyCell:
    # openpyxl refuses control characters and turns a string starting with "=" into a
    # formula; the cell is written as text, whatever it holds.
    cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def generate_xlsx(header: list[str], rows: Iterable[list[str]], note: str | None = None) -> bytes:
    """An XLSX workbook of one sheet, every cell text, written row by row (write-only mode)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_("Job-seekers")[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_text_cell(sheet, title, bold) for title in header])
    for row in rows:
        sheet.append([_text_cell(sheet, value) for value in row])
    if note:
        sheet.append([_text_cell(sheet, neutralise(note), bold)])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
