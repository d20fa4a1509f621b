"""International mobility counselling: dossiers of would-be migrants and what happens in them.

A dossier follows one job-seeker from the first interview at the international desk to the
return home: risk assessment, alternatives at home, counselling sessions, documents,
pre-departure workshops, the departure, contacts abroad and the return. Every stage change is
a :class:`DossierEvent` with its author; some need a manager's approval (``review_*``).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from app.auth.access import ObjectScope
from app.db import TimestampMixin, utcnow
from app.extensions import db


class Stage(StrEnum):
    OPENED = "opened"
    ASSESSMENT = "assessment"
    COUNSELLING = "counselling"
    MATCHED = "matched"
    PRE_DEPARTURE = "pre_departure"
    DEPARTED = "departed"
    FOLLOW_UP = "follow_up"
    RETURNED = "returned"
    CLOSED = "closed"


STAGE_TITLES = {
    Stage.OPENED: _l("Opened"),
    Stage.ASSESSMENT: _l("Risk assessment"),
    Stage.COUNSELLING: _l("Counselling"),
    Stage.MATCHED: _l("Matched to an offer"),
    Stage.PRE_DEPARTURE: _l("Pre-departure"),
    Stage.DEPARTED: _l("Departed"),
    Stage.FOLLOW_UP: _l("Follow-up abroad"),
    Stage.RETURNED: _l("Returned"),
    Stage.CLOSED: _l("Closed"),
}

#: Stages of a dossier that is over: a person may then have a new one.
FINAL_STAGES = frozenset({Stage.RETURNED, Stage.CLOSED})


class CloseReason(StrEnum):
    WITHDREW = "withdrew"
    UNREACHABLE = "unreachable"
    NOT_ELIGIBLE = "not_eligible"
    NO_OFFER = "no_offer"
    VISA_REFUSED = "visa_refused"
    WORK_AT_HOME = "work_at_home"
    TRAINING_AT_HOME = "training_at_home"
    OTHER = "other"


CLOSE_REASON_TITLES = {
    CloseReason.WITHDREW: _l("The person withdrew"),
    CloseReason.UNREACHABLE: _l("Could not be reached"),
    CloseReason.NOT_ELIGIBLE: _l("Not eligible"),
    CloseReason.NO_OFFER: _l("No suitable offer"),
    CloseReason.VISA_REFUSED: _l("Visa refused"),
    CloseReason.WORK_AT_HOME: _l("Found work at home"),
    CloseReason.TRAINING_AT_HOME: _l("Went into training at home"),
    CloseReason.OTHER: _l("Other reason"),
}


class ProjectKind(StrEnum):
    WORK = "work"
    SEASONAL = "seasonal"
    STUDY = "study"
    UNDECIDED = "undecided"


PROJECT_TITLES = {ProjectKind.WORK: _l("Work"), ProjectKind.SEASONAL: _l("Seasonal work"),
                  ProjectKind.STUDY: _l("Study"), ProjectKind.UNDECIDED: _l("Undecided")}


class Channel(StrEnum):
    PROGRAMME = "programme"  # a partner programme or skills partnership
    OWN_OFFER = "own_offer"  # an offer the person found themselves
    NONE = "none"  # none yet


CHANNEL_TITLES = {Channel.PROGRAMME: _l("A partner programme"),
                  Channel.OWN_OFFER: _l("An offer the person found"), Channel.NONE: _l("None yet")}


class ReviewState(StrEnum):
    NONE = "none"
    PENDING = "pending"  # a stage change waits for a manager
    SENT_BACK = "sent_back"  # the manager sent it back with a comment


dossier_countries = sa.Table(
    "mobility_dossier_countries", db.metadata,
    sa.Column("dossier_id", sa.ForeignKey("mobility_dossiers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("country_code", sa.ForeignKey("countries.code"), primary_key=True),
)
dossier_occupations = sa.Table(
    "mobility_dossier_occupations", db.metadata,
    sa.Column("dossier_id", sa.ForeignKey("mobility_dossiers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("occupation_code", sa.ForeignKey("occupations.code"), primary_key=True),
)

_OPEN = "stage NOT IN ('returned', 'closed')"


class Dossier(TimestampMixin, db.Model):
    """One person's mobility project, opened by a mobility counsellor of an agency."""

    __tablename__ = "mobility_dossiers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    number: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    jobseeker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("jobseekers.id"), index=True)
    country_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("countries.code"), index=True)
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"), index=True)
    counsellor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    stage: so.Mapped[str] = so.mapped_column(sa.String(16), default=Stage.OPENED.value, index=True)
    close_reason: so.Mapped[str | None] = so.mapped_column(sa.String(24))
    close_comment: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    project_kind: so.Mapped[str] = so.mapped_column(sa.String(16), default=ProjectKind.UNDECIDED.value)
    channel: so.Mapped[str] = so.mapped_column(sa.String(16), default=Channel.NONE.value)
    programme_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("partner_programmes.id"), index=True)
    offer_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("offers.id"), index=True)  # matched offer
    motivation: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # A stage change that waits for a manager: the stage asked, who asked, and the answer.
    review_state: so.Mapped[str] = so.mapped_column(sa.String(16), default=ReviewState.NONE.value, index=True)
    review_stage: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    review_requested_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    review_requested_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    review_comment: so.Mapped[str | None] = so.mapped_column(sa.String(1000))
    last_event_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    version: so.Mapped[int] = so.mapped_column(default=1)

    jobseeker = so.relationship("JobSeeker")
    counsellor = so.relationship("User", foreign_keys=[counsellor_id])
    programme = so.relationship("PartnerProgramme")
    offer = so.relationship("Offer")
    destinations = so.relationship("Country", secondary=dossier_countries, order_by="Country.code")
    occupations = so.relationship("Occupation", secondary=dossier_occupations, order_by="Occupation.code")
    events: so.Mapped[list[DossierEvent]] = so.relationship(
        back_populates="dossier", cascade="all, delete-orphan", order_by="DossierEvent.id")
    assessment: so.Mapped[RiskAssessment | None] = so.relationship(
        back_populates="dossier", cascade="all, delete-orphan", uselist=False)
    alternatives: so.Mapped[list[Alternative]] = so.relationship(
        back_populates="dossier", cascade="all, delete-orphan", order_by="Alternative.id")
    sessions: so.Mapped[list[CounsellingSession]] = so.relationship(
        back_populates="dossier", cascade="all, delete-orphan", order_by="CounsellingSession.held_on")
    documents: so.Mapped[list[DossierDocument]] = so.relationship(
        back_populates="dossier", cascade="all, delete-orphan", order_by="DossierDocument.id")
    departure: so.Mapped[Departure | None] = so.relationship(
        back_populates="dossier", cascade="all, delete-orphan", uselist=False)
    follow_ups: so.Mapped[list[FollowUp]] = so.relationship(
        back_populates="dossier", cascade="all, delete-orphan", order_by="FollowUp.contacted_on")
    return_record: so.Mapped[ReturnRecord | None] = so.relationship(
        back_populates="dossier", cascade="all, delete-orphan", uselist=False)

    __table_args__ = (
        # One open dossier per person, whatever the workers do at the same time.
        sa.Index("uq_mobility_dossiers_open_person", "jobseeker_id", unique=True,
                 postgresql_where=sa.text(_OPEN), sqlite_where=sa.text(_OPEN)),
    )
    __mapper_args__ = {"version_id_col": version}

    def access_scope(self) -> ObjectScope:
        return ObjectScope(agency_id=self.agency_id, country_code=self.country_code, owner_id=self.counsellor_id)

    @classmethod
    def country_clause(cls, code: str) -> sa.ColumnElement[bool]:
        return cls.country_code == code

    @property
    def is_open(self) -> bool:
        return self.stage not in FINAL_STAGES


