"""Use cases of mobility dossiers: numbering, opening and editing, the risk assessment,
alternatives at home, counselling sessions, and the lists (stalled dossiers, review queue).

The stage changes and the manager's review are in :mod:`app.mobility.workflow`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.auth.access import scope_clause
from app.auth.models import Country
from app.db import next_in_counter, utcnow
from app.extensions import db
from app.jobseekers.identity import search_key
from app.jobseekers.models import JobSeeker
from app.matching import services as matching
from app.mobility.models import (
    FINAL_STAGES, Alternative, Channel, CounsellingSession, Dossier, DossierCounter, ReviewState,
    RiskAssessment, Stage, dossier_countries,
)
from app.mobility.workflow import check_version, record_event
from app.offers.models import Offer, PartnerProgramme
from app.reference.models import Occupation

STALLED_DAYS = 30  # an open dossier with no event for this long is flagged
PROPOSALS = 5  # national offers proposed as alternatives at home

ALTERNATIVE_TITLES = {
    "offer": _l("A national offer"), "training": _l("A training"),
    "self_employment": _l("Self-employment"), "other": _l("Something else"),
}
FREE_ALTERNATIVES = ("training", "self_employment", "other")
DECISION_TITLES = {"pending": _l("Not decided yet"), "accepted": _l("Accepted"), "declined": _l("Declined")}
SESSION_KINDS = {"individual": _l("Individual"), "group": _l("Group")}
# Signs of an irregular or abusive route, as the risk assessment records them.
RED_FLAGS = {
    "fee_asked": _l("An intermediary asked for fees: workers should never pay to be recruited."),
    "passport_retention": _l("Someone keeps or wants to keep the person's passport."),
    "debts": _l("The person borrowed money to pay for the journey."),
    "offer_not_checked": _l("The offer has not been checked by the employment service."),
}


class DossierRefused(Exception):
    """A change the dossier or the person does not allow; ``reason`` says why (see routes)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class DossierExists(Exception):
    """The person already has an open dossier (``dossier``): one at a time."""

    def __init__(self, dossier: Dossier | None):
        super().__init__("exists")
        self.dossier = dossier


def next_dossier_number(country: str, year: int | None = None) -> str:
    """``<country>-M-<year>-<sequence>``, the sequence counted per country and year.

    One UPDATE … RETURNING increments the counter, so that concurrent workers never hand
    out the same number.
    """
    year = year or utcnow().year
    value = next_in_counter(db.session, DossierCounter, country_code=country, year=year)
    return f"{country}-M-{year}-{value:06d}"


@dataclass
class DossierData:
    """What the dossier form gives, already validated against the database."""

    destinations: list[str] = field(default_factory=list)  # country codes
    occupations: list[str] = field(default_factory=list)  # fiche codes
    project_kind: str = "undecided"
    channel: str = Channel.NONE.value
    programme_id: int | None = None
    offer_id: int | None = None  # the international offer the person is matched to
    motivation: str = ""


#: The route to the job a manager approves: fixed once the dossier is matched, or while a review is pending.
APPROVED_FIELDS = frozenset({"channel", "programme_id", "offer_id"})
APPROVED_STAGES = frozenset({Stage.MATCHED.value, Stage.PRE_DEPARTURE.value, Stage.DEPARTED.value,
                             Stage.FOLLOW_UP.value, Stage.RETURNED.value})


def open_dossier_of(seeker: JobSeeker) -> Dossier | None:
    """The person's open dossier, if any."""
    return db.session.scalar(sa.select(Dossier).where(
        Dossier.jobseeker_id == seeker.id, Dossier.stage.not_in([s.value for s in FINAL_STAGES])))


