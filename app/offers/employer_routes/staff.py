"""The employer register as staff see it, its approval queue, and the employer's own page."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import Scope, can, granted_scope, permission_required
from app.auth.forms import ConfirmForm
from app.auth.models import User
from app.extensions import db
from app.formtools import choices
from app.offers import employer_forms as forms
from app.offers import employers as services
from app.offers import employers_bp as bp
from app.offers.employer_routes.common import (
    agencies, clash, company_data, contacts_data, countries, get_employer, label_numbers, programmes, regions,
    seat_of, staff_only, username_taken,
)
from app.offers.models import Employer, EmployerKind, EmployerRegistration, EmployerStatus
from app.offers.registration_schemes import compact_number, schemes_for


@bp.route("/")
@permission_required("employer.read")
def index():
    if current_user.employer_id is not None:
        return redirect(url_for("employers.detail", employer_id=current_user.employer_id))
    form = forms.EmployerSearchForm(request.args)
    q = (form.q.data or "").strip()[:100]
    query = sa.select(Employer).where(services.visible_clause(current_user))
    if q:
        found = [sa.func.lower(Employer.name).contains(q.lower(), autoescape=True)]
        if compact_number(q):
            found.append(Employer.id.in_(sa.select(EmployerRegistration.employer_id).where(
                sa.func.replace(EmployerRegistration.number, "-", "").contains(compact_number(q), autoescape=True))))
        query = query.where(sa.or_(*found))
    if form.kind.data:
        query = query.where(Employer.kind == form.kind.data)
    if form.status.data:
        query = query.where(Employer.status == form.status.data)
    query = query.options(sa.orm.selectinload(Employer.registrations), sa.orm.joinedload(Employer.agency))
    page = db.paginate(query.order_by(Employer.name, Employer.id), per_page=25, error_out=False)
    args = {k: v for k, v in request.args.items() if k in ("q", "kind", "status") and v}
    pending = db.session.scalar(sa.select(sa.func.count()).select_from(Employer).where(
        Employer.status == EmployerStatus.PENDING.value, services.visible_clause(current_user, "employer.approve")))
    return render_template("employers/index.html", form=form, page=page, args=args, pending=pending)


def _fill_staff_choices(form: forms.EmployerForm, country: str) -> None:
    form.seat_country.choices = choices(countries())
    form.region_id.choices = choices([(0, "—")] + regions(country))
    form.programme_id.choices = choices([(0, "—")] + programmes(country))
    form.agency_id.choices = choices([(a.id, str(a)) for a in agencies(country)])


def _staff_data(form: forms.EmployerForm, country: str) -> services.EmployerData | None:
    """The staff form's data: national employers are based at home, foreign ones abroad."""
    seat = seat_of(form, country)
    if form.kind.data in (EmployerKind.FOREIGN, EmployerKind.PARTNER_PES) and seat == country:
        form.seat_country.errors.append(_("A foreign employer or partner service is based abroad: choose "
                                          "the country of its seat."))
    elif seat not in {code for code, _name in countries()}:
        form.seat_country.errors.append(_("Choose a country from the list."))
    programme_id = form.programme_id.data or None
    if programme_id and programme_id not in {pid for pid, _label in programmes(country)}:
        form.programme_id.errors.append(_("Choose a programme from the list."))
    data = company_data(form, seat, country)
    if data is not None:
        data.programme_id = programme_id
    return data


def _similar(data: services.EmployerData, country: str, exclude_id: int | None = None) -> list[tuple[Employer, bool]]:
    """Employers with a similar name, each with whether the agent may open it."""
    return [(e, can(current_user, "employer.read", e))
            for e in services.similar_employers(country, data.name, exclude_id)]


def _submitted(form: forms.EmployerForm, home: str,
               employer: Employer | None = None) -> tuple[services.EmployerData | None, list]:
    """Check a submitted staff form: the data when it can be saved, and the employers with a
    similar name to show. Every mistake at once: the checks that need the database run even when
    the form's own failed."""
    valid = form.validate()
    data = _staff_data(form, home)
    exclude = employer.id if employer else None
    if not valid or data is None or form.errors or clash(form, data, home, exclude):
        return None, []
    renamed = employer is None or data.name != employer.name
    similar = _similar(data, home, exclude) if renamed else []
    if similar and not form.confirm_similar.data:
        flash(_("An employer with a similar name is already registered. Open it, or confirm that this "
                "is a different employer."), "warning")
        return None, similar
    return data, similar


