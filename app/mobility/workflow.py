"""The workflow of a mobility dossier: its stages, the steps between them, the manager's review.

``opened → assessment → counselling → matched → pre_departure → departed → follow_up →
returned``, with two shortcuts (``counselling → pre_departure`` for a partner programme that
does the matching itself, ``departed → returned``) and ``closed``, with a coded reason, from
any open stage. Moving into ``matched`` or ``pre_departure`` is only *requested* by the
counsellor: a manager approves it, or sends it back with a comment. Every change is a
:class:`DossierEvent` with its author, and an audit record.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l

from app import audit
from app.auth.access import can
from app.db import utcnow
from app.extensions import db
from app.jobseekers.models import ConsentPurpose
from app.jobseekers.services import has_consent
from app.mobility.models import (
    FINAL_STAGES, CloseReason, Dossier, DossierEvent, ReviewState, Stage,
)

S = Stage
OPEN_STAGES: tuple[Stage, ...] = tuple(s for s in Stage if s not in FINAL_STAGES)
COUNSEL = "mobility.counsel"
REVIEW = "mobility.review"


class Step(NamedTuple):
    sources: tuple[Stage, ...]
    target: Stage
    action: str  # the access action the user needs (the counsellor's, even for a reviewed step)
    review: bool = False  # the counsellor only requests it; a manager approves


# The whole workflow: any move not listed here is refused, whoever asks and however.
TRANSITIONS: dict[str, Step] = {
    "assess": Step((S.OPENED,), S.ASSESSMENT, COUNSEL),
    "counsel": Step((S.ASSESSMENT,), S.COUNSELLING, COUNSEL),
    "match": Step((S.COUNSELLING,), S.MATCHED, COUNSEL, review=True),
    "prepare": Step((S.COUNSELLING, S.MATCHED), S.PRE_DEPARTURE, COUNSEL, review=True),
    "depart": Step((S.PRE_DEPARTURE,), S.DEPARTED, COUNSEL),
    "follow_up": Step((S.DEPARTED,), S.FOLLOW_UP, COUNSEL),
    "return": Step((S.DEPARTED, S.FOLLOW_UP), S.RETURNED, COUNSEL),
    "close": Step(OPEN_STAGES, S.CLOSED, COUNSEL),
}
STEP_TITLES = {
    "assess": _l("Start the risk assessment"),
    "counsel": _l("Move to counselling"),
    "match": _l("Matched to an offer"),
    "prepare": _l("Start the pre-departure preparation"),
    "depart": _l("Record the departure"),
    "follow_up": _l("Start the follow-up abroad"),
    "return": _l("Record the return"),
    "close": _l("Close the dossier"),
}
# Stages whose information may go to a partner abroad: the person must have consented.
NEEDS_CONSENT = frozenset({S.MATCHED, S.PRE_DEPARTURE})

EVENT_TITLES = {
    "opened": _l("Dossier opened"),
    "stage": _l("Stage changed"),
    "review_requested": _l("Approval requested"),
    "approved": _l("Approved by a manager"),
    "sent_back": _l("Sent back by a manager"),
    "edited": _l("Dossier changed"),
    "assessment": _l("Risk assessment recorded"),
    "alternative": _l("Alternative at home proposed"),
    "decision": _l("Decision on an alternative"),
    "session": _l("Counselling session recorded"),
}


class WorkflowRefused(Exception):
    """A stage change or review that may not happen; ``reason`` says why (see REFUSALS in routes)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class StaleDossier(Exception):
    """The dossier changed since the page was opened: nothing is applied over someone else's change."""


def check_version(dossier: Dossier, expected: int | None) -> None:
    """Raise StaleDossier when the form was opened on another version than the current one."""
    if expected is not None and expected != dossier.version:
        raise StaleDossier()


def record_event(dossier: Dossier, kind: str, user: Any, *, action: str | None = None,
                 from_stage: str | None = None, to_stage: str | None = None, comment: str | None = None,
                 at: datetime | None = None, **details: Any) -> DossierEvent:
    """Add a dated event with its author to ``dossier``, and its audit record.

    Every event moves ``last_event_at`` (what "stalled" is measured from) and so bumps the
    dossier's version: two people changing one dossier at once cannot both succeed.
    :param action: the audit action after ``mobility.``; the event's ``kind`` by default.
    """
    at = at or utcnow()
    event = DossierEvent(kind=kind, actor_id=getattr(user, "id", None), from_stage=from_stage,
                         to_stage=to_stage, comment=comment or None, at=at)
    dossier.events.append(event)
    dossier.last_event_at = at
    db.session.flush()
    # Comments stay on the event, which anonymisation can erase; the audit trail only says there was one.
    extra = {k: v for k, v in {"before": from_stage, "after": to_stage, "has_comment": bool(comment)}.items() if v}
    audit.record(f"mobility.{action or kind}", "dossier", dossier.id, **extra, **details)
    return event


def _comment(text: str | None, limit: int = 1000) -> str:
    return (text or "").strip()[:limit]


def has_abroad_consent(dossier: Dossier) -> bool:
    """Whether the person agreed that their data go to partners abroad."""
    return has_consent(dossier.jobseeker, ConsentPurpose.SHARE_ABROAD)


def _check_entry(dossier: Dossier, name: str) -> None:
    """What the target stage needs, checked when the step is asked and again when approved."""
    target = TRANSITIONS[name].target
    if target is S.COUNSELLING and dossier.assessment is None:
        raise WorkflowRefused("assessment")
    if target in NEEDS_CONSENT and not has_abroad_consent(dossier):
        raise WorkflowRefused("consent")
    if target is S.MATCHED and dossier.offer_id is None and dossier.programme_id is None:
        raise WorkflowRefused("match")
    if name == "prepare" and dossier.stage == S.COUNSELLING.value and dossier.programme_id is None:
        # Skipping "matched" is for a partner programme, whose partner does the matching.
        raise WorkflowRefused("programme")


