"""The offers import page: upload a file, see its check (a dry run) with the bad rows, then import it.

Offer files are small (a partner service's listing, an employer's campaign), so each step runs
in one request, up to MAX_ROWS rows. Between the check and the import the file waits in the
instance folder under a name built from its uploader's id: another user's request cannot
reach it, and an hour-old or imported file is deleted.
"""
from __future__ import annotations

import re
import secrets
import time
from contextlib import suppress
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, SubmitField

from app.auth.access import can, permission_required
from app.extensions import db
from app.jobseekers import exports, import_jobs
from app.offers import bp, importer

MAX_ROWS = 2000
MAX_BYTES = 2 * 1024 * 1024
MAX_AGE_SECONDS = 3600
PREVIEW_ROWS = 10
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")

# What each column holds, shown on the upload page; the form's own labels where they say enough.
COLUMN_HELP = {
    "external_id": _l("Your identifier of the offer: importing it again updates the offer while it is a draft "
                      "or submitted."),
    "employer": _l("The employer's registration number (NINEA, RCCM, IFU…) or its exact name; it must be "
                   "approved."),
    "job_title": _l("Job title, in the employer's words"),
    "contract_type": _l("CDI, CDD, saisonnier, stage, apprentissage or journalier (or permanent, fixed_term, "
                        "seasonal, internship, apprenticeship, daily)."),
    "occupation": _l("ROAME code (F1703), job title in words (maçon), or ISCO-08 code written isco:7112."),
    "isco": _l("ISCO-08 code (7112): the fiche comes from the crosswalk, and an agent confirms it before "
               "publication."),
    "esco": _l("ESCO occupation code (7112.1), mapped like an ISCO-08 code."),
    "description": _l("Description of the job"),
    "positions": _l("Number of positions"),
    "contract_months": _l("Duration (months)"),
    "region": _l("Region, by name or code (Dakar, SN-DK)."),
    "destination_country": _l("Two-letter code of the country, for a job abroad (ES, FR, …)."),
    "city": _l("Commune, or city abroad"),
    "salary_min": _l("Salary from"),
    "salary_max": _l("Salary up to"),
    "salary_currency": _l("XOF, XAF, GNF, EUR or USD; the country's currency if empty, for a job in the "
                          "country."),
    "salary_period": _l("month, day, hour or task (mois, jour, heure, tâche)."),
    "experience_years": _l("Years of experience required"),
    "education_level": _l("ISCED level, from 0 (no schooling) to 8 (doctorate)."),
    "start_date": _l("Start date"),
    "closing_date": _l("Closing date for applications"),
    "how_to_apply": _l("How to apply"),
    "worker_fee": _l("Fee asked of the worker (there should be none)"),
    "worker_fee_currency": _l("Currency of the fee"),
    "agency": _l("Code of the agency that follows the offer; yours if empty."),
}
EXAMPLE = {"external_id": "P-2031", "employer": "005123456", "job_title": "Maçon coffreur",
           "contract_type": "CDD", "occupation": "maçon", "contract_months": "6", "region": "Dakar",
           "salary_min": "150000", "salary_period": "mois", "closing_date": "30/09/2026"}


class OfferImportForm(FlaskForm):
    file = FileField(_l("File (CSV or XLSX)"), render_kw={"accept": ".csv,.xlsx"}, validators=[
        FileRequired(message=_l("Choose a CSV or XLSX file.")),
        FileAllowed(import_jobs.EXTENSIONS, message=_l("Only CSV and XLSX files can be imported."))])
    submit_offers = BooleanField(_l("Submit the offers for validation (the anti-fraud checks run)"))
    check = SubmitField(_l("Check the file"))


class OfferImportConfirmForm(FlaskForm):
    token = HiddenField()
    filename = HiddenField()
    submit_offers = HiddenField()


def _folder() -> Path:
    # Under the instance folder, never under static/: partner files may hold contacts.
    return Path(current_app.instance_path) / "offer_imports"


def _path(token: str, extension: str) -> Path:
    return _folder() / f"{current_user.id}-{token}.{extension}"


