"""Pre-departure orientation workshops: plan them, enrol the agency's open dossiers within
capacity, record who came."""
from __future__ import annotations

from datetime import timezone

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext, to_user_timezone, to_utc
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import audit
from app.auth.access import ensure, permission_required, scope_clause
from app.auth.models import Agency
from app.db import utcnow
from app.extensions import db
from app.formtools import CHOOSE, choices
from app.jobseekers.models import JobSeeker
from app.mobility import bp
from app.mobility import documents as docs
from app.mobility import extra_forms as forms
from app.mobility.extra_routes.common import aware, committed, destination_choices
from app.mobility.models import FINAL_STAGES, Dossier, Enrolment, Workshop
from app.offers.models import PartnerProgramme


def _workshop(workshop_id: int) -> Workshop:
    workshop = db.get_or_404(Workshop, workshop_id)
    ensure("mobility.workshops", workshop)
    return workshop


def _started(workshop: Workshop) -> bool:
    return aware(workshop.starts_at) <= utcnow()


def _fill_workshop(form: forms.WorkshopForm, country: str, workshop: Workshop | None = None) -> None:
    form.destination_country.choices = choices([("", "—")] + destination_choices(country))
    query = sa.select(PartnerProgramme).where(PartnerProgramme.origin_country == country)
    current = workshop.programme_id if workshop else None
    query = query.where(sa.or_(PartnerProgramme.status.in_(("planned", "active")), PartnerProgramme.id == current))
    programmes = db.session.scalars(query.order_by(PartnerProgramme.name)).all()
    form.programme_id.choices = choices([(0, "—")] + [(p.id, p.name) for p in programmes])


def _workshop_valid(form: forms.WorkshopForm, workshop: Workshop | None = None) -> bool:
    if not form.is_submitted():
        return False
    valid = form.validate()
    if form.destination_country.data and form.destination_country.data not in \
            {choice.value for choice in form.destination_country.choices}:
        form.destination_country.errors.append(str(CHOOSE))
        valid = False
    if form.programme_id.data and form.programme_id.data not in {c.value for c in form.programme_id.choices}:
        form.programme_id.errors.append(str(CHOOSE))
        valid = False
    enrolled = len(workshop.enrolments) if workshop else 0
    if form.capacity.data and form.capacity.data < enrolled:
        form.capacity.errors.append(ngettext(
            "%(num)d person is already enrolled: the capacity cannot be lower.",
            "%(num)d people are already enrolled: the capacity cannot be lower.", enrolled))
        valid = False
    return valid


def _write_workshop(workshop: Workshop, form: forms.WorkshopForm) -> None:
    workshop.starts_at = to_utc(form.starts_at.data).replace(tzinfo=timezone.utc)
    workshop.place, workshop.topic = form.place.data.strip(), form.topic.data.strip()
    workshop.capacity = form.capacity.data
    workshop.destination_country = form.destination_country.data or None
    workshop.programme_id = form.programme_id.data or None


@bp.route("/workshops")
@permission_required("mobility.workshops")
def workshops():
    visible = scope_clause(current_user, "mobility.workshops", Workshop)
    now = utcnow()
    query = sa.select(Workshop, Agency.name).join(Agency, Agency.id == Workshop.agency_id).where(visible)
    upcoming = db.session.execute(query.where(Workshop.starts_at >= now).order_by(Workshop.starts_at)).all()
    past = db.session.execute(query.where(Workshop.starts_at < now)
                              .order_by(Workshop.starts_at.desc()).limit(100)).all()
    ids = [row[0].id for row in (*upcoming, *past)]
    counts = dict(db.session.execute(
        sa.select(Enrolment.workshop_id, sa.func.count(Enrolment.id)).where(Enrolment.workshop_id.in_(ids))
        .group_by(Enrolment.workshop_id)).all()) if ids else {}
    return render_template("mobility/extra_workshops.html", upcoming=upcoming, past=past, counts=counts,
                           may_create=current_user.agency_id is not None)