def _render_form(form: forms.EmployerForm, seat: str, employer: Employer | None, similar=(), show_agency=False):
    form.numbers_country.data = seat  # the labels the person now sees
    status = 400 if form.errors or similar else 200
    return render_template("employers/form.html", form=form, employer=employer, similar=similar,
                           show_agency=show_agency), status


@bp.route("/new", methods=["GET", "POST"])
@permission_required("employer.manage")
def new():
    staff_only()
    agency = current_user.agency
    if agency is None:
        flash(_("Only staff of an agency can register employers."), "warning")
        return redirect(url_for("employers.index"))
    home = agency.country_code
    form = forms.EmployerForm()
    _fill_staff_choices(form, home)
    if not form.is_submitted():
        form.seat_country.data = home
    seat = seat_of(form, home)
    label_numbers(form, seat)
    similar = []
    if form.is_submitted():
        data, similar = _submitted(form, home)
        if data is not None:
            employer = services.register_employer(data, agency, similar_confirmed=bool(similar))
            db.session.commit()
            flash(_("%(name)s is registered.", name=employer.name), "success")
            return redirect(url_for("employers.detail", employer_id=employer.id))
    return _render_form(form, seat, None, similar)


@bp.route("/<int:employer_id>")
@permission_required("employer.read")
def detail(employer_id: int):
    employer = get_employer(employer_id)
    pending = employer.status == EmployerStatus.PENDING.value
    reviewable = pending and can(current_user, "employer.approve", employer)
    similar = [(e, can(current_user, "employer.read", e)) for e in
               services.similar_employers(employer.country_code, employer.name, employer.id)] if reviewable else []
    # The offers package may not be deployed yet: link to it only when it is there.
    new_offer = None
    if ("offers.new" in current_app.view_functions and employer.active
            and employer.status == EmployerStatus.APPROVED.value and can(current_user, "offer.edit", employer)):
        new_offer = url_for("offers.new", employer_id=employer.id)
    return render_template(
        "employers/detail.html", employer=employer, users=services.employer_users(employer),
        history=services.history(employer), review_form=forms.ReviewForm() if reviewable else None,
        similar=similar, new_offer=new_offer, confirm_form=ConfirmForm(),
        staff=current_user.employer_id is None)


def _initial(employer: Employer) -> dict:
    """The edit form's first values: the record's columns, each number in its scheme's field."""
    data = {name: getattr(employer, name) for name in services.EDITABLE}
    seat = employer.seat_country or employer.country_code
    numbers = {r.scheme: r.number for r in employer.registrations}
    for name, scheme in zip(("number_1", "number_2"), schemes_for(seat)):
        data[name] = numbers.get(scheme.code, "")
    data.update(agency_id=employer.agency_id, seat_country=seat, region_id=employer.region_id or 0,
                programme_id=employer.programme_id or 0, legal_form=employer.legal_form or "",
                sector=employer.sector or "")
    return data