class DossierEvent(db.Model):
    """A dated step of a dossier with its author: a stage change, a review, a note."""

    __tablename__ = "mobility_dossier_events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dossier_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("mobility_dossiers.id", ondelete="CASCADE"),
                                                  index=True)
    at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(32))  # stage, review_requested, approved, sent_back, …
    from_stage: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    to_stage: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    comment: so.Mapped[str | None] = so.mapped_column(sa.String(1000))

    dossier: so.Mapped[Dossier] = so.relationship(back_populates="events")
    actor = so.relationship("User")


class RiskAssessment(db.Model):
    """What the person knows and has been asked: the signs of an irregular or abusive route."""

    __tablename__ = "mobility_risk_assessments"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dossier_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("mobility_dossiers.id", ondelete="CASCADE"),
                                                  unique=True)
    aware_of_risks: so.Mapped[bool | None] = so.mapped_column()  # knows the risks of irregular routes
    fee_asked: so.Mapped[bool | None] = so.mapped_column()  # an intermediary asked for fees
    fee_amount: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(14, 2))
    fee_currency: so.Mapped[str | None] = so.mapped_column(sa.String(3))
    passport_retention: so.Mapped[bool | None] = so.mapped_column()  # someone keeps or wants the passport
    debts: so.Mapped[bool | None] = so.mapped_column()  # borrowed to pay for the journey
    offer_checked: so.Mapped[bool | None] = so.mapped_column()  # the offer was checked by the PES
    notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    assessed_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    assessed_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    dossier: so.Mapped[Dossier] = so.relationship(back_populates="assessment")


