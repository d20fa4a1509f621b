"""Use cases of the job-seeker register: register, find duplicates, update, confirm, consent."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app import audit
from app.auth.models import Agency
from app.db import utcnow
from app.extensions import db
from app.jobseekers import dedup
from app.jobseekers.identity import clean_name, search_key
from app.jobseekers.models import (
    Consent, ConsentPurpose, JobSeeker, JobSeekerNameKey, JobSeekerOccupation, JobSeekerPhone,
    RegistrationCounter, SeekerStatus,
)

NOTICE_VERSION = "2026-1"


@dataclass
class OccupationChoice:
    code: str
    title: str = ""
    years_experience: int | None = None


@dataclass
class PersonData:
    """What the counter form or an import row gives about a person, already validated."""

    last_name: str
    first_names: str
    sex: str | None = None
    birth_date: date | None = None
    birth_year: int | None = None
    phones: list[str] = field(default_factory=list)  # E.164
    national_id_type: str | None = None
    national_id: str | None = None  # normalised
    nationality: str | None = None
    email: str | None = None
    region_id: int | None = None
    commune: str | None = None
    occupations: list[OccupationChoice] = field(default_factory=list)
    external_id: str | None = None
    consents: tuple[str, ...] = ()


def next_registration_number(agency: Agency, year: int | None = None) -> str:
    """``<agency code>-<year>-<sequence>``, the sequence counted per agency and year.

    The counter is incremented by a single UPDATE … RETURNING, so concurrent registrations
    in several workers never get the same number.
    """
    year = year or utcnow().year
    statement = (sa.update(RegistrationCounter)
                 .where(RegistrationCounter.agency_id == agency.id, RegistrationCounter.year == year)
                 .values(last=RegistrationCounter.last + 1).returning(RegistrationCounter.last))
    value = db.session.execute(statement).scalar()
    if value is None:
        try:
            with db.session.begin_nested():
                db.session.add(RegistrationCounter(agency_id=agency.id, year=year, last=1))
            value = 1
        except IntegrityError:  # another worker created the row first
            value = db.session.execute(statement).scalar()
    return f"{agency.code}-{year}-{value:06d}"


def to_person(seeker: JobSeeker) -> dedup.Person:
    return dedup.Person(
        id=seeker.external_id or seeker.registration_number,
        last_name=seeker.last_name, first_names=seeker.first_names, sex=seeker.sex,
        birth_date=seeker.birth_date, birth_year=seeker.birth_year,
        phones=tuple(p.number for p in seeker.phones), national_id=seeker.national_id,
        national_id_country=seeker.country_code if seeker.national_id else None,
    )


def _data_person(data: PersonData, country: str) -> dedup.Person:
    return dedup.Person(
        id="(new)", last_name=data.last_name, first_names=data.first_names, sex=data.sex,
        birth_date=data.birth_date, birth_year=data.birth_year, phones=tuple(data.phones),
        national_id=data.national_id, national_id_country=country if data.national_id else None,
    )


def find_possible_duplicates(country: str, data: PersonData, exclude_id: int | None = None,
                             limit: int = 10) -> list[tuple[JobSeeker, dedup.Match]]:
    """People of ``country`` who are probably the same as ``data``, most likely first.

    Candidates come from indexed lookups only, so the check stays fast on a register of a
    million people: exact national ID and phone matches first (never crowded out), then
    namesakes whose birth year could agree.
    """
    base = (sa.select(JobSeeker).where(JobSeeker.country_code == country, JobSeeker.anonymised_at.is_(None))
            .options(sa.orm.selectinload(JobSeeker.phones), sa.orm.joinedload(JobSeeker.agency)))
    if exclude_id:
        base = base.where(JobSeeker.id != exclude_id)
    exact = []
    if data.national_id:
        exact.append(JobSeeker.national_id == data.national_id)
    if data.phones:
        exact.append(JobSeeker.id.in_(sa.select(JobSeekerPhone.jobseeker_id)
                                      .where(JobSeekerPhone.number.in_(data.phones))))
    found: dict[int, JobSeeker] = {}
    if exact:
        found.update((s.id, s) for s in db.session.scalars(base.where(sa.or_(*exact)).limit(200)))
    keys = dedup.name_keys(data.last_name, data.first_names)
    if keys:
        by_name = JobSeeker.id.in_(sa.select(JobSeekerNameKey.jobseeker_id).where(JobSeekerNameKey.key.in_(keys)))
        if data.birth_year:
            # A name alone never makes a duplicate: among namesakes, only those whose birth
            # could agree are worth fetching; ±10 years keeps a one-digit slip (1990/1980).
            by_name = sa.and_(by_name, sa.or_(JobSeeker.birth_year.is_(None),
                                              JobSeeker.birth_year.between(data.birth_year - 10,
                                                                           data.birth_year + 10)))
        found.update((s.id, s) for s in db.session.scalars(base.where(by_name).limit(2000)))
    if not found:
        return []
    seekers = {to_person(s).id: s for s in found.values()}
    matches = dedup.candidates(_data_person(data, country), [to_person(s) for s in found.values()])
    return [(seekers[m.b if m.a == "(new)" else m.a], m) for m in matches[:limit]]


def _set_identity(seeker: JobSeeker, data: PersonData) -> None:
    seeker.last_name = clean_name(data.last_name)
    seeker.first_names = clean_name(data.first_names)
    seeker.search_name = search_key(seeker.last_name, seeker.first_names)
    seeker.sex = data.sex
    seeker.birth_date = data.birth_date
    seeker.birth_year = data.birth_date.year if data.birth_date else data.birth_year
    seeker.national_id_type = data.national_id_type if data.national_id else None
    seeker.national_id = data.national_id
    seeker.nationality = data.nationality
    seeker.email = data.email
    seeker.region_id = data.region_id
    seeker.commune = data.commune


def _sync_children(seeker: JobSeeker, data: PersonData) -> None:
    current_phones = [p.number for p in seeker.phones]
    if current_phones != list(data.phones):
        seeker.phones = [JobSeekerPhone(number=n) for n in dict.fromkeys(data.phones)]
    wanted = [(o.code, o.title, o.years_experience) for o in data.occupations[:3]]
    current = [(o.occupation_code, o.title, o.years_experience) for o in seeker.occupations]
    if wanted != current:
        seeker.occupations = [JobSeekerOccupation(rank=i, occupation_code=c, title=t or "", years_experience=y)
                              for i, (c, t, y) in enumerate(wanted, start=1)]


def register_jobseeker(agency: Agency, data: PersonData) -> JobSeeker:
    """Register a person in ``agency``: registration number, name keys, consents, history.

    Flushes; the caller commits. A national ID already registered in the country raises
    IntegrityError from the database's unique constraint, even under concurrent requests.
    """
    seeker = JobSeeker(registration_number=next_registration_number(agency), country_code=agency.country_code,
                       agency_id=agency.id, external_id=data.external_id, status=SeekerStatus.ACTIVE.value)
    _set_identity(seeker, data)
    db.session.add(seeker)
    _sync_children(seeker, data)
    db.session.flush()
    _write_name_keys(seeker)
    for purpose in data.consents:
        give_consent(seeker, ConsentPurpose(purpose))
    audit.record("jobseeker.created", "jobseeker", seeker.id, registration_number=seeker.registration_number)
    return seeker


def _write_name_keys(seeker: JobSeeker) -> None:
    # Name keys need the person's id; they are (re)written once it exists.
    db.session.execute(sa.delete(JobSeekerNameKey).where(JobSeekerNameKey.jobseeker_id == seeker.id))
    keys = dedup.name_keys(seeker.last_name, seeker.first_names)
    if keys:
        db.session.execute(sa.insert(JobSeekerNameKey), [{"jobseeker_id": seeker.id, "key": k} for k in sorted(keys)])


def give_consent(seeker: JobSeeker, purpose: ConsentPurpose) -> Consent | None:
    """Record a consent (nothing when the same purpose is already given)."""
    if any(c.purpose == purpose and c.active for c in seeker.consents):
        return None
    consent = Consent(purpose=purpose.value, notice_version=NOTICE_VERSION)
    seeker.consents.append(consent)
    audit.record("jobseeker.consent_given", "jobseeker", seeker.id, purpose=purpose.value)
    return consent


def withdraw_consent(seeker: JobSeeker, purpose: ConsentPurpose) -> None:
    for consent in seeker.consents:
        if consent.purpose == purpose and consent.active:
            consent.withdrawn_at = utcnow()
            audit.record("jobseeker.consent_withdrawn", "jobseeker", seeker.id, purpose=purpose.value)


def has_consent(seeker: JobSeeker, purpose: ConsentPurpose) -> bool:
    return any(c.purpose == purpose and c.active for c in seeker.consents)


class StaleEdit(Exception):
    """The record changed since the form was opened: nobody's changes are overwritten."""


