"""Use cases of referrals ("mises en relation"): proposing people for offers, the follow-up
workflow up to the outcome, and what each user may see of them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app import audit
from app.auth.access import can, scope_clause
from app.auth.models import Role
from app.db import utcnow
from app.extensions import db
from app.jobseekers import services as seekers
from app.jobseekers.identity import search_key
from app.jobseekers.models import ConsentPurpose, JobSeeker, SeekerStatus
from app.matching import services as matching
from app.matching.models import REFERRAL_FINAL, RefusalReason, Referral, ReferralEvent, ReferralStatus
from app.offers.models import Offer, OfferStatus

R = ReferralStatus
MANAGE, OUTCOME = "referral.manage", "referral.outcome"

#: A referral whose status has not moved for this long needs a call (the "stalled" filter).
STALLED_AFTER = timedelta(days=14)
#: At most this many people (or offers) are proposed in one go.
MAX_PROPOSALS = 200


class Step(NamedTuple):
    sources: dict[ReferralStatus, str]  # status the step starts from → access action it needs there
    target: ReferralStatus


# The whole workflow: any move not listed here is refused, whoever asks and however. Refusing
# a referral still on the shortlist (the person could not be reached) is the counsellor's;
# once sent, the employer may refuse too.
TRANSITIONS: dict[str, Step] = {
    "send": Step({R.PROPOSED: MANAGE}, R.SENT),
    "interview": Step({R.SENT: OUTCOME}, R.INTERVIEW),
    "hire": Step({R.SENT: OUTCOME, R.INTERVIEW: OUTCOME}, R.HIRED),
    "refuse": Step({R.PROPOSED: MANAGE, R.SENT: OUTCOME, R.INTERVIEW: OUTCOME}, R.REFUSED),
    "withdraw": Step({R.PROPOSED: MANAGE, R.SENT: MANAGE, R.INTERVIEW: MANAGE}, R.WITHDRAWN),
}
STEP_TITLES = {
    "send": _l("Send to the employer"), "interview": _l("Record an interview"), "hire": _l("Record the hiring"),
    "refuse": _l("Record a refusal"), "withdraw": _l("Withdraw the referral"),
}


class WorkflowRefused(Exception):
    """A step that may not be taken; ``reason`` says why (see REFUSALS in referral_routes)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class StaleEdit(Exception):
    """The referral changed since its page was opened: nothing is applied on old facts."""


def _is_employer(user: Any) -> bool:
    return user.role == Role.EMPLOYER


def _was_sent() -> sa.ColumnElement[bool]:
    return sa.exists().where(ReferralEvent.referral_id == Referral.id,
                             ReferralEvent.to_status == R.SENT.value)


def can_see(user: Any, referral: Referral) -> bool:
    """Whether ``user`` may open ``referral``: staff within their scope; an employer only the
    referrals to its own offers that were sent to it (the shortlist is the counsellor's)."""
    if not can(user, "referral.read", referral):
        return False
    if _is_employer(user):
        return any(event.to_status == R.SENT.value for event in referral.events)
    return True


def visible_clause(user: Any) -> sa.ColumnElement[bool]:
    """The WHERE clause of the referrals ``user`` may see (the list form of :func:`can_see`)."""
    clause = scope_clause(user, "referral.read", Referral)
    if _is_employer(user):
        clause = sa.and_(clause, _was_sent())
    return clause


def available_steps(user: Any, referral: Referral) -> list[str]:
    """The steps ``user`` may take on ``referral`` now (its page shows these forms)."""
    if not can_see(user, referral):
        return []
    return [name for name, step in TRANSITIONS.items()
            if (action := step.sources.get(ReferralStatus(referral.status))) and can(user, action, referral)]


def visible_events(user: Any, referral: Referral) -> list[ReferralEvent]:
    """The timeline ``user`` may read: an employer's starts when the referral was sent to it."""
    events = list(referral.events)
    if _is_employer(user):
        sent = next((n for n, event in enumerate(events) if event.to_status == R.SENT.value), len(events))
        events = events[sent:]
    return events


