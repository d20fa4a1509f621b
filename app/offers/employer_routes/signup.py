"""Online sign-up of employers, without login: the chosen agency approves or rejects it."""
from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.auth.models import CountryKind
from app.extensions import db
from app.formtools import choices
from app.offers import employer_forms as forms
from app.offers import employers as services
from app.offers import employers_bp as bp
from app.offers.employer_routes.common import (
    agencies, clash, company_data, countries, label_numbers, regions, username_taken,
)

SUM_KEY = "employer_signup_sum"


def _ask_sum(form: forms.OnlineRegistrationForm) -> None:
    """A new small sum for each display; its result waits in the signed session cookie."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    session[SUM_KEY] = a + b
    form.answer.label.text = _("How much is %(a)d plus %(b)d? (a check against automated sign-ups)", a=a, b=b)


def _choose_country():
    form = forms.CountryForm(request.args)
    form.country.choices = choices(countries(CountryKind.PES))
    return render_template("employers/register_country.html", form=form)


def _account(form: forms.OnlineRegistrationForm) -> services.AccountData:
    return services.AccountData(username=form.username.data, full_name=" ".join(form.full_name.data.split()),
                                password=form.password.data, email=(form.email.data or "").strip() or None)


def _check_signup(form: forms.OnlineRegistrationForm, expected: int | None, data, agency) -> None:
    """Field errors that need the session or the database."""
    if expected is None or form.answer.data != expected:
        form.answer.errors = [_("The result of the sum is wrong: try the new sum.")]
    if agency is None:
        form.agency_id.errors.append(_("Choose the agency that should follow you."))
    if data is not None and not data.registrations:
        form.number_1.errors.append(_("Give at least one registration number: the agency checks it before "
                                      "approving."))
    if form.username.data and username_taken(form.username.data):
        form.username.errors.append(_("This username is already taken."))


@bp.route("/register", methods=["GET", "POST"])
def register():
    country = request.args.get("country", "").upper()
    if country not in {code for code, _name in countries(CountryKind.PES)}:
        return _choose_country()
    form = forms.OnlineRegistrationForm()
    offices = agencies(country)
    form.agency_id.choices = choices([(0, "—")] + [(a.id, f"{a.name} · {a.region.label}") for a in offices])
    form.region_id.choices = choices([(0, "—")] + regions(country))
    label_numbers(form, country)
    if form.is_submitted():
        if form.fax.data:
            abort(400)  # a bot filled the field people never see
        expected = session.pop(SUM_KEY, None)
        valid = form.validate()
        data = company_data(form, country, country)
        agency = next((a for a in offices if a.id == form.agency_id.data), None)
        _check_signup(form, expected, data, agency)
        if valid and data is not None and not form.errors and not clash(form, data, country):
            data.contact_name = data.contact_name or " ".join(form.full_name.data.split())
            try:
                services.register_online(data, agency, _account(form))
                db.session.commit()
            except IntegrityError:  # the same username, taken a moment earlier
                db.session.rollback()
                form.username.errors.append(_("This username is already taken."))
            else:
                flash(_("Thank you. %(agency)s will check your registration; you can log in once it is "
                        "approved.", agency=agency.name), "success")
                return redirect(url_for("employers.registered"))
    _ask_sum(form)
    form.numbers_country.data = country
    return render_template("employers/register.html", form=form, country=country), 400 if form.errors else 200


@bp.route("/registered")
def registered():
    return render_template("employers/registered.html")
