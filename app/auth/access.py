"""Central access control: a role × action matrix, then the object's scope.

Each action grants a role a scope. A page-level check (no object) only asks whether
the role may do the action at all; an object check also compares the object's agency,
country or owner with the user's. Domain packages add their actions to ``MATRIX``
and call :func:`can`, :func:`ensure` or :func:`scope_clause`; nothing else decides access.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import wraps
from typing import Any, Callable

import sqlalchemy as sa
from flask import abort, current_app, request
from flask_login import current_user

from app.auth.models import Role


class Scope(IntEnum):
    OWN = 1  # objects the user or the user's employer owns
    AGENCY = 2  # objects of the user's agency
    COUNTRY = 3  # objects of the user's country
    ALL = 4  # every object (reference data, public offers)


A, E, C, M, MG, AD = (Role.AGENT, Role.EMPLOYER, Role.COUNSELLOR, Role.MOBILITY_COUNSELLOR,
                      Role.MANAGER, Role.ADMIN)
STAFF = (A, C, M, MG, AD)

MATRIX: dict[str, dict[Role, Scope]] = {
    # Accounts and organisation
    "user.manage": {AD: Scope.COUNTRY},
    "agency.manage": {AD: Scope.COUNTRY},
    "audit.read": {AD: Scope.COUNTRY, MG: Scope.COUNTRY},
    # Reference data: open data, read by everyone; loaded by administrators
    "reference.manage": {AD: Scope.ALL},
    "occupation.code": {r: Scope.ALL for r in (*STAFF, E)},
    # Job-seekers: an agency's own people; managers and administrators see the country
    "jobseeker.read": {A: Scope.AGENCY, C: Scope.AGENCY, M: Scope.COUNTRY, MG: Scope.COUNTRY,
                       AD: Scope.COUNTRY},
    "jobseeker.write": {A: Scope.AGENCY, C: Scope.AGENCY, M: Scope.AGENCY, AD: Scope.COUNTRY},
    "jobseeker.import": {A: Scope.AGENCY, C: Scope.AGENCY, AD: Scope.COUNTRY},
    # Lists of people leave the system: search results and everything held on one person
    "jobseeker.export": {A: Scope.AGENCY, C: Scope.AGENCY, MG: Scope.COUNTRY, AD: Scope.COUNTRY},
    "jobseeker.merge": {A: Scope.AGENCY, C: Scope.AGENCY, AD: Scope.COUNTRY},
    "jobseeker.anonymise": {MG: Scope.COUNTRY, AD: Scope.COUNTRY},
    # Employers and offers
    "employer.read": {A: Scope.COUNTRY, C: Scope.COUNTRY, M: Scope.COUNTRY, MG: Scope.COUNTRY,
                      AD: Scope.COUNTRY, E: Scope.OWN},
    "employer.manage": {A: Scope.AGENCY, C: Scope.AGENCY, MG: Scope.COUNTRY, AD: Scope.COUNTRY,
                        E: Scope.OWN},
    "employer.approve": {A: Scope.AGENCY, C: Scope.AGENCY, MG: Scope.COUNTRY, AD: Scope.COUNTRY},
    # Bilateral programmes and skills partnerships bind the whole country.
    "programme.manage": {MG: Scope.COUNTRY, AD: Scope.COUNTRY},
    "offer.read": {A: Scope.COUNTRY, C: Scope.COUNTRY, M: Scope.COUNTRY, MG: Scope.COUNTRY,
                   AD: Scope.COUNTRY, E: Scope.OWN},
    "offer.edit": {A: Scope.AGENCY, C: Scope.AGENCY, MG: Scope.COUNTRY, E: Scope.OWN},
    "offer.publish": {A: Scope.AGENCY, MG: Scope.COUNTRY},
    # Anti-fraud flags on international offers are cleared by a manager, with a comment.
    "offer.clear_flags": {MG: Scope.COUNTRY},
    "offer.import": {A: Scope.AGENCY, C: Scope.AGENCY, MG: Scope.COUNTRY, AD: Scope.COUNTRY},
    # Matching and mobility
    # Matching looks for people and offers across the whole country, not only the agency's.
    "matching.run": {C: Scope.COUNTRY, M: Scope.COUNTRY, MG: Scope.COUNTRY},
    "matching.settings": {AD: Scope.COUNTRY},
    # Referrals: the agency that made them follows them up; the employer sees those to its own
    # offers (once sent) and records the outcome.
    "referral.read": {A: Scope.AGENCY, C: Scope.AGENCY, M: Scope.AGENCY, MG: Scope.COUNTRY, AD: Scope.COUNTRY,
                      E: Scope.OWN},
    "referral.manage": {C: Scope.AGENCY, M: Scope.AGENCY, MG: Scope.COUNTRY},
    "referral.outcome": {C: Scope.AGENCY, M: Scope.AGENCY, MG: Scope.COUNTRY, E: Scope.OWN},
    # Mobility dossiers: opened and kept by the agency's mobility counsellors, reviewed by managers.
    "mobility.read": {M: Scope.AGENCY, MG: Scope.COUNTRY},
    "mobility.counsel": {M: Scope.AGENCY},
    "mobility.review": {MG: Scope.COUNTRY},
    "mobility.workshops": {M: Scope.AGENCY, MG: Scope.COUNTRY},
    # Figures per corridor, without names.
    "mobility.corridors": {M: Scope.COUNTRY, MG: Scope.COUNTRY, AD: Scope.COUNTRY},
}


@dataclass(frozen=True)
class ObjectScope:
    agency_id: int | None = None
    country_code: str | None = None
    owner_id: int | None = None
    employer_id: int | None = None


def scope_of(obj: Any) -> ObjectScope:
    """What an object belongs to: its ``access_scope()`` if it has one, else its attributes."""
    if hasattr(obj, "access_scope"):
        return obj.access_scope()
    return ObjectScope(
        agency_id=getattr(obj, "agency_id", None),
        country_code=getattr(obj, "country_code", None),
        owner_id=getattr(obj, "owner_id", None),
        employer_id=getattr(obj, "employer_id", None),
    )


def granted_scope(user: Any, action: str) -> Scope | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if action not in MATRIX:
        raise KeyError(f"Unknown action {action!r}")
    return MATRIX[action].get(Role(user.role))


def _national_admin(user: Any) -> bool:
    # An administrator attached to no agency runs the whole installation.
    return user.role == Role.ADMIN and user.agency_id is None and user.employer_id is None


def can(user: Any, action: str, obj: Any = None) -> bool:
    """Whether ``user`` may do ``action``, on ``obj`` when one is given."""
    scope = granted_scope(user, action)
    if scope is None:
        return False
    if obj is None or scope is Scope.ALL or _national_admin(user):
        return True
    target = scope_of(obj)
    if scope is Scope.COUNTRY:
        return target.country_code is not None and target.country_code == user.country_code
    if scope is Scope.AGENCY:
        return target.agency_id is not None and target.agency_id == user.agency_id
    # Scope.OWN: the user's own object, or one of the user's employer.
    if target.owner_id is not None and target.owner_id == user.id:
        return True
    return target.employer_id is not None and target.employer_id == user.employer_id


def can_current(action: str, obj: Any = None) -> bool:
    return can(current_user, action, obj)


def ensure(action: str, obj: Any = None) -> None:
    """Abort unless the current user may act; an unreachable object is a 404, not a 403,
    so that nobody learns which records exist in another agency or country."""
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            abort(401)
        abort(current_app.login_manager.unauthorized())
    if not can(current_user, action):
        abort(403)
    if obj is not None and not can(current_user, action, obj):
        abort(404)


def scope_clause(user: Any, action: str, model: Any) -> sa.ColumnElement[bool]:
    """A WHERE clause limiting ``model`` rows to those ``user`` may act on.

    The model provides ``agency_id`` and a ``country_clause(code)`` classmethod, and
    optionally ``owner_id`` / ``employer_id`` columns.
    """
    scope = granted_scope(user, action)
    if scope is None:
        return sa.false()
    if scope is Scope.ALL or _national_admin(user):
        return sa.true()
    if scope is Scope.COUNTRY:
        return model.country_clause(user.country_code) if user.country_code else sa.false()
    if scope is Scope.AGENCY:
        return model.agency_id == user.agency_id if user.agency_id else sa.false()
    clauses = []
    if hasattr(model, "owner_id"):
        clauses.append(model.owner_id == user.id)
    if hasattr(model, "employer_id") and user.employer_id:
        clauses.append(model.employer_id == user.employer_id)
    return sa.or_(*clauses) if clauses else sa.false()


def permission_required(action: str) -> Callable:
    """Route decorator: the role must be granted ``action`` (objects are checked in the view)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            ensure(action)
            return view(*args, **kwargs)

        return wrapped

    return decorator