def contact_visible(user: Any, referral: Referral) -> bool:
    """Staff see how to reach the person; an employer only if the person agreed to it."""
    if not _is_employer(user):
        return True
    return seekers.has_consent(referral.jobseeker, ConsentPurpose.SHARE_EMPLOYERS) and (
        not referral.offer.international
        or seekers.has_consent(referral.jobseeker, ConsentPurpose.SHARE_ABROAD))


# ---------------------------------------------------------------------- proposing

class ProposalRefused(Exception):
    """Nothing can be proposed: ``reason`` is "agency" (the user follows no agency's
    referrals), "role" or "empty"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Proposal:
    """What :func:`propose` did, counted on the side that was many (people or offers)."""

    created: list[Referral] = field(default_factory=list)
    already: list[int] = field(default_factory=list)  # ids of pairs referred before
    excluded: list[int] = field(default_factory=list)  # a hard filter of matching excludes the pair
    unknown: list[int] = field(default_factory=list)  # no such record in the user's country


def _unique(ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(int(i) for i in ids))[:MAX_PROPOSALS]


def _reachable_seeker(user: Any, seeker: JobSeeker | None) -> bool:
    # Matching is national: any person of the user's country, not only the agency's.
    return (seeker is not None and seeker.country_code == user.country_code
            and not seeker.merged_into_id and not seeker.anonymised_at)


def _reachable_offer(user: Any, offer: Offer | None) -> bool:
    return offer is not None and offer.country_code == user.country_code and can(user, "matching.run", offer)


def find_seeker(user: Any, seeker_id: int) -> JobSeeker | None:
    """The person ``user`` may propose, or None (unknown, merged, or of another country)."""
    seeker = db.session.get(JobSeeker, seeker_id)
    return seeker if _reachable_seeker(user, seeker) else None


def find_offer(user: Any, offer_id: int) -> Offer | None:
    """The offer ``user`` may propose people for, or None."""
    offer = db.session.get(Offer, offer_id)
    return offer if _reachable_offer(user, offer) else None


def _check_proposer(user: Any) -> None:
    if not can(user, MANAGE) or not can(user, "matching.run"):
        raise ProposalRefused("role")
    if not user.agency_id or not user.country_code:
        raise ProposalRefused("agency")


def _create(seeker: JobSeeker, offer: Offer, score: float, user: Any) -> Referral | None:
    """One proposed referral, or None when the pair was referred meanwhile (by another request:
    the unique constraint decides, and the savepoint keeps the rest of the batch)."""
    try:
        with db.session.begin_nested():
            referral = Referral(jobseeker_id=seeker.id, offer_id=offer.id, employer_id=offer.employer_id,
                                country_code=offer.country_code, agency_id=user.agency_id, counsellor_id=user.id,
                                status=R.PROPOSED.value, score=score, status_changed_at=utcnow())
            db.session.add(referral)
            db.session.flush()
    except IntegrityError:
        return None
    db.session.add(ReferralEvent(referral_id=referral.id, actor_id=user.id, from_status=None,
                                 to_status=R.PROPOSED.value))
    audit.record("referral.propose", "referral", referral.id, actor_id=user.id, jobseeker_id=seeker.id,
                 offer_id=offer.id, score=round(score, 4))
    return referral


def propose(user: Any, *, offer_id: int | None = None, seeker_ids: Iterable[int] = (),
            seeker_id: int | None = None, offer_ids: Iterable[int] = ()) -> Proposal:
    """Propose several people for one offer (``offer_id`` and ``seeker_ids``), or one person for
    several offers (``seeker_id`` and ``offer_ids``), as ``user``'s referrals.

    Every pair must pass the hard filters of matching (:func:`match_pair`), whose score is kept.
    Pairs already referred are skipped, and so are records outside the user's country.
    Raises LookupError when the single side is not found, ProposalRefused when nothing can be
    proposed. Flushes; the caller commits.
    """
    _check_proposer(user)
    if (offer_id is None) == (seeker_id is None):
        raise ProposalRefused("empty")
    result = Proposal()
    if offer_id is not None:
        offer = find_offer(user, offer_id)
        if offer is None:
            raise LookupError("offer")
        ids = _unique(seeker_ids)
        referred = matching.referred_people(offer.id)
        pairs = []
        for other in ids:
            seeker = find_seeker(user, other)
            pairs.append((other, seeker, offer if seeker is not None else None))
    else:
        seeker = find_seeker(user, seeker_id)
        if seeker is None:
            raise LookupError("seeker")
        ids = _unique(offer_ids)
        referred = matching.referred_offers(seeker.id)
        pairs = []
        for other in ids:
            offer = find_offer(user, other)
            pairs.append((other, seeker if offer is not None else None, offer))
    if not ids:
        raise ProposalRefused("empty")
    # Every pair is scored in one go: the records of all of them load in a few queries.
    candidates = [(seeker, offer) for other, seeker, offer in pairs
                  if seeker is not None and offer is not None and other not in referred]
    scored = dict(zip([(s.id, o.id) for s, o in candidates], matching.match_pairs(candidates)))
    for other, seeker, offer in pairs:
        if seeker is None or offer is None:
            result.unknown.append(other)
        elif other in referred:
            result.already.append(other)
        elif (match := scored[(seeker.id, offer.id)]) is None:
            result.excluded.append(other)
        elif (referral := _create(seeker, offer, match.score, user)) is None:
            result.already.append(other)
        else:
            result.created.append(referral)
    db.session.flush()
    return result


# ---------------------------------------------------------------------- the workflow

def _check_hire(referral: Referral) -> None:
    offer = referral.offer
    if offer.status == OfferStatus.FILLED.value or offer.positions_filled >= offer.positions:
        raise WorkflowRefused("no_position")


def _hire(referral: Referral, user: Any) -> None:
    """The person is placed and takes one of the offer's positions; the last one fills it."""
    seekers.change_status(referral.jobseeker, SeekerStatus.PLACED)
    offer = referral.offer
    offer.positions_filled += 1
    if offer.positions_filled >= offer.positions and offer.status == OfferStatus.PUBLISHED.value:
        before, offer.status = offer.status, OfferStatus.FILLED.value
        audit.record("offer.fill", "offer", offer.id, actor_id=user.id, before=before, after=offer.status,
                     referral_id=referral.id)


