"""Administrator pages: users and agencies, limited to the administrator's country."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import bp, services
from app.auth.access import ensure, permission_required, scope_clause
from app.auth.forms import AgencyForm, ConfirmForm, NewUserForm, UserForm
from app.auth.models import Agency, Country, CountryKind, Region, Role, User
from app.extensions import db
from app.formtools import choices
from app.offers.models import Employer


def _agencies_in_scope():
    query = sa.select(Agency).where(scope_clause(current_user, "agency.manage", Agency))
    query = query.options(sa.orm.joinedload(Agency.region))
    return db.session.scalars(query.order_by(Agency.country_code, Agency.name)).all()


def _employers_in_scope():
    query = sa.select(Employer).order_by(Employer.name)
    if current_user.country_code:
        query = query.where(Employer.country_code == current_user.country_code)
    return db.session.scalars(query).all()


def _fill_user_choices(form: UserForm) -> None:
    form.agency_id.choices = choices([(0, "—")] + [(a.id, str(a)) for a in _agencies_in_scope()])
    form.employer_id.choices = choices([(0, "—")] + [(e.id, e.name) for e in _employers_in_scope()])


def _check_user_links(form: UserForm) -> tuple[int | None, int | None] | None:
    """Staff need an agency in scope, employer users an employer; None when invalid."""
    agency_id = form.agency_id.data or None
    employer_id = form.employer_id.data or None
    allowed_agencies = {a.id for a in _agencies_in_scope()}
    allowed_employers = {e.id for e in _employers_in_scope()}
    ok = True
    if form.role.data == Role.EMPLOYER:
        agency_id = None
        if employer_id not in allowed_employers:
            form.employer_id.errors.append(_("Choose the employer this user works for."))
            ok = False
    else:
        employer_id = None
        national_admin = form.role.data == Role.ADMIN and current_user.agency_id is None
        if agency_id is None and not national_admin:
            form.agency_id.errors.append(_("Choose the agency this user works in."))
            ok = False
        elif agency_id is not None and agency_id not in allowed_agencies:
            form.agency_id.errors.append(_("You cannot add users to this agency."))
            ok = False
    return (agency_id, employer_id) if ok else None


def _taken(column, value: str, exclude_id: int | None = None) -> bool:
    """Whether another row (not ``exclude_id``) already holds ``value`` in a unique column."""
    model = column.class_
    query = sa.select(model.id).where(column == value)
    if exclude_id:
        query = query.where(model.id != exclude_id)
    return db.session.scalar(query) is not None


def _username_taken(username: str, exclude_id: int | None = None) -> bool:
    return _taken(User.username, services.normalise_username(username), exclude_id)


@bp.route("/admin/users")
@permission_required("user.manage")
def users():
    q = request.args.get("q", "").strip()
    query = sa.select(User).where(scope_clause(current_user, "user.manage", User))
    if q:
        like = f"%{q.lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.username).like(like),
                                   sa.func.lower(User.full_name).like(like)))
    query = query.options(sa.orm.joinedload(User.agency), sa.orm.joinedload(User.employer))
    page = db.paginate(query.order_by(User.username), per_page=25, error_out=False)
    return render_template("auth/users.html", page=page, q=q, form=ConfirmForm())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@permission_required("user.manage")
def user_create():
    form = NewUserForm()
    _fill_user_choices(form)
    form._username, form._full_name = form.username.data or "", form.full_name.data or ""
    if form.validate_on_submit():
        links = _check_user_links(form)
        if _username_taken(form.username.data):
            form.username.errors.append(_("This username is already taken."))
        elif links is not None:
            services.create_user(
                username=form.username.data, full_name=form.full_name.data, role=form.role.data,
                password=form.password.data, email=form.email.data, agency_id=links[0],
                employer_id=links[1],
            )
            db.session.commit()
            flash(_("The user has been created. They will choose a new password at first login."),
                  "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None), 400 if form.errors else 200


def _get_user(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    ensure("user.manage", user)
    return user


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@permission_required("user.manage")
def user_edit(user_id: int):
    user = _get_user(user_id)
    form = UserForm(obj=user)
    _fill_user_choices(form)
    if request.method == "GET":
        form.agency_id.data = user.agency_id or 0
        form.employer_id.data = user.employer_id or 0
    if form.validate_on_submit():
        links = _check_user_links(form)
        if _username_taken(form.username.data, exclude_id=user.id):
            form.username.errors.append(_("This username is already taken."))
        elif user.id == current_user.id and (not form.active.data or form.role.data != Role.ADMIN):
            form.active.errors.append(_("You cannot deactivate yourself or remove your own "
                                        "administrator role."))
        elif links is not None:
            services.update_user(
                user, username=services.normalise_username(form.username.data),
                full_name=form.full_name.data.strip(), email=(form.email.data or "").strip() or None,
                role=form.role.data, agency_id=links[0], employer_id=links[1],
                active=form.active.data,
            )
            db.session.commit()
            flash(_("The user has been saved."), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user, confirm=ConfirmForm()), \
        400 if form.errors else 200


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
@permission_required("user.manage")
def user_deactivate(user_id: int):
    user = _get_user(user_id)
    if ConfirmForm().validate_on_submit():
        if user.id == current_user.id:
            flash(_("You cannot deactivate yourself."), "danger")
        else:
            services.deactivate_user(user)
            db.session.commit()
            flash(_("%(name)s is deactivated and logged out everywhere.", name=user.full_name),
                  "success")
    return redirect(url_for("auth.users"))


@bp.route("/admin/users/<int:user_id>/reset-password", methods=["POST"])
@permission_required("user.manage")
def user_reset_password(user_id: int):
    user = _get_user(user_id)
    if ConfirmForm().validate_on_submit():
        password = services.reset_password(user)
        db.session.commit()
        flash(_("New password for %(name)s: %(password)s — hand it over privately; "
                "it must be changed at the next login.", name=user.username, password=password),
              "warning")
    return redirect(url_for("auth.user_edit", user_id=user.id))


def _fill_agency_choices(form: AgencyForm) -> None:
    countries = db.session.scalars(sa.select(Country).where(Country.kind == CountryKind.PES)).all()
    if current_user.country_code:
        countries = [c for c in countries if c.code == current_user.country_code]
    form.country_code.choices = choices(sorted(((c.code, c.name) for c in countries), key=lambda x: x[1]))
    regions = db.session.scalars(
        sa.select(Region).where(Region.country_code.in_([c.code for c in countries]))
        .order_by(Region.country_code, Region.name)
    ).all()
    form.region_id.choices = choices(sorted(((r.id, f"{r.label} ({r.country.name})") for r in regions), key=lambda c: c[1]))


def _check_region(form: AgencyForm) -> bool:
    region = db.session.get(Region, form.region_id.data or 0)
    if region is None or region.country_code != form.country_code.data:
        form.region_id.errors.append(_("Choose a region of the agency's country."))
        return False
    return True


def _code_taken(code: str, exclude_id: int | None = None) -> bool:
    return _taken(Agency.code, code.strip().upper(), exclude_id)


@bp.route("/admin/agencies")
@permission_required("agency.manage")
def agencies():
    return render_template("auth/agencies.html", agencies=_agencies_in_scope())


@bp.route("/admin/agencies/new", methods=["GET", "POST"])
@permission_required("agency.manage")
def agency_create():
    form = AgencyForm()
    _fill_agency_choices(form)
    if form.validate_on_submit():
        if _code_taken(form.code.data):
            form.code.errors.append(_("This code is already used by another agency."))
        elif _check_region(form):
            services.create_agency(code=form.code.data, name=form.name.data,
                                   country_code=form.country_code.data, region_id=form.region_id.data)
            db.session.commit()
            flash(_("The agency has been created."), "success")
            return redirect(url_for("auth.agencies"))
    return render_template("auth/agency_form.html", form=form, agency=None), 400 if form.errors else 200


@bp.route("/admin/agencies/<int:agency_id>", methods=["GET", "POST"])
@permission_required("agency.manage")
def agency_edit(agency_id: int):
    agency = db.get_or_404(Agency, agency_id)
    ensure("agency.manage", agency)
    form = AgencyForm(obj=agency)
    _fill_agency_choices(form)
    if form.validate_on_submit():
        if _code_taken(form.code.data, exclude_id=agency.id):
            form.code.errors.append(_("This code is already used by another agency."))
        elif _check_region(form):
            services.update_agency(agency, code=form.code.data.strip().upper(),
                                   name=form.name.data.strip(), country_code=form.country_code.data,
                                   region_id=form.region_id.data, active=form.active.data)
            db.session.commit()
            flash(_("The agency has been saved."), "success")
            return redirect(url_for("auth.agencies"))
    return render_template("auth/agency_form.html", form=form, agency=agency), 400 if form.errors else 200
