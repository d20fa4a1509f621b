"""Use cases for employers: register them at the counter or online, find duplicates, update,
approve or reject, deactivate, give them users; and the partner programmes they recruit for."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz, process
from unidecode import unidecode

from app import audit
from app.audit import AuditEvent
from app.auth import services as auth_services
from app.auth.access import scope_clause
from app.auth.models import Agency, Role, User
from app.db import utcnow
from app.extensions import db
from app.offers.models import Employer, EmployerRegistration, EmployerStatus, PartnerProgramme
from app.offers.registration_schemes import compact_number

EVENT_TITLES = {
    "employer.created": _l("Registered by an agent"),
    "employer.registered_online": _l("Registered online by the employer"),
    "employer.updated": _l("Record changed"),
    "employer.approved": _l("Registration approved"),
    "employer.rejected": _l("Registration rejected"),
    "employer.deactivated": _l("Deactivated"),
    "employer.reactivated": _l("Reactivated"),
    "employer.duplicate_overridden": _l("Registered although a similar name exists"),
    "employer.user_added": _l("User account added"),
    "employer.user_deactivated": _l("User account deactivated"),
    "employer.user_reactivated": _l("User account reactivated"),
}

# What an edit changed, as the history names it (the audit keeps field names, never values).
FIELD_TITLES = {
    "name": _l("Name"), "kind": _l("Kind"), "legal_form": _l("Legal form"), "sector": _l("Activity sector"),
    "seat_country": _l("Country of the seat"), "region_id": _l("Region"), "city": _l("Town"),
    "address": _l("Address"), "contact_name": _l("Contact person"), "phone": _l("Phone"), "email": _l("E-mail"),
    "website": _l("Website"), "licence_number": _l("Licence number"),
    "licence_valid_until": _l("Licence valid until"), "programme_id": _l("Partner programme"),
    "registrations": _l("Registration numbers"), "agency_id": _l("Agency"),
}

PROGRAMME_KINDS = {
    "bilateral": _l("Bilateral agreement"),
    "skills_partnership": _l("Skills partnership"),
    "seasonal": _l("Seasonal work programme"),
}

CONTACT_FIELDS = ("contact_name", "phone", "email", "website", "address", "city")
EDITABLE = ("name", "kind", "legal_form", "sector", "seat_country", "region_id", *CONTACT_FIELDS,
            "licence_number", "licence_valid_until", "programme_id")


@dataclass
class EmployerData:
    """What the staff or online form gives about an employer, already validated and normalised."""

    name: str
    kind: str
    seat_country: str
    legal_form: str | None = None
    sector: str | None = None
    region_id: int | None = None
    city: str | None = None
    address: str | None = None
    contact_name: str | None = None
    phone: str | None = None  # E.164
    email: str | None = None
    website: str | None = None
    licence_number: str | None = None
    licence_valid_until: date | None = None
    programme_id: int | None = None
    registrations: list[tuple[str, str]] = field(default_factory=list)  # (scheme, normalised number)


@dataclass(frozen=True)
class AccountData:
    """An employer user's login; the password has passed the rules."""

    username: str
    full_name: str
    password: str
    email: str | None = None


class EmployerColumns:
    """What :func:`app.auth.access.scope_clause` needs of the employers table: an employer
    is its own owner, so ``employer_id`` is its id."""

    agency_id = Employer.agency_id
    employer_id = Employer.id

    @staticmethod
    def country_clause(code: str) -> sa.ColumnElement[bool]:
        return Employer.country_code == code


def visible_clause(user, action: str = "employer.read") -> sa.ColumnElement[bool]:
    return scope_clause(user, action, EmployerColumns)


def registration_clash(country: str, registrations: list[tuple[str, str]],
                       exclude_id: int | None = None) -> Employer | None:
    """An employer of ``country`` already holding one of these numbers (rejected ones aside:
    a refused sign-up must not block the real company)."""
    wanted = [(scheme, compact_number(number)) for scheme, number in registrations if number]
    if not wanted:
        return None
    stored = sa.func.replace(EmployerRegistration.number, "-", "")
    query = (sa.select(Employer).join(EmployerRegistration)
             .where(Employer.country_code == country, Employer.status != EmployerStatus.REJECTED.value,
                    sa.or_(*[sa.and_(EmployerRegistration.scheme == s, stored == n) for s, n in wanted])))
    if exclude_id:
        query = query.where(Employer.id != exclude_id)
    return db.session.scalars(query.limit(1)).first()


