"""Job-seekers: identity, profile, consent and history."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from app.db import TimestampMixin, utcnow
from app.extensions import db


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"


SEX_TITLES = {Sex.FEMALE: _l("Female"), Sex.MALE: _l("Male")}


class SeekerStatus(StrEnum):
    ACTIVE = "active"
    PLACED = "placed"
    INACTIVE = "inactive"
    SUSPENDED = "suspended"


STATUS_TITLES = {
    SeekerStatus.ACTIVE: _l("Active"),
    SeekerStatus.PLACED: _l("Placed"),
    SeekerStatus.INACTIVE: _l("Inactive"),
    SeekerStatus.SUSPENDED: _l("Suspended"),
}


class ConsentPurpose(StrEnum):
    PROPOSE = "propose"  # to be proposed to employers (matching)
    SHARE_EMPLOYERS = "share_employers"  # profile shared with employers
    SHARE_ABROAD = "share_abroad"  # shared with partners abroad


CONSENT_TITLES = {
    ConsentPurpose.PROPOSE: _l("Being proposed to employers"),
    ConsentPurpose.SHARE_EMPLOYERS: _l("Profile shared with employers"),
    ConsentPurpose.SHARE_ABROAD: _l("Profile shared with partners abroad"),
}


EVENT_TITLES = {
    "jobseeker.created": _l("Registered"),
    "jobseeker.updated": _l("Record changed"),
    "jobseeker.consent_given": _l("Consent given"),
    "jobseeker.consent_withdrawn": _l("Consent withdrawn"),
    "jobseeker.duplicate_overridden": _l("Registered although a duplicate was suspected"),
    "jobseeker.read": _l("Record opened"),
    "jobseeker.confirmed": _l("Confirmed still looking for work"),
    "jobseeker.status_changed": _l("Status changed"),
    "jobseeker.card_printed": _l("Job-seeker card printed"),
    "jobseeker.exported": _l("Everything held on the person exported"),
    "jobseeker.anonymised": _l("Anonymised"),
    "jobseeker.merged": _l("Merged with a duplicate record"),
    "jobseeker.merged_into": _l("Merged into another record"),
}


# What an edit changed, as the history names it (the audit keeps field names, never values).
FIELD_TITLES = {
    "last_name": _l("Last name"), "first_names": _l("First names"), "sex": _l("Sex"),
    "birth_date": _l("Date of birth"), "birth_year": _l("Year of birth"), "national_id_type": _l("Identity document"),
    "national_id": _l("Document number"), "nationality": _l("Nationality"), "email": _l("E-mail"),
    "region_id": _l("Region"), "commune": _l("Commune"), "phones": _l("Phones"),
    "occupations": _l("Occupations sought"), "education_level": _l("Education level"),
    "driving_licences": _l("Driving licences"), "disability": _l("Disability"),
    "disability_note": _l("Adjustments needed at work"), "availability_date": _l("Available from"),
    "salary_amount": _l("Salary expected"), "salary_currency": _l("Currency"), "salary_period": _l("Period"),
    "salary": _l("Salary expected"), "abroad_interest": _l("Interested in working abroad"),
    "languages": _l("Languages"), "skills": _l("Skills"), "experiences": _l("Work experience"),
    "qualifications": _l("Education and training"), "mobility_regions": _l("Mobility"),
    "mobility_countries": _l("Mobility"), "mobility": _l("Mobility"), "consents": _l("Consent"),
    "external_id": _l("Import identifier"),
}


class ExperienceKind(StrEnum):
    FORMAL = "formal"
    INFORMAL = "informal"
    APPRENTICESHIP = "apprenticeship"  # traditional apprenticeship with a master craftsperson


EXPERIENCE_TITLES = {
    ExperienceKind.FORMAL: _l("Formal employment"),
    ExperienceKind.INFORMAL: _l("Informal work"),
    ExperienceKind.APPRENTICESHIP: _l("Traditional apprenticeship"),
}


class QualificationKind(StrEnum):
    DIPLOMA = "diploma"
    TRAINING = "training"


QUALIFICATION_TITLES = {QualificationKind.DIPLOMA: _l("Diploma"), QualificationKind.TRAINING: _l("Training")}


jobseeker_mobility_regions = sa.Table(
    "jobseeker_mobility_regions", db.metadata,
    sa.Column("jobseeker_id", sa.ForeignKey("jobseekers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("region_id", sa.ForeignKey("regions.id"), primary_key=True),
)
jobseeker_mobility_countries = sa.Table(
    "jobseeker_mobility_countries", db.metadata,
    sa.Column("jobseeker_id", sa.ForeignKey("jobseekers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("country_code", sa.ForeignKey("countries.code"), primary_key=True),
)


class JobSeeker(TimestampMixin, db.Model):
    """A person registered with a PES agency."""

    __tablename__ = "jobseekers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    registration_number: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    external_id: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    country_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("countries.code"), index=True)
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"), index=True)

    last_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    first_names: so.Mapped[str] = so.mapped_column(sa.String(160))
    # Lower-case, accent-free "last first" for prefix and substring search.
    search_name: so.Mapped[str] = so.mapped_column(sa.String(300))
    sex: so.Mapped[str | None] = so.mapped_column(sa.String(1))
    birth_date: so.Mapped[date | None] = so.mapped_column(sa.Date)
    birth_year: so.Mapped[int | None] = so.mapped_column(index=True)
    nationality: so.Mapped[str | None] = so.mapped_column(sa.String(2))
    national_id_type: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    national_id: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    region_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("regions.id"), index=True)
    commune: so.Mapped[str | None] = so.mapped_column(sa.String(120))

    education_level: so.Mapped[str | None] = so.mapped_column(sa.String(2))  # ISCED 2011, "0".."8"
    driving_licences: so.Mapped[str] = so.mapped_column(sa.String(64), default="")  # "B C", space-separated
    disability: so.Mapped[bool] = so.mapped_column(default=False)
    disability_note: so.Mapped[str | None] = so.mapped_column(sa.String(200))  # adjustments needed at work
    availability_date: so.Mapped[date | None] = so.mapped_column(sa.Date)
    salary_amount: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(14, 2))
    salary_currency: so.Mapped[str | None] = so.mapped_column(sa.String(3))
    salary_period: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    abroad_interest: so.Mapped[bool] = so.mapped_column(default=False)

    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=SeekerStatus.ACTIVE.value, index=True)
    last_confirmed_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                             index=True)
    anonymised_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # Optimistic locking: an edit based on an old version fails instead of overwriting.
    version: so.Mapped[int] = so.mapped_column(default=1)

    phones: so.Mapped[list[JobSeekerPhone]] = so.relationship(
        back_populates="jobseeker", cascade="all, delete-orphan", order_by="JobSeekerPhone.id")
    occupations: so.Mapped[list[JobSeekerOccupation]] = so.relationship(
        back_populates="jobseeker", cascade="all, delete-orphan", order_by="JobSeekerOccupation.rank")
    consents: so.Mapped[list[Consent]] = so.relationship(
        back_populates="jobseeker", cascade="all, delete-orphan", order_by="Consent.id")
    languages: so.Mapped[list[JobSeekerLanguage]] = so.relationship(
        back_populates="jobseeker", cascade="all, delete-orphan", order_by="JobSeekerLanguage.id")
    skills: so.Mapped[list[JobSeekerSkill]] = so.relationship(
        back_populates="jobseeker", cascade="all, delete-orphan", order_by="JobSeekerSkill.id")
    experiences: so.Mapped[list[Experience]] = so.relationship(
        back_populates="jobseeker", cascade="all, delete-orphan", order_by="Experience.id")
    qualifications: so.Mapped[list[Qualification]] = so.relationship(
        back_populates="jobseeker", cascade="all, delete-orphan", order_by="Qualification.id")
    mobility_regions = so.relationship("Region", secondary=jobseeker_mobility_regions, order_by="Region.id")
    mobility_countries = so.relationship("Country", secondary=jobseeker_mobility_countries,
                                         order_by="Country.code")
    agency = so.relationship("Agency")
    region = so.relationship("Region")
    # Set when this record was merged into another (the surviving record); kept for history.
    merged_into_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("jobseekers.id"))

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One person per national ID per country, enforced by the database itself.
        sa.UniqueConstraint("country_code", "national_id"),
        sa.UniqueConstraint("country_code", "external_id"),
        # Name prefixes are searched with LIKE 'prefix%': PostgreSQL serves that from an index
        # only with the pattern operator class (its collation is not C); SQLite's GLOB uses
        # the plain index (see search.py). Measured at a million people: 126 ms → 11 ms.
        sa.Index("ix_jobseekers_search_name", "search_name", postgresql_ops={"search_name": "varchar_pattern_ops"}),
    )

    @classmethod
    def country_clause(cls, code: str) -> sa.ColumnElement[bool]:
        return cls.country_code == code

    @property
    def full_name(self) -> str:
        return f"{self.first_names} {self.last_name}".strip()


class JobSeekerPhone(db.Model):
    __tablename__ = "jobseeker_phones"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    jobseeker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("jobseekers.id", ondelete="CASCADE"),
                                                    index=True)
    number: so.Mapped[str] = so.mapped_column(sa.String(20), index=True)  # E.164
    jobseeker: so.Mapped[JobSeeker] = so.relationship(back_populates="phones")


class JobSeekerNameKey(db.Model):
    """Blocking keys of a person's name, looked up by equality to find likely duplicates."""

    __tablename__ = "jobseeker_name_keys"

    jobseeker_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("jobseekers.id", ondelete="CASCADE"), primary_key=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True, index=True)