def _write(dossier: Dossier, data: DossierData) -> None:
    dossier.project_kind = data.project_kind
    dossier.channel = data.channel
    # A programme only means something for that channel.
    dossier.programme_id = data.programme_id if data.channel == Channel.PROGRAMME.value else None
    dossier.offer_id = data.offer_id
    dossier.motivation = data.motivation.strip()
    codes = list(dict.fromkeys(data.destinations))
    if [c.code for c in dossier.destinations] != sorted(codes):
        dossier.destinations = list(db.session.scalars(sa.select(Country).where(Country.code.in_(codes))))
    fiches = list(dict.fromkeys(data.occupations))
    if [o.code for o in dossier.occupations] != sorted(fiches):
        dossier.occupations = list(db.session.scalars(sa.select(Occupation).where(Occupation.code.in_(fiches))))


def open_dossier(seeker: JobSeeker, data: DossierData, user: Any) -> Dossier:
    """Open a dossier for ``seeker`` at ``user``'s agency, counselled by ``user``.

    The person must be of the counsellor's country, and have no open dossier: the partial
    unique index decides between two counsellors opening one at the same moment.
    :raises DossierRefused: "agency", "country" or "closed" (anonymised or merged person).
    :raises DossierExists: with the open dossier.
    """
    if user.agency_id is None or user.agency is None:
        raise DossierRefused("agency")
    if seeker.country_code != user.agency.country_code:
        raise DossierRefused("country")
    if seeker.anonymised_at or seeker.merged_into_id:
        raise DossierRefused("closed")
    existing = open_dossier_of(seeker)
    if existing is not None:
        raise DossierExists(existing)
    now = utcnow()
    dossier = Dossier(number=next_dossier_number(seeker.country_code), jobseeker_id=seeker.id,
                      country_code=seeker.country_code, agency_id=user.agency_id, counsellor_id=user.id,
                      stage=Stage.OPENED.value, review_state=ReviewState.NONE.value, last_event_at=now)
    _write(dossier, data)
    try:
        with db.session.begin_nested():
            db.session.add(dossier)
    except IntegrityError as error:
        message = str(error.orig)
        if "uq_mobility_dossiers_open_person" not in message and "mobility_dossiers.jobseeker_id" not in message:
            raise
        raise DossierExists(open_dossier_of(seeker)) from error
    record_event(dossier, "opened", user, to_stage=dossier.stage, number=dossier.number)
    return dossier


def snapshot(dossier: Dossier) -> dict[str, Any]:
    """The dossier's editable fields as comparable values."""
    return {"project_kind": dossier.project_kind, "channel": dossier.channel, "programme_id": dossier.programme_id,
            "offer_id": dossier.offer_id, "motivation": dossier.motivation or "",
            "destinations": [c.code for c in dossier.destinations],
            "occupations": [o.code for o in dossier.occupations]}


def update_dossier(dossier: Dossier, data: DossierData, user: Any, expected_version: int | None = None) -> list[str]:
    """Apply ``data`` to an open dossier; returns the names of the fields that changed.

    :param expected_version: the version the form was opened on; any other raises StaleDossier.
    """
    check_version(dossier, expected_version)
    if not dossier.is_open:
        raise DossierRefused("over")
    before = snapshot(dossier)
    _write(dossier, data)
    after = snapshot(dossier)
    changed = [name for name in after if after[name] != before[name]]
    if set(changed) & APPROVED_FIELDS and (dossier.stage in APPROVED_STAGES
                                           or dossier.review_state == ReviewState.PENDING.value):
        # What a manager approved, or is about to, cannot change behind their back.
        raise DossierRefused("approved")
    if changed:
        record_event(dossier, "edited", user, fields=changed)
    return changed


def _open(dossier: Dossier) -> None:
    if not dossier.is_open:
        raise DossierRefused("over")


@dataclass
class AssessmentData:
    aware_of_risks: bool | None = None
    fee_asked: bool | None = None
    fee_amount: Decimal | None = None
    fee_currency: str | None = None
    passport_retention: bool | None = None
    debts: bool | None = None
    offer_checked: bool | None = None
    notes: str = ""


