"""Pages that take personal data out of the system or erase it: result exports, the
person's own export, anonymisation. Each is a permission of its own in the access matrix."""
from __future__ import annotations

import json
from datetime import date
from typing import Iterable

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app import audit
from app.auth.access import ensure, permission_required, scope_clause
from app.extensions import db
from app.jobseekers import bp, exports, privacy
from app.jobseekers.forms import SearchForm
from app.jobseekers.models import JobSeeker
from app.jobseekers.search import build_query

MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class AnonymiseForm(FlaskForm):
    reason = TextAreaField(_l("Why is this person anonymised?"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Anonymise for good"))


@bp.context_processor
def _export_limits() -> dict:
    return {"export_row_caps": exports.MAX_ROWS}


def _download(body: Iterable[str] | bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Personal data: no copy left in a shared proxy or the browser's cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _search_filters() -> dict:
    """The search page's arguments, read the way the search page reads them."""
    form = SearchForm(request.args)
    region_id = form.region_id.data if isinstance(form.region_id.data, int) else None
    return {"q": (form.q.data or "")[:100], "occupation": form.occupation.data or "",
            "status": form.status.data or "", "region_id": region_id or None}


def _audit_object() -> tuple[str, int]:
    # Nationwide administrators belong to no agency: the export is then traced to the user.
    return ("agency", current_user.agency_id) if current_user.agency_id else ("user", current_user.id)


@bp.route("/export.<any(csv, xlsx):fmt>")
@permission_required("jobseeker.export")
def export_results(fmt: str):
    filters = _search_filters()
    query = build_query(current_user, default_region=current_user.country_code or "SN", **filters)
    # The search's scope, and never wider than what the user may export.
    query = query.where(scope_clause(current_user, "jobseeker.export", JobSeeker))
    # Read now: the commit below expires current_user, and a streamed body outlives the
    # request's session. The language chosen here also stays the one of the rows.
    header, delimiter = exports.headers(), exports.csv_delimiter()
    total, limit = exports.count_rows(query), exports.MAX_ROWS[fmt]
    capped = total > limit
    # Filters, not the text searched for: that may be a name, a phone or an ID number.
    audit.record("jobseeker.results_exported", *_audit_object(), format=fmt, rows=min(total, limit),
                 capped=capped, text_search=bool(filters["q"].strip()), occupation=filters["occupation"],
                 status=filters["status"], region_id=filters["region_id"])
    db.session.commit()
    note = exports.limit_note(fmt) if capped else None
    rows = exports.iter_rows(query, limit)
    filename = f"jobseekers-{date.today().isoformat()}.{fmt}"
    if fmt == "csv":
        body = stream_with_context(exports.generate_csv(header, rows, delimiter, note))
    else:
        body = exports.generate_xlsx(header, rows, note)
    return _download(body, MIMETYPES[fmt], filename)


def _get(seeker_id: int, action: str) -> JobSeeker:
    seeker = db.get_or_404(JobSeeker, seeker_id)
    ensure(action, seeker)
    return seeker


@bp.route("/<int:seeker_id>/export")
@permission_required("jobseeker.export")
def export_person(seeker_id: int):
    seeker = _get(seeker_id, "jobseeker.export")
    body = json.dumps(privacy.person_export(seeker, current_user), ensure_ascii=False, indent=2)
    audit.record("jobseeker.exported", "jobseeker", seeker.id, format="json")
    db.session.commit()
    filename = f"jobseeker-{seeker.registration_number}-{date.today().isoformat()}.json"
    return _download(body, "application/json", filename)


@bp.route("/<int:seeker_id>/anonymise", methods=["GET", "POST"])
@permission_required("jobseeker.anonymise")
def anonymise(seeker_id: int):
    seeker = _get(seeker_id, "jobseeker.anonymise")
    form = AnonymiseForm()
    if form.is_submitted() and seeker.anonymised_at is not None:
        flash(_("This record was already anonymised: nothing was changed."), "info")
        return redirect(url_for("jobseekers.detail", seeker_id=seeker.id))
    if form.validate_on_submit():
        try:
            privacy.anonymise(seeker, form.reason.data, current_user)
            db.session.commit()
        except StaleDataError:  # another user saved or anonymised the record meanwhile
            db.session.rollback()
            flash(_("Someone else changed this record meanwhile: nothing was done. Check it and try again."),
                  "warning")
        else:
            flash(_("The record is anonymised: nothing in it identifies the person any more."), "success")
        return redirect(url_for("jobseekers.detail", seeker_id=seeker.id))
    return render_template("jobseekers/anonymise.html", seeker=seeker, form=form), 400 if form.errors else 200
