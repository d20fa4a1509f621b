"""The documents checklist of a mobility dossier: which documents the destination asks for, and
the files the international desk attaches to them.

A file is trusted for what its first bytes say, never for its name or the type the browser
declares. It is stored under the instance folder (outside the web root) with a random name;
the uploader's file name is kept in the database for display only.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from uuid import uuid4

from flask import current_app

from app import audit
from app.db import utcnow
from app.extensions import db
from app.mobility.models import (
    Dossier, DossierDocument, DossierEvent, DocumentKind, DocumentStatus, ProjectKind,
)

D = DocumentKind


@dataclass(frozen=True)
class ChecklistRule:
    """What a destination asks for: ``always`` of every person, ``for_work`` only of work and
    seasonal projects (a student needs no employment contract)."""

    always: tuple[DocumentKind, ...] = (D.PASSPORT, D.DIPLOMA, D.MEDICAL, D.CRIMINAL_RECORD, D.LANGUAGE)
    for_work: tuple[DocumentKind, ...] = (D.CONTRACT, D.VISA)


DEFAULT_RULE = ChecklistRule()
#: A destination country's own list, where it differs from the default. For instance a
#: destination that asks no visa of the country's citizens:
#: ``"XX": ChecklistRule(for_work=(D.CONTRACT,))``.
DESTINATION_RULES: dict[str, ChecklistRule] = {}
WORK_PROJECTS = frozenset({ProjectKind.WORK.value, ProjectKind.SEASONAL.value})

#: The formats accepted, by their first bytes: (signature, content type, file extension).
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
FOLDER_NAME = "mobility_documents"
_KINDS = frozenset(kind.value for kind in DocumentKind)
_STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(pdf|png|jpg)$")


def destinations_of(dossier: Dossier) -> list[str]:
    """Where the person goes: the recorded departure, else the destinations of the project."""
    if dossier.departure is not None:
        return [dossier.departure.destination_country]
    return [country.code for country in dossier.destinations]


def required_kinds(dossier: Dossier) -> list[DocumentKind]:
    """The documents asked of the dossier's person: everything any of its destinations asks."""
    rules = [DESTINATION_RULES.get(code, DEFAULT_RULE) for code in destinations_of(dossier)] or [DEFAULT_RULE]
    work = dossier.project_kind in WORK_PROJECTS
    wanted: set[DocumentKind] = set()
    for rule in rules:
        wanted.update(rule.always)
        if work:
            wanted.update(rule.for_work)
    return [kind for kind in DocumentKind if kind in wanted]


def checklist_kinds(dossier: Dossier) -> list[DocumentKind]:
    """The rows of the checklist: what is asked, plus any item already recorded (a project that
    changed keeps what was collected for it)."""
    kinds = set(required_kinds(dossier)) | {DocumentKind(doc.kind) for doc in dossier.documents
                                            if doc.kind in _KINDS}
    return [kind for kind in DocumentKind if kind in kinds]


@dataclass(frozen=True)
class ChecklistSummary:
    asked: int
    ready: int  # received or verified
    missing: list[DocumentKind]  # asked and neither received, verified nor waived
    rejected: list[DocumentKind]


def summarise(dossier: Dossier) -> ChecklistSummary:
    """How far the documents of a dossier are, for the dossier page."""
    status = {doc.kind: doc.status for doc in dossier.documents}
    asked = required_kinds(dossier)
    ready = [k for k in asked if status.get(k) in (DocumentStatus.RECEIVED, DocumentStatus.VERIFIED)]
    rejected = [k for k in asked if status.get(k) == DocumentStatus.REJECTED]
    waived = [k for k in asked if status.get(k) == DocumentStatus.NOT_NEEDED]
    missing = [k for k in asked if k not in ready and k not in rejected and k not in waived]
    return ChecklistSummary(asked=len(asked) - len(waived), ready=len(ready), missing=missing, rejected=rejected)


# --- uploads ---------------------------------------------------------------------------------

class DocumentRefused(Exception):
    """An upload that is not kept; ``reason`` is "type", "size" or "empty"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Upload:
    """A checked file, still in memory."""

    content: bytes
    content_type: str
    extension: str
    original_name: str


def max_bytes() -> int:
    return int(current_app.config.get("MOBILITY_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def folder() -> Path:
    # Under the instance folder, never under static/: only the download view serves the files.
    return Path(current_app.instance_path) / FOLDER_NAME


def display_name(filename: str | None) -> str:
    """The uploader's file name without any folder or control character, for display only."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C").strip()
    return name[-200:] or "document"