def _check_step(dossier: Dossier, name: str, user: Any) -> Step:
    step = TRANSITIONS.get(name)
    if step is None:
        raise WorkflowRefused("unknown")
    if dossier.stage not in step.sources:
        raise WorkflowRefused("stage")
    if not can(user, step.action, dossier):
        raise WorkflowRefused("role")
    if dossier.review_state == ReviewState.PENDING.value and name != "close":
        raise WorkflowRefused("pending")
    return step


def available_steps(user: Any, dossier: Dossier) -> list[str]:
    """The steps ``user`` may take (or request) on ``dossier`` now; the page shows these forms."""
    names = []
    for name, step in TRANSITIONS.items():
        try:
            _check_step(dossier, name, user)
        except WorkflowRefused:
            continue
        names.append(name)
    return names


def can_review(user: Any, dossier: Dossier) -> bool:
    """Whether ``user`` may approve or send back the review pending on ``dossier``."""
    return (dossier.review_state == ReviewState.PENDING.value and can(user, REVIEW, dossier)
            and user.id not in (dossier.review_requested_by_id, dossier.counsellor_id))


def change_stage(dossier: Dossier, name: str, user: Any, *, reason: str | None = None,
                 comment: str | None = None, expected_version: int | None = None) -> None:
    """Take the step ``name`` on ``dossier`` for ``user``, or raise WorkflowRefused.

    Steps that need a manager's approval are refused here ("needs_review"): see
    :func:`request_review`. Closing needs a coded reason (and a comment for "other"); it
    also drops a pending review. Flushes; the caller commits.
    """
    check_version(dossier, expected_version)
    step = _check_step(dossier, name, user)
    if step.review:
        raise WorkflowRefused("needs_review")
    comment = _comment(comment, 500 if name == "close" else 1000)
    details = {}
    if name == "close":
        if reason not in {r.value for r in CloseReason}:
            raise WorkflowRefused("reason")
        if reason == CloseReason.OTHER.value and not comment:
            raise WorkflowRefused("comment")
        dossier.close_reason, dossier.close_comment = reason, comment or None
        details["reason"] = reason
        if dossier.review_state == ReviewState.PENDING.value:
            dossier.review_state, dossier.review_stage = ReviewState.NONE.value, None
            details["review_dropped"] = True
    else:
        _check_entry(dossier, name)
    before = dossier.stage
    dossier.stage = step.target.value
    record_event(dossier, "stage", user, action=name, from_stage=before, to_stage=dossier.stage,
                 comment=comment, **details)


def request_review(dossier: Dossier, name: str, user: Any, *, comment: str | None = None,
                   expected_version: int | None = None) -> None:
    """Ask a manager to approve the step ``name`` (into ``matched`` or ``pre_departure``).

    The stage does not move yet: the dossier waits with ``review_state`` "pending" and
    ``review_stage`` the stage asked. A dossier sent back may be asked again. Flushes.
    """
    check_version(dossier, expected_version)
    step = _check_step(dossier, name, user)
    if not step.review:
        raise WorkflowRefused("no_review_needed")
    _check_entry(dossier, name)
    dossier.review_state = ReviewState.PENDING.value
    dossier.review_stage = step.target.value
    dossier.review_requested_by_id = user.id
    dossier.review_requested_at = utcnow()
    dossier.review_comment = None
    record_event(dossier, "review_requested", user, action="request_review", from_stage=dossier.stage,
                 to_stage=step.target.value, comment=_comment(comment), step=name)


def _pending_step(dossier: Dossier, user: Any) -> str:
    if dossier.review_state != ReviewState.PENDING.value:
        raise WorkflowRefused("no_review")
    if not can(user, REVIEW, dossier):
        raise WorkflowRefused("role")
    if user.id in (dossier.review_requested_by_id, dossier.counsellor_id):
        raise WorkflowRefused("own")
    for name, step in TRANSITIONS.items():
        if step.review and step.target.value == dossier.review_stage and dossier.stage in step.sources:
            return name
    raise WorkflowRefused("stage")  # the dossier moved since: the request no longer applies


def approve_review(dossier: Dossier, user: Any, *, comment: str | None = None,
                   expected_version: int | None = None) -> None:
    """A manager approves the pending request: the dossier moves into the stage asked.

    What the stage needs (consent, a matched offer or programme) is checked again, as it
    may have changed since the request. Nobody approves their own request or a dossier
    they counsel. Flushes; the caller commits.
    """
    check_version(dossier, expected_version)
    name = _pending_step(dossier, user)
    _check_entry(dossier, name)
    before = dossier.stage
    dossier.stage = dossier.review_stage
    dossier.review_state, dossier.review_stage, dossier.review_comment = ReviewState.NONE.value, None, None
    record_event(dossier, "approved", user, action="approve", from_stage=before, to_stage=dossier.stage,
                 comment=_comment(comment), step=name)


def send_back(dossier: Dossier, user: Any, comment: str | None, *, expected_version: int | None = None) -> None:
    """A manager sends the pending request back with a required comment; the stage stays."""
    check_version(dossier, expected_version)
    comment = _comment(comment)
    name = _pending_step(dossier, user)
    if not comment:
        raise WorkflowRefused("comment")
    dossier.review_state, dossier.review_comment = ReviewState.SENT_BACK.value, comment
    record_event(dossier, "sent_back", user, action="send_back", from_stage=dossier.stage,
                 to_stage=dossier.review_stage, comment=comment, step=name)
