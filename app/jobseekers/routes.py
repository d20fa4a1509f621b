from __future__ import annotations

import segno
import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app import audit
from app.audit import AuditEvent
from app.auth.access import can, ensure, permission_required
from app.auth.models import Country, Region
from app.extensions import db
from app.formtools import choices
from app.i18n import country_name, country_names, localised_label
from app.jobseekers import bp, services
from app.auth.forms import ConfirmForm
from app.jobseekers.forms import JobSeekerForm, MergeForm, SearchForm, StatusForm
from app.jobseekers.identity import check_national_id, normalise_national_id, parse_birth, parse_phone
from app.jobseekers.models import (
    STATUS_TITLES, ConsentPurpose, ExperienceKind, JobSeeker, JobSeekerOccupation, QualificationKind,
)
from app.jobseekers.search import build_query
from app.matching import referrals
from app.matching.models import REFERRAL_STATUS_TITLES
from app.reference.models import Occupation, OccupationSkill, Skill
from app.reference.vocab import LANGUAGE_CODES, language_choices
from app.urls import safe_next
from app.reference.services import suggest_occupations


def _regions(country: str) -> list:
    regions = db.session.scalars(sa.select(Region).where(Region.country_code == country)).all()
    return sorted(((r.id, r.label) for r in regions), key=lambda pair: pair[1])


def _fill_choices(form: JobSeekerForm, country: str) -> None:
    nations = sorted(country_names().items(), key=lambda pair: pair[1])
    form.nationality.choices = choices([("", "—")] + nations)
    regions = _regions(country)
    form.region_id.choices = choices([(0, "—")] + regions)
    form.mobility_regions.choices = choices(regions)
    codes = db.session.scalars(sa.select(Country.code).where(Country.code != country)).all()
    form.mobility_countries.choices = choices(sorted(((c, country_name(c)) for c in codes), key=lambda p: p[1]))
    languages = choices([("", "—")] + language_choices())
    for entry in form.languages:
        entry.form.language.choices = languages
    if not form.is_submitted() and not form.salary_amount.data:
        currency = db.session.scalar(sa.select(Country.currency).where(Country.code == country))
        form.salary_currency.data = currency or form.salary_currency.data
    for n in (1, 2, 3):
        text = getattr(form, f"occupation_{n}").data or ""
        field = getattr(form, f"occupation_{n}_code")
        found = [(s.code, s.label) for s in suggest_occupations(text, limit=5)] if text.strip() else []
        exact = db.session.get(Occupation, text.strip().upper()) if text.strip() else None
        if exact is not None:  # a counsellor who knows the code types it
            found = [(exact.code, localised_label(exact))]
        if field.data and field.data not in {code for code, _label in found}:
            chosen = db.session.get(Occupation, field.data)
            if chosen is not None:  # the agent's choice stays offered after a re-display
                found.append((chosen.code, localised_label(chosen)))
        field.choices = choices([("", "—")] + [(code, f"{code} · {label}") for code, label in found])
        if text.strip() and not field.data and found:
            field.data = found[0][0]  # the best guess, shown for the agent to confirm
    form.skill_groups = _skill_groups(form)
    form.skills.choices = choices((code, label) for _title, group in form.skill_groups for code, label, _core in group)


def _skill_groups(form: JobSeekerForm) -> list[tuple[str, list[tuple[str, str, bool]]]]:
    """The skills of each coded occupation, core skills first, for the agent to tick."""
    groups = []
    for n in (1, 2, 3):
        code = getattr(form, f"occupation_{n}_code").data
        occupation = db.session.get(Occupation, code) if code else None
        if occupation is None:
            continue
        rows = db.session.execute(
            sa.select(Skill, OccupationSkill.core).join(OccupationSkill, OccupationSkill.skill_code == Skill.code)
            .where(OccupationSkill.occupation_code == code)).all()
        group = sorted(((skill.code, localised_label(skill), core) for skill, core in rows),
                       key=lambda item: (not item[2], item[1]))
        groups.append((f"{code} · {localised_label(occupation)}", group))
    return groups


