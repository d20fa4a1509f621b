"""The person's rights over their data: everything held on them, and anonymisation.

The export is built from the models' own columns and relationships, so that a field or
a profile table added later is exported without anyone remembering to add it here.
Anonymisation, on the other hand, lists what it erases: it must never erase the
statistics by accident (birth year, sex, region, occupations sought).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable

import sqlalchemy as sa
import sqlalchemy.orm as so

from app import audit
from app.audit import AuditEvent
from app.auth.models import User
from app.db import utcnow
from app.extensions import db
from app.i18n import country_name, current_language, localised_label
from app.jobseekers import services
from app.jobseekers.models import (
    CONSENT_TITLES, EVENT_TITLES, EXPERIENCE_TITLES, QUALIFICATION_TITLES, SEX_TITLES, STATUS_TITLES,
    ConsentPurpose, JobSeeker, JobSeekerNameKey, SeekerStatus,
)
from app.reference.vocab import ISCED_LEVELS, LANGUAGE_LEVELS, language_name

#: What an anonymised person's names become: no name, and nothing that reads as one.
PLACEHOLDER = "—"
EXPORT_FORMAT = 1


# Other packages hold data on a person too (referrals, mobility dossiers). They register what
# the export adds (a section name and a function giving its rows) and what anonymisation
# erases there, so that this module needs no knowledge of them.
EXPORT_SECTIONS: dict[str, Callable[[JobSeeker], list[dict[str, Any]]]] = {}
ERASERS: list[Callable[[JobSeeker], None]] = []


def register(section: str, export: Callable[[JobSeeker], list[dict[str, Any]]],
             erase: Callable[[JobSeeker], None]) -> None:
    """Add a package's data on a person to the export and to anonymisation (idempotent)."""
    EXPORT_SECTIONS[section] = export
    if erase not in ERASERS:
        ERASERS.append(erase)


def export_rows(rows: list[Any], children: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Rows of another package as the export gives them: every column, the rows they point
    to, and the named one-to-many ``children`` nested under them."""
    out = []
    for row in rows:
        record = _record(row)
        for name in children:
            value = getattr(row, name)
            items = value if isinstance(value, list) else [value] if value is not None else []
            record[name] = [_record(item) for item in items]
        out.append(record)
    return out


def _titles(mapping: dict) -> Callable[[Any], str]:
    return lambda value: str(mapping.get(value, value))


# Codes the person could not read on their own get their meaning next to them (``<column>_label``).
_MEANINGS: dict[tuple[str, str], Callable[[Any], str]] = {
    ("jobseekers", "sex"): _titles(SEX_TITLES),
    ("jobseekers", "status"): _titles(STATUS_TITLES),
    ("jobseekers", "education_level"): _titles(ISCED_LEVELS),
    ("jobseekers", "nationality"): country_name,
    ("jobseekers", "country_code"): country_name,
    ("consents", "purpose"): _titles(CONSENT_TITLES),
    ("jobseeker_experiences", "kind"): _titles(EXPERIENCE_TITLES),
    ("jobseeker_qualifications", "kind"): _titles(QUALIFICATION_TITLES),
    ("jobseeker_languages", "language"): language_name,
    ("jobseeker_languages", "level"): _titles(LANGUAGE_LEVELS),
}


def _plain(value: Any) -> Any:
    """A column value as JSON can hold it."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _label(obj: Any) -> str:
    if hasattr(obj, "label_fr"):  # reference data: both labels are columns
        return localised_label(obj)
    return str(getattr(obj, "label", None) or getattr(obj, "name", None) or "")


def _reference(obj: Any) -> dict[str, Any] | None:
    """A row the person points to (agency, region, occupation, skill): its key and its name."""
    if obj is None:
        return None
    mapper = sa.inspect(obj).mapper
    keys = [mapper.get_property_by_column(column).key for column in mapper.primary_key]
    keys += ["code"] if "code" not in keys and "code" in mapper.column_attrs else []
    return {**{key: _plain(getattr(obj, key)) for key in keys}, "label": _label(obj)}


def _user_name(user_id: int | None) -> str | None:
    user = db.session.get(User, user_id) if user_id else None
    return user.full_name if user else None


def _record(obj: Any, parent: so.RelationshipProperty | None = None) -> dict[str, Any]:
    """Every column of ``obj``, the meaning of its codes, who recorded it, and the rows it points to."""
    mapper = sa.inspect(obj).mapper
    table = mapper.persist_selectable.name
    back = {column.key for column in parent.remote_side} if parent is not None else set()
    out: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        if attr.key in back:
            continue  # the person's own id, repeated on every row
        value = getattr(obj, attr.key)
        out[attr.key] = _plain(value)
        meaning = _MEANINGS.get((table, attr.key))
        if meaning is not None and value not in (None, ""):
            out[f"{attr.key}_label"] = meaning(value)
        if value and any(fk.column.table.name == "users" for fk in attr.columns[0].foreign_keys):
            out[attr.key.removesuffix("_id")] = _user_name(value)
    for rel in mapper.relationships:
        if rel.direction is so.MANYTOONE and not rel.uselist and rel.mapper.class_ is not JobSeeker:
            out[rel.key] = _reference(getattr(obj, rel.key))
    return out


def _related(seeker: JobSeeker) -> dict[str, Any]:
    """The person's profile tables (one-to-many) and the lists they chose from (many-to-many)."""
    out: dict[str, Any] = {}
    for rel in sa.inspect(JobSeeker).relationships:
        if not rel.uselist:
            continue  # agency and region: already given by _record
        rows = getattr(seeker, rel.key)
        if rel.direction is so.ONETOMANY:
            out[rel.key] = [_record(row, rel) for row in rows]
        else:
            out[rel.key] = [_reference(row) for row in rows]
    return out


def _history(seeker: JobSeeker) -> list[dict[str, Any]]:
    """Every audit event about the person, the readings of the record included: who did what, when."""
    rows = db.session.execute(
        sa.select(AuditEvent, User.full_name).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.object_type == "jobseeker", AuditEvent.object_id == str(seeker.id))
        .order_by(AuditEvent.at, AuditEvent.id))
    return [{"action": event.action, "title": str(EVENT_TITLES.get(event.action, event.action)),
             "at": _plain(event.at), "by": name, "details": event.details} for event, name in rows]


