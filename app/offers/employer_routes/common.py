"""What the employer pages share: titles for the templates, choices, and turning a submitted
company form into :class:`~app.offers.employers.EmployerData`."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import Field

from app.auth.access import can, ensure
from app.auth.models import Agency, Country, CountryKind, Region, User
from app.auth.services import normalise_username
from app.db import utcnow
from app.extensions import db
from app.i18n import country_name
from app.jobseekers.identity import parse_phone
from app.offers import employer_forms as forms
from app.offers import employers as services
from app.offers import employers_bp as bp
from app.offers.models import (
    EMPLOYER_KIND_TITLES, EMPLOYER_STATUS_TITLES, Employer, EmployerKind, PartnerProgramme,
)
from app.offers.registration_schemes import LEGAL_FORMS, check_number, normalise_number, scheme_label, schemes_for
from app.offers.sectors import sector_label


@bp.context_processor
def _titles() -> dict:
    return {
        "kind_title": lambda value: EMPLOYER_KIND_TITLES.get(value, value),
        "employer_status": lambda value: EMPLOYER_STATUS_TITLES.get(value, value),
        "legal_form_title": lambda value: LEGAL_FORMS.get(value, value),
        "programme_kind": lambda value: services.PROGRAMME_KINDS.get(value, value),
        "employer_event": lambda value: services.EVENT_TITLES.get(value, value),
        "employer_field": lambda value: services.FIELD_TITLES.get(value, value),
        "sector_label": sector_label, "scheme_label": scheme_label,
    }


def get_employer(employer_id: int, action: str = "employer.read") -> Employer:
    employer = db.get_or_404(Employer, employer_id)
    ensure(action, employer)
    return employer


def staff_only() -> None:
    """Employer users manage their own contacts, never the register."""
    if current_user.employer_id is not None:
        abort(403)


def username_taken(username: str) -> bool:
    return db.session.scalar(sa.select(User.id).where(User.username == normalise_username(username))) is not None


# --- choices -------------------------------------------------------------------------------

def regions(country: str) -> list[tuple[int, str]]:
    rows = db.session.scalars(sa.select(Region).where(Region.country_code == country)).all()
    return sorted(((r.id, r.label) for r in rows), key=lambda pair: pair[1])


def countries(kind: CountryKind | None = None) -> list[tuple[str, str]]:
    query = sa.select(Country.code)
    if kind is not None:
        query = query.where(Country.kind == kind.value)
    return sorted(((code, country_name(code)) for code in db.session.scalars(query)), key=lambda p: p[1])


def agencies(country: str) -> list[Agency]:
    return list(db.session.scalars(sa.select(Agency).where(Agency.country_code == country, Agency.active)
                                   .order_by(Agency.name)))


def programmes(country: str) -> list[tuple[int, str]]:
    rows = db.session.scalars(sa.select(PartnerProgramme).where(
        PartnerProgramme.origin_country == country, PartnerProgramme.active).order_by(PartnerProgramme.name))
    return [(p.id, f"{p.name} ({country_name(p.destination_country)})") for p in rows]


# --- registration numbers ------------------------------------------------------------------

def seat_of(form: forms.CompanyForm, home: str) -> str:
    """Where the organisation is based: at home for national employers and online sign-ups."""
    if form.kind.data == EmployerKind.NATIONAL or not hasattr(form, "seat_country"):
        return home
    return form.seat_country.data or home


def label_numbers(form: forms.CompanyForm, seat: str) -> None:
    """Name the number fields as the seat's country names them, with an example where known."""
    schemes = schemes_for(seat)
    for field, scheme in zip((form.number_1, form.number_2), schemes + (None,)):
        field.scheme = scheme
        if scheme is not None:
            field.label.text = str(scheme.label)
            field.description = _("For example: %(example)s", example=scheme.example) if scheme.example else ""


def _numbers(form: forms.CompanyForm, seat: str) -> list[tuple[str, str]] | None:
    typed = any((field.data or "").strip() for field in (form.number_1, form.number_2))
    if typed and form.numbers_country.data and form.numbers_country.data != seat:
        # The labels on screen were another country's: show the right ones before saving.
        form.number_1.errors.append(_("The country of the seat has changed: check the registration numbers "
                                      "as that country names them, then save again."))
        return None
    found, ok = [], True
    for field in (form.number_1, form.number_2):
        number = normalise_number(field.data)
        if number and field.scheme is not None:
            if check_number(field.scheme, number):
                found.append((field.scheme.code, number))
            else:
                field.errors.append(_("This number does not have the expected format."))
                ok = False
    return found if ok else None


def clash(form: forms.CompanyForm, data: services.EmployerData, country: str,
          exclude_id: int | None = None) -> bool:
    """Refuse a number another employer of the country holds; name it only to those who may read it."""
    other = services.registration_clash(country, data.registrations, exclude_id)
    if other is None:
        return False
    if can(current_user, "employer.read", other):
        form.number_1.errors.append(_("This number is already registered to %(name)s.", name=other.name))
    else:
        form.number_1.errors.append(_("This number is already registered to another employer."))
    return True


# --- form to data --------------------------------------------------------------------------

def phone_of(field: Field, seat: str) -> tuple[bool, str | None]:
    """``(ok, E.164 number or None)``; the seat's country is the default region."""
    if not (field.data or "").strip():
        return True, None
    try:
        return True, parse_phone(field.data, seat)
    except ValueError:
        field.errors.append(_("This phone number is not valid for %(country)s or in international form.",
                              country=country_name(seat)))
        return False, None


def _text(field: Field) -> str | None:
    return (field.data or "").strip() or None


def contacts_data(form: forms.ContactsForm, seat: str) -> services.EmployerData | None:
    """The contact part of a submitted form (all an employer user may change)."""
    ok, phone = phone_of(form.phone, seat)
    if not ok:
        return None
    return services.EmployerData(
        name="", kind="", seat_country=seat, phone=phone, contact_name=_text(form.contact_name),
        email=_text(form.email), website=_text(form.website), city=_text(form.city), address=_text(form.address))


def company_data(form: forms.CompanyForm, seat: str, home: str) -> services.EmployerData | None:
    """The company part of a submitted form, adding field errors for what only now fails.

    :param seat: the country the organisation is based in (phones and numbers follow it)
    :param home: the PES country holding the record (its regions are offered)
    """
    contacts = contacts_data(form, seat)
    region_id = (form.region_id.data or None) if seat == home else None
    if region_id and region_id not in {rid for rid, _label in regions(home)}:
        form.region_id.errors.append(_("Choose a region of the country."))
    licence = _text(form.licence_number)
    if form.kind.data == EmployerKind.INTERMEDIARY and not licence:
        form.licence_number.errors.append(_("A recruitment agency needs a licence: give its number."))
    if form.licence_valid_until.data and form.licence_valid_until.data < utcnow().date():
        form.licence_valid_until.errors.append(_("This licence has expired."))
    registrations = _numbers(form, seat)
    if contacts is None or registrations is None or form.errors:
        return None
    contacts.name = " ".join(form.name.data.split())
    contacts.kind = form.kind.data
    contacts.legal_form = form.legal_form.data or None
    contacts.sector = form.sector.data or None
    contacts.region_id = region_id
    contacts.licence_number = licence
    contacts.licence_valid_until = form.licence_valid_until.data if licence else None
    contacts.registrations = registrations
    return contacts
