"""Imports from the web page: an uploaded file is checked, then imported, one chunk per request.

A web request may not run for minutes, and a background thread in one gunicorn worker is
invisible to the others, so a job lives in a folder of the instance
(``instance/imports/<token>/``): the upload, the table read once into a plain CSV (an
XLSX file is slow to read again), the bad rows found so far and a small JSON state.
Each request takes the folder's lock, runs the next chunk through
:func:`importer.import_jobseekers`, commits, and only then saves the state: two tabs or
two workers never run one chunk twice, and a worker killed mid-chunk leaves the state as
it was before the chunk, which is then run again (its rows with an ``external_id`` are
updated, not duplicated).
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import time
import zipfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from typing import IO, Iterable, Iterator

import pandas as pd
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app import audit
from app.auth.models import Agency
from app.extensions import db
from app.jobseekers import exports, importer
from app.jobseekers.identity import normalise_national_id
from app.jobseekers.importer import RowError

#: Rows per request, checked or imported: about 2 to 7 seconds with 20,000-row files.
CHUNK_ROWS = 500
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
#: An XLSX file is a zip: refuse one that unpacks to far more than any real register.
MAX_UNPACKED = 100 * 1024 * 1024
MAX_AGE = timedelta(days=1)
EXTENSIONS = ("csv", "xlsx")
PREVIEW_ROWS = 10
ERRORS_PER_PAGE = 50
COUNTS = ("created", "updated", "unchanged")
# Columns this module adds to the bad rows it gives back; dropped if a file brings them.
ROW_COLUMN, ERROR_COLUMN = "import_row", "import_error"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")


class Phase(StrEnum):
    CHECKING = "checking"
    READY = "ready"
    IMPORTING = "importing"
    DONE = "done"


class ImportFileError(ValueError):
    """An upload that cannot be imported; ``str()`` is the translated reason."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


class JobBusy(RuntimeError):
    """Another request is running a chunk of this job."""


@dataclass
class ImportJob:
    token: str
    user_id: int
    agency_id: int | None
    filename: str
    locale: str
    total: int
    columns: list[str]
    file_error: str | None = None
    phase: str = Phase.CHECKING
    checked: int = 0  # rows the dry run has seen
    bad: int = 0  # rows the check refused: never imported
    expected: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    imported: int = 0  # good rows the import has run
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    failed: int = 0  # good rows the database refused during the import
    created_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())

    @property
    def folder(self) -> Path:
        return jobs_root() / self.token

    @property
    def good(self) -> int:
        return self.total - self.bad

    @property
    def rejected(self) -> int:
        return self.bad + self.failed

    @property
    def running(self) -> bool:
        return self.phase in (Phase.CHECKING, Phase.IMPORTING)

    @property
    def importable(self) -> bool:
        return self.phase == Phase.READY and not self.file_error and self.good > 0

    def progress(self) -> tuple[int, int]:
        """Rows done and rows to do in the current phase."""
        if self.phase in (Phase.CHECKING, Phase.READY):
            return self.checked, self.total
        return self.imported, self.good


@dataclass(frozen=True)
class ErrorPage:
    """One page of bad rows, shaped for the ``pager`` macro."""

    items: list[RowError]
    page: int
    pages: int
    total: int

    has_prev = property(lambda self: self.page > 1)
    has_next = property(lambda self: self.page < self.pages)
    prev_num = property(lambda self: self.page - 1)
    next_num = property(lambda self: self.page + 1)


def jobs_root() -> Path:
    """Where jobs live: ``IMPORT_FOLDER``, else ``imports/`` in the instance folder (never
    under ``static/``: the files hold personal data)."""
    return Path(current_app.config.get("IMPORT_FOLDER") or Path(current_app.instance_path) / "imports")


def chunk_rows() -> int:
    return int(current_app.config.get("IMPORT_CHUNK_ROWS", CHUNK_ROWS))


# --------------------------------------------------------------------------- the upload