def change_status(referral: Referral, name: str, user: Any, reason: str | None = None,
                  comment: str | None = None, expected_version: int | None = None) -> ReferralEvent:
    """Take the step ``name`` on ``referral`` for ``user``, or raise WorkflowRefused.

    Refusing needs a coded :class:`RefusalReason` (and a comment for "other"). Sending is
    refused once the pair no longer passes the hard filters of matching (consent withdrawn,
    offer closed…); hiring places the person and fills the offer with its last position.
    Returns the event written. Flushes; the caller commits.

    :param expected_version: the version the page was opened on; any other raises StaleEdit.
    """
    step = TRANSITIONS.get(name)
    if step is None:
        raise WorkflowRefused("unknown")
    if expected_version is not None and expected_version != referral.version:
        raise StaleEdit()
    action = step.sources.get(ReferralStatus(referral.status))
    if action is None:
        raise WorkflowRefused("status")
    if not (can(user, action, referral) and can_see(user, referral)):
        raise WorkflowRefused("role")
    comment = (comment or "").strip()[:500] or None
    reason = (reason or "").strip() or None
    if name == "refuse":
        if reason not in {r.value for r in RefusalReason}:
            raise WorkflowRefused("reason")
        if reason == RefusalReason.OTHER.value and not comment:
            raise WorkflowRefused("comment")
    else:
        reason = None  # only a refusal is coded
    if name == "send" and matching.match_pair(referral.jobseeker, referral.offer) is None:
        raise WorkflowRefused("filters")
    if (name == "send" and referral.offer.international
            and not seekers.has_consent(referral.jobseeker, ConsentPurpose.SHARE_ABROAD)):
        # Sending shares the person with an employer or recruiter abroad.
        raise WorkflowRefused("abroad_consent")
    if name == "hire":
        _check_hire(referral)
    before = referral.status
    referral.status = step.target.value
    referral.status_changed_at = utcnow()
    if name == "refuse":
        referral.refusal_reason = reason
    if comment:
        referral.comment = comment
    event = ReferralEvent(referral=referral, actor_id=user.id, from_status=before, to_status=referral.status,
                          reason=reason, comment=comment)
    db.session.add(event)
    if name == "hire":
        _hire(referral, user)
    db.session.flush()
    details: dict[str, Any] = {"before": before, "after": referral.status}
    if reason:
        details["reason"] = reason
    if name == "send":
        details["employer_id"] = referral.employer_id
    audit.record(f"referral.{name}", "referral", referral.id, actor_id=user.id, **details)
    return event


