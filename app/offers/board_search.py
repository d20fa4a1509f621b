"""Finding open offers for the public job board: which country's board, the occupation typed
as a code or in words, and the search as one SELECT (``bench/board.py`` times it on 100,000
open offers)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_sqlalchemy.pagination import Pagination

from app.auth.geo import PES_COUNTRIES
from app.auth.models import Agency, Country, CountryKind
from app.extensions import db
from app.i18n import localised_label
from app.offers.models import OPEN_STATUSES, Offer, OfferSkill
from app.reference.models import Domain, Occupation
from app.reference.services import MAX_QUERY, CodedSuggestion, suggest_occupations

NATIONAL, INTERNATIONAL = "national", "international"
# Deep pages cost an OFFSET over every offer before them (seconds at 100,000 on SQLite) and
# nobody reads that far on a phone: past 40 pages (1,000 offers), the page asks for a narrower search.
MAX_PAGES = 40


@dataclass(frozen=True)
class OccupationQuery:
    """What the visitor typed in the occupation box and the fiche it was read as.

    ``coded`` is true when the coding assistant chose the fiche from words, so the page says
    which fiche it searched and offers the next likely ones (``others``) instead.
    """

    typed: str
    code: str | None = None
    label: str = ""
    coded: bool = False
    others: tuple[CodedSuggestion, ...] = ()


@dataclass(frozen=True)
class BoardFilters:
    """The board's search, already checked against the choices offered.

    ``occupation_codes`` is None for any occupation and empty when the words typed matched
    no fiche: then no offer matches, rather than every offer.
    """

    country: str
    occupation_codes: tuple[str, ...] | None = None
    domain: str | None = None  # a domain code (F17) or a grand domain letter (F)
    region_id: int | None = None
    scope: str | None = None  # NATIONAL or INTERNATIONAL
    destination: str | None = None
    contract_type: str | None = None


def pes_countries() -> list[str]:
    """Codes of the countries whose employment service runs the system, in ``PES_COUNTRIES`` order."""
    codes = set(db.session.scalars(sa.select(Country.code).where(Country.kind == CountryKind.PES.value)))
    order = {code: rank for rank, code in enumerate(PES_COUNTRIES)}
    return sorted(codes, key=lambda code: (order.get(code, len(order)), code))


def choose_country(asked: str | None, countries: list[str], user_country: str | None = None) -> str | None:
    """The board shown: the one asked for, else the staff member's own country, else the first
    PES country that has an agency here (one installation usually serves one national PES,
    while ``load_countries`` loads all ten), else the first PES country.
    """
    for candidate in ((asked or "").upper(), user_country):
        if candidate in countries:
            return candidate
    running = set(db.session.scalars(sa.select(Agency.country_code).where(Agency.active.is_(True)).distinct()))
    return next((code for code in countries if code in running), countries[0] if countries else None)


def read_occupation(text: str) -> OccupationQuery | None:
    """A fiche code as typed (any national list's codes too), else the coding assistant's best
    guess for the words; None when nothing was typed."""
    typed = " ".join((text or "").split())[:MAX_QUERY]
    if not typed:
        return None
    if " " not in typed and len(typed) <= 16:
        exact = db.session.get(Occupation, typed.upper())
        if exact is not None:
            return OccupationQuery(typed, exact.code, localised_label(exact))
    suggestions = suggest_occupations(typed, limit=4)
    if not suggestions:
        return OccupationQuery(typed)
    best = suggestions[0]
    return OccupationQuery(typed, best.code, best.label, coded=True, others=tuple(suggestions[1:]))


def open_clause(today: date) -> sa.ColumnElement[bool]:
    """Published and not past its closing date: the board must not wait for the nightly expiry."""
    return sa.and_(Offer.status.in_(OPEN_STATUSES),
                   sa.or_(Offer.closing_date.is_(None), Offer.closing_date >= today))


def _domain_clause(code: str) -> sa.ColumnElement[bool]:
    # Through the reference, not by code prefix: national lists need not spell domains in their codes.
    occupations = sa.select(Occupation.code)
    if len(code) == 1:
        occupations = occupations.join(Domain).where(Domain.grand_domain_code == code)
    else:
        occupations = occupations.where(Occupation.domain_code == code)
    return Offer.occupation_code.in_(occupations)


def build_query(filters: BoardFilters, today: date) -> sa.Select:
    """The open offers of one country that match ``filters``, newest first (id breaks ties,
    so that paging never shows an offer twice)."""
    query = sa.select(Offer).where(Offer.country_code == filters.country, open_clause(today))
    if filters.occupation_codes is not None:
        query = query.where(Offer.occupation_code.in_(filters.occupation_codes))
    if filters.domain:
        query = query.where(_domain_clause(filters.domain))
    if filters.scope:
        query = query.where(Offer.international.is_(filters.scope == INTERNATIONAL))
    if filters.region_id:
        query = query.where(Offer.region_id == filters.region_id)
    if filters.destination:
        query = query.where(Offer.international.is_(True), Offer.destination_country == filters.destination)
    if filters.contract_type:
        query = query.where(Offer.contract_type == filters.contract_type)
    return query.order_by(Offer.published_at.desc(), Offer.id.desc())


def list_options() -> tuple:
    """What a line of the list shows, loaded in one query per relation for the whole page."""
    return (so.selectinload(Offer.employer), so.selectinload(Offer.occupation), so.selectinload(Offer.region))


def find_page(filters: BoardFilters, today: date, number: int) -> tuple[Pagination, int]:
    """Page ``number`` of the open offers that match ``filters``, and how many match in all.

    The pagination's own total stops at ``MAX_PAGES`` pages, so that the pager never links further.
    """
    per_page = current_app.config["ITEMS_PER_PAGE"]
    page = db.paginate(build_query(filters, today).options(*list_options()), page=number, per_page=per_page,
                       error_out=False)
    total = page.total or 0
    page.total = min(total, MAX_PAGES * per_page)
    return page, total


def find_open_offer(reference: str, today: date) -> Offer | None:
    """The open offer with this reference and everything its page shows, or None: a draft,
    rejected, closed or expired offer is as unknown to the public as a wrong reference."""
    query = sa.select(Offer).where(Offer.reference == reference, open_clause(today)).options(
        so.joinedload(Offer.employer), so.joinedload(Offer.intermediary), so.joinedload(Offer.occupation),
        so.joinedload(Offer.region), so.joinedload(Offer.programme),
        so.selectinload(Offer.skills).joinedload(OfferSkill.skill), so.selectinload(Offer.languages))
    return db.session.scalar(query)