class Alternative(db.Model):
    """An alternative at home proposed to the person (a national offer, a training), and their decision."""

    __tablename__ = "mobility_alternatives"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dossier_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("mobility_dossiers.id", ondelete="CASCADE"),
                                                  index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))  # offer, training, self_employment, other
    offer_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("offers.id"))
    description: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    decision: so.Mapped[str] = so.mapped_column(sa.String(16), default="pending")  # pending, accepted, declined
    proposed_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    decided_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    score: so.Mapped[float | None] = so.mapped_column()  # the match score of an offer, when proposed

    dossier: so.Mapped[Dossier] = so.relationship(back_populates="alternatives")
    offer = so.relationship("Offer")


class CounsellingSession(db.Model):
    __tablename__ = "mobility_sessions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dossier_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("mobility_dossiers.id", ondelete="CASCADE"),
                                                  index=True)
    held_on: so.Mapped[date] = so.mapped_column(sa.Date)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))  # individual or group
    minutes: so.Mapped[int] = so.mapped_column()
    notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    next_steps: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    counsellor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    dossier: so.Mapped[Dossier] = so.relationship(back_populates="sessions")
    counsellor = so.relationship("User")


class DocumentKind(StrEnum):
    PASSPORT = "passport"
    DIPLOMA = "diploma"  # diploma recognition or legalisation
    MEDICAL = "medical"
    CRIMINAL_RECORD = "criminal_record"
    LANGUAGE = "language"
    CONTRACT = "contract"
    VISA = "visa"


DOCUMENT_TITLES = {
    DocumentKind.PASSPORT: _l("Passport"),
    DocumentKind.DIPLOMA: _l("Diploma recognition or legalisation"),
    DocumentKind.MEDICAL: _l("Medical certificate"),
    DocumentKind.CRIMINAL_RECORD: _l("Criminal record extract"),
    DocumentKind.LANGUAGE: _l("Language certificate"),
    DocumentKind.CONTRACT: _l("Signed employment contract"),
    DocumentKind.VISA: _l("Visa"),
}


class DocumentStatus(StrEnum):
    MISSING = "missing"
    REQUESTED = "requested"
    RECEIVED = "received"
    VERIFIED = "verified"
    REJECTED = "rejected"
    NOT_NEEDED = "not_needed"


DOCUMENT_STATUS_TITLES = {
    DocumentStatus.MISSING: _l("Missing"),
    DocumentStatus.REQUESTED: _l("Requested"),
    DocumentStatus.RECEIVED: _l("Received"),
    DocumentStatus.VERIFIED: _l("Verified"),
    DocumentStatus.REJECTED: _l("Rejected"),
    DocumentStatus.NOT_NEEDED: _l("Not needed"),
}


class DossierDocument(db.Model):
    """One item of the documents checklist, with an optional file stored outside the web root."""

    __tablename__ = "mobility_documents"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dossier_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("mobility_dossiers.id", ondelete="CASCADE"),
                                                  index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(24))
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=DocumentStatus.MISSING.value)
    note: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    stored_name: so.Mapped[str | None] = so.mapped_column(sa.String(64))  # a random name, never the user's
    original_name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    content_type: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    size: so.Mapped[int | None] = so.mapped_column()
    uploaded_at: so.Mapped[datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    uploaded_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    updated_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                       onupdate=utcnow)

    dossier: so.Mapped[Dossier] = so.relationship(back_populates="documents")

    __table_args__ = (sa.UniqueConstraint("dossier_id", "kind"),)