# Words that say what kind of company it is rather than which one.
_NOISE = {"sarl", "sarlu", "suarl", "sa", "sas", "sasu", "snc", "scs", "gie", "ets", "etablissement",
          "etablissements", "ste", "societe", "cie", "compagnie", "groupe", "group", "et", "de", "du", "des",
          "la", "le", "les", "l", "d", "and", "the", "ltd", "inc", "co"}


def name_key(name: str) -> str:
    """Lower case, no accents or punctuation, without legal-form words: 'Ets Diallo & Fils SARL' →
    'diallo fils'."""
    words = re.sub(r"[^a-z0-9]+", " ", unidecode(name or "").lower()).split()
    kept = [word for word in words if word not in _NOISE]
    return " ".join(kept or words)


def similar_employers(country: str, name: str, exclude_id: int | None = None,
                      limit: int = 5) -> list[Employer]:
    """Employers of ``country`` whose name is probably the same company's, closest first."""
    query = sa.select(Employer.id, Employer.name).where(Employer.country_code == country)
    if exclude_id:
        query = query.where(Employer.id != exclude_id)
    names = {row.id: name_key(row.name) for row in db.session.execute(query)}
    key = name_key(name)
    if not key or not names:
        return []
    found = process.extract(key, names, scorer=fuzz.token_sort_ratio, score_cutoff=88, limit=limit)
    ids = [employer_id for _key, _score, employer_id in found]
    employers = {e.id: e for e in db.session.scalars(sa.select(Employer).where(Employer.id.in_(ids)))}
    return [employers[i] for i in ids]


def _apply(employer: Employer, data: EmployerData, names: tuple[str, ...] = EDITABLE) -> list[str]:
    """Copy ``names`` from ``data``; returns the fields that changed."""
    changed = []
    for name in names:
        value = getattr(data, name)
        if getattr(employer, name) != value:
            setattr(employer, name, value)
            changed.append(name)
    return changed


def _set_registrations(employer: Employer, registrations: list[tuple[str, str]]) -> bool:
    wanted = [(scheme, number) for scheme, number in registrations if number]
    if [(r.scheme, r.number) for r in employer.registrations] == wanted:
        return False
    employer.registrations = [EmployerRegistration(scheme=s, number=n) for s, n in wanted]
    return True


def _create(data: EmployerData, agency: Agency, status: EmployerStatus) -> Employer:
    employer = Employer(country_code=agency.country_code, agency_id=agency.id, status=status.value, active=True)
    _apply(employer, data)
    _set_registrations(employer, data.registrations)
    db.session.add(employer)
    db.session.flush()
    return employer


def register_employer(data: EmployerData, agency: Agency, similar_confirmed: bool = False) -> Employer:
    """Register an employer at the counter: approved at once and followed by the agent's agency.

    :param similar_confirmed: the agent saw employers with a similar name and said this is another one
    """
    employer = _create(data, agency, EmployerStatus.APPROVED)
    employer.reviewed_at = utcnow()
    audit.record("employer.created", "employer", employer.id, kind=employer.kind)
    if similar_confirmed:
        audit.record("employer.duplicate_overridden", "employer", employer.id)
    return employer


def register_online(data: EmployerData, agency: Agency, account: AccountData) -> tuple[Employer, User]:
    """An employer's own sign-up: the employer waits for the agency's approval and its first user
    cannot log in until then."""
    employer = _create(data, agency, EmployerStatus.PENDING)
    user = auth_services.create_user(
        username=account.username, full_name=account.full_name, role=Role.EMPLOYER, password=account.password,
        email=account.email, employer_id=employer.id, must_change_password=False)
    user.active = False
    audit.record("employer.registered_online", "employer", employer.id, kind=employer.kind, user_id=user.id)
    return employer, user


