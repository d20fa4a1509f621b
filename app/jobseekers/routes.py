from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import audit
from app.audit import AuditEvent
from app.auth.access import can, ensure, permission_required
from app.auth.models import Region
from app.extensions import db
from app.formtools import choices
from app.i18n import country_name, country_names, localised_label
from app.jobseekers import bp, services
from app.auth.forms import ConfirmForm
from app.jobseekers.forms import JobSeekerForm, SearchForm
from app.jobseekers.identity import check_national_id, normalise_national_id, parse_birth, parse_phone
from app.jobseekers.models import ConsentPurpose, JobSeeker, JobSeekerOccupation
from app.jobseekers.search import build_query
from app.reference.models import Occupation
from app.urls import safe_next
from app.reference.services import suggest_occupations


def _regions(country: str) -> list:
    regions = db.session.scalars(sa.select(Region).where(Region.country_code == country)).all()
    return sorted(((r.id, r.label) for r in regions), key=lambda pair: pair[1])


def _fill_choices(form: JobSeekerForm, country: str) -> None:
    nations = sorted(country_names().items(), key=lambda pair: pair[1])
    form.nationality.choices = choices([("", "—")] + nations)
    form.region_id.choices = choices([(0, "—")] + _regions(country))
    for n in (1, 2, 3):
        text = getattr(form, f"occupation_{n}").data or ""
        field = getattr(form, f"occupation_{n}_code")
        found = [(s.code, s.label) for s in suggest_occupations(text, limit=5)] if text.strip() else []
        exact = db.session.get(Occupation, text.strip().upper()) if text.strip() else None
        if exact is not None:  # a counsellor who knows the code types it
            found = [(exact.code, localised_label(exact))]
        field.choices = choices([("", "—")] + [(code, f"{code} · {label}") for code, label in found])
        if text.strip() and not field.data and found:
            field.data = found[0][0]  # the best guess, shown for the agent to confirm


def _person_data(form: JobSeekerForm, country: str) -> services.PersonData | None:
    """Turn a valid form into PersonData, adding field errors for what only now fails."""
    ok = True
    phones = []
    for field in (form.phone_1, form.phone_2):
        if field.data and field.data.strip():
            try:
                phones.append(parse_phone(field.data, country))
            except ValueError:
                field.errors.append(_("This phone number is not valid for %(country)s or in international form.",
                                      country=country_name(country)))
                ok = False
    if form.nationality.data and form.nationality.data not in country_names("en"):
        form.nationality.errors.append(_("Choose a country from the list."))
        ok = False
    if form.region_id.data and form.region_id.data not in {rid for rid, _label in _regions(country)}:
        form.region_id.errors.append(_("Choose a region of the agency's country."))
        ok = False
    national_id = normalise_national_id(form.national_id.data)
    if national_id and not check_national_id(country, form.national_id_type.data, national_id):
        form.national_id.errors.append(_("The national ID does not have the expected format."))
        ok = False
    birth_date, birth_year = parse_birth(form.birth.data) if form.birth.data else (None, None)
    occupations = []
    for n in (1, 2, 3):
        text = (getattr(form, f"occupation_{n}").data or "").strip()
        code = getattr(form, f"occupation_{n}_code").data
        if text and not code:
            getattr(form, f"occupation_{n}").errors.append(_("No occupation matches this title; try other words."))
            ok = False
        elif code and db.session.get(Occupation, code) is None:
            getattr(form, f"occupation_{n}_code").errors.append(_("Choose an occupation from the list."))
            ok = False
        elif code:
            occupations.append(services.OccupationChoice(code, text, getattr(form, f"experience_{n}").data))
    if not ok:
        return None
    consents = tuple(p for p in ("propose", "share_employers", "share_abroad") if getattr(form, f"consent_{p}").data)
    return services.PersonData(
        last_name=form.last_name.data, first_names=form.first_names.data, sex=form.sex.data or None,
        birth_date=birth_date, birth_year=birth_year, phones=phones, national_id_type=form.national_id_type.data,
        national_id=national_id, nationality=form.nationality.data or None, email=form.email.data or None,
        region_id=form.region_id.data or None, commune=form.commune.data or None, occupations=occupations,
        consents=consents,
    )


