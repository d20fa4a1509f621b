"""The import page: upload, check and preview, import a chunk per request, report.

A job belongs to the user who uploaded it: anyone else gets a 404, whatever their role or
agency, because the job holds a copy of people's data.
"""
from __future__ import annotations

from contextlib import suppress

import sqlalchemy as sa
from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SubmitField

from app.auth.access import can, permission_required
from app.auth.forms import ConfirmForm
from app.auth.models import Agency
from app.errors import wants_json
from app.extensions import db
from app.i18n import current_language, format_number
from app.jobseekers import bp, exports, import_jobs, importer
from app.jobseekers.import_jobs import ImportJob, JobBusy, Phase

# What each column holds, shown on the upload page (``consent`` is not read by the importer).
COLUMN_HELP = {
    "external_id": _l("Your own identifier of the person: importing the same identifier again updates "
                      "that person instead of adding another."),
    "last_name": _l("Last name."),
    "first_name": _l("First names."),
    "sex": _l("F or M."),
    "birth_date": _l("Date of birth (DD/MM/YYYY or YYYY-MM-DD), or the year alone."),
    "phone": _l("Phone numbers, separated by commas."),
    "national_id": _l("Number of the identity document."),
    "region": _l("Region, by name or code (Dakar, SN-DK)."),
    "occupation": _l("Occupation sought: ROAME code (F1703) or job title in words (maçon)."),
    "agency": _l("Code of the agency that registers the person."),
    "national_id_type": _l("Type of identity document: cni, nina, npi, cnib, passport, consular, "
                           "birth_certificate or other."),
    "nationality": _l("Nationality: two-letter country code (SN, ML, …)."),
    "email": _l("E-mail address."),
    "commune": _l("Commune."),
}
EXAMPLE = {"external_id": "A-1024", "last_name": "Diallo", "first_name": "Mamadou", "sex": "M",
           "birth_date": "12/05/1990", "phone": "77 123 45 67", "national_id": "1751199000123",
           "region": "Dakar", "occupation": "maçon"}


class ImportUploadForm(FlaskForm):
    file = FileField(_l("File (CSV or XLSX)"), render_kw={"accept": ".csv,.xlsx"}, validators=[
        FileRequired(message=_l("Choose a CSV or XLSX file.")),
        FileAllowed(import_jobs.EXTENSIONS, message=_l("Only CSV and XLSX files can be imported."))])
    submit = SubmitField(_l("Check the file"))


def _agencies() -> list[Agency]:
    """The agencies the user may import into: their own, or their country's for a country
    administrator. A row naming any other agency is then a bad row."""
    agencies = db.session.scalars(sa.select(Agency).where(Agency.active).order_by(Agency.code))
    return [agency for agency in agencies if can(current_user, "jobseeker.import", agency)]


def _job(token: str) -> ImportJob:
    job = import_jobs.load_job(token, current_user.id)
    if job is None:
        abort(404)
    return job


def _step(job: ImportJob) -> tuple[ImportJob, bool]:
    """Run the job's next chunk; ``True`` as second value when another request holds it."""
    try:
        return import_jobs.run_step(job, _agencies()), False
    except JobBusy:
        return job, True
    except FileNotFoundError:  # cancelled in another tab
        abort(404)


def _example(agencies: list[Agency]) -> str:
    values = {**EXAMPLE, "agency": agencies[0].code if agencies else "SN-DKR-01"}
    delimiter = exports.csv_delimiter()
    return "\n".join(delimiter.join(row) for row in (importer.REQUIRED, [values[c] for c in importer.REQUIRED]))


@bp.route("/import", methods=["GET", "POST"])
@permission_required("jobseeker.import")
def import_upload():
    import_jobs.clean_old_jobs()
    form = ImportUploadForm()
    agencies = _agencies()
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            job = import_jobs.create_job(upload.stream, upload.filename, current_user.id, current_user.agency_id,
                                         current_language(), agencies)
        except import_jobs.ImportFileError as error:
            form.file.errors.append(str(error))
            status = error.status
        else:
            _step(job)  # a file of one chunk is checked at once: no progress page for it
            return redirect(url_for("jobseekers.import_job", token=job.token), 303)
    elif form.errors:
        status = 400
    columns = [(name, name in importer.REQUIRED, COLUMN_HELP[name])
               for name in (*importer.REQUIRED, *importer.OPTIONAL) if name in COLUMN_HELP]
    return render_template("jobseekers/import_upload.html", form=form, agencies=agencies, columns=columns,
                           example=_example(agencies), max_mb=import_jobs.MAX_BYTES // (1024 * 1024),
                           max_rows=import_jobs.MAX_ROWS), status


def _progress_text(job: ImportJob) -> str:
    done, total = job.progress()
    return _("%(done)s of %(total)s rows", done=format_number(done), total=format_number(total))


@bp.route("/import/<token>")
@permission_required("jobseeker.import")
def import_job(token: str):
    job = _job(token)
    errors = import_jobs.error_page(job, request.args.get("page", 1, type=int))
    context = {"job": job, "errors": errors, "form": ConfirmForm(), "progress_text": _progress_text(job)}
    if job.phase == Phase.IMPORTING:
        return render_template("jobseekers/import_progress.html", **context)
    if job.phase == Phase.DONE:
        return render_template("jobseekers/import_report.html", **context)
    return render_template("jobseekers/import_preview.html", rows=import_jobs.preview(job),
                           ignored=import_jobs.unused_columns(job), **context)


@bp.route("/import/<token>/step", methods=["POST"])
@permission_required("jobseeker.import")
def import_step(token: str):
    job = _job(token)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    job, busy = _step(job)
    if wants_json():
        done, total = job.progress()
        return jsonify(phase=job.phase, running=job.running, done=done, total=total, text=_progress_text(job),
                       url=url_for("jobseekers.import_job", token=token)), 409 if busy else 200
    if busy:
        flash(_("This file is being processed in another window; this page shows where it stands."), "info")
    return redirect(url_for("jobseekers.import_job", token=token), 303)


@bp.route("/import/<token>/start", methods=["POST"])
@permission_required("jobseeker.import")
def import_start(token: str):
    job = _job(token)
    if ConfirmForm().validate_on_submit():
        with suppress(JobBusy):  # a second click while the first runs: just show the job
            if import_jobs.start_import(job).phase == Phase.IMPORTING:
                _step(job)  # a file of one chunk is imported at once
    return redirect(url_for("jobseekers.import_job", token=token), 303)


@bp.route("/import/<token>/cancel", methods=["POST"])
@permission_required("jobseeker.import")
def import_cancel(token: str):
    job = _job(token)
    if ConfirmForm().validate_on_submit():
        try:
            cancelled = import_jobs.cancel_job(job)
        except JobBusy:
            cancelled = False
        if not cancelled:  # being checked in another window, or already importing
            flash(_("This file cannot be cancelled now: it is being processed."), "warning")
            return redirect(url_for("jobseekers.import_job", token=token), 303)
        flash(_("The import was cancelled: nothing was imported."), "info")
    return redirect(url_for("jobseekers.import_upload"), 303)


@bp.route("/import/<token>/bad-rows.csv")
@permission_required("jobseeker.import")
def import_bad_rows(token: str):
    job = _job(token)
    response = Response(import_jobs.bad_rows_csv(job), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="bad-rows-{token[:6]}.csv"'
    # Personal data: no copy left in a shared proxy or the browser's cache.
    response.headers["Cache-Control"] = "no-store"
    return response