def check_upload(stream: BinaryIO, filename: str | None, limit: int | None = None) -> Upload:
    """Read an uploaded file and keep it only if it is a PDF, PNG or JPEG within the size limit.

    :raises DocumentRefused: with the reason, before anything is stored
    """
    limit = max_bytes() if limit is None else limit
    content = stream.read(limit + 1)
    if len(content) > limit:
        raise DocumentRefused("size")
    if not content:
        raise DocumentRefused("empty")
    for signature, content_type, extension in SIGNATURES:
        if content.startswith(signature):
            return Upload(content, content_type, extension, display_name(filename))
    raise DocumentRefused("type")


def discard(names: list[str]) -> None:
    """Delete stored files (replaced ones, or those whose transaction failed)."""
    for name in names:
        if name and _STORED_NAME.match(name):
            (folder() / name).unlink(missing_ok=True)


_SUFFIXES = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg")}


def download_name(document: DossierDocument) -> str:
    """The uploader's file name, with the extension of what the file really is."""
    name = document.original_name or document.kind
    suffixes = _SUFFIXES.get(document.content_type or "", ())
    if suffixes and not name.lower().endswith(suffixes):
        name += suffixes[0]
    return name


def stored_path(document: DossierDocument) -> Path | None:
    """The file of a checklist item, when it has one that still exists."""
    if not document.stored_name or not _STORED_NAME.match(document.stored_name):
        return None
    path = folder() / document.stored_name
    return path if path.is_file() else None


# --- the checklist ---------------------------------------------------------------------------

def add_event(dossier: Dossier, kind: str, actor_id: int | None, comment: str | None = None,
              action: str | None = None, **details: Any) -> DossierEvent:
    """A dated step of the dossier with its author, for the records kept outside the stage
    workflow (documents, workshops, departure, follow-up, return), and its audit record
    "mobility.<action or kind>". The stage is left alone.

    :param comment: shown on the dossier's timeline only, never copied to the audit trail
    :param action: the audit action after ``mobility.`` when ``kind`` would read as a step
        of the workflow (whose audit actions are the steps' names)
    :param details: for the audit trail: codes, ids and statuses only, never free text
    """
    # Through the event's side: a long history is not loaded just to add to it.
    event = DossierEvent(dossier=dossier, kind=kind, actor_id=actor_id, comment=comment)
    db.session.add(event)
    dossier.last_event_at = utcnow()
    audit.record(f"mobility.{action or kind}", "dossier", dossier.id, actor_id=actor_id, **details)
    return event


@dataclass(frozen=True)
class ItemChange:
    """What the checklist form says of one document."""

    kind: str
    status: str
    note: str | None
    upload: Upload | None = None


@dataclass
class StoredFiles:
    """Files written by :func:`save_checklist` and files they replace: the caller deletes
    ``replaced`` once the transaction is committed, or ``written`` if it fails."""

    written: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


def save_checklist(dossier: Dossier, changes: list[ItemChange], actor_id: int | None) -> StoredFiles:
    """Record the status, note and file of each item of the checklist.

    A file received for an item still missing or requested marks it received. Flushes before
    writing any file, so that a concurrent change fails first; the caller commits.
    """
    items = {doc.kind: doc for doc in dossier.documents}
    result, files = StoredFiles(), []
    for change in changes:
        item = items.get(change.kind)
        if item is None:
            if change.status == DocumentStatus.MISSING and not change.note and change.upload is None:
                continue  # nothing to record yet
            item = DossierDocument(kind=change.kind, status=DocumentStatus.MISSING.value)
            dossier.documents.append(item)
        status = change.status
        if change.upload is not None and status in (DocumentStatus.MISSING, DocumentStatus.REQUESTED):
            status = DocumentStatus.RECEIVED.value
        before = (item.status, item.note or None)
        item.status, item.note = status, change.note or None
        if change.upload is not None:
            name = uuid4().hex + change.upload.extension  # never the uploader's name: no path tricks
            if item.stored_name:
                result.replaced.append(item.stored_name)
            item.stored_name, item.original_name = name, change.upload.original_name
            item.content_type, item.size = change.upload.content_type, len(change.upload.content)
            item.uploaded_at, item.uploaded_by_id = utcnow(), actor_id
            files.append((name, change.upload.content))
        if change.upload is not None or before != (item.status, item.note):
            result.changed.append(change.kind)
    if not result.changed:
        return result
    add_event(dossier, "documents_updated", actor_id, kinds=result.changed,
              files=[c.kind for c in changes if c.upload is not None])
    db.session.flush()  # a concurrent change fails here, before any file is written
    target = folder()
    if files:
        target.mkdir(parents=True, exist_ok=True)
    try:
        for name, content in files:
            (target / name).write_bytes(content)
            result.written.append(name)
    except OSError:
        discard(result.written)
        raise
    return result
