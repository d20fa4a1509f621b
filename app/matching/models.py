"""Matching state kept in the database: the change log every worker's index follows, the
weights of each country, referrals with their history, and the nightly lists."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from app.auth.access import ObjectScope
from app.db import TimestampMixin, utcnow
from app.extensions import db

# An auto-incrementing 64-bit key: SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class MatchChange(db.Model):
    """One job-seeker or offer that changed in a committed transaction.

    Written by the session hook of :mod:`app.matching.changes` in the same transaction as
    the change itself, so that every worker's index can catch up by reading the rows after
    the last one it applied, instead of rebuilding.
    """

    __tablename__ = "match_changes"

    id: so.Mapped[int] = so.mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(8))  # "seeker" or "offer"
    object_id: so.Mapped[int] = so.mapped_column()
    at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)

    # Ids must never be handed out again once the log is pruned, or a worker would skip them.
    __table_args__ = {"sqlite_autoincrement": True}


class MatchingSettings(db.Model):
    """The weights and levels of the score for one country (``MatchingParams.as_dict``)."""

    __tablename__ = "matching_settings"

    country_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("countries.code"), primary_key=True)
    params: so.Mapped[dict] = so.mapped_column(sa.JSON)
    version: so.Mapped[int] = so.mapped_column(default=1)
    updated_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                       onupdate=utcnow)
    updated_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))


class ReferralStatus(StrEnum):
    PROPOSED = "proposed"  # on the counsellor's shortlist, not yet sent to the employer
    SENT = "sent"
    INTERVIEW = "interview"
    HIRED = "hired"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


REFERRAL_STATUS_TITLES = {
    ReferralStatus.PROPOSED: _l("Proposed"),
    ReferralStatus.SENT: _l("Sent to the employer"),
    ReferralStatus.INTERVIEW: _l("Interview"),
    ReferralStatus.HIRED: _l("Hired"),
    ReferralStatus.REFUSED: _l("Refused"),
    ReferralStatus.WITHDRAWN: _l("Withdrawn"),
}

#: Statuses after which nothing more happens to a referral.
REFERRAL_FINAL = frozenset({ReferralStatus.HIRED, ReferralStatus.REFUSED, ReferralStatus.WITHDRAWN})


class RefusalReason(StrEnum):
    UNREACHABLE = "unreachable"
    NO_SHOW = "no_show"
    HIRED_ELSEWHERE = "hired_elsewhere"
    NOT_MOBILE = "not_mobile"
    LACKS_SKILLS = "lacks_skills"
    DUPLICATE = "duplicate"
    OFFER_FILLED = "offer_filled"
    OTHER = "other"  # needs a comment


REFUSAL_TITLES = {
    RefusalReason.UNREACHABLE: _l("Could not be reached"),
    RefusalReason.NO_SHOW: _l("Did not come"),
    RefusalReason.HIRED_ELSEWHERE: _l("Hired elsewhere"),
    RefusalReason.NOT_MOBILE: _l("Not mobile"),
    RefusalReason.LACKS_SKILLS: _l("Lacks the skills"),
    RefusalReason.DUPLICATE: _l("Duplicate referral"),
    RefusalReason.OFFER_FILLED: _l("Offer already filled"),
    RefusalReason.OTHER: _l("Other reason"),
}


class Referral(TimestampMixin, db.Model):
    """A job-seeker put forward for an offer ("mise en relation"): once per person and offer.

    ``agency_id`` and ``counsellor_id`` are those of the counsellor who follows it up;
    ``employer_id`` is the offer's, copied so that an employer's list is one indexed query.
    """

    __tablename__ = "referrals"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    jobseeker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("jobseekers.id"), index=True)
    offer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("offers.id"), index=True)
    employer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("employers.id"), index=True)
    country_code: so.Mapped[str] = so.mapped_column(sa.ForeignKey("countries.code"), index=True)
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"), index=True)
    counsellor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=ReferralStatus.PROPOSED.value, index=True)
    refusal_reason: so.Mapped[str | None] = so.mapped_column(sa.String(24))
    comment: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    score: so.Mapped[float | None] = so.mapped_column()  # the match score when proposed
    status_changed_at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow,
                                                              index=True)
    version: so.Mapped[int] = so.mapped_column(default=1)

    jobseeker = so.relationship("JobSeeker")
    offer = so.relationship("Offer")
    counsellor = so.relationship("User", foreign_keys=[counsellor_id])
    events: so.Mapped[list[ReferralEvent]] = so.relationship(
        back_populates="referral", cascade="all, delete-orphan", order_by="ReferralEvent.id")

    __table_args__ = (sa.UniqueConstraint("jobseeker_id", "offer_id"),)
    __mapper_args__ = {"version_id_col": version}

    def access_scope(self) -> ObjectScope:
        return ObjectScope(agency_id=self.agency_id, country_code=self.country_code, owner_id=self.counsellor_id,
                           employer_id=self.employer_id)

    @classmethod
    def country_clause(cls, code: str) -> sa.ColumnElement[bool]:
        return cls.country_code == code


class ReferralEvent(db.Model):
    """One step of a referral: who moved it, from what to what, why, and when."""

    __tablename__ = "referral_events"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    referral_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    at: so.Mapped[datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    from_status: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    to_status: so.Mapped[str] = so.mapped_column(sa.String(16))
    reason: so.Mapped[str | None] = so.mapped_column(sa.String(24))
    comment: so.Mapped[str | None] = so.mapped_column(sa.String(500))

    referral: so.Mapped[Referral] = so.relationship(back_populates="events")
    actor = so.relationship("User")


class MatchSuggestion(db.Model):
    """The nightly list: the best candidates found for an open offer of an agency."""

    __tablename__ = "match_suggestions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    run_on: so.Mapped[date] = so.mapped_column(sa.Date)
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id"))
    offer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    jobseeker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("jobseekers.id", ondelete="CASCADE"),
                                                    index=True)
    rank: so.Mapped[int] = so.mapped_column()
    score: so.Mapped[float] = so.mapped_column()

    offer = so.relationship("Offer")
    jobseeker = so.relationship("JobSeeker")

    __table_args__ = (sa.Index("ix_match_suggestions_agency_run", "agency_id", "run_on"),)
