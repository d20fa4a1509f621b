"""Anti-fraud checks on offers: fees charged to workers, unregistered or unlicensed recruiters,
salaries far from the market, missing contracts and missing essential terms.

Fake international offers are a known trap for would-be migrants, so every check runs on
international offers and each open flag blocks their publication until a manager clears it
with a comment. National offers go through the same checks, so the agent sees the same
warnings, but only the fee blocks them: charging workers is unlawful for any job (ILO C181,
art. 7), while the other signals, on a local employer the agency knows, are the agent's call.
A national offer has no contract document or travel terms to check.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import audit
from app.db import utcnow
from app.extensions import db
from app.offers.models import Employer, EmployerKind, EmployerStatus, FlagKind, Offer, OfferFlag, OfferStatus

# Salaries are compared per month: 173 hours (40 h a week) or 22 working days.
MONTHLY_FACTORS = {"month": Decimal(1), "day": Decimal(22), "hour": Decimal(173)}
MIN_COMPARABLES = 5  # fewer offers of the same fiche: compare with the whole domain
LOW_RATIO, HIGH_RATIO = Decimal("0.5"), Decimal(2)
MAX_COMPARABLES = 2000  # the most recent ones; enough for a median
COMPARABLE_STATUSES = (OfferStatus.PUBLISHED.value, OfferStatus.FILLED.value)


@dataclass(frozen=True)
class Finding:
    """One problem found. ``facts`` is what the offer says: a flag a manager cleared is raised
    again only when these change. ``context`` is what the check compared them with."""

    kind: FlagKind
    facts: dict[str, Any]
    context: dict[str, Any] = field(default_factory=dict)


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def check_fee(offer: Offer) -> Finding | None:
    if offer.worker_fee is None or offer.worker_fee <= 0:
        return None
    return Finding(FlagKind.WORKER_FEE, {"amount": _amount(offer.worker_fee),
                                         "currency": offer.worker_fee_currency})


def _recruiters(offer: Offer) -> list[Employer]:
    return [e for e in (offer.employer, offer.intermediary) if e is not None]


def check_registration(offer: Offer) -> Finding | None:
    """Every organisation behind the offer must be approved; a national one also needs an
    official registration number (a partner employment service is a public body)."""
    missing = [{"id": e.id, "name": e.name, "status": e.status}
               for e in _recruiters(offer)
               if e.status != EmployerStatus.APPROVED.value
               or (e.kind == EmployerKind.NATIONAL.value and not e.registered)]
    return Finding(FlagKind.UNREGISTERED_EMPLOYER, {"employers": missing}) if missing else None


def check_licence(offer: Offer) -> Finding | None:
    """Foreign employers and recruitment agencies recruit only under a valid licence."""
    kinds = (EmployerKind.FOREIGN.value, EmployerKind.INTERMEDIARY.value)
    missing = [{"id": e.id, "name": e.name, "licence": e.licence_number,
                "valid_until": e.licence_valid_until.isoformat() if e.licence_valid_until else None}
               for e in _recruiters(offer) if e.kind in kinds and not e.licensed]
    return Finding(FlagKind.UNLICENSED_RECRUITER, {"employers": missing}) if missing else None


def monthly_amount(low: Decimal | None, high: Decimal | None, period: str | None) -> Decimal | None:
    """The middle of the salary range, per month; None for task work or no salary."""
    factor = MONTHLY_FACTORS.get(period or "")
    values = [Decimal(v) for v in (low, high) if v is not None]
    if factor is None or not values:
        return None
    return (sum(values) / len(values) * factor).quantize(Decimal("0.01"))


def work_country(offer: Offer) -> str | None:
    return offer.destination_country if offer.international else offer.country_code


def comparable_salaries(offer: Offer, prefix: str) -> list[Decimal]:
    """Monthly salaries of published or filled offers for work in the same country, in the same
    currency, whose fiche code starts with ``prefix`` (the fiche, or its domain)."""
    place = sa.case((Offer.international.is_(True), Offer.destination_country), else_=Offer.country_code)
    rows = db.session.execute(
        sa.select(Offer.salary_min, Offer.salary_max, Offer.salary_period)
        .where(Offer.status.in_(COMPARABLE_STATUSES), place == work_country(offer),
               Offer.id != offer.id if offer.id else sa.true(),
               Offer.salary_currency == offer.salary_currency, Offer.salary_period.in_(MONTHLY_FACTORS),
               Offer.occupation_code.like(f"{prefix}%"),
               sa.or_(Offer.salary_min.is_not(None), Offer.salary_max.is_not(None)))
        .order_by(Offer.published_at.desc()).limit(MAX_COMPARABLES)).all()
    return [monthly_amount(low, high, period) for low, high, period in rows]


def salary_basis(offer: Offer) -> dict[str, Any]:
    """What the offer's salary is compared with: the same fiche when it has at least
    MIN_COMPARABLES offers, else the same domain (first 3 characters of the code)."""
    monthly = monthly_amount(offer.salary_min, offer.salary_max, offer.salary_period)
    if monthly is None:
        reason = "task" if offer.salary_period == "task" else "no_salary"
        return {"scope": "skipped", "reason": reason}
    basis: dict[str, Any] = {"monthly": _amount(monthly), "currency": offer.salary_currency,
                             "country": work_country(offer)}
    amounts = comparable_salaries(offer, offer.occupation_code)
    scope = "occupation"
    if len(amounts) < MIN_COMPARABLES:
        amounts, scope = comparable_salaries(offer, offer.occupation_code[:3]), "domain"
    if not amounts:
        return {**basis, "scope": "none", "count": 0}
    median = Decimal(statistics.median(amounts)).quantize(Decimal("0.01"))
    return {**basis, "scope": scope, "count": len(amounts), "median": _amount(median),
            "low": _amount(median * LOW_RATIO), "high": _amount(median * HIGH_RATIO)}


def check_salary(offer: Offer, basis: dict[str, Any]) -> Finding | None:
    """Below half or above twice the median: a lure, or the sign of a job that is not what it says."""
    if "median" not in basis:
        return None
    monthly = Decimal(basis["monthly"])
    if Decimal(basis["low"]) <= monthly <= Decimal(basis["high"]):
        return None
    facts = {"monthly": basis["monthly"], "currency": basis["currency"], "country": basis["country"],
             "occupation": offer.occupation_code}
    return Finding(FlagKind.SALARY_OUTLIER, facts,
                   {k: basis[k] for k in ("scope", "count", "median", "low", "high")})


def check_contract(offer: Offer) -> Finding | None:
    if offer.international and not offer.contract_file:
        return Finding(FlagKind.MISSING_CONTRACT, {})
    return None


def missing_terms(offer: Offer) -> list[str]:
    """The terms a would-be migrant must know before leaving, which the offer does not give."""
    missing = []
    if (offer.salary_min is None and offer.salary_max is None) or not offer.salary_currency \
            or not offer.salary_period:
        missing.append("salary")
    if not offer.contract_months and offer.contract_type != "permanent":
        missing.append("duration")
    if not offer.destination_country or not (offer.city or "").strip():
        missing.append("place")
    if offer.travel_paid is None:
        missing.append("travel")
    if offer.housing_provided is None:
        missing.append("housing")
    return missing


def check_terms(offer: Offer) -> Finding | None:
    if not offer.international:
        return None
    missing = missing_terms(offer)
    return Finding(FlagKind.MISSING_TERMS, {"missing": missing}) if missing else None


def check_offer(offer: Offer) -> tuple[list[Finding], dict[str, Any]]:
    """Every check on ``offer``: the findings, and the basis of the salary comparison."""
    basis = salary_basis(offer)
    checks = (check_fee(offer), check_registration(offer), check_licence(offer), check_salary(offer, basis),
              check_contract(offer), check_terms(offer))
    return [finding for finding in checks if finding is not None], basis


def _sync_flag(offer: Offer, kind: FlagKind, finding: Finding | None) -> None:
    flags = [f for f in offer.flags if f.kind == kind.value]
    current = next((f for f in flags if f.cleared_at is None), None)
    if finding is None:
        if current is not None:  # the offer was corrected: the flag is resolved, and kept
            current.cleared_at = utcnow()
            current.detail = {**(current.detail or {}), "resolved": True}
            audit.record("offer.flag_resolved", "offer", offer.id, kind=kind.value)
        return
    detail = {"facts": finding.facts, **finding.context}
    if current is not None:
        current.detail = detail
        return
    cleared = [f for f in flags if f.cleared_by_id is not None]
    if cleared and (cleared[-1].detail or {}).get("facts") == finding.facts:
        return  # a manager cleared exactly these facts: it stays cleared
    offer.flags.append(OfferFlag(kind=kind.value, detail=detail, raised_at=utcnow()))
    audit.record("offer.flag_raised", "offer", offer.id, kind=kind.value)


def run_checks(offer: Offer) -> list[OfferFlag]:
    """Run every check and bring the offer's flags up to date; returns the open flags.

    A new problem raises a flag; a problem that is gone resolves its open flag; a flag a
    manager cleared stays cleared unless the facts it was about have changed.
    """
    findings, basis = check_offer(offer)
    found = {finding.kind: finding for finding in findings}
    for kind in FlagKind:
        _sync_flag(offer, kind, found.get(kind))
    db.session.flush()
    audit.record("offer.checked", "offer", offer.id, flags=sorted(f.kind.value for f in findings),
                 salary=basis)
    return offer.open_flags


def blocking_flags(offer: Offer) -> list[OfferFlag]:
    """The open flags that stop publication (see the module's docstring)."""
    if offer.international:
        return offer.open_flags
    return [flag for flag in offer.open_flags if flag.kind == FlagKind.WORKER_FEE.value]


class FlagRefused(Exception):
    """The flag is already cleared, or the comment is missing."""


def clear_flag(flag: OfferFlag, user: Any, comment: str) -> None:
    """A manager clears ``flag``: the comment says why the offer is sound despite it.
    The caller checks that ``user`` may clear the offer's flags. Flushes."""
    comment = (comment or "").strip()[:500]
    if flag.cleared_at is not None or not comment:
        raise FlagRefused()
    flag.cleared_at = utcnow()
    flag.cleared_by_id = user.id
    flag.comment = comment
    db.session.flush()
    audit.record("offer.flag_cleared", "offer", flag.offer_id, kind=flag.kind, comment=comment)


TERM_TITLES = {
    "salary": _l("salary"), "duration": _l("contract duration"), "place": _l("destination country and city"),
    "travel": _l("who pays the travel"), "housing": _l("who pays the housing"),
}