def record_assessment(dossier: Dossier, data: AssessmentData, user: Any) -> RiskAssessment:
    """Record (or update) the risk assessment of an open dossier."""
    _open(dossier)
    assessment = dossier.assessment
    if assessment is None:
        assessment = RiskAssessment()
        dossier.assessment = assessment
    for name in ("aware_of_risks", "fee_asked", "passport_retention", "debts", "offer_checked"):
        setattr(assessment, name, getattr(data, name))
    asked = data.fee_asked is True and data.fee_amount is not None
    assessment.fee_amount = data.fee_amount if asked else None
    assessment.fee_currency = data.fee_currency if asked else None
    assessment.notes = data.notes.strip()
    assessment.assessed_at, assessment.assessed_by_id = utcnow(), user.id
    record_event(dossier, "assessment", user, flags=red_flags(assessment))
    return assessment


def red_flags(assessment: RiskAssessment | None) -> list[str]:
    """The keys of RED_FLAGS the assessment raises (an unanswered question raises none)."""
    if assessment is None:
        return []
    flags = [name for name in ("fee_asked", "passport_retention", "debts") if getattr(assessment, name) is True]
    if assessment.offer_checked is False:
        flags.append("offer_not_checked")
    return flags


def propose_offers(dossier: Dossier, limit: int = PROPOSALS) -> matching.Ranking:
    """The best national offers for the person: work at home, as an alternative to leaving."""
    return matching.find_offers(dossier.jobseeker, scope="national", limit=limit)


def add_offer_alternatives(dossier: Dossier, offer_ids: list[int], user: Any) -> list[Alternative]:
    """Record the chosen national offers as alternatives, with their match score.

    The offers are ranked again: only those matching proposes now are kept, with the score
    the engine gives (never one sent by the browser); those already proposed are skipped.
    """
    _open(dossier)
    scores = {m.offer_id: m.score for m in propose_offers(dossier).matches}
    known = {a.offer_id for a in dossier.alternatives if a.offer_id is not None}
    added = []
    for offer_id in dict.fromkeys(offer_ids):
        if offer_id in scores and offer_id not in known:
            alternative = Alternative(kind="offer", offer_id=offer_id, score=float(scores[offer_id]),
                                      decision="pending")
            offer = db.session.get(Offer, offer_id)
            alternative.description = f"{offer.reference} · {offer.job_title}"[:500]
            dossier.alternatives.append(alternative)
            added.append(alternative)
    if not added:
        raise DossierRefused("no_offer")
    record_event(dossier, "alternative", user, offers=[a.offer_id for a in added])
    return added


def add_alternative(dossier: Dossier, kind: str, description: str, user: Any) -> Alternative:
    """Record a free alternative at home: a training, self-employment or something else."""
    _open(dossier)
    description = (description or "").strip()[:500]
    if kind not in FREE_ALTERNATIVES:
        raise DossierRefused("kind")
    if not description:
        raise DossierRefused("description")
    alternative = Alternative(kind=kind, description=description, decision="pending")
    dossier.alternatives.append(alternative)
    record_event(dossier, "alternative", user, alternative=kind)
    return alternative


def decide_alternative(alternative: Alternative, decision: str, user: Any) -> bool:
    """Record the person's decision on an alternative; returns whether it changed."""
    dossier = alternative.dossier
    _open(dossier)
    if decision not in ("accepted", "declined"):
        raise DossierRefused("decision")
    if alternative.decision == decision:
        return False
    alternative.decision, alternative.decided_at = decision, utcnow()
    record_event(dossier, "decision", user, comment=alternative.description, alternative=alternative.id,
                 decision=decision)
    return True


@dataclass
class SessionData:
    held_on: date
    kind: str
    minutes: int
    notes: str = ""
    next_steps: str = ""


