"""Use cases of job offers: reference numbers, create and edit, the validation workflow, expiry."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple
from uuid import uuid4

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import audit
from app.auth.access import can
from app.auth.models import Role
from app.db import next_in_counter, utcnow
from app.extensions import db
from app.matching import changes
from app.offers import fraud
from app.offers.models import Employer, Offer, OfferCounter, OfferLanguage, OfferSkill, OfferStatus

S = OfferStatus


def next_offer_reference(country: str, year: int | None = None) -> str:
    """``<country>-O-<year>-<sequence>``, the sequence counted per country and year.

    One UPDATE … RETURNING increments the counter, so that concurrent workers never hand
    out the same reference.
    """
    year = year or utcnow().year
    value = next_in_counter(db.session, OfferCounter, country_code=country, year=year)
    return f"{country}-O-{year}-{value:06d}"


@dataclass
class OfferData:
    """What the offer form (or an import row) gives about an offer, already validated."""

    employer_id: int
    occupation_code: str
    job_title: str
    contract_type: str
    description: str = ""
    positions: int = 1
    contract_months: int | None = None
    working_time: str = "full"
    hours_per_week: int | None = None
    international: bool = False
    destination_country: str | None = None
    region_id: int | None = None
    city: str | None = None
    salary_min: Decimal | None = None
    salary_max: Decimal | None = None
    salary_currency: str | None = None
    salary_period: str | None = None
    benefits: tuple[str, ...] = ()
    experience_years: int | None = None
    beginners_ok: bool = False
    education_level: str | None = None
    education_required: bool = False
    driving_licence: str | None = None
    start_date: date | None = None
    closing_date: date | None = None
    how_to_apply: str = ""
    show_contact: bool = False
    intermediary_id: int | None = None
    programme_id: int | None = None
    work_permit: bool = False
    visa_sponsored: bool = False
    travel_paid: bool | None = None
    housing_provided: bool | None = None
    worker_fee: Decimal | None = None
    worker_fee_currency: str | None = None
    source_code: str | None = None  # an ISCO-08 or ESCO code, when the offer came coded so
    mapping_confirmed: bool = True
    skills: list[tuple[str, bool]] = field(default_factory=list)  # (skill code, required)
    languages: list[tuple[str, str, bool]] = field(default_factory=list)  # (ISO 639-3, level, required)


_SCALARS = ("employer_id", "occupation_code", "job_title", "contract_type", "description", "positions",
            "contract_months", "working_time", "hours_per_week", "international", "destination_country",
            "region_id", "city", "salary_min", "salary_max", "salary_currency", "salary_period",
            "experience_years", "beginners_ok", "education_level", "education_required", "driving_licence",
            "start_date", "closing_date", "how_to_apply", "show_contact", "intermediary_id", "programme_id",
            "work_permit", "visa_sponsored", "travel_paid", "housing_provided", "worker_fee",
            "worker_fee_currency", "source_code", "mapping_confirmed")
# Terms that only mean something abroad; a national offer keeps none of them.
_ABROAD = {"destination_country": None, "programme_id": None, "work_permit": False, "visa_sponsored": False,
           "travel_paid": None, "housing_provided": None}


def snapshot(offer: Offer) -> dict[str, Any]:
    """The offer as comparable values, to tell which fields an edit changed."""
    values = {name: getattr(offer, name) for name in _SCALARS}
    values["benefits"] = offer.benefits or ""
    values["skills"] = [(s.skill_code, s.required) for s in offer.skills]
    values["languages"] = [(lang.language, lang.level, lang.required) for lang in offer.languages]
    for name in ("salary_min", "salary_max", "worker_fee"):  # 500 and 500.00 are the same amount
        values[name] = None if values[name] is None else Decimal(values[name]).normalize()
    return values


def _write(offer: Offer, data: OfferData) -> None:
    for name in _SCALARS:
        setattr(offer, name, getattr(data, name))
    if not data.international:
        for name, value in _ABROAD.items():
            setattr(offer, name, value)
    else:
        offer.region_id = None  # abroad, the place is the destination country and city
    if data.salary_min is None and data.salary_max is None:
        offer.salary_currency = offer.salary_period = None
    if not data.worker_fee:
        offer.worker_fee, offer.worker_fee_currency = None, None
    offer.benefits = " ".join(sorted(set(data.benefits)))
    skills = list(dict(data.skills).items())
    if [(s.skill_code, s.required) for s in offer.skills] != skills:
        offer.skills = [OfferSkill(skill_code=code, required=required) for code, required in skills]
    languages = [(code, level, required) for code, (level, required)
                 in dict((c, (lv, r)) for c, lv, r in data.languages).items()]
    if [(lang.language, lang.level, lang.required) for lang in offer.languages] != languages:
        offer.languages = [OfferLanguage(language=c, level=lv, required=r) for c, lv, r in languages]


def create_offer(employer: Employer, data: OfferData, user: Any) -> Offer:
    """A draft offer of ``employer``, followed by the creator's agency (staff) or the
    employer's agency (employer users). Flushes; the caller commits."""
    staff = user.role != Role.EMPLOYER
    offer = Offer(reference=next_offer_reference(employer.country_code), country_code=employer.country_code,
                  agency_id=user.agency_id if staff and user.agency_id else employer.agency_id,
                  status=S.DRAFT.value, created_by_id=user.id)
    _write(offer, data)
    offer.employer_id = employer.id  # the employer the caller checked, whatever ``data`` says
    db.session.add(offer)
    db.session.flush()
    audit.record("offer.created", "offer", offer.id, reference=offer.reference)
    return offer


