"""A person's mobility dossiers in their rights of access and erasure.

The export gives every dossier with its events, assessment, alternatives, sessions, documents
(what is recorded about each file, not the file), departure, contacts abroad and return.
Anonymisation erases the free text a counsellor may have written about the person and the
stored files (passport scans and the like); stages, dates, destinations, occupations and coded
answers stay for the corridor figures. Files are deleted once the erasure is committed.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.jobseekers import privacy
from app.jobseekers.models import JobSeeker
from app.mobility import documents
from app.mobility.models import Dossier

_FILES_KEY = "mobility_files_to_discard"
_CHILDREN = ("events", "assessment", "alternatives", "sessions", "documents", "departure", "follow_ups",
             "return_record")


def _dossiers(seeker: JobSeeker) -> list[Dossier]:
    return list(db.session.scalars(sa.select(Dossier).where(Dossier.jobseeker_id == seeker.id)
                                   .order_by(Dossier.id)))


def export(seeker: JobSeeker) -> list[dict[str, Any]]:
    return privacy.export_rows(_dossiers(seeker), _CHILDREN)


def erase(seeker: JobSeeker) -> None:
    """Blank what was written about the person in their dossiers, and drop their files."""
    files: list[str] = db.session.info.setdefault(_FILES_KEY, [])
    for dossier in _dossiers(seeker):
        dossier.motivation = ""
        dossier.close_comment = dossier.review_comment = None
        for event in dossier.events:
            event.comment = None
        if dossier.assessment is not None:
            dossier.assessment.notes = ""
        for alternative in dossier.alternatives:
            alternative.description = ""
        for session in dossier.sessions:
            session.notes = session.next_steps = ""
        for document in dossier.documents:
            if document.stored_name:
                files.append(document.stored_name)
            document.stored_name = document.original_name = document.note = None
        if dossier.departure is not None:
            dossier.departure.employer_name = dossier.departure.city = None
        for contact in dossier.follow_ups:
            contact.notes = ""
        if dossier.return_record is not None:
            dossier.return_record.notes = ""


def _committed(session: so.Session) -> None:
    session.info["mobility_committed"] = True


def _transaction_end(session: so.Session, transaction: so.SessionTransaction) -> None:
    # ``after_commit`` also fires when a savepoint is released: only the end of the outermost
    # transaction, after a commit, deletes the files; a rollback keeps them, still referenced.
    committed = session.info.pop("mobility_committed", False)
    if transaction.parent is not None:
        return
    names = session.info.pop(_FILES_KEY, None)
    if committed and names:
        documents.discard(names)


def install() -> None:
    privacy.register("mobility_dossiers", export, erase)
    if not sa.event.contains(so.Session, "after_commit", _committed):
        sa.event.listen(so.Session, "after_commit", _committed)
        sa.event.listen(so.Session, "after_transaction_end", _transaction_end)
