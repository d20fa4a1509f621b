"""Partner programmes: bilateral agreements and skills partnerships that foreign employers and
international offers recruit for, with a partnership's terms (target occupations, partner
institutions, quota, period, status)."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import Scope, granted_scope, permission_required
from app.auth.models import CountryKind
from app.extensions import db
from app.formtools import CHOOSE, choices
from app.offers import employer_forms as forms
from app.offers import employers as services
from app.offers import employers_bp as bp
from app.offers.employer_routes.common import countries
from app.offers.models import PartnerInstitution, PartnerProgramme
from app.reference.models import Occupation

#: Blank institution rows offered below those recorded.
SPARE_ROWS = 2


@bp.context_processor
def _programme_titles() -> dict:
    return {
        "programme_status": lambda value: forms.PROGRAMME_STATUS_TITLES.get(value, value),
        "institution_kind": lambda value: forms.INSTITUTION_KIND_TITLES.get(value, value),
    }


def _ensure_keeper() -> None:
    """A programme binds the whole country: only a country-wide grant may keep the list."""
    scope = granted_scope(current_user, "programme.manage")
    if scope is None or scope < Scope.COUNTRY:
        abort(403)


def _origins() -> list[tuple[str, str]]:
    """The user's country; every PES country for an administrator of the whole installation."""
    pes = countries(CountryKind.PES)
    return [(c, n) for c, n in pes if c == current_user.country_code] if current_user.country_code else pes


def _fill(form: forms.ProgrammeForm, spare: int = 0) -> None:
    every = countries()
    form.origin_country.choices = choices(_origins())
    form.destination_country.choices = choices(every)
    for _i in range(spare):
        form.institutions.append_entry()
    for entry in form.institutions:
        entry.form.country_code.choices = choices([("", "—")] + every)


def _codes(text: str | None) -> list[str]:
    """The fiche codes typed, in order, each once."""
    return list(dict.fromkeys(code.upper() for code in re.split(r"[\s,;]+", text or "") if code))


def _occupations(form: forms.ProgrammeForm) -> list[Occupation]:
    codes = _codes(form.occupation_codes.data)
    found = db.session.scalars(sa.select(Occupation).where(Occupation.code.in_(codes))).all() if codes else []
    return sorted(found, key=lambda o: o.code)


def _valid(form: forms.ProgrammeForm) -> bool:
    """The form's own checks, then the countries and the occupation codes (all errors at once)."""
    if not form.is_submitted():
        return False
    valid = form.validate()
    if form.origin_country.data not in {c for c, _n in _origins()}:
        form.origin_country.errors.append(_("Choose a country from the list."))
        valid = False
    known = {c for c, _n in countries()}
    if form.destination_country.data not in known or form.destination_country.data == form.origin_country.data:
        form.destination_country.errors.append(_("Choose a destination other than the country of origin."))
        valid = False
    for entry in form.institutions:
        if entry.form.country_code.data and entry.form.country_code.data not in known:
            entry.form.country_code.errors.append(str(CHOOSE))
            valid = False
    unknown = sorted(set(_codes(form.occupation_codes.data)) - {o.code for o in _occupations(form)})
    if unknown:
        form.occupation_codes.errors.append(_("These are not ROAME occupation codes: %(codes)s.",
                                              codes=", ".join(unknown)))
        valid = False
    return valid


def _programme_fields(form: forms.ProgrammeForm) -> dict:
    return {"name": form.name.data.strip(), "origin_country": form.origin_country.data,
            "destination_country": form.destination_country.data, "kind": form.kind.data}


def _terms(form: forms.ProgrammeForm) -> dict:
    """A partnership's terms as the programme holds them; ``active`` follows the status."""
    return {"status": form.status.data, "active": form.status.data == "active", "quota": form.quota.data,
            "starts_on": form.starts_on.data, "ends_on": form.ends_on.data,
            "description": (form.description.data or "").strip(), "occupations": _occupations(form)}


def _institution_rows(form: forms.ProgrammeForm) -> list[tuple[str, str, str]]:
    return [(" ".join(entry.form.name.data.split()), entry.form.kind.data, entry.form.country_code.data)
            for entry in form.institutions if (entry.form.name.data or "").strip()]


def _institutions(rows: list[tuple[str, str, str]]) -> list[PartnerInstitution]:
    return [PartnerInstitution(name=name, kind=kind, country_code=country) for name, kind, country in rows]


@bp.route("/programmes", methods=["GET", "POST"])
@permission_required("programme.manage")
def programmes():
    _ensure_keeper()
    form = forms.ProgrammeForm()
    _fill(form)
    if _valid(form):
        programme = services.create_programme(**_programme_fields(form))
        for name, value in _terms(form).items():  # a new programme: its creation is the audit event
            setattr(programme, name, value)
        programme.institutions = _institutions(_institution_rows(form))
        db.session.commit()
        flash(_("The programme %(name)s has been created.", name=programme.name), "success")
        return redirect(url_for("employers.programmes"))
    if not form.is_submitted():
        form.origin_country.data = current_user.country_code
    rows = db.session.scalars(sa.select(PartnerProgramme).where(
        PartnerProgramme.origin_country.in_([c for c, _n in _origins()]))
        .options(sa.orm.selectinload(PartnerProgramme.occupations))
        .order_by(PartnerProgramme.origin_country, PartnerProgramme.name)).all()
    return render_template("employers/programmes.html", form=form, programmes=rows), \
        400 if form.is_submitted() else 200


@bp.route("/programmes/<int:programme_id>", methods=["GET", "POST"])
@permission_required("programme.manage")
def programme_edit(programme_id: int):
    _ensure_keeper()
    programme = db.get_or_404(PartnerProgramme, programme_id)
    if programme.origin_country not in {c for c, _n in _origins()}:
        abort(404)
    form = forms.ProgrammeForm(obj=programme)
    blank = sum(1 for entry in form.institutions if not entry.form.name.data)
    _fill(form, spare=0 if form.is_submitted() else max(0, SPARE_ROWS - blank))
    if _valid(form):
        fields = {**_programme_fields(form), **_terms(form)}
        rows = _institution_rows(form)
        if [(i.name, i.kind, i.country_code) for i in programme.institutions] != rows:
            fields["institutions"] = _institutions(rows)
        changed = services.update_programme(programme, **fields)
        db.session.commit()
        flash(_("The programme has been saved.") if changed else _("Nothing was changed."), "success")
        return redirect(url_for("employers.programmes"))
    if not form.is_submitted():
        form.occupation_codes.data = " ".join(o.code for o in programme.occupations)
    return render_template("employers/programme_form.html", form=form, programme=programme), \
        400 if form.is_submitted() else 200
