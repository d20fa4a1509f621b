"""Which job-seekers and offers changed: written in the same transaction as the change.

A session hook looks at every flush: a job-seeker, an offer, or any row that belongs to one
(occupations, skills, languages, consents; an offer's skills and languages) that was added,
changed or deleted adds a :class:`MatchChange` row. Each worker's index reads the rows after
the last one it applied (:mod:`app.matching.services`) and reloads only those records.

Bulk statements bypass the hook; their callers use :func:`record` (see offer expiry).
"""
from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.db import utcnow
from app.matching.models import MatchChange

SEEKER, OFFER = "seeker", "offer"


def _owner(obj: object) -> tuple[str, int] | None:
    """``(kind, id)`` of the job-seeker or offer that ``obj`` is, or belongs to."""
    from app.jobseekers.models import (
        Consent, JobSeeker, JobSeekerLanguage, JobSeekerOccupation, JobSeekerSkill,
    )
    from app.mobility.models import Dossier
    from app.offers.models import Offer, OfferLanguage, OfferSkill

    if isinstance(obj, JobSeeker):
        return (SEEKER, obj.id) if obj.id is not None else None
    if isinstance(obj, (JobSeekerOccupation, JobSeekerSkill, JobSeekerLanguage, Consent)):
        owner = obj.jobseeker_id if obj.jobseeker_id is not None else getattr(obj.jobseeker, "id", None)
        return (SEEKER, owner) if owner is not None else None
    if isinstance(obj, Dossier):  # its stage and destinations weigh on international offers
        return (SEEKER, obj.jobseeker_id) if obj.jobseeker_id is not None else None
    if isinstance(obj, Offer):
        return (OFFER, obj.id) if obj.id is not None else None
    if isinstance(obj, (OfferSkill, OfferLanguage)):
        owner = obj.offer_id if obj.offer_id is not None else getattr(obj.offer, "id", None)
        return (OFFER, owner) if owner is not None else None
    return None


def _after_flush(session: so.Session, _context: object) -> None:
    touched: set[tuple[str, int]] = set()
    for obj in (*session.new, *session.deleted):
        owner = _owner(obj)
        if owner:
            touched.add(owner)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=True):
            owner = _owner(obj)
            if owner:
                touched.add(owner)
    # A record flushed twice in one transaction is logged twice: workers read each id once,
    # and remembering what was logged would go wrong when a savepoint rolls back.
    if touched:
        _insert(session.connection(), sorted(touched))


def _insert(connection: sa.Connection, pairs: Iterable[tuple[str, int]]) -> None:
    now = utcnow()
    rows = [{"kind": kind, "object_id": object_id, "at": now} for kind, object_id in pairs]
    if rows:
        connection.execute(sa.insert(MatchChange), rows)


def record(session: so.Session, kind: str, ids: Iterable[int]) -> None:
    """Log changes that a bulk UPDATE made without the ORM seeing them."""
    _insert(session.connection(), [(kind, i) for i in sorted(set(ids))])


def install() -> None:
    """Listen on every ORM session (idempotent)."""
    if not sa.event.contains(so.Session, "after_flush", _after_flush):
        sa.event.listen(so.Session, "after_flush", _after_flush)