def person_export(seeker: JobSeeker, by: User) -> dict[str, Any]:
    """Everything held on ``seeker``, for the person's right of access.

    The full national ID is included: it is the person's own data. It must never reach a
    log or an audit event, which is why the event recorded by the caller carries none.
    """
    return {
        "format": EXPORT_FORMAT,
        "generated_at": _plain(utcnow()),
        "generated_by": by.full_name,
        "language": current_language(),
        "person": {**_record(seeker), **_related(seeker)},
        **{section: export(seeker) for section, export in EXPORT_SECTIONS.items()},
        "history": _history(seeker),
        # A duplicate merged into the record still holds what was registered the first time.
        "merged_records": [{**_record(other), **_related(other), "history": _history(other)}
                           for other in _merged_into(seeker)],
    }


def _erase_identity(seeker: JobSeeker) -> None:
    if seeker.birth_date is not None:
        seeker.birth_year = seeker.birth_date.year
    seeker.last_name = seeker.first_names = PLACEHOLDER
    seeker.search_name = ""
    seeker.birth_date = None
    for name in ("national_id", "national_id_type", "external_id", "email", "commune", "disability_note"):
        setattr(seeker, name, None)
    seeker.phones = []
    # The duplicate check finds people by these keys: none must be left to match.
    db.session.execute(sa.delete(JobSeekerNameKey).where(JobSeekerNameKey.jobseeker_id == seeker.id))


def _erase_profile(seeker: JobSeeker) -> None:
    for experience in seeker.experiences:
        experience.employer = experience.place = None
    # Skills of the fiches are kept for statistics; one in the person's own words may say anything.
    seeker.skills = [skill for skill in seeker.skills if skill.skill_code]
    for skill in seeker.skills:
        skill.label = ""


def _merged_into(seeker: JobSeeker) -> list[JobSeeker]:
    """Duplicates merged into ``seeker``: they keep the person's data as it was registered."""
    return list(db.session.scalars(sa.select(JobSeeker).where(JobSeeker.merged_into_id == seeker.id)
                                   .order_by(JobSeeker.id)))


def _anonymise_record(seeker: JobSeeker, reason: str, by: User | None) -> None:
    _erase_identity(seeker)
    _erase_profile(seeker)
    for purpose in sorted({consent.purpose for consent in seeker.consents if consent.active}):
        services.withdraw_consent(seeker, ConsentPurpose(purpose))
    if seeker.status != SeekerStatus.PLACED.value:  # placements still count in the statistics
        seeker.status = SeekerStatus.INACTIVE.value
    seeker.anonymised_at = seeker.updated_at = utcnow()
    for erase in ERASERS:
        erase(seeker)
    audit.record("jobseeker.anonymised", "jobseeker", seeker.id, actor_id=by.id if by else None,
                 reason=reason.strip()[:500])


def anonymise(seeker: JobSeeker, reason: str, by: User | None) -> bool:
    """Erase what identifies ``seeker``, for good; False (and nothing done) if already done.

    Kept for statistics: birth year, sex, region, occupations, coded skills, the dates.
    Active consents are withdrawn (dated), the status becomes inactive (a placement stays). Duplicates merged
    into the record are anonymised with it. Everything happens in one savepoint, so that a
    failure half-way leaves the person untouched even if the caller goes on. Flushes; the
    caller commits.

    :param reason: why (a request of the person, the end of the retention period); kept
        in the audit trail.
    :param by: who asked; None from a command line.
    """
    if seeker.anonymised_at is not None:
        return False
    with db.session.begin_nested():
        for record in [seeker, *_merged_into(seeker)]:
            if record.anonymised_at is None:
                _anonymise_record(record, reason, by)
        db.session.flush()
    return True