_IDENTITY_FIELDS = ("last_name", "first_names", "sex", "birth_date", "birth_year", "national_id_type",
                    "national_id", "nationality", "email", "region_id", "commune")


def update_jobseeker(seeker: JobSeeker, data: PersonData, expected_version: int | None = None) -> bool:
    """Apply ``data`` to ``seeker``; returns whether anything changed.

    :param expected_version: the version the form was opened on; a different current
        version raises StaleEdit (the version column also guards concurrent flushes).
    """
    if expected_version is not None and expected_version != seeker.version:
        raise StaleEdit()
    before = {name: getattr(seeker, name) for name in _IDENTITY_FIELDS}
    phones_before = [p.number for p in seeker.phones]
    occupations_before = [(o.occupation_code, o.title, o.years_experience) for o in seeker.occupations]
    _set_identity(seeker, data)
    if data.external_id and not seeker.external_id:
        seeker.external_id = data.external_id
    _sync_children(seeker, data)
    changed = sorted(name for name in _IDENTITY_FIELDS if getattr(seeker, name) != before[name])
    if [p.number for p in seeker.phones] != phones_before:
        changed.append("phones")
    if [(o.occupation_code, o.title, o.years_experience) for o in seeker.occupations] != occupations_before:
        changed.append("occupations")
    for purpose in data.consents:
        give_consent(seeker, ConsentPurpose(purpose))
    if not changed:
        return False
    seeker.updated_at = utcnow()
    db.session.flush()
    if {"last_name", "first_names"} & set(changed):
        _write_name_keys(seeker)
    # Field names only: the values (national IDs among them) stay out of the trail.
    audit.record("jobseeker.updated", "jobseeker", seeker.id, fields=changed)
    return True


def iter_register(country: str | None = None, batch: int = 5000):
    """Every person of the register (one country, or all) as dedup records, streamed."""
    query = (sa.select(JobSeeker).where(JobSeeker.anonymised_at.is_(None))
             .options(sa.orm.selectinload(JobSeeker.phones)).order_by(JobSeeker.id)
             .execution_options(yield_per=batch))
    if country:
        query = query.where(JobSeeker.country_code == country)
    for seeker in db.session.scalars(query):
        yield to_person(seeker)


CONFIRM_EVERY_DAYS = 90


def confirm_still_looking(seeker: JobSeeker) -> None:
    """Record that the person confirmed, today, that they are still looking for work."""
    seeker.last_confirmed_at = utcnow()
    audit.record("jobseeker.confirmed", "jobseeker", seeker.id)


def unconfirmed_clause() -> sa.ColumnElement[bool]:
    """Active people who have not confirmed they are still looking in 90 days."""
    from datetime import timedelta

    limit = utcnow() - timedelta(days=CONFIRM_EVERY_DAYS)
    return sa.and_(JobSeeker.status == SeekerStatus.ACTIVE.value, JobSeeker.last_confirmed_at < limit)
