"""Finding people in the register: by number, phone, ID or a spelling-tolerant name.

Each way of matching the typed text is a set of ids read through an index (the number,
the national ID, a phone, the name keys, the start of the plain name), and the search
keeps the people in their union. Written as ``id IN (… UNION …)`` rather than an OR of
conditions, because neither PostgreSQL nor SQLite can serve an OR that mixes columns and
subqueries from indexes: on a register of a million people that OR read every row.
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from app.auth.access import scope_clause
from app.auth.models import Country
from app.extensions import db
from app.jobseekers import dedup
from app.jobseekers.identity import normalise_national_id, parse_phone, search_key
from app.jobseekers.models import JobSeeker, JobSeekerNameKey, JobSeekerOccupation, JobSeekerPhone
from app.reference.models import Occupation

_REGISTRATION = re.compile(r"^[A-Z]{2}-[A-Z0-9-]+-\d{4}-\d{6}$")


class _StartsWith(sa.sql.expression.ColumnElement[bool]):
    """``column LIKE 'prefix%'`` for a prefix without wildcards, as SQLite can index it.

    SQLite's LIKE ignores case, so an ordinary (BINARY) index cannot serve it; its GLOB
    is case-sensitive and can. The two agree on a column that holds lower-case text only,
    as ``search_name`` does (:func:`search_key`). Other databases get the LIKE.
    """

    inherit_cache = True
    type = sa.Boolean()
    _is_implicitly_boolean = True  # a condition as it stands: SQLite must not get "… = 1"
    _traverse_internals = [("like", InternalTraversal.dp_clauseelement),
                           ("glob", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: sa.ColumnElement[str], prefix: str):
        self.like = column.like(prefix + "%")
        self.glob = column.op("GLOB", is_comparison=True)(prefix + "*")


@compiles(_StartsWith)
def _starts_with(element: _StartsWith, compiler, **kw) -> str:
    return compiler.process(element.like, **kw)


@compiles(_StartsWith, "sqlite")
def _starts_with_sqlite(element: _StartsWith, compiler, **kw) -> str:
    return compiler.process(element.glob, **kw)


def _name_ids(text: str) -> list[sa.Select]:
    """Ids of people whose name shares a blocking key with ``text`` (either word order),
    or whose plain name starts with it."""
    words = text.split()
    keys: set[str] = set()
    for split in range(1, len(words) + 1):
        first, last = " ".join(words[:split]), " ".join(words[split:])
        keys |= dedup.name_keys(last or first, first if last else "")
        keys |= dedup.name_keys(first, last)
    # search_key gives [a-z0-9 ] only: no wildcard of LIKE or GLOB to escape.
    ids = [sa.select(JobSeeker.id).where(_StartsWith(JobSeeker.search_name, search_key(text, "")))]
    if keys:
        ids.append(sa.select(JobSeekerNameKey.jobseeker_id).where(JobSeekerNameKey.key.in_(keys)))
    return ids


def _text_ids(q: str, default_region: str) -> list[sa.Select]:
    """Ids of the people the typed text may designate, one SELECT per way of matching it."""
    upper = q.upper().replace(" ", "")
    ids = [sa.select(JobSeeker.id).where(JobSeeker.registration_number == q.upper())]
    if _REGISTRATION.match(q.upper()):
        return ids
    national = normalise_national_id(q)
    if national and any(c.isdigit() for c in national):
        # The ID is indexed with the country first (one person per ID per country): naming
        # every country (a foreign key) makes a few index probes of what was a full scan.
        ids.append(sa.select(JobSeeker.id).where(JobSeeker.country_code.in_(sa.select(Country.code)),
                                                 JobSeeker.national_id == national))
    try:
        phone = parse_phone(q, default_region)
        ids.append(sa.select(JobSeekerPhone.jobseeker_id).where(JobSeekerPhone.number == phone))
    except ValueError:
        pass
    if not upper.isdigit():
        ids += _name_ids(q)
    return ids


def _fiche_codes(prefix: str) -> list[str]:
    """The reference's fiche codes that start with ``prefix`` (a code, a domain, a letter).

    Every code a person seeks is one of them (a foreign key), so the search can name them:
    then the index on ``occupation_code`` serves it, where a LIKE on that column cannot,
    and the planner knows from its statistics how many people each code has, which it
    cannot guess through a subquery. The same LIKE on the fiche codes keeps what the
    search matched before, wildcards and case rules included.
    """
    return list(db.session.scalars(sa.select(Occupation.code).where(Occupation.code.like(prefix + "%"))))


def build_query(user, q: str = "", occupation: str = "", status: str = "", region_id: int | None = None,
                default_region: str = "SN") -> sa.Select:
    """The search as one SELECT, limited to the people ``user`` may read (an occupation
    prefix is first turned into the fiche codes it covers)."""
    # A record merged into another leaves the searches (services.merge_jobseekers).
    query = sa.select(JobSeeker).where(scope_clause(user, "jobseeker.read", JobSeeker),
                                       JobSeeker.anonymised_at.is_(None), JobSeeker.merged_into_id.is_(None))
    q = (q or "").strip()
    if q:
        ids = _text_ids(q, default_region)
        query = query.where(JobSeeker.id.in_(sa.union(*ids) if len(ids) > 1 else ids[0]))
    if occupation.strip():
        query = query.where(JobSeeker.id.in_(sa.select(JobSeekerOccupation.jobseeker_id).where(
            JobSeekerOccupation.occupation_code.in_(_fiche_codes(occupation.strip().upper())))))
    if status:
        query = query.where(JobSeeker.status == status)
    if region_id:
        query = query.where(JobSeeker.region_id == region_id)
    return query.order_by(JobSeeker.last_name, JobSeeker.first_names, JobSeeker.id)