def update_employer(employer: Employer, data: EmployerData, agency_id: int | None = None) -> list[str]:
    """Apply a staff edit; ``agency_id`` moves the employer to another agency of the country."""
    changed = _apply(employer, data)
    if _set_registrations(employer, data.registrations):
        changed.append("registrations")
    if agency_id is not None and agency_id != employer.agency_id:
        employer.agency_id = agency_id
        changed.append("agency_id")
    if changed:
        audit.record("employer.updated", "employer", employer.id, fields=sorted(changed))
    return changed


def update_contacts(employer: Employer, data: EmployerData) -> list[str]:
    """Apply an employer user's edit: contacts and address only, never the registration numbers."""
    changed = _apply(employer, data, CONTACT_FIELDS)
    if changed:
        audit.record("employer.updated", "employer", employer.id, fields=sorted(changed))
    return changed


def employer_users(employer: Employer) -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.employer_id == employer.id).order_by(User.username)))


class NotPending(Exception):
    """Only an employer waiting for approval can be approved or rejected."""


def review_employer(employer: Employer, approve: bool, comment: str | None = None) -> None:
    """Approve (the employer's users may then log in) or reject, with the reviewer's comment.

    :raises NotPending: when someone else reviewed it first.
    """
    if employer.status != EmployerStatus.PENDING.value:
        raise NotPending()
    employer.status = (EmployerStatus.APPROVED if approve else EmployerStatus.REJECTED).value
    employer.reviewed_at = utcnow()
    employer.review_comment = (comment or "").strip()[:500] or None
    users = employer_users(employer) if approve else []
    for user in users:
        user.active = True
    audit.record("employer.approved" if approve else "employer.rejected", "employer", employer.id,
                 users=[u.id for u in users] or None)


def set_employer_active(employer: Employer, active: bool) -> bool:
    """Deactivate an employer, logging out its users, or reactivate it (its users stay as they
    are: each is reactivated on its own, once checked)."""
    if employer.active == active:
        return False
    employer.active = active
    if not active:
        for user in employer_users(employer):
            auth_services.update_user(user, active=False)
    audit.record("employer.reactivated" if active else "employer.deactivated", "employer", employer.id)
    return True


def add_employer_user(employer: Employer, account: AccountData) -> User:
    """Another login for an approved employer, created by staff: the person sets their own
    password at first login."""
    user = auth_services.create_user(
        username=account.username, full_name=account.full_name, role=Role.EMPLOYER, password=account.password,
        email=account.email, employer_id=employer.id, must_change_password=True)
    audit.record("employer.user_added", "employer", employer.id, user_id=user.id)
    return user


def set_user_active(employer: Employer, user: User, active: bool) -> bool:
    """Deactivate or reactivate one of the employer's users (its sessions end at once)."""
    if user.employer_id != employer.id or user.active == active:
        return False
    auth_services.update_user(user, active=active)
    audit.record("employer.user_reactivated" if active else "employer.user_deactivated", "employer",
                 employer.id, user_id=user.id)
    return True


def history(employer: Employer, limit: int = 100) -> list[AuditEvent]:
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "employer", AuditEvent.object_id == str(employer.id))
        .options(sa.orm.joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))


def create_programme(*, name: str, origin_country: str, destination_country: str, kind: str) -> PartnerProgramme:
    """Record a bilateral programme or skills partnership that employers and offers can refer to."""
    programme = PartnerProgramme(name=name.strip(), origin_country=origin_country,
                                 destination_country=destination_country, kind=kind)
    db.session.add(programme)
    db.session.flush()
    audit.record("programme.created", "programme", programme.id, origin=origin_country,
                 destination=destination_country)
    return programme


def update_programme(programme: PartnerProgramme, **fields) -> list[str]:
    changed = [name for name, value in fields.items() if getattr(programme, name) != value]
    for name in changed:
        setattr(programme, name, fields[name])
    if changed:
        audit.record("programme.updated", "programme", programme.id, fields=sorted(changed))
    return changed