def _stored(token: str | None) -> Path | None:
    """The file the current user uploaded under ``token``, if it is still there."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    return next((p for p in (_path(token, ext) for ext in import_jobs.EXTENSIONS) if p.exists()), None)


def _clean_old_files() -> None:
    folder = _folder()
    limit = time.time() - MAX_AGE_SECONDS
    for path in folder.iterdir() if folder.is_dir() else ():
        with suppress(FileNotFoundError):  # imported or removed meanwhile by another request
            if path.stat().st_mtime < limit:
                path.unlink()


def _store(upload) -> tuple[str, Path]:
    """Keep the upload for the import step; :raises import_jobs.ImportFileError: for an empty,
    too large or misnamed file."""
    extension = Path(upload.filename or "").suffix.lower().lstrip(".")
    content = upload.stream.read(MAX_BYTES + 1)
    if not content:
        raise import_jobs.ImportFileError(_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise import_jobs.ImportFileError(_("The file is larger than %(size)d MB: split it into several files.",
                                            size=MAX_BYTES // (1024 * 1024)), 413)
    token = secrets.token_urlsafe(16)
    path = _path(token, extension)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_bytes(content)
    return token, path


def _read(path: Path):
    """The file as a table, through the job-seekers' import checks (content matching the name,
    UTF-8, a workbook that does not unpack to gigabytes), then this page's row cap."""
    try:
        frame = import_jobs._read(path, path.suffix.lstrip("."))
        if len(frame) > MAX_ROWS:
            raise import_jobs.ImportFileError(_("The file has more than %(rows)d rows: split it into several "
                                                "files.", rows=MAX_ROWS), 413)
    except import_jobs.ImportFileError:
        path.unlink(missing_ok=True)
        raise
    return frame


def _upload_page(form: OfferImportForm, status: int = 200):
    titles = (_("Required columns"), _("The occupation, in one of these columns"), _("Optional columns"))
    names = (importer.REQUIRED, importer.OCCUPATION_COLUMNS, importer.OPTIONAL)
    groups = [(title, [(name, COLUMN_HELP[name]) for name in group]) for title, group in zip(titles, names)]
    delimiter = exports.csv_delimiter()
    example = "\n".join(delimiter.join(row) for row in (list(EXAMPLE), list(EXAMPLE.values())))
    return render_template("offers/import_upload.html", form=form, groups=groups, example=example,
                           max_rows=MAX_ROWS, max_mb=MAX_BYTES // (1024 * 1024),
                           may_submit=can(current_user, "offer.edit")), status


def _check(form: OfferImportForm):
    upload = form.file.data
    submit = bool(form.submit_offers.data) and can(current_user, "offer.edit")
    try:
        token, path = _store(upload)
        frame = _read(path)
    except import_jobs.ImportFileError as error:
        form.file.errors.append(str(error))
        return _upload_page(form, error.status)
    report = importer.import_offers(frame, current_user, dry_run=True, submit=submit)
    if report.file_error or report.total == len(report.errors):
        path.unlink(missing_ok=True)  # nothing to import from it
    filename = re.split(r"[\\/]", upload.filename)[-1][:120]  # a Windows browser may send a path
    confirm = OfferImportConfirmForm(token=token, filename=filename, submit_offers="y" if submit else "")
    return render_template("offers/import_result.html", report=report, filename=filename, confirm=confirm,
                           columns=list(frame.columns), rows=frame.head(PREVIEW_ROWS).to_dict("records"),
                           ignored=importer.unused_columns(list(frame.columns)), submit=submit)


def _import(form: OfferImportConfirmForm):
    path = _stored(form.token.data) if form.validate_on_submit() else None
    if path is None:
        flash(_("This check is no longer available: upload the file again."), "warning")
        return redirect(url_for("offers.import_upload"), 303)
    try:
        frame = _read(path)
    except import_jobs.ImportFileError as error:
        flash(str(error), "danger")
        return redirect(url_for("offers.import_upload"), 303)
    submit = form.submit_offers.data == "y" and can(current_user, "offer.edit")
    filename = (form.filename.data or "")[:120]
    report = importer.import_offers(frame, current_user, submit=submit, source=filename)
    db.session.commit()
    path.unlink(missing_ok=True)
    return render_template("offers/import_result.html", report=report, filename=filename, submit=submit)


@bp.route("/import", methods=["GET", "POST"])
@permission_required("offer.import")
def import_upload():
    _clean_old_files()
    if "token" in request.form:
        return _import(OfferImportConfirmForm())
    form = OfferImportForm()
    if form.validate_on_submit():
        return _check(form)
    return _upload_page(form, 400 if form.errors else 200)