def add_session(dossier: Dossier, data: SessionData, user: Any) -> CounsellingSession:
    """Record a counselling session held with the person."""
    _open(dossier)
    if data.kind not in SESSION_KINDS:
        raise DossierRefused("kind")
    session = CounsellingSession(held_on=data.held_on, kind=data.kind, minutes=data.minutes,
                                 notes=data.notes.strip(), next_steps=data.next_steps.strip(),
                                 counsellor_id=user.id)
    dossier.sessions.append(session)
    record_event(dossier, "session", user, held_on=data.held_on.isoformat(), minutes=data.minutes)
    return session


# ------------------------------------------------------------------ lists

def stalled_since(now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=STALLED_DAYS)


def stalled_clause(now: datetime | None = None) -> sa.ColumnElement[bool]:
    """Open dossiers whose last event is older than STALLED_DAYS."""
    return sa.and_(Dossier.stage.not_in([s.value for s in FINAL_STAGES]),
                   Dossier.last_event_at < stalled_since(now))


def is_stalled(dossier: Dossier, now: datetime | None = None) -> bool:
    last = dossier.last_event_at
    if last.tzinfo is None:  # SQLite hands back naive datetimes
        last = last.replace(tzinfo=stalled_since(now).tzinfo)
    return dossier.is_open and last < stalled_since(now)


def search_dossiers(user: Any, *, stage: str = "", mine: bool = False, stalled: bool = False,
                    q: str = "", now: datetime | None = None) -> sa.Select:
    """The dossiers ``user`` may read, filtered, the most recently active first."""
    query = sa.select(Dossier).where(scope_clause(user, "mobility.read", Dossier))
    if stage == "open":
        query = query.where(Dossier.stage.not_in([s.value for s in FINAL_STAGES]))
    elif stage in {s.value for s in Stage}:
        query = query.where(Dossier.stage == stage)
    if mine:
        query = query.where(Dossier.counsellor_id == user.id)
    if stalled:
        query = query.where(stalled_clause(now))
    q = (q or "").strip()[:100]
    if q:
        key = search_key(q, "")
        people = sa.select(JobSeeker.id).where(JobSeeker.search_name.contains(key, autoescape=True)) if key \
            else sa.select(JobSeeker.id).where(sa.false())
        query = query.where(sa.or_(Dossier.number.startswith(q.upper(), autoescape=True),
                                   Dossier.jobseeker_id.in_(people)))
    return query.order_by(Dossier.last_event_at.desc(), Dossier.id.desc())


def review_queue(user: Any, *, stage: str = "", agency_id: int | None = None, destination: str = "",
                 stalled: bool = False, now: datetime | None = None) -> sa.Select:
    """The dossiers waiting for ``user``'s review, the longest waiting first."""
    query = sa.select(Dossier).where(scope_clause(user, "mobility.review", Dossier),
                                     Dossier.review_state == ReviewState.PENDING.value)
    if stage:
        query = query.where(Dossier.review_stage == stage)
    if agency_id:
        query = query.where(Dossier.agency_id == agency_id)
    if destination:
        query = query.where(Dossier.id.in_(sa.select(dossier_countries.c.dossier_id).where(
            dossier_countries.c.country_code == destination)))
    if stalled:
        query = query.where(stalled_clause(now))
    return query.order_by(Dossier.review_requested_at, Dossier.id)


def active_programmes(country: str) -> list[PartnerProgramme]:
    """The partner programmes a dossier of ``country`` may go through."""
    return list(db.session.scalars(sa.select(PartnerProgramme).where(
        PartnerProgramme.origin_country == country, PartnerProgramme.active.is_(True),
        PartnerProgramme.status == "active").order_by(PartnerProgramme.name)))


def find_international_offer(reference: str) -> Offer | None:
    """A published international offer by its reference (international offers cross borders)."""
    reference = (reference or "").strip().upper()[:32]
    if not reference:
        return None
    return db.session.scalar(sa.select(Offer).where(Offer.reference == reference, Offer.international.is_(True),
                                                    Offer.status == "published"))
