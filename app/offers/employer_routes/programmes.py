"""Partner programmes: bilateral agreements and skills partnerships that foreign employers and
international offers recruit for."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import Scope, granted_scope, permission_required
from app.auth.models import CountryKind
from app.extensions import db
from app.formtools import choices
from app.offers import employer_forms as forms
from app.offers import employers as services
from app.offers import employers_bp as bp
from app.offers.employer_routes.common import countries
from app.offers.models import PartnerProgramme


def _ensure_keeper() -> None:
    """A programme binds the whole country: only a country-wide grant may keep the list."""
    scope = granted_scope(current_user, "programme.manage")
    if scope is None or scope < Scope.COUNTRY:
        abort(403)


def _origins() -> list[tuple[str, str]]:
    """The user's country; every PES country for an administrator of the whole installation."""
    pes = countries(CountryKind.PES)
    return [(c, n) for c, n in pes if c == current_user.country_code] if current_user.country_code else pes


def _fill(form: forms.ProgrammeForm) -> None:
    form.origin_country.choices = choices(_origins())
    form.destination_country.choices = choices(countries())


def _valid(form: forms.ProgrammeForm) -> bool:
    """The form's own checks, then the two countries (all errors at once)."""
    if not form.is_submitted():
        return False
    valid = form.validate()
    if form.origin_country.data not in {c for c, _n in _origins()}:
        form.origin_country.errors.append(_("Choose a country from the list."))
        valid = False
    if form.destination_country.data not in {c for c, _n in countries()} or \
            form.destination_country.data == form.origin_country.data:
        form.destination_country.errors.append(_("Choose a destination other than the country of origin."))
        valid = False
    return valid


def _programme_fields(form: forms.ProgrammeForm) -> dict:
    return {"name": form.name.data.strip(), "origin_country": form.origin_country.data,
            "destination_country": form.destination_country.data, "kind": form.kind.data}


@bp.route("/programmes", methods=["GET", "POST"])
@permission_required("programme.manage")
def programmes():
    _ensure_keeper()
    form = forms.ProgrammeForm()
    _fill(form)
    if _valid(form):
        programme = services.create_programme(**_programme_fields(form))
        db.session.commit()
        flash(_("The programme %(name)s has been created.", name=programme.name), "success")
        return redirect(url_for("employers.programmes"))
    if not form.is_submitted():
        form.origin_country.data = current_user.country_code
    rows = db.session.scalars(sa.select(PartnerProgramme).where(
        PartnerProgramme.origin_country.in_([c for c, _n in _origins()]))
        .order_by(PartnerProgramme.origin_country, PartnerProgramme.name)).all()
    return render_template("employers/programmes.html", form=form, programmes=rows), 400 if form.errors else 200


@bp.route("/programmes/<int:programme_id>", methods=["GET", "POST"])
@permission_required("programme.manage")
def programme_edit(programme_id: int):
    _ensure_keeper()
    programme = db.get_or_404(PartnerProgramme, programme_id)
    if programme.origin_country not in {c for c, _n in _origins()}:
        abort(404)
    form = forms.ProgrammeForm(obj=programme)
    _fill(form)
    if _valid(form):
        changed = services.update_programme(programme, **_programme_fields(form), active=form.active.data)
        db.session.commit()
        flash(_("The programme has been saved.") if changed else _("Nothing was changed."), "success")
        return redirect(url_for("employers.programmes"))
    return render_template("employers/programme_form.html", form=form, programme=programme), \
        400 if form.errors else 200