class JobSeekerOccupation(db.Model):
    """One of the 1 to 3 occupations a person seeks, coded in the reference."""

    __tablename__ = "jobseeker_occupations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    jobseeker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("jobseekers.id", ondelete="CASCADE"),
                                                    index=True)
    rank: so.Mapped[int] = so.mapped_column(default=1)
    occupation_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("occupations.code"), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200), default="")  # as the person said it
    years_experience: so.Mapped[int | None] = so.mapped_column()
    jobseeker: so.Mapped[JobSeeker] = so.relationship(back_populates="occupations")
    occupation = so.relationship("Occupation")


class JobSeekerLanguage(db.Model):
    __tablename__ = "jobseeker_languages"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    jobseeker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("jobseekers.id", ondelete="CASCADE"),
                                                    index=True)
    language: so.Mapped[str] = so.mapped_column(sa.String(3))  # ISO 639-3
    level: so.Mapped[str] = so.mapped_column(sa.String(16))  # see app.reference.vocab.LANGUAGE_LEVELS
    jobseeker: so.Mapped[JobSeeker] = so.relationship(back_populates="languages")


class JobSeekerSkill(db.Model):
    """A skill from the fiches' lists (``skill_code``), or one in the person's own words."""

    __tablename__ = "jobseeker_skills"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    jobseeker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("jobseekers.id", ondelete="CASCADE"),
                                                    index=True)
    skill_code: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("skills.code"), index=True)
    label: so.Mapped[str] = so.mapped_column(sa.String(200), default="")  # free skills only
    jobseeker: so.Mapped[JobSeeker] = so.relationship(back_populates="skills")
    skill = so.relationship("Skill")