def _national_id_taken(form: JobSeekerForm, error: IntegrityError) -> None:
    """Roll back and explain a clash on the one-person-per-national-ID constraint (another
    request may have saved the same ID a moment earlier); any other violation is a bug."""
    db.session.rollback()
    if "national_id" not in str(error.orig):
        raise error
    form.national_id.errors.append(_("This national ID is already registered to another person."))


@bp.route("/new", methods=["GET", "POST"])
@permission_required("jobseeker.write")
def create():
    agency = current_user.agency
    if agency is None:
        flash(_("Only staff of an agency can register job-seekers."), "warning")
        return redirect(url_for("main.index"))
    form = JobSeekerForm()
    _fill_choices(form, agency.country_code)
    duplicates = []
    if form.validate_on_submit():
        data = _person_data(form, agency.country_code)
        if data is not None:
            duplicates = services.find_possible_duplicates(agency.country_code, data)
            if duplicates:
                # The check looks country-wide; the trail says who asked about whom.
                audit.record("jobseeker.duplicate_check", "agency", agency.id,
                             candidates=[s.registration_number for s, _m in duplicates])
            if duplicates and not form.confirm_new.data:
                flash(_("This person may already be registered. Open the existing record, or confirm "
                        "that this is a different person."), "warning")
            elif duplicates and not (form.confirm_reason.data or "").strip():
                form.confirm_reason.errors.append(_("Say why this is a different person."))
            else:
                try:
                    seeker = services.register_jobseeker(agency, data)
                    if duplicates:
                        audit.record("jobseeker.duplicate_overridden", "jobseeker", seeker.id,
                                     reason=form.confirm_reason.data.strip()[:500],
                                     candidates=[s.registration_number for s, _m in duplicates])
                    db.session.commit()
                except IntegrityError as error:
                    _national_id_taken(form, error)
                else:
                    flash(_("%(name)s is registered under number %(number)s.", name=seeker.full_name,
                            number=seeker.registration_number), "success")
                    return redirect(url_for("jobseekers.detail", seeker_id=seeker.id))
    if duplicates:
        db.session.commit()  # keep the trail of the check even when nothing is registered
    status = 400 if form.errors or duplicates else 200
    readable = [(other, match, can(current_user, "jobseeker.read", other)) for other, match in duplicates]
    return render_template("jobseekers/form.html", form=form, duplicates=readable, seeker=None), status


def _prefill(form: JobSeekerForm, seeker: JobSeeker) -> None:
    form.last_name.data, form.first_names.data = seeker.last_name, seeker.first_names
    form.sex.data = seeker.sex or ""
    form.birth.data = seeker.birth_date.strftime("%d/%m/%Y") if seeker.birth_date else (
        str(seeker.birth_year) if seeker.birth_year else "")
    form.nationality.data = seeker.nationality or ""
    form.national_id_type.data = seeker.national_id_type or "cni"
    form.national_id.data = seeker.national_id or ""
    phones = [p.number for p in seeker.phones] + ["", ""]
    form.phone_1.data, form.phone_2.data = phones[0], phones[1]
    form.email.data, form.commune.data = seeker.email or "", seeker.commune or ""
    form.region_id.data = seeker.region_id or 0
    for n, occupation in enumerate(seeker.occupations[:3], start=1):
        getattr(form, f"occupation_{n}").data = occupation.title or occupation.occupation_code
        getattr(form, f"occupation_{n}_code").data = occupation.occupation_code
        getattr(form, f"experience_{n}").data = occupation.years_experience
    for purpose in ConsentPurpose:
        getattr(form, f"consent_{purpose.value}").data = services.has_consent(seeker, purpose)
    form.version.data = str(seeker.version)