@bp.route("/workshops/new", methods=["GET", "POST"])
@permission_required("mobility.workshops")
def workshop_new():
    if current_user.agency_id is None:
        abort(403)  # a workshop belongs to an agency
    form = forms.WorkshopForm()
    _fill_workshop(form, current_user.country_code)
    if _workshop_valid(form):
        workshop = Workshop(agency_id=current_user.agency_id, country_code=current_user.country_code,
                            created_by_id=current_user.id)
        _write_workshop(workshop, form)
        db.session.add(workshop)
        db.session.flush()
        audit.record("mobility.workshop_created", "workshop", workshop.id)
        db.session.commit()
        flash(_("The workshop has been created."), "success")
        return redirect(url_for("mobility.workshop", workshop_id=workshop.id))
    if not form.is_submitted():
        form.capacity.data = 20
    return render_template("mobility/extra_workshop_form.html", form=form, workshop=None), \
        400 if form.errors else 200


@bp.route("/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
@permission_required("mobility.workshops")
def workshop_edit(workshop_id: int):
    workshop = _workshop(workshop_id)
    form = forms.WorkshopForm(obj=workshop)
    _fill_workshop(form, workshop.country_code, workshop)
    if _workshop_valid(form, workshop):
        _write_workshop(workshop, form)
        audit.record("mobility.workshop_updated", "workshop", workshop.id)
        db.session.commit()
        flash(_("The workshop has been saved."), "success")
        return redirect(url_for("mobility.workshop", workshop_id=workshop.id))
    if not form.is_submitted():
        form.starts_at.data = to_user_timezone(workshop.starts_at).replace(tzinfo=None)
        form.programme_id.data = workshop.programme_id or 0
        form.destination_country.data = workshop.destination_country or ""
    return render_template("mobility/extra_workshop_form.html", form=form, workshop=workshop), \
        400 if form.errors else 200


def _enrol_choices(workshop: Workshop) -> list[tuple[int, str]]:
    """The agency's open dossiers not yet enrolled."""
    enrolled = sa.select(Enrolment.dossier_id).where(Enrolment.workshop_id == workshop.id)
    rows = db.session.execute(
        sa.select(Dossier.id, Dossier.number, JobSeeker.last_name, JobSeeker.first_names)
        .join(JobSeeker, JobSeeker.id == Dossier.jobseeker_id)
        .where(Dossier.agency_id == workshop.agency_id, Dossier.stage.not_in([s.value for s in FINAL_STAGES]),
               Dossier.id.not_in(enrolled))
        .order_by(Dossier.number)).all()
    return [(row.id, f"{row.number} · {row.last_name} {row.first_names}") for row in rows]


@bp.route("/workshops/<int:workshop_id>")
@permission_required("mobility.workshops")
def workshop(workshop_id: int):
    workshop = _workshop(workshop_id)
    rows = db.session.execute(
        sa.select(Enrolment, Dossier.number, JobSeeker.last_name, JobSeeker.first_names)
        .join(Dossier, Dossier.id == Enrolment.dossier_id).join(JobSeeker, JobSeeker.id == Dossier.jobseeker_id)
        .where(Enrolment.workshop_id == workshop.id).order_by(Dossier.number)).all()
    enrol_form = forms.EnrolForm()
    enrol_form.dossier_id.choices = choices(_enrol_choices(workshop))
    attendance = forms.AttendanceForm(formdata=None)
    return render_template("mobility/extra_workshop.html", workshop=workshop, rows=rows, enrol_form=enrol_form,
                           attendance=attendance, started=_started(workshop),
                           agency=db.session.get(Agency, workshop.agency_id),
                           programme=db.session.get(PartnerProgramme, workshop.programme_id)
                           if workshop.programme_id else None)


def enrol(workshop_id: int, dossier: Dossier | None, actor_id: int) -> str | None:
    """Enrol an open dossier of the workshop's agency, within capacity; returns why not, or None.

    The workshop row is locked first, so that two counsellors cannot both take the last place.
    """
    workshop = db.session.execute(sa.select(Workshop).where(Workshop.id == workshop_id).with_for_update()
                                  .execution_options(populate_existing=True)).scalar_one()
    if dossier is None or dossier.agency_id != workshop.agency_id:
        return "dossier"
    if not dossier.is_open:
        return "closed"
    if _started(workshop):
        return "started"
    taken = set(db.session.scalars(sa.select(Enrolment.dossier_id).where(Enrolment.workshop_id == workshop.id)))
    if dossier.id in taken:
        return "twice"
    if len(taken) >= workshop.capacity:
        return "full"
    db.session.add(Enrolment(workshop_id=workshop.id, dossier_id=dossier.id))
    docs.add_event(dossier, "workshop_enrolled", actor_id, comment=workshop.topic, workshop_id=workshop.id)
    db.session.flush()
    return None


ENROL_REFUSALS = {
    "dossier": _l("Choose an open dossier of the workshop's agency."),
    "closed": _l("This dossier is closed: it cannot be enrolled."),
    "started": _l("The workshop has already started: nobody can be enrolled any more."),
    "twice": _l("This dossier is already enrolled in the workshop."),
    "full": _l("The workshop is full."),
}


@bp.route("/workshops/<int:workshop_id>/enrol", methods=["POST"])
@permission_required("mobility.workshops")
def workshop_enrol(workshop_id: int):
    workshop = _workshop(workshop_id)
    form = forms.EnrolForm()
    dossier = db.session.get(Dossier, form.dossier_id.data) if form.validate_on_submit() and \
        form.dossier_id.data else None
    try:
        refusal = enrol(workshop.id, dossier, current_user.id)
        if refusal is None:
            db.session.commit()
    except (IntegrityError, StaleDataError):  # enrolled by someone else at the same moment
        db.session.rollback()
        refusal = "twice"
    if refusal:
        db.session.rollback()
        flash(str(ENROL_REFUSALS[refusal]), "danger")
    else:
        flash(_("The dossier %(number)s is enrolled.", number=dossier.number), "success")
    return redirect(url_for("mobility.workshop", workshop_id=workshop.id))


@bp.route("/workshops/<int:workshop_id>/enrolments/<int:enrolment_id>/delete", methods=["POST"])
@permission_required("mobility.workshops")
def workshop_unenrol(workshop_id: int, enrolment_id: int):
    workshop = _workshop(workshop_id)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.workshop_id != workshop.id:
        abort(404)
    if _started(workshop):
        flash(_("The workshop has already started: record the attendance instead."), "warning")
    else:
        docs.add_event(enrolment.dossier, "workshop_unenrolled", current_user.id, comment=workshop.topic,
                       workshop_id=workshop.id)
        db.session.delete(enrolment)
        if committed():
            flash(_("The enrolment has been cancelled."), "success")
    return redirect(url_for("mobility.workshop", workshop_id=workshop_id))


@bp.route("/workshops/<int:workshop_id>/attendance", methods=["POST"])
@permission_required("mobility.workshops")
def workshop_attendance(workshop_id: int):
    workshop = _workshop(workshop_id)
    if not _started(workshop):
        flash(_("The attendance can be recorded once the workshop has taken place."), "warning")
        return redirect(url_for("mobility.workshop", workshop_id=workshop.id))
    form = forms.AttendanceForm()
    if not form.validate_on_submit():
        abort(400)
    present, changed = set(form.attended.data or ()), 0
    for enrolment in db.session.scalars(sa.select(Enrolment).where(Enrolment.workshop_id == workshop.id)
                                        .options(sa.orm.selectinload(Enrolment.dossier))):
        attended = enrolment.id in present
        if enrolment.attended is not attended:
            enrolment.attended = attended
            docs.add_event(enrolment.dossier, "workshop_attended" if attended else "workshop_missed",
                           current_user.id, comment=workshop.topic, workshop_id=workshop.id)
            changed += 1
    if committed():
        flash(_("The attendance has been recorded.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for("mobility.workshop", workshop_id=workshop_id))