def _edit_contacts(employer: Employer):
    """An employer user's edit: contacts and address only."""
    form = forms.ContactsForm(obj=employer)
    if form.validate_on_submit():
        data = contacts_data(form, employer.seat_country or employer.country_code)
        if data is not None:
            changed = services.update_contacts(employer, data)
            db.session.commit()
            flash(_("The record has been saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("employers.detail", employer_id=employer.id))
    return render_template("employers/contacts.html", form=form, employer=employer), 400 if form.errors else 200


@bp.route("/<int:employer_id>/edit", methods=["GET", "POST"])
@permission_required("employer.manage")
def edit(employer_id: int):
    employer = get_employer(employer_id, "employer.manage")
    if current_user.employer_id is not None:
        return _edit_contacts(employer)
    home = employer.country_code
    form = forms.EmployerForm() if request.method == "POST" else forms.EmployerForm(data=_initial(employer))
    _fill_staff_choices(form, home)
    country_wide = granted_scope(current_user, "employer.manage") >= Scope.COUNTRY
    seat = seat_of(form, home)
    label_numbers(form, seat)
    similar = []
    if form.is_submitted():
        data, similar = _submitted(form, home, employer)
        agency_id = form.agency_id.data if country_wide else None
        if data is not None and country_wide and agency_id not in {a.id for a in agencies(home)}:
            form.agency_id.errors.append(_("Choose an agency of the country."))
        elif data is not None:
            changed = services.update_employer(employer, data, agency_id)
            db.session.commit()
            flash(_("The record has been saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("employers.detail", employer_id=employer.id))
    return _render_form(form, seat, employer, similar, show_agency=country_wide)


@bp.route("/<int:employer_id>/active", methods=["POST"])
@permission_required("employer.manage")
def set_active(employer_id: int):
    staff_only()
    employer = get_employer(employer_id, "employer.manage")
    if ConfirmForm().validate_on_submit():
        active = request.form.get("active") == "1"
        if services.set_employer_active(employer, active):
            db.session.commit()
            flash(_("%(name)s is active again.", name=employer.name) if active else
                  _("%(name)s is deactivated; its users are logged out.", name=employer.name), "success")
    return redirect(url_for("employers.detail", employer_id=employer.id))


@bp.route("/pending")
@permission_required("employer.approve")
def pending():
    query = (sa.select(Employer).where(Employer.status == EmployerStatus.PENDING.value,
                                       services.visible_clause(current_user, "employer.approve"))
             .options(sa.orm.selectinload(Employer.registrations), sa.orm.joinedload(Employer.agency)))
    page = db.paginate(query.order_by(Employer.created_at, Employer.id), per_page=25, error_out=False)
    return render_template("employers/pending.html", page=page)


@bp.route("/<int:employer_id>/review", methods=["POST"])
@permission_required("employer.approve")
def review(employer_id: int):
    employer = get_employer(employer_id, "employer.approve")
    form = forms.ReviewForm()
    if not form.validate_on_submit():
        flash(_("The comment is too long."), "danger")
    elif form.reject.data and not (form.comment.data or "").strip():
        flash(_("Say why the registration is rejected: the employer will read it."), "danger")
    else:
        try:
            services.review_employer(employer, approve=not form.reject.data, comment=form.comment.data)
        except services.NotPending:
            db.session.rollback()
            flash(_("This registration has already been reviewed."), "info")
        else:
            db.session.commit()
            flash(_("%(name)s is approved; its users can log in.", name=employer.name) if not form.reject.data
                  else _("The registration of %(name)s is rejected.", name=employer.name), "success")
            return redirect(url_for("employers.pending"))
    return redirect(url_for("employers.detail", employer_id=employer.id))


@bp.route("/<int:employer_id>/users/new", methods=["GET", "POST"])
@permission_required("employer.manage")
def user_new(employer_id: int):
    staff_only()
    employer = get_employer(employer_id, "employer.manage")
    if employer.status != EmployerStatus.APPROVED.value or not employer.active:
        flash(_("Users can be added once the employer is approved and active."), "warning")
        return redirect(url_for("employers.detail", employer_id=employer.id))
    form = forms.EmployerUserForm()
    if form.validate_on_submit():
        if username_taken(form.username.data):
            form.username.errors.append(_("This username is already taken."))
        else:
            services.add_employer_user(employer, services.AccountData(
                username=form.username.data, full_name=form.full_name.data.strip(), password=form.password.data,
                email=(form.email.data or "").strip() or None))
            db.session.commit()
            flash(_("The user has been created. They will choose a new password at first login."), "success")
            return redirect(url_for("employers.detail", employer_id=employer.id))
    return render_template("employers/user_form.html", form=form, employer=employer), 400 if form.errors else 200


@bp.route("/<int:employer_id>/users/<int:user_id>/active", methods=["POST"])
@permission_required("employer.manage")
def user_active(employer_id: int, user_id: int):
    staff_only()
    employer = get_employer(employer_id, "employer.manage")
    user = db.get_or_404(User, user_id)
    if user.employer_id != employer.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        active = request.form.get("active") == "1"
        if active and (not employer.active or employer.status != EmployerStatus.APPROVED.value):
            flash(_("Users can be added once the employer is approved and active."), "warning")
        elif services.set_user_active(employer, user, active):
            db.session.commit()
    return redirect(url_for("employers.detail", employer_id=employer.id))