def create_job(upload: IO[bytes], filename: str, user_id: int, agency_id: int | None, locale: str,
               agencies: list[Agency]) -> ImportJob:
    """Store ``upload`` as a new job of ``user_id``, read it once and look for repeated rows.

    :param agencies: those the user may import into (to tell which national IDs share a country).
    :raises ImportFileError: when the file is empty, too big, not what its name says or
        unreadable; nothing is then left on disk.
    """
    extension = _extension(filename)
    size = _size(upload)
    if size == 0:
        raise ImportFileError(_("The file is empty."))
    if size > MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(size)d MB: split it into several files.",
                                size=MAX_BYTES // (1024 * 1024)), 413)
    token = secrets.token_urlsafe(16)
    folder = jobs_root() / token
    folder.mkdir(parents=True, mode=0o700)
    try:
        source = folder / f"upload.{extension}"
        with source.open("wb") as out:
            shutil.copyfileobj(upload, out)
        frame = _read(source, extension)
        frame.to_csv(folder / "rows.csv", index=False)
        job = ImportJob(token=token, user_id=user_id, agency_id=agency_id, locale=locale,
                        filename=re.split(r"[\\/]", filename)[-1][:120],  # a Windows browser may send a path
                        total=len(frame), columns=list(frame.columns))
        # An empty slice costs nothing and gives the importer's own message for missing columns.
        job.file_error = importer.import_jobseekers(frame.head(0), [], dry_run=True).file_error
        if job.file_error:
            job.phase = Phase.READY
        else:
            repeats = find_repeats(frame, agencies)
            _append_errors(job, repeats, "check")
            job.bad = len(repeats)
        _save(job)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return job


def _extension(filename: str) -> str:
    extension = Path(filename or "").suffix.lower().lstrip(".")
    if extension not in EXTENSIONS:
        raise ImportFileError(_("Only CSV and XLSX files can be imported."))
    return extension


def _size(upload: IO[bytes]) -> int:
    upload.seek(0, os.SEEK_END)
    size = upload.tell()
    upload.seek(0)
    return size


def _check_content(path: Path, extension: str) -> None:
    """Refuse a file whose content is not what its extension says, before pandas reads it."""
    if extension == "xlsx":
        not_xlsx = _("This file is not an XLSX workbook, whatever its name says.")
        if not zipfile.is_zipfile(path):
            raise ImportFileError(not_xlsx)
        with zipfile.ZipFile(path) as book:
            if "xl/workbook.xml" not in book.namelist():
                raise ImportFileError(not_xlsx)
            if sum(item.file_size for item in book.infolist()) > MAX_UNPACKED:
                raise ImportFileError(_("This workbook is too large once unpacked: split it into several files."),
                                      413)
        return
    data = path.read_bytes()
    if b"\x00" in data or data.startswith(b"PK\x03\x04"):
        raise ImportFileError(_("This file is not a CSV text file, whatever its name says."))
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is not in UTF-8: save it from the spreadsheet as “CSV UTF-8”, "
                                "or upload the XLSX file.")) from None


def _read(path: Path, extension: str) -> pd.DataFrame:
    _check_content(path, extension)
    try:
        frame = importer.read_table(path, path.name)
    except Exception:  # pandas and openpyxl raise many kinds for a damaged file
        raise ImportFileError(_("The file could not be read as a table: check that its first line holds the "
                                "column names.")) from None
    if frame.empty:
        raise ImportFileError(_("The file has no rows under its line of column names."))
    if len(frame) > MAX_ROWS:
        raise ImportFileError(_("The file has more than %(rows)d rows: split it into several files.",
                                rows=MAX_ROWS), 413)
    return frame


def find_repeats(frame: pd.DataFrame, agencies: Iterable[Agency]) -> list[RowError]:
    """Rows whose ``external_id``, or national ID within one country, an earlier row has.

    The check runs a chunk at a time and rolls each chunk back, so it cannot see a repeat
    of a row in an earlier chunk; the whole file is looked at here, once, instead. The
    repeats are then left out of the chunks, so the importer never numbers one itself.
    Unlike the importer, a repeat of a bad row is reported too: the agent sees both rows.
    """
    countries = {agency.code.upper(): agency.country_code for agency in agencies}
    columns = (frame[name] for name in ("external_id", "national_id", "agency"))
    first_external: dict[str, int] = {}
    first_national: dict[tuple[str, str], int] = {}
    repeats = []
    for index, (external, national, agency) in enumerate(zip(*columns)):
        line = index + 2
        external = str(external).strip()
        if external in first_external:
            repeats.append(RowError(line, _("The external_id %(id)s repeats row %(row)d.", id=external,
                                            row=first_external[external])))
            continue
        if external:
            first_external[external] = line
        country = countries.get(str(agency).strip().upper())
        key = (country, normalise_national_id(str(national)))
        if country and key[1]:
            if key in first_national:
                repeats.append(RowError(line, _("The national ID repeats row %(row)d.", row=first_national[key])))
            else:
                first_national[key] = line
    return repeats


