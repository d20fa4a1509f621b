"""Employers, intermediaries, partner programmes and job offers, national and international."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from app.auth.access import ObjectScope
from app.db import TimestampMixin
from app.extensions import db


class EmployerKind(StrEnum):
    NATIONAL = "national"  # an employer of the PES's own country
    FOREIGN = "foreign"  # an employer abroad recruiting through the PES
    INTERMEDIARY = "intermediary"  # a licensed private recruitment agency
    PARTNER_PES = "partner_pes"  # a partner employment service abroad


EMPLOYER_KIND_TITLES = {
    EmployerKind.NATIONAL: _l("National employer"),
    EmployerKind.FOREIGN: _l("Foreign employer"),
    EmployerKind.INTERMEDIARY: _l("Recruitment agency"),
    EmployerKind.PARTNER_PES: _l("Partner employment service"),
}


class EmployerStatus(StrEnum):
    PENDING = "pending"  # registered online, waiting for an agent's approval
    APPROVED = "approved"
    REJECTED = "rejected"


EMPLOYER_STATUS_TITLES = {
    EmployerStatus.PENDING: _l("Waiting for approval"),
    EmployerStatus.APPROVED: _l("Approved"),
    EmployerStatus.REJECTED: _l("Rejected"),
}


class Employer(TimestampMixin, db.Model):
    """A national or foreign employer, a recruitment agency or a partner service.

    ``country_code`` is the PES country that holds the record (and scopes who manages it);
    ``seat_country`` is where the organisation is based, abroad for foreign employers.
    """

    __tablename__ = "employers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    country_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("countries.code"), index=True)
    # The agency that follows this employer; it scopes which staff may manage it.
    agency_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("agencies.id"), index=True)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16), default=EmployerKind.NATIONAL.value)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=EmployerStatus.APPROVED.value, index=True)
    seat_country: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("countries.code"))
    legal_form: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    sector: so.Mapped[str | None] = so.mapped_column(sa.String(4))  # ISIC Rev.4 division, e.g. "41"
    region_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("regions.id"))
    city: so.Mapped[str | None] = so.mapped_column(sa.String(120))  # commune at home, city abroad
    address: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    contact_name: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    phone: so.Mapped[str | None] = so.mapped_column(sa.String(20))  # E.164
    email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    website: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    # Foreign employers and intermediaries: the licence that allows them to recruit.
    licence_number: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    licence_valid_until: so.Mapped[date | None] = so.mapped_column(sa.Date)
    programme_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("partner_programmes.id"))
    # Who reviewed it is in the audit trail (a users FK here would make users ↔ employers a cycle).
    reviewed_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    review_comment: so.Mapped[str | None] = so.mapped_column(sa.String(500))

    registrations: so.Mapped[list[EmployerRegistration]] = so.relationship(
        back_populates="employer", cascade="all, delete-orphan", order_by="EmployerRegistration.id")
    programme = so.relationship("PartnerProgramme")
    region = so.relationship("Region")
    agency = so.relationship("Agency")

    def access_scope(self) -> ObjectScope:
        return ObjectScope(agency_id=self.agency_id, country_code=self.country_code, employer_id=self.id)

    @property
    def registered(self) -> bool:
        """Approved, with at least one official registration number."""
        return self.status == EmployerStatus.APPROVED.value and any(r.number for r in self.registrations)

    @property
    def licensed(self) -> bool:
        """A licence number that has not expired (only asked of foreign recruiters)."""
        from app.db import utcnow

        return bool(self.licence_number) and (
            self.licence_valid_until is None or self.licence_valid_until >= utcnow().date())

    def __str__(self) -> str:
        return self.name


class EmployerRegistration(db.Model):
    """An official registration number, under the scheme the country uses (RCCM, NINEA, IFU, NIU…)."""

    __tablename__ = "employer_registrations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    employer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("employers.id", ondelete="CASCADE"), index=True)
    scheme: so.Mapped[str] = so.mapped_column(sa.String(16))
    number: so.Mapped[str] = so.mapped_column(sa.String(64))
    employer: so.Mapped[Employer] = so.relationship(back_populates="registrations")

    __table_args__ = (sa.Index("ix_employer_registrations_number", "scheme", "number"),)


class PartnerProgramme(TimestampMixin, db.Model):
    """A bilateral programme or skills partnership under which workers are recruited abroad."""

    __tablename__ = "partner_programmes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    origin_country: so.Mapped[str] = so.mapped_column(sa.ForeignKey("countries.code"), index=True)
    destination_country: so.Mapped[str] = so.mapped_column(sa.ForeignKey("countries.code"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(24), default="bilateral")  # or skills_partnership, seasonal
    active: so.Mapped[bool] = so.mapped_column(default=True)
    # A skills partnership's terms: its period, quota of workers and status (planned, active,
    # suspended, ended), the occupations it targets and the institutions taking part.
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="active")
    quota: so.Mapped[int | None] = so.mapped_column()
    starts_on: so.Mapped[date | None] = so.mapped_column(sa.Date)
    ends_on: so.Mapped[date | None] = so.mapped_column(sa.Date)
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    occupations = so.relationship("Occupation", secondary="partner_programme_occupations",
                                  order_by="Occupation.code")
    institutions: so.Mapped[list[PartnerInstitution]] = so.relationship(
        back_populates="programme", cascade="all, delete-orphan", order_by="PartnerInstitution.id")

    def __str__(self) -> str:
        return self.name


partner_programme_occupations = sa.Table(
    "partner_programme_occupations", db.metadata,
    sa.Column("programme_id", sa.ForeignKey("partner_programmes.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("occupation_code", sa.ForeignKey("occupations.code"), primary_key=True),
)


class PartnerInstitution(db.Model):
    """An institution taking part in a partnership: a PES, an employer, a training centre."""

    __tablename__ = "partner_institutions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    programme_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("partner_programmes.id", ondelete="CASCADE"),
                                                    index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    kind: so.Mapped[str] = so.mapped_column(sa.String(24))  # pes, employer, training_centre, other
    country_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("countries.code"))

    programme: so.Mapped[PartnerProgramme] = so.relationship(back_populates="institutions")


class ContractType(StrEnum):
    PERMANENT = "permanent"
    FIXED_TERM = "fixed_term"
    SEASONAL = "seasonal"
    INTERNSHIP = "internship"
    APPRENTICESHIP = "apprenticeship"
    DAILY = "daily"  # daily or task work


CONTRACT_TITLES = {
    ContractType.PERMANENT: _l("Permanent"),
    ContractType.FIXED_TERM: _l("Fixed-term"),
    ContractType.SEASONAL: _l("Seasonal"),
    ContractType.INTERNSHIP: _l("Internship"),
    ContractType.APPRENTICESHIP: _l("Apprenticeship"),
    ContractType.DAILY: _l("Daily or task work"),
}


class OfferStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    FILLED = "filled"
    CLOSED = "closed"
    EXPIRED = "expired"
    REJECTED = "rejected"


OFFER_STATUS_TITLES = {
    OfferStatus.DRAFT: _l("Draft"),
    OfferStatus.SUBMITTED: _l("Submitted"),
    OfferStatus.PUBLISHED: _l("Published"),
    OfferStatus.FILLED: _l("Filled"),
    OfferStatus.CLOSED: _l("Closed"),
    OfferStatus.EXPIRED: _l("Expired"),
    OfferStatus.REJECTED: _l("Rejected"),
}
OPEN_STATUSES = (OfferStatus.PUBLISHED.value,)

BENEFITS = {"housing": _l("Housing"), "meals": _l("Meals"), "transport": _l("Transport"),
            "health": _l("Health insurance")}


class Offer(TimestampMixin, db.Model):
    """A job offer. International offers carry the terms a would-be migrant must be able to check."""

    __tablename__ = "offers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reference: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    external_id: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    employer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("employers.id"), index=True)
    intermediary_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("employers.id"), index=True)
    # The PES country and agency that hold and follow the offer.
    country_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("countries.code"), index=True)
    agency_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("agencies.id"), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=OfferStatus.DRAFT.value, index=True)
    rejection_reason: so.Mapped[str | None] = so.mapped_column(sa.String(500))

    occupation_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("occupations.code"), index=True)
    job_title: so.Mapped[str] = so.mapped_column(sa.String(200))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    positions: so.Mapped[int] = so.mapped_column(default=1)
    positions_filled: so.Mapped[int] = so.mapped_column(default=0)
    contract_type: so.Mapped[str] = so.mapped_column(sa.String(16))
    contract_months: so.Mapped[int | None] = so.mapped_column()  # fixed-term, seasonal, international
    working_time: so.Mapped[str] = so.mapped_column(sa.String(8), default="full")  # full or part
    hours_per_week: so.Mapped[int | None] = so.mapped_column()

    # Place: region and commune at home, or country and city abroad.
    international: so.Mapped[bool] = so.mapped_column(default=False, index=True)
    destination_country: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("countries.code"), index=True)
    region_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("regions.id"), index=True)
    city: so.Mapped[str | None] = so.mapped_column(sa.String(120))

    salary_min: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(14, 2))
    salary_max: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(14, 2))
    salary_currency: so.Mapped[str | None] = so.mapped_column(sa.String(3))
    salary_period: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    benefits: so.Mapped[str] = so.mapped_column(sa.String(64), default="")  # space-separated BENEFITS keys

    experience_years: so.Mapped[int | None] = so.mapped_column()
    beginners_ok: so.Mapped[bool] = so.mapped_column(default=False)
    education_level: so.Mapped[str | None] = so.mapped_column(sa.String(2))  # ISCED 2011
    education_required: so.Mapped[bool] = so.mapped_column(default=False)  # a must-have for matching
    driving_licence: so.Mapped[str | None] = so.mapped_column(sa.String(4))  # a must-have when set
    start_date: so.Mapped[date | None] = so.mapped_column(sa.Date)
    closing_date: so.Mapped[date | None] = so.mapped_column(sa.Date, index=True)
    how_to_apply: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    show_contact: so.Mapped[bool] = so.mapped_column(default=False)  # the employer's contact on the board

    # International terms.
    programme_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("partner_programmes.id"))
    work_permit: so.Mapped[bool] = so.mapped_column(default=False)
    visa_sponsored: so.Mapped[bool] = so.mapped_column(default=False)
    # None: the offer does not say who pays, which the anti-fraud checks treat as a missing term.
    travel_paid: so.Mapped[bool | None] = so.mapped_column(default=None)
    housing_provided: so.Mapped[bool | None] = so.mapped_column(default=None)
    worker_fee: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(14, 2))  # any fee asked of the worker
    worker_fee_currency: so.Mapped[str | None] = so.mapped_column(sa.String(3))
    contract_file: so.Mapped[str | None] = so.mapped_column(sa.String(200))  # stored name, outside the web root
    # Offers published in ISCO-08 or ESCO by partner services, mapped to a fiche and confirmed.
    source_code: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    mapping_confirmed: so.Mapped[bool] = so.mapped_column(default=True)

    published_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True), index=True)
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    version: so.Mapped[int] = so.mapped_column(default=1)

    employer: so.Mapped[Employer] = so.relationship(foreign_keys=[employer_id])
    intermediary = so.relationship("Employer", foreign_keys=[intermediary_id])
    occupation = so.relationship("Occupation")
    region = so.relationship("Region")
    programme = so.relationship("PartnerProgramme")
    skills: so.Mapped[list[OfferSkill]] = so.relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="OfferSkill.id")
    languages: so.Mapped[list[OfferLanguage]] = so.relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="OfferLanguage.id")
    flags: so.Mapped[list[OfferFlag]] = so.relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="OfferFlag.id")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.UniqueConstraint("country_code", "external_id"),
        # The job board's newest-first pages, and its counts answered from the index alone
        # (every column a board filter reads), measured by bench/board.py on SQLite.
        sa.Index("ix_offers_board", "country_code", "status", "published_at", "id"),
        sa.Index("ix_offers_open", "country_code", "status", "closing_date", "international", "occupation_code",
                 "region_id", "destination_country", "contract_type"),
    )

    def access_scope(self) -> ObjectScope:
        return ObjectScope(agency_id=self.agency_id, country_code=self.country_code, employer_id=self.employer_id)

    @classmethod
    def country_clause(cls, code: str) -> sa.ColumnElement[bool]:
        return cls.country_code == code

    @property
    def open_flags(self) -> list[OfferFlag]:
        return [flag for flag in self.flags if flag.cleared_at is None]


class OfferSkill(db.Model):
    __tablename__ = "offer_skills"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    offer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    skill_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("skills.code"), index=True)
    required: so.Mapped[bool] = so.mapped_column(default=True)  # required, or only desirable
    offer: so.Mapped[Offer] = so.relationship(back_populates="skills")
    skill = so.relationship("Skill")


class OfferLanguage(db.Model):
    __tablename__ = "offer_languages"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    offer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    language: so.Mapped[str] = so.mapped_column(sa.String(3))  # ISO 639-3
    level: so.Mapped[str] = so.mapped_column(sa.String(16))  # app.reference.vocab.LANGUAGE_LEVELS
    required: so.Mapped[bool] = so.mapped_column(default=True)  # a must-have, or only a plus
    offer: so.Mapped[Offer] = so.relationship(back_populates="languages")


class FlagKind(StrEnum):
    WORKER_FEE = "worker_fee"
    UNREGISTERED_EMPLOYER = "unregistered_employer"
    UNLICENSED_RECRUITER = "unlicensed_recruiter"
    SALARY_OUTLIER = "salary_outlier"
    MISSING_CONTRACT = "missing_contract"
    MISSING_TERMS = "missing_terms"


FLAG_TITLES = {
    FlagKind.WORKER_FEE: _l("A fee is asked of the worker"),
    FlagKind.UNREGISTERED_EMPLOYER: _l("The employer is not registered"),
    FlagKind.UNLICENSED_RECRUITER: _l("The recruiter has no valid licence"),
    FlagKind.SALARY_OUTLIER: _l("The salary is far outside the usual range"),
    FlagKind.MISSING_CONTRACT: _l("The contract document is missing"),
    FlagKind.MISSING_TERMS: _l("Essential terms are missing"),
}


class OfferFlag(db.Model):
    """An anti-fraud warning on an offer; a manager clears it, with a comment, before publication."""

    __tablename__ = "offer_flags"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    offer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(32))
    detail: so.Mapped[dict | None] = so.mapped_column(sa.JSON)  # what the check saw, for the manager
    raised_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True))
    cleared_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    cleared_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    comment: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    offer: so.Mapped[Offer] = so.relationship(back_populates="flags")
    cleared_by = so.relationship("User")


class OfferCounter(db.Model):
    """The last offer sequence number per country and year (incremented by one UPDATE)."""

    __tablename__ = "offer_counters"

    country_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("countries.code"), primary_key=True)
    year: so.Mapped[int] = so.mapped_column(primary_key=True)
    last: so.Mapped[int] = so.mapped_column(default=0)