@bp.route("/<int:seeker_id>/edit", methods=["GET", "POST"])
@permission_required("jobseeker.write")
def edit(seeker_id: int):
    seeker = _get(seeker_id, "jobseeker.write")
    form = JobSeekerForm()
    if request.method == "GET":
        _prefill(form, seeker)
    _fill_choices(form, seeker.country_code)
    if form.validate_on_submit():
        data = _person_data(form, seeker.country_code)
        if data is not None:
            expected = int(form.version.data) if (form.version.data or "").isdigit() else -1
            try:
                changed = services.update_jobseeker(seeker, data, expected_version=expected)
                for purpose in ConsentPurpose:
                    if purpose.value not in data.consents:
                        services.withdraw_consent(seeker, purpose)
                db.session.commit()
            except (services.StaleEdit, StaleDataError):
                db.session.rollback()
                # Keep what this agent typed, and say plainly that someone else saved first.
                form.version.data = str(db.session.get(JobSeeker, seeker_id).version)
                flash(_("Someone else changed this record while you were editing it. Your changes are "
                        "not saved yet: check the current record, then save again to apply them."), "danger")
                return render_template("jobseekers/form.html", form=form, duplicates=[], seeker=seeker,
                                       conflict=True), 409
            except IntegrityError as error:
                _national_id_taken(form, error)
            else:
                flash(_("The record has been saved.") if changed else _("Nothing was changed."), "success")
                return redirect(url_for("jobseekers.detail", seeker_id=seeker.id))
    return render_template("jobseekers/form.html", form=form, duplicates=[], seeker=seeker), \
        400 if form.errors else 200


def _get(seeker_id: int, action: str = "jobseeker.read") -> JobSeeker:
    seeker = db.get_or_404(JobSeeker, seeker_id, options=[
        sa.orm.selectinload(JobSeeker.occupations).joinedload(JobSeekerOccupation.occupation)])
    ensure(action, seeker)
    return seeker


@bp.route("/<int:seeker_id>")
@permission_required("jobseeker.read")
def detail(seeker_id: int):
    seeker = _get(seeker_id)
    audit.record("jobseeker.read", "jobseeker", seeker.id)
    db.session.commit()
    history = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "jobseeker",
                                    AuditEvent.object_id == str(seeker.id),
                                    AuditEvent.action != "jobseeker.read")
        .order_by(AuditEvent.at.desc()).limit(50)).all()
    return render_template("jobseekers/detail.html", seeker=seeker, history=history)


@bp.route("/")
@permission_required("jobseeker.read")
def index():
    form = SearchForm(request.args)
    if form.q.data and len(form.q.data) > 100:
        form.q.data = form.q.data[:100]
    country = current_user.country_code or "SN"
    form.region_id.choices = choices([(0, _("All"))] + _regions(country))
    query = build_query(current_user, q=form.q.data or "", occupation=form.occupation.data or "",
                        status=form.status.data or "", region_id=form.region_id.data or None,
                        default_region=country)
    page = db.paginate(query.options(sa.orm.selectinload(JobSeeker.occupations)), per_page=25, error_out=False)
    args = {k: v for k, v in request.args.items() if k in ("q", "occupation", "status", "region_id") and v}
    return render_template("jobseekers/index.html", form=form, page=page, args=args)


@bp.route("/unconfirmed")
@permission_required("jobseeker.read")
def unconfirmed():
    query = build_query(current_user).where(services.unconfirmed_clause())
    query = query.options(sa.orm.selectinload(JobSeeker.occupations))
    page = db.paginate(query, per_page=25, error_out=False)
    return render_template("jobseekers/unconfirmed.html", page=page, form=ConfirmForm(),
                           days=services.CONFIRM_EVERY_DAYS)


@bp.route("/<int:seeker_id>/confirm", methods=["POST"])
@permission_required("jobseeker.write")
def confirm(seeker_id: int):
    seeker = _get(seeker_id, "jobseeker.write")
    if ConfirmForm().validate_on_submit():
        services.confirm_still_looking(seeker)
        db.session.commit()
        flash(_("%(name)s is still looking for work: confirmed today.", name=seeker.full_name), "success")
    return redirect(safe_next(request.form.get("next")) if request.form.get("next")
                    else url_for("jobseekers.detail", seeker_id=seeker.id))