# ---------------------------------------------------------------------- lists

@dataclass
class ReferralFilters:
    status: str | None = None
    mine: bool = False
    stalled: bool = False
    text: str = ""


def is_stalled(referral: Referral, now: datetime | None = None) -> bool:
    """Whether ``referral`` is still open and its status has not moved for :data:`STALLED_AFTER`."""
    if ReferralStatus(referral.status) in REFERRAL_FINAL:
        return False
    changed = referral.status_changed_at
    if changed.tzinfo is None:  # SQLite returns naive datetimes, in UTC
        changed = changed.replace(tzinfo=timezone.utc)
    return changed <= (now or utcnow()) - STALLED_AFTER


def stalled_clause(now: datetime | None = None) -> sa.ColumnElement[bool]:
    """Referrals still open whose status has not changed for :data:`STALLED_AFTER`."""
    since = (now or utcnow()) - STALLED_AFTER
    return sa.and_(Referral.status.not_in([s.value for s in REFERRAL_FINAL]), Referral.status_changed_at <= since)


def _text_clause(text: str) -> sa.ColumnElement[bool]:
    """An offer reference, a registration number, or words of the person's name."""
    clauses = [Offer.reference.contains(text.upper(), autoescape=True),
               JobSeeker.registration_number == text.upper()]
    words = search_key(text, "").split()
    if words:  # search_key leaves [a-z0-9 ]: no wildcard to escape
        clauses.append(sa.and_(*(JobSeeker.search_name.contains(word) for word in words[:5])))
    return sa.or_(*clauses)


def list_query(user: Any, filters: ReferralFilters | None = None) -> sa.Select:
    """The follow-up list of ``user``: the referrals they may see, filtered, newest change first."""
    filters = filters or ReferralFilters()
    query = (sa.select(Referral).join(Offer, Offer.id == Referral.offer_id)
             .join(JobSeeker, JobSeeker.id == Referral.jobseeker_id).where(visible_clause(user)))
    if filters.status in {s.value for s in ReferralStatus}:
        query = query.where(Referral.status == filters.status)
    if filters.mine:
        query = query.where(Referral.counsellor_id == user.id)
    if filters.stalled:
        query = query.where(stalled_clause())
    text = (filters.text or "").strip()[:100]
    if text:
        query = query.where(_text_clause(text))
    return query.options(sa.orm.contains_eager(Referral.offer).joinedload(Offer.employer),
                         sa.orm.contains_eager(Referral.jobseeker),
                         sa.orm.joinedload(Referral.counsellor)).order_by(
        Referral.status_changed_at.desc(), Referral.id.desc())


def _history(user: Any, clause: sa.ColumnElement[bool], limit: int) -> list[Referral]:
    return list(db.session.scalars(
        sa.select(Referral).where(clause, visible_clause(user))
        .options(sa.orm.joinedload(Referral.counsellor), sa.orm.joinedload(Referral.offer),
                 sa.orm.joinedload(Referral.jobseeker))
        .order_by(Referral.created_at.desc(), Referral.id.desc()).limit(limit)))


def for_seeker(user: Any, seeker: JobSeeker, limit: int = 100) -> list[Referral]:
    """The referrals of one person that ``user`` may see, newest first."""
    return _history(user, Referral.jobseeker_id == seeker.id, limit)


def for_offer(user: Any, offer: Offer, limit: int = 200) -> list[Referral]:
    """The referrals to one offer that ``user`` may see, newest first."""
    return _history(user, Referral.offer_id == offer.id, limit)