def _profile_data(form: JobSeekerForm) -> services.ProfileData | None:
    """The profile part of a valid form, adding field errors for what only now fails."""
    ok = True
    known_languages = set(LANGUAGE_CODES)
    languages = []
    for entry in form.languages:
        code, level = entry.form.language.data, entry.form.level.data
        if code and code not in known_languages:
            entry.form.language.errors.append(_("Choose a language from the list."))
            ok = False
        elif code:
            languages.append((code, level))
    skill_codes = [code for code in form.skills.data or [] if code]
    known = set(db.session.scalars(sa.select(Skill.code).where(Skill.code.in_(skill_codes)))) if skill_codes else set()
    if set(skill_codes) - known:
        form.skills.errors.append(_("Choose skills from the lists."))
        ok = False
    regions = {choice.value for choice in form.mobility_regions.choices}
    if set(form.mobility_regions.data or []) - regions:
        form.mobility_regions.errors.append(_("Choose regions of the agency's country."))
        ok = False
    countries = {choice.value for choice in form.mobility_countries.choices}
    if set(form.mobility_countries.data or []) - countries:
        form.mobility_countries.errors.append(_("Choose a country from the list."))
        ok = False
    if form.salary_amount.data is not None and not (form.salary_currency.data and form.salary_period.data):
        form.salary_period.errors.append(_("Give the currency and the period of the salary."))
        ok = False
    if not ok:
        return None
    free = [part.strip()[:200] for part in (form.free_skills.data or "").replace(";", ",").split(",")]
    experiences = [services.ExperienceData(
        kind=e.form.kind.data or ExperienceKind.FORMAL.value, title=e.form.title.data.strip(), employer=(e.form.employer.data or "").strip() or None,
        place=(e.form.place.data or "").strip() or None, start_year=e.form.start_year.data,
        end_year=e.form.end_year.data) for e in form.experiences if (e.form.title.data or "").strip()]
    qualifications = [services.QualificationData(
        kind=q.form.kind.data or QualificationKind.DIPLOMA.value, title=q.form.title.data.strip(),
        institution=(q.form.institution.data or "").strip() or None, year=q.form.year.data)
        for q in form.qualifications if (q.form.title.data or "").strip()]
    return services.ProfileData(
        education_level=form.education_level.data or None, driving_licences=tuple(form.driving_licences.data or ()),
        disability=form.disability.data, disability_note=(form.disability_note.data or "").strip() or None,
        availability_date=form.availability_date.data, salary_amount=form.salary_amount.data,
        salary_currency=form.salary_currency.data if form.salary_amount.data is not None else None,
        salary_period=form.salary_period.data if form.salary_amount.data is not None else None,
        abroad_interest=form.abroad_interest.data, languages=languages, skill_codes=skill_codes,
        free_skills=[f for f in free if f], experiences=experiences, qualifications=qualifications,
        mobility_region_ids=list(form.mobility_regions.data or []),
        mobility_countries=list(form.mobility_countries.data or []),
    )


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
    birth_date, birth_year = parse_birth(form.birth.data) if form.birth.data and not form.birth.errors \
        else (None, None)
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
    profile = _profile_data(form)
    if not ok or profile is None:
        return None
    consents = tuple(p for p in ("propose", "share_employers", "share_abroad") if getattr(form, f"consent_{p}").data)
    return services.PersonData(
        last_name=form.last_name.data, first_names=form.first_names.data, sex=form.sex.data or None,
        birth_date=birth_date, birth_year=birth_year, phones=phones, national_id_type=form.national_id_type.data,
        national_id=national_id, nationality=form.nationality.data or None, email=form.email.data or None,
        region_id=form.region_id.data or None, commune=form.commune.data or None, occupations=occupations,
        consents=consents, profile=profile,
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
    if form.refresh.data:
        return render_template("jobseekers/form.html", form=form, duplicates=[], seeker=None)
    if form.is_submitted():
        # Every mistake is shown at once: the checks that need the database run even when
        # the form's own validation already failed.
        valid = form.validate()
        data = _person_data(form, agency.country_code)
        if valid and data is not None:
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


def _initial(seeker: JobSeeker) -> dict:
    """The edit form's first values; each list gets one free row for something new."""
    phones = [p.number for p in seeker.phones] + ["", ""]
    data = {
        "last_name": seeker.last_name, "first_names": seeker.first_names, "sex": seeker.sex or "",
        "birth": seeker.birth_date.strftime("%d/%m/%Y") if seeker.birth_date else (
            str(seeker.birth_year) if seeker.birth_year else ""),
        "nationality": seeker.nationality or "", "national_id_type": seeker.national_id_type or "cni",
        "national_id": seeker.national_id or "", "phone_1": phones[0], "phone_2": phones[1],
        "email": seeker.email or "", "commune": seeker.commune or "", "region_id": seeker.region_id or 0,
        "education_level": seeker.education_level or "", "driving_licences": seeker.driving_licences.split(),
        "disability": seeker.disability, "disability_note": seeker.disability_note or "",
        "availability_date": seeker.availability_date, "salary_amount": seeker.salary_amount,
        "salary_currency": seeker.salary_currency, "salary_period": seeker.salary_period,
        "abroad_interest": seeker.abroad_interest,
        "skills": [s.skill_code for s in seeker.skills if s.skill_code],
        "free_skills": ", ".join(s.label for s in seeker.skills if not s.skill_code),
        "languages": [{"language": lang.language, "level": lang.level} for lang in seeker.languages] + [{}],
        "experiences": [{"kind": e.kind, "title": e.title, "employer": e.employer or "", "place": e.place or "",
                         "start_year": e.start_year, "end_year": e.end_year} for e in seeker.experiences] + [{}],
        "qualifications": [{"kind": q.kind, "title": q.title, "institution": q.institution or "", "year": q.year}
                           for q in seeker.qualifications] + [{}],
        "mobility_regions": [r.id for r in seeker.mobility_regions],
        "mobility_countries": [c.code for c in seeker.mobility_countries],
        "version": str(seeker.version),
    }
    for n, occupation in enumerate(seeker.occupations[:3], start=1):
        data[f"occupation_{n}"] = occupation.title or occupation.occupation_code
        data[f"occupation_{n}_code"] = occupation.occupation_code
        data[f"experience_{n}"] = occupation.years_experience
    for purpose in ConsentPurpose:
        data[f"consent_{purpose.value}"] = services.has_consent(seeker, purpose)
    return data


@bp.route("/<int:seeker_id>/edit", methods=["GET", "POST"])
@permission_required("jobseeker.write")
def edit(seeker_id: int):
    seeker = _get(seeker_id, "jobseeker.write")
    if _closed(seeker):
        return redirect(url_for("jobseekers.detail", seeker_id=seeker.id))
    form = JobSeekerForm() if request.method == "POST" else JobSeekerForm(data=_initial(seeker))
    _fill_choices(form, seeker.country_code)
    if form.refresh.data:
        return render_template("jobseekers/form.html", form=form, duplicates=[], seeker=seeker)
    if form.is_submitted():
        valid = form.validate()
        data = _person_data(form, seeker.country_code)
        if valid and data is not None:
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
    # One history for the person: this record's and that of the duplicates merged into it.
    ids = [str(i) for i in services.merged_ids(seeker)]
    history = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "jobseeker", AuditEvent.object_id.in_(ids),
                                    AuditEvent.action != "jobseeker.read")
        .options(sa.orm.joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(100)).all()
    reads = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "jobseeker", AuditEvent.object_id.in_(ids), AuditEvent.action == "jobseeker.read"))
    status_form = StatusForm(formdata=None, status=seeker.status)
    return render_template("jobseekers/detail.html", seeker=seeker, history=history, reads=reads,
                           status_form=status_form, confirm_form=ConfirmForm(),
                           referral_list=referrals.for_seeker(current_user, seeker),
                           referral_titles=REFERRAL_STATUS_TITLES,
                           can_find_offers="matching.offers_for" in current_app.view_functions)


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
    if ConfirmForm().validate_on_submit() and not _closed(seeker):
        services.confirm_still_looking(seeker)
        db.session.commit()
        flash(_("%(name)s is still looking for work: confirmed today.", name=seeker.full_name), "success")
    return redirect(safe_next(request.form.get("next")) if request.form.get("next")
                    else url_for("jobseekers.detail", seeker_id=seeker.id))


