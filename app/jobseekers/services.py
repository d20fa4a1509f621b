"""Use cases of the job-seeker register: register, find duplicates, update, confirm, consent."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from app import audit
from app.auth.models import Agency
from app.db import next_in_counter, utcnow
from app.extensions import db
from app.jobseekers import dedup
from app.jobseekers.identity import clean_name, search_key
from app.reference.vocab import LANGUAGE_LEVEL_RANK
from app.auth.models import Country, Region
from app.jobseekers.models import (
    Consent, ConsentPurpose, Experience, JobSeeker, JobSeekerLanguage, JobSeekerNameKey, JobSeekerOccupation,
    JobSeekerPhone, JobSeekerSkill, Qualification, RegistrationCounter, SeekerStatus,
)

NOTICE_VERSION = "2026-1"


@dataclass
class OccupationChoice:
    code: str
    title: str = ""
    years_experience: int | None = None


@dataclass(frozen=True)
class ExperienceData:
    kind: str
    title: str
    employer: str | None = None
    place: str | None = None
    start_year: int | None = None
    end_year: int | None = None
    occupation_code: str | None = None


@dataclass(frozen=True)
class QualificationData:
    kind: str
    title: str
    institution: str | None = None
    year: int | None = None


@dataclass
class ProfileData:
    """The profile beyond identity: what a counsellor needs to match the person."""

    education_level: str | None = None
    driving_licences: tuple[str, ...] = ()
    disability: bool = False
    disability_note: str | None = None
    availability_date: date | None = None
    salary_amount: Decimal | None = None
    salary_currency: str | None = None
    salary_period: str | None = None
    abroad_interest: bool = False
    languages: list[tuple[str, str]] = field(default_factory=list)  # (ISO 639-3, level)
    skill_codes: list[str] = field(default_factory=list)
    free_skills: list[str] = field(default_factory=list)
    experiences: list[ExperienceData] = field(default_factory=list)
    qualifications: list[QualificationData] = field(default_factory=list)
    mobility_region_ids: list[int] = field(default_factory=list)
    mobility_countries: list[str] = field(default_factory=list)


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
    # None leaves the profile as it is (an import row carries identity only).
    profile: ProfileData | None = None


def next_registration_number(agency: Agency, year: int | None = None) -> str:
    """``<agency code>-<year>-<sequence>``, the sequence counted per agency and year.

    The counter is incremented by a single UPDATE … RETURNING, so concurrent registrations
    in several workers never get the same number.
    """
    year = year or utcnow().year
    value = next_in_counter(db.session, RegistrationCounter, agency_id=agency.id, year=year)
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
    base = (sa.select(JobSeeker).where(JobSeeker.country_code == country, JobSeeker.anonymised_at.is_(None),
                                       JobSeeker.merged_into_id.is_(None))
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


_PROFILE_FIELDS = ("education_level", "disability", "disability_note", "availability_date", "salary_amount",
                   "salary_currency", "salary_period", "abroad_interest")


def profile_snapshot(seeker: JobSeeker) -> dict[str, object]:
    """The profile as comparable values, to tell which parts an edit changed."""
    return {
        **{name: getattr(seeker, name) for name in _PROFILE_FIELDS},
        "driving_licences": seeker.driving_licences or "",
        "languages": [(lang.language, lang.level) for lang in seeker.languages],
        "skills": [(s.skill_code, s.label) for s in seeker.skills],
        "experiences": [ExperienceData(e.kind, e.title, e.employer, e.place, e.start_year, e.end_year,
                                       e.occupation_code) for e in seeker.experiences],
        "qualifications": [QualificationData(q.kind, q.title, q.institution, q.year) for q in seeker.qualifications],
        "mobility_regions": sorted(r.id for r in seeker.mobility_regions),
        "mobility_countries": sorted(c.code for c in seeker.mobility_countries),
    }


def _set_profile(seeker: JobSeeker, profile: ProfileData) -> None:
    """Write ``profile`` over the person's; child rows are replaced only when they differ."""
    before = profile_snapshot(seeker) if seeker.id else None
    for name in _PROFILE_FIELDS:
        setattr(seeker, name, getattr(profile, name))
    if profile.salary_amount is None:
        seeker.salary_currency = seeker.salary_period = None
    seeker.driving_licences = " ".join(sorted(set(profile.driving_licences)))
    languages = list(dict((code, level) for code, level in profile.languages).items())
    if before is None or before["languages"] != languages:
        seeker.languages = [JobSeekerLanguage(language=c, level=lv) for c, lv in languages]
    skills = [(code, "") for code in dict.fromkeys(profile.skill_codes)]
    skills += [(None, label) for label in dict.fromkeys(profile.free_skills)]
    if before is None or before["skills"] != skills:
        seeker.skills = [JobSeekerSkill(skill_code=code, label=label) for code, label in skills]
    if before is None or before["experiences"] != profile.experiences:
        seeker.experiences = [Experience(kind=e.kind, title=e.title, employer=e.employer, place=e.place,
                                         start_year=e.start_year, end_year=e.end_year,
                                         occupation_code=e.occupation_code) for e in profile.experiences]
    if before is None or before["qualifications"] != profile.qualifications:
        seeker.qualifications = [Qualification(kind=q.kind, title=q.title, institution=q.institution, year=q.year)
                                 for q in profile.qualifications]
    if before is None or before["mobility_regions"] != sorted(set(profile.mobility_region_ids)):
        seeker.mobility_regions = list(db.session.scalars(
            sa.select(Region).where(Region.id.in_(profile.mobility_region_ids)))) if profile.mobility_region_ids else []
    if before is None or before["mobility_countries"] != sorted(set(profile.mobility_countries)):
        seeker.mobility_countries = list(db.session.scalars(
            sa.select(Country).where(Country.code.in_(profile.mobility_countries)))) if profile.mobility_countries else []


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
    if data.profile is not None:
        _set_profile(seeker, data.profile)
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
    profile_before = profile_snapshot(seeker) if data.profile is not None else None
    _set_identity(seeker, data)
    if data.external_id and not seeker.external_id:
        seeker.external_id = data.external_id
    _sync_children(seeker, data)
    changed = sorted(name for name in _IDENTITY_FIELDS if getattr(seeker, name) != before[name])
    if profile_before is not None:
        _set_profile(seeker, data.profile)
        after = profile_snapshot(seeker)
        changed += sorted(name for name in after if after[name] != profile_before[name])
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
    query = (sa.select(JobSeeker).where(JobSeeker.anonymised_at.is_(None), JobSeeker.merged_into_id.is_(None))
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


def change_status(seeker: JobSeeker, status: SeekerStatus) -> bool:
    """Set the person's status (active, placed, inactive, suspended); returns whether it changed.

    Coming back to active counts as a confirmation that the person is looking for work.
    """
    if seeker.status == status.value:
        return False
    before = seeker.status
    seeker.status = status.value
    if status is SeekerStatus.ACTIVE:
        seeker.last_confirmed_at = utcnow()
    audit.record("jobseeker.status_changed", "jobseeker", seeker.id, before=before, after=status.value)
    return True


class MergeRefused(Exception):
    """Two records that cannot be merged; ``reason`` is "same", "country" or "closed"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_FILLABLE = ("sex", "birth_date", "birth_year", "nationality", "email", "region_id", "commune",
             "education_level", "disability_note", "availability_date")


def merge_jobseekers(survivor: JobSeeker, absorbed: JobSeeker) -> list[str]:
    """Merge ``absorbed`` (a duplicate) into ``survivor``; returns the parts taken over.

    Nothing is deleted: the absorbed record keeps its own data and history, is marked
    inactive and points to the survivor, and leaves searches and the duplicate check.
    The survivor fills its gaps from it and gains its phones, occupations (up to 3),
    languages, skills, experiences, qualifications, mobility, and the consents of purposes it
    has no record of. Flushes; the caller commits.
    """
    if survivor.id == absorbed.id:
        raise MergeRefused("same")
    if survivor.country_code != absorbed.country_code:
        raise MergeRefused("country")
    if survivor.anonymised_at or absorbed.anonymised_at or survivor.merged_into_id or absorbed.merged_into_id:
        raise MergeRefused("closed")
    taken: list[str] = []
    # Unique values move first, so that the constraints never see them twice.
    moved_ids = {}
    for name in ("national_id", "external_id"):
        if getattr(absorbed, name) and not getattr(survivor, name):
            moved_ids[name] = getattr(absorbed, name)
            setattr(absorbed, name, None)
    if moved_ids:
        db.session.flush()
        for name, value in moved_ids.items():
            setattr(survivor, name, value)
            taken.append(name)
        if "national_id" in moved_ids:
            survivor.national_id_type = survivor.national_id_type or absorbed.national_id_type
    for name in _FILLABLE:
        if getattr(survivor, name) in (None, "") and getattr(absorbed, name) not in (None, ""):
            setattr(survivor, name, getattr(absorbed, name))
            taken.append(name)
    if absorbed.salary_amount is not None and survivor.salary_amount is None:
        survivor.salary_amount, survivor.salary_currency, survivor.salary_period = (
            absorbed.salary_amount, absorbed.salary_currency, absorbed.salary_period)
        taken.append("salary")
    licences = set(survivor.driving_licences.split()) | set(absorbed.driving_licences.split())
    if licences != set(survivor.driving_licences.split()):
        survivor.driving_licences = " ".join(sorted(licences))
        taken.append("driving_licences")
    survivor.disability = survivor.disability or absorbed.disability
    survivor.abroad_interest = survivor.abroad_interest or absorbed.abroad_interest
    taken += _merge_children(survivor, absorbed)
    absorbed.merged_into_id = survivor.id
    absorbed.status = SeekerStatus.INACTIVE.value
    db.session.execute(sa.delete(JobSeekerNameKey).where(JobSeekerNameKey.jobseeker_id == absorbed.id))
    survivor.updated_at = utcnow()
    db.session.flush()
    audit.record("jobseeker.merged", "jobseeker", survivor.id, absorbed=absorbed.registration_number,
                 fields=taken)
    audit.record("jobseeker.merged_into", "jobseeker", absorbed.id, survivor=survivor.registration_number)
    return taken


def _merge_children(survivor: JobSeeker, absorbed: JobSeeker) -> list[str]:
    taken = []
    phones = [p.number for p in survivor.phones]
    for phone in absorbed.phones:
        if phone.number not in phones:
            survivor.phones.append(JobSeekerPhone(number=phone.number))
            taken.append("phones")
    codes = [o.occupation_code for o in survivor.occupations]
    for occupation in absorbed.occupations:
        if occupation.occupation_code not in codes and len(codes) < 3:
            codes.append(occupation.occupation_code)
            survivor.occupations.append(JobSeekerOccupation(
                rank=len(codes), occupation_code=occupation.occupation_code, title=occupation.title,
                years_experience=occupation.years_experience))
            taken.append("occupations")
    levels = {lang.language: lang for lang in survivor.languages}
    for lang in absorbed.languages:
        mine = levels.get(lang.language)
        if mine is None:
            survivor.languages.append(JobSeekerLanguage(language=lang.language, level=lang.level))
            taken.append("languages")
        elif LANGUAGE_LEVEL_RANK.get(lang.level, 0) > LANGUAGE_LEVEL_RANK.get(mine.level, 0):
            mine.level = lang.level
            taken.append("languages")
    skills = {(s.skill_code, s.label) for s in survivor.skills}
    for skill in absorbed.skills:
        if (skill.skill_code, skill.label) not in skills:
            survivor.skills.append(JobSeekerSkill(skill_code=skill.skill_code, label=skill.label))
            taken.append("skills")
    experiences = profile_snapshot(survivor)["experiences"]
    for e in absorbed.experiences:
        if ExperienceData(e.kind, e.title, e.employer, e.place, e.start_year, e.end_year,
                          e.occupation_code) not in experiences:
            survivor.experiences.append(Experience(
                kind=e.kind, title=e.title, employer=e.employer, place=e.place, start_year=e.start_year,
                end_year=e.end_year, occupation_code=e.occupation_code))
            taken.append("experiences")
    qualifications = {(q.kind, q.title, q.institution, q.year) for q in survivor.qualifications}
    for q in absorbed.qualifications:
        if (q.kind, q.title, q.institution, q.year) not in qualifications:
            survivor.qualifications.append(Qualification(kind=q.kind, title=q.title, institution=q.institution,
                                                         year=q.year))
            taken.append("qualifications")
    for region in absorbed.mobility_regions:
        if region not in survivor.mobility_regions:
            survivor.mobility_regions.append(region)
            taken.append("mobility")
    for country in absorbed.mobility_countries:
        if country not in survivor.mobility_countries:
            survivor.mobility_countries.append(country)
            taken.append("mobility")
    # A consent given on the duplicate holds for the person, unless the survivor has a record of
    # that purpose (given or withdrawn since): then the survivor's own decision stands.
    purposes = {c.purpose for c in survivor.consents}
    for consent in list(absorbed.consents):
        if consent.purpose not in purposes:
            consent.jobseeker = survivor
            taken.append("consents")
    return list(dict.fromkeys(taken))


def merged_ids(seeker: JobSeeker) -> list[int]:
    """The person's id and those of the records merged into it (for one history)."""
    absorbed = db.session.scalars(sa.select(JobSeeker.id).where(JobSeeker.merged_into_id == seeker.id)).all()
    return [seeker.id, *absorbed]