class StaleEdit(Exception):
    """The offer changed since the form was opened: nobody's changes are overwritten."""


def update_offer(offer: Offer, data: OfferData, expected_version: int | None = None) -> list[str]:
    """Apply ``data`` to ``offer``; returns the names of the fields that changed.

    A submitted offer is checked again at once, since its flags speak of the old facts.
    :param expected_version: the version the form was opened on; any other raises StaleEdit.
    """
    if expected_version is not None and expected_version != offer.version:
        raise StaleEdit()
    before = snapshot(offer)
    _write(offer, data)
    after = snapshot(offer)
    changed = [name for name in after if after[name] != before[name]]
    if not changed:
        return []
    offer.updated_at = utcnow()
    db.session.flush()
    audit.record("offer.updated", "offer", offer.id, fields=changed)
    if offer.status == S.SUBMITTED.value:
        fraud.run_checks(offer)
    return changed


def can_edit(user: Any, offer: Offer) -> bool:
    """Employers edit their drafts; staff also the offers waiting for validation. Published
    and closed offers no longer change: what job-seekers saw stays what was validated."""
    if offer.status == S.DRAFT.value:
        return can(user, "offer.edit", offer)
    if offer.status == S.SUBMITTED.value:
        return user.role != Role.EMPLOYER and can(user, "offer.edit", offer)
    return False


class Step(NamedTuple):
    sources: tuple[OfferStatus, ...]
    target: OfferStatus
    action: str | None  # the access action a user needs; None: only the system takes this step


# The whole workflow: any move not listed here is refused, whoever asks and however.
TRANSITIONS: dict[str, Step] = {
    "submit": Step((S.DRAFT,), S.SUBMITTED, "offer.edit"),
    "publish": Step((S.SUBMITTED,), S.PUBLISHED, "offer.publish"),
    "reject": Step((S.SUBMITTED,), S.REJECTED, "offer.publish"),
    "fill": Step((S.PUBLISHED,), S.FILLED, "offer.publish"),
    "close": Step((S.PUBLISHED,), S.CLOSED, "offer.publish"),
    "expire": Step((S.PUBLISHED,), S.EXPIRED, None),
}
STEP_TITLES = {
    "submit": _l("Submit for validation"), "publish": _l("Publish"), "reject": _l("Reject"),
    "fill": _l("Mark as filled"), "close": _l("Close"),
}