@bp.route("/<int:seeker_id>/status", methods=["POST"])
@permission_required("jobseeker.write")
def change_status(seeker_id: int):
    seeker = _get(seeker_id, "jobseeker.write")
    form = StatusForm()
    if form.validate_on_submit() and not _closed(seeker):
        if services.change_status(seeker, form.status_value()):
            db.session.commit()
            flash(_("The status is now: %(status)s.", status=STATUS_TITLES[form.status_value()]), "success")
        else:
            flash(_("Nothing was changed."), "info")
    elif form.errors:
        flash(_("Choose a status from the list."), "danger")
    return redirect(url_for("jobseekers.detail", seeker_id=seeker.id))


def _closed(seeker: JobSeeker) -> bool:
    """Anonymised and merged records are kept as history and no longer change."""
    if seeker.anonymised_at or seeker.merged_into_id:
        flash(_("This record is closed (anonymised or merged) and can no longer be changed."), "warning")
        return True
    return False


@bp.route("/<int:seeker_id>/card")
@permission_required("jobseeker.read")
def card(seeker_id: int):
    """The printable job-seeker card; its QR code opens the record for an authorised agent."""
    seeker = _get(seeker_id)
    if seeker.anonymised_at or seeker.merged_into_id:
        abort(404)
    target = url_for("jobseekers.by_number", number=seeker.registration_number, _external=True)
    qr = segno.make(target, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    audit.record("jobseeker.card_printed", "jobseeker", seeker.id)
    db.session.commit()
    return render_template("jobseekers/card.html", seeker=seeker, qr=Markup(qr), target=target)


@bp.route("/n/<number>")
@permission_required("jobseeker.read")
def by_number(number: str):
    """Where a card's QR code leads: the record, if the reader may see it (else 404)."""
    seeker = db.first_or_404(sa.select(JobSeeker).where(JobSeeker.registration_number == number.upper()[:32]))
    ensure("jobseeker.read", seeker)
    if seeker.merged_into_id:
        seeker = db.get_or_404(JobSeeker, seeker.merged_into_id)
        ensure("jobseeker.read", seeker)
    return redirect(url_for("jobseekers.detail", seeker_id=seeker.id))


MERGE_REFUSALS = {
    "same": _l("A record cannot be merged with itself."),
    "country": _l("The two records belong to different countries."),
    "closed": _l("One of the records is anonymised or already merged."),
}


@bp.route("/<int:seeker_id>/merge", methods=["GET", "POST"])
@permission_required("jobseeker.merge")
def merge(seeker_id: int):
    """Merge a duplicate record into this one, after the agent compared both side by side."""
    seeker = _get(seeker_id, "jobseeker.merge")
    form = MergeForm(formdata=request.args) if request.method == "GET" else MergeForm()
    other = None
    if form.other.data:
        other = db.session.scalar(sa.select(JobSeeker).where(
            JobSeeker.registration_number == form.other.data.strip().upper()))
        if other is None or not can(current_user, "jobseeker.merge", other):
            form.other.errors = [_("No record with this number that you may merge.")]
            other = None
    if request.method == "POST" and other is not None and form.validate_on_submit():
        if not form.confirm.data:
            form.confirm.errors.append(_("Tick the box to confirm that both records are the same person."))
        else:
            try:
                services.merge_jobseekers(seeker, other)
                db.session.commit()
            except services.MergeRefused as refusal:
                db.session.rollback()
                form.other.errors.append(str(MERGE_REFUSALS[refusal.reason]))
            else:
                flash(_("%(other)s has been merged into this record; its history is kept.",
                        other=other.registration_number), "success")
                return redirect(url_for("jobseekers.detail", seeker_id=seeker.id))
    status = 400 if form.errors and request.method == "POST" else 200
    return render_template("jobseekers/merge.html", seeker=seeker, other=other, form=form), status