class Experience(db.Model):
    """Work done: formal, informal or a traditional apprenticeship all count."""

    __tablename__ = "jobseeker_experiences"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    jobseeker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("jobseekers.id", ondelete="CASCADE"),
                                                    index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    occupation_code: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("occupations.code"))
    employer: so.Mapped[str | None] = so.mapped_column(sa.String(200))  # or the master craftsperson
    place: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    start_year: so.Mapped[int | None] = so.mapped_column()
    end_year: so.Mapped[int | None] = so.mapped_column()  # none: still doing it
    jobseeker: so.Mapped[JobSeeker] = so.relationship(back_populates="experiences")
    occupation = so.relationship("Occupation")


class Qualification(db.Model):
    """A diploma or a training course."""

    __tablename__ = "jobseeker_qualifications"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    jobseeker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("jobseekers.id", ondelete="CASCADE"),
                                                    index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    institution: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    year: so.Mapped[int | None] = so.mapped_column()
    jobseeker: so.Mapped[JobSeeker] = so.relationship(back_populates="qualifications")


class Consent(db.Model):
    """A dated consent for one purpose, under a notice version; withdrawn, not deleted."""

    __tablename__ = "consents"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    jobseeker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("jobseekers.id", ondelete="CASCADE"),
                                                    index=True)
    purpose: so.Mapped[str] = so.mapped_column(sa.String(24))
    notice_version: so.Mapped[str] = so.mapped_column(sa.String(16))
    given_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    withdrawn_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    recorded_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    jobseeker: so.Mapped[JobSeeker] = so.relationship(back_populates="consents")

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class RegistrationCounter(db.Model):
    """The last sequence number given per agency and year (row-locked when incremented)."""

    __tablename__ = "registration_counters"

    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"), primary_key=True)
    year: so.Mapped[int] = so.mapped_column(primary_key=True)
    last: so.Mapped[int] = so.mapped_column(default=0)