class WorkflowRefused(Exception):
    """A status change that may not happen; ``reason`` says why (see REFUSALS in routes)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def available_steps(user: Any, offer: Offer) -> list[str]:
    """The steps ``user`` may take on ``offer`` now (its page shows these buttons)."""
    return [name for name, step in TRANSITIONS.items()
            if offer.status in step.sources and step.action and can(user, step.action, offer)]


def _check_publishable(offer: Offer, today: date) -> None:
    # The checks run again: a licence may have lapsed, or the salary data moved, since submission.
    fraud.run_checks(offer)
    if fraud.blocking_flags(offer):
        raise WorkflowRefused("flags")
    if offer.source_code and not offer.mapping_confirmed:
        raise WorkflowRefused("mapping")
    if offer.closing_date is not None and offer.closing_date < today:
        raise WorkflowRefused("closing_date")


def change_status(offer: Offer, name: str, user: Any, reason: str | None = None,
                  today: date | None = None) -> None:
    """Take the workflow step ``name`` on ``offer`` for ``user``, or raise WorkflowRefused.

    Submitting runs the anti-fraud checks; publishing runs them again and is refused while
    a blocking flag is open. Rejecting needs a reason. Flushes; the caller commits.
    """
    step = TRANSITIONS.get(name)
    if step is None:
        raise WorkflowRefused("unknown")
    if offer.status not in step.sources:
        raise WorkflowRefused("status")
    if step.action is None or not can(user, step.action, offer):
        raise WorkflowRefused("role")
    reason = (reason or "").strip()[:500]
    if name == "reject" and not reason:
        raise WorkflowRefused("reason")
    if name == "submit":
        fraud.run_checks(offer)
    if name == "publish":
        _check_publishable(offer, today or utcnow().date())
        offer.published_at = utcnow()
    before = offer.status
    offer.status = step.target.value
    details = {}
    if name == "reject":
        offer.rejection_reason = details["reason"] = reason
    db.session.flush()
    audit.record(f"offer.{name}", "offer", offer.id, before=before, after=offer.status, **details)


def expire_due_offers(today: date | None = None, country: str | None = None) -> list[int]:
    """Turn published offers whose closing date is past into expired ones; returns their ids.

    One UPDATE … RETURNING: two workers (or cron and a page) never expire an offer twice,
    and with a country it runs on the index of open offers, cheap enough for every list.
    """
    today = today or utcnow().date()
    statement = (sa.update(Offer)
                 .where(Offer.status == S.PUBLISHED.value, Offer.closing_date < today)
                 .values(status=S.EXPIRED.value, version=Offer.version + 1, updated_at=utcnow())
                 .returning(Offer.id, Offer.closing_date)
                 .execution_options(synchronize_session=False))
    if country:
        statement = statement.where(Offer.country_code == country)
    rows = db.session.execute(statement).all()
    changes.record(db.session, changes.OFFER, [offer_id for offer_id, _closing in rows])
    for offer_id, closing_date in rows:
        event = audit.record("offer.expire", "offer", offer_id, before=S.PUBLISHED.value,
                             after=S.EXPIRED.value, closing_date=closing_date.isoformat())
        event.actor_id = None  # the system did it, not whoever opened the list
    return [offer_id for offer_id, _closing in rows]


CONTRACT_MAX_BYTES = 5 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


class ContractRefused(Exception):
    """The uploaded file is not a PDF, or too large; ``reason`` is "type" or "size"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def attach_contract(offer: Offer, stream: Any, folder: Path, max_bytes: int = CONTRACT_MAX_BYTES) -> str | None:
    """Store the contract document of ``offer`` under ``folder`` (outside the web root).

    The file is trusted for what its first bytes say, not for its name or declared type.
    Returns the name of the file it replaces, for the caller to delete once committed.
    """
    content = stream.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise ContractRefused("size")
    if not content.startswith(PDF_MAGIC):
        raise ContractRefused("type")
    name = f"{uuid4().hex}.pdf"  # never the uploader's name: no path tricks, no clashes
    previous, offer.contract_file = offer.contract_file, name
    db.session.flush()  # a concurrent change fails here, before any file is written
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    audit.record("offer.contract_uploaded", "offer", offer.id, size=len(content))
    if offer.status == S.SUBMITTED.value:
        fraud.run_checks(offer)
    return previous


def discard_file(folder: Path, name: str | None) -> None:
    """Remove a stored document (a replaced one, or one whose transaction failed)."""
    if name and "/" not in name and "\\" not in name:
        (folder / name).unlink(missing_ok=True)


EVENT_TITLES = {
    "offer.created": _l("Offer created"), "offer.updated": _l("Offer changed"),
    "offer.submit": _l("Submitted for validation"), "offer.publish": _l("Published"),
    "offer.reject": _l("Rejected"), "offer.fill": _l("Marked as filled"), "offer.close": _l("Closed"),
    "offer.expire": _l("Expired (closing date past)"), "offer.checked": _l("Anti-fraud checks run"),
    "offer.flag_raised": _l("Warning raised"), "offer.flag_cleared": _l("Warning cleared"),
    "offer.flag_resolved": _l("Warning resolved by a correction"),
    "offer.contract_uploaded": _l("Contract document attached"),
}