# --------------------------------------------------------------------------- state on disk

def load_job(token: str, user_id: int) -> ImportJob | None:
    """The job ``token`` if it exists and ``user_id`` uploaded it; None for anyone else."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    try:
        job = _load(jobs_root() / token)
    except (FileNotFoundError, ValueError, TypeError):
        return None
    return job if job.user_id == user_id else None


def _load(folder: Path) -> ImportJob:
    data = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    known = {f.name for f in fields(ImportJob)}
    return ImportJob(**{key: value for key, value in data.items() if key in known})


def _save(job: ImportJob) -> None:
    # Written aside then renamed: a reader never sees half a state.
    temporary = job.folder / "state.json.tmp"
    temporary.write_text(json.dumps(asdict(job)), encoding="utf-8")
    os.replace(temporary, job.folder / "state.json")


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """The job's lock, across threads, workers and tabs; never waited for, so that no worker
    sits idle behind another's chunk."""
    with (folder / "lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise JobBusy from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _append_errors(job: ImportJob, errors: list[RowError], stage: str) -> None:
    with (job.folder / "errors.jsonl").open("a", encoding="utf-8") as handle:
        for error in errors:
            handle.write(json.dumps({"row": error.row, "message": error.message, "stage": stage}) + "\n")


def _errors(job: ImportJob, stage: str | None = None) -> list[RowError]:
    path = job.folder / "errors.jsonl"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    # Keyed by row: a chunk run again after a crash writes its errors again.
    found = {r["row"]: RowError(r["row"], r["message"]) for r in records if stage is None or r["stage"] == stage}
    return sorted(found.values(), key=lambda error: error.row)


def _rows(job: ImportJob, name: str = "rows.csv", nrows: int | None = None) -> pd.DataFrame:
    # Written by this module: plain UTF-8 with commas, read fast by pandas' C parser.
    return pd.read_csv(job.folder / name, dtype=str, keep_default_na=False, nrows=nrows)


# --------------------------------------------------------------------------- chunks

def run_step(job: ImportJob, agencies: list[Agency]) -> ImportJob:
    """Run the job's next chunk: a dry run while checking, then the import of good rows.

    Messages are written in the language of the upload, so that one report never mixes two.
    An import chunk is committed here, before the state moves past it, so the state never
    counts rows the database does not hold. Returns the state as saved.

    :raises JobBusy: when another request holds the job.
    :raises FileNotFoundError: when the job was cancelled meanwhile.
    """
    with _locked(job.folder):
        job = _load(job.folder)  # another request may have moved it since the caller read it
        with force_locale(job.locale):
            if job.phase == Phase.CHECKING:
                _check_chunk(job, agencies)
            elif job.phase == Phase.IMPORTING:
                _import_chunk(job, agencies)
        _save(job)
        if job.phase == Phase.DONE:  # only once the state says so: until then a chunk may run again
            _keep_bad_rows_only(job)
    return job


def _run(frame: pd.DataFrame, positions: list[int], agencies: list[Agency],
         dry_run: bool) -> tuple[importer.ImportReport, list[RowError]]:
    """Import the rows at ``positions``; the importer numbers them from its own first row,
    so each error is given back the row number it has in the file."""
    report = importer.import_jobseekers(frame.iloc[positions].reset_index(drop=True), agencies, dry_run=dry_run)
    return report, [RowError(positions[error.row - 2] + 2, error.message) for error in report.errors]


def _check_chunk(job: ImportJob, agencies: list[Agency]) -> None:
    stop = min(job.checked + chunk_rows(), job.total)
    refused = {error.row for error in _errors(job)}
    positions = [p for p in range(job.checked, stop) if p + 2 not in refused]
    if positions:
        report, errors = _run(_rows(job), positions, agencies, dry_run=True)
        _append_errors(job, errors, "check")
        job.bad = len(_errors(job, "check"))
        for name in COUNTS:
            job.expected[name] += getattr(report, name)
    job.checked = stop
    if stop >= job.total:
        job.phase = Phase.READY


def _import_chunk(job: ImportJob, agencies: list[Agency]) -> None:
    frame = _rows(job)
    refused = {error.row for error in _errors(job, "check")}
    good = [p for p in range(job.total) if p + 2 not in refused]
    positions = good[job.imported:job.imported + chunk_rows()]
    errors: list[RowError] = []
    if positions:
        report, errors = _run(frame, positions, agencies, dry_run=False)
        for name in COUNTS:
            job.counts[name] += getattr(report, name)
    job.imported += len(positions)
    job.failed = len({error.row for error in (*_errors(job, "import"), *errors)})
    if job.imported >= len(good):
        job.phase = Phase.DONE
        where = ("agency", job.agency_id) if job.agency_id else ("user", job.user_id)
        # Counts only: the trail of each person is their own "jobseeker.created" event.
        audit.record("jobseeker.imported", *where, rows=job.total, created=job.counts["created"],
                     updated=job.counts["updated"], unchanged=job.counts["unchanged"], rejected=job.rejected)
    db.session.commit()
    _append_errors(job, errors, "import")


def _keep_bad_rows_only(job: ImportJob) -> None:
    """Once imported, the job keeps only what its report offers to download."""
    if not (job.folder / "rows.csv").exists():
        return
    _bad_rows(job).to_csv(job.folder / "bad.csv", index=False)
    for name in ("rows.csv", *(f"upload.{extension}" for extension in EXTENSIONS)):
        (job.folder / name).unlink(missing_ok=True)


def _bad_rows(job: ImportJob) -> pd.DataFrame:
    """The refused rows as they were in the file, after a column of their row numbers."""
    if (job.folder / "bad.csv").exists():
        return _rows(job, "bad.csv")
    lines = [error.row for error in _errors(job)]
    frame = _rows(job)
    frame = frame.drop(columns=[c for c in (ROW_COLUMN, ERROR_COLUMN) if c in frame.columns])
    frame = frame.iloc[[line - 2 for line in lines]]
    frame.insert(0, ROW_COLUMN, lines)
    return frame


def start_import(job: ImportJob) -> ImportJob:
    """Move a checked job to its import; a second click does nothing."""
    with _locked(job.folder):
        job = _load(job.folder)
        if job.importable:
            job.phase = Phase.IMPORTING
            _save(job)
    return job


def cancel_job(job: ImportJob) -> bool:
    """Delete a job that has not started importing, and its files; False once it has."""
    with _locked(job.folder):
        if _load(job.folder).phase not in (Phase.CHECKING, Phase.READY):
            return False
        shutil.rmtree(job.folder)
    return True


def clean_old_jobs(max_age: timedelta = MAX_AGE) -> int:
    """Delete the jobs untouched for ``max_age``: their files hold personal data."""
    root = jobs_root()
    if not root.is_dir():
        return 0
    limit = time.time() - max_age.total_seconds()
    removed = 0
    for folder in root.iterdir():
        if not _TOKEN.fullmatch(folder.name) or not folder.is_dir():
            continue
        try:
            state = folder / "state.json"
            if (state if state.exists() else folder).stat().st_mtime >= limit:
                continue
            with _locked(folder):
                shutil.rmtree(folder)
            removed += 1
        except (JobBusy, FileNotFoundError):
            continue  # running now, or removed by another worker
    return removed


# --------------------------------------------------------------------------- reading a job

def preview(job: ImportJob) -> list[dict[str, str]]:
    """The first rows of the file, as read."""
    if not (job.folder / "rows.csv").exists():
        return []
    return _rows(job, nrows=PREVIEW_ROWS).to_dict("records")


def unused_columns(job: ImportJob) -> list[str]:
    """Columns of the file the import does not read (a typo in a name shows up here)."""
    known = (*importer.REQUIRED, *importer.OPTIONAL)
    return [c for c in job.columns if c not in known]


def error_page(job: ImportJob, page: int, per_page: int = ERRORS_PER_PAGE) -> ErrorPage:
    errors = _errors(job)
    pages = max(1, -(-len(errors) // per_page))
    page = min(max(page, 1), pages)
    return ErrorPage(errors[(page - 1) * per_page:page * per_page], page, pages, len(errors))


def bad_rows_csv(job: ImportJob) -> Iterator[str]:
    """The refused rows, each after its row number and reason, ready to be corrected and
    imported again (the importer ignores the two added columns)."""
    frame = _bad_rows(job)
    messages = {error.row: error.message for error in _errors(job)}
    columns = [c for c in frame.columns if c != ROW_COLUMN]
    rows = ([exports.neutralise(cell) for cell in (record[ROW_COLUMN], messages.get(int(record[ROW_COLUMN]), ""),
                                                   *(record[c] for c in columns))]
            for record in frame.to_dict("records"))
    return exports.generate_csv([ROW_COLUMN, ERROR_COLUMN, *columns], rows, delimiter=exports.csv_delimiter())