class Workshop(TimestampMixin, db.Model):
    """A pre-departure orientation session of an agency."""

    __tablename__ = "mobility_workshops"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    country_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("countries.code"), index=True)
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"), index=True)
    starts_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), index=True)
    place: so.Mapped[str] = so.mapped_column(sa.String(200))
    topic: so.Mapped[str] = so.mapped_column(sa.String(200))
    capacity: so.Mapped[int] = so.mapped_column()
    destination_country: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("countries.code"))
    programme_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("partner_programmes.id"))
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    enrolments: so.Mapped[list[Enrolment]] = so.relationship(
        back_populates="workshop", cascade="all, delete-orphan", order_by="Enrolment.id")

    def access_scope(self) -> ObjectScope:
        return ObjectScope(agency_id=self.agency_id, country_code=self.country_code)

    @classmethod
    def country_clause(cls, code: str) -> sa.ColumnElement[bool]:
        return cls.country_code == code


class Enrolment(db.Model):
    __tablename__ = "mobility_enrolments"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    workshop_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("mobility_workshops.id", ondelete="CASCADE"),
                                                   index=True)
    dossier_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("mobility_dossiers.id", ondelete="CASCADE"),
                                                  index=True)
    attended: so.Mapped[bool | None] = so.mapped_column()  # None until the session took place
    enrolled_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)

    workshop: so.Mapped[Workshop] = so.relationship(back_populates="enrolments")
    dossier = so.relationship("Dossier")

    __table_args__ = (sa.UniqueConstraint("workshop_id", "dossier_id"),)


class Departure(db.Model):
    __tablename__ = "mobility_departures"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dossier_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("mobility_dossiers.id", ondelete="CASCADE"),
                                                  unique=True)
    departed_on: so.Mapped[date] = so.mapped_column(sa.Date, index=True)
    destination_country: so.Mapped[str] = so.mapped_column(sa.ForeignKey("countries.code"), index=True)
    city: so.Mapped[str | None] = so.mapped_column(sa.String(120))
    employer_name: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    offer_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("offers.id"))
    occupation_code: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("occupations.code"))
    contract_months: so.Mapped[int | None] = so.mapped_column()
    contract_end: so.Mapped[date | None] = so.mapped_column(sa.Date)

    dossier: so.Mapped[Dossier] = so.relationship(back_populates="departure")


class FollowUp(db.Model):
    """A contact with the person abroad."""

    __tablename__ = "mobility_follow_ups"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dossier_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("mobility_dossiers.id", ondelete="CASCADE"),
                                                  index=True)
    contacted_on: so.Mapped[date] = so.mapped_column(sa.Date)
    channel: so.Mapped[str] = so.mapped_column(sa.String(16))  # phone, message, email, visit, consulate
    situation: so.Mapped[str] = so.mapped_column(sa.String(24))  # as_planned, problems, changed_job, no_news…
    notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    counsellor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))

    dossier: so.Mapped[Dossier] = so.relationship(back_populates="follow_ups")


class ReturnRecord(db.Model):
    """The return home and what reintegration needs."""

    __tablename__ = "mobility_returns"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dossier_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("mobility_dossiers.id", ondelete="CASCADE"),
                                                  unique=True)
    returned_on: so.Mapped[date] = so.mapped_column(sa.Date, index=True)
    situation: so.Mapped[str] = so.mapped_column(sa.String(24))  # contract_ended, early_return, expelled, …
    needs: so.Mapped[str] = so.mapped_column(sa.String(200), default="")  # space-separated needs keys
    notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    dossier: so.Mapped[Dossier] = so.relationship(back_populates="return_record")


class DossierCounter(db.Model):
    """The last dossier number handed out per country and year."""

    __tablename__ = "mobility_dossier_counters"

    country_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("countries.code"), primary_key=True)
    year: so.Mapped[int] = so.mapped_column(primary_key=True)
    last: so.Mapped[int] = so.mapped_column(default=0)
