"""Finding people in the register: by number, phone, ID or a spelling-tolerant name."""
from __future__ import annotations

import re

import sqlalchemy as sa

from app.auth.access import scope_clause
from app.jobseekers import dedup
from app.jobseekers.identity import normalise_national_id, parse_phone, search_key
from app.jobseekers.models import JobSeeker, JobSeekerNameKey, JobSeekerOccupation, JobSeekerPhone

_REGISTRATION = re.compile(r"^[A-Z]{2}-[A-Z0-9-]+-\d{4}-\d{6}$")


def _name_clause(text: str) -> sa.ColumnElement[bool]:
    """People whose name shares a blocking key with ``text`` (either word order), or
    whose plain name starts with it."""
    words = text.split()
    keys: set[str] = set()
    for split in range(1, len(words) + 1):
        first, last = " ".join(words[:split]), " ".join(words[split:])
        keys |= dedup.name_keys(last or first, first if last else "")
        keys |= dedup.name_keys(first, last)
    clauses = [JobSeeker.search_name.like(search_key(text, "") + "%")]
    if keys:
        clauses.append(JobSeeker.id.in_(sa.select(JobSeekerNameKey.jobseeker_id)
                                        .where(JobSeekerNameKey.key.in_(keys))))
    return sa.or_(*clauses)


def build_query(user, q: str = "", occupation: str = "", status: str = "", region_id: int | None = None,
                default_region: str = "SN") -> sa.Select:
    """The search as one SELECT, limited to the people ``user`` may read."""
    query = sa.select(JobSeeker).where(scope_clause(user, "jobseeker.read", JobSeeker),
                                       JobSeeker.anonymised_at.is_(None))
    q = (q or "").strip()
    if q:
        upper = q.upper().replace(" ", "")
        clauses = [JobSeeker.registration_number == q.upper()]
        if not _REGISTRATION.match(q.upper()):
            national = normalise_national_id(q)
            if national and any(c.isdigit() for c in national):
                clauses.append(JobSeeker.national_id == national)
            try:
                phone = parse_phone(q, default_region)
                clauses.append(JobSeeker.id.in_(sa.select(JobSeekerPhone.jobseeker_id)
                                                .where(JobSeekerPhone.number == phone)))
            except ValueError:
                pass
            if not upper.isdigit():
                clauses.append(_name_clause(q))
        query = query.where(sa.or_(*clauses))
    if occupation.strip():
        code = occupation.strip().upper()
        query = query.where(JobSeeker.id.in_(sa.select(JobSeekerOccupation.jobseeker_id)
                                             .where(JobSeekerOccupation.occupation_code.like(code + "%"))))
    if status:
        query = query.where(JobSeeker.status == status)
    if region_id:
        query = query.where(JobSeeker.region_id == region_id)
    return query.order_by(JobSeeker.last_name, JobSeeker.first_names, JobSeeker.id)
