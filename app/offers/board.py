"""The public job board: the open offers, national and international, for anyone, with no login.

The pages extend ``board/base.html``, not the staff ``base.html``: no Bootstrap, no script, no
web font, so that a first visit over 2G stays far under 150 KB. They show nothing personal,
and the employer's contact only where the offer says so.
"""
from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa
from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from phonenumbers import NumberParseException
from wtforms import SelectField, StringField

from app.auth.models import Agency, Country, Region
from app.db import utcnow
from app.extensions import db
from app.formtools import choices
from app.i18n import country_name, format_money, localised_label
from app.jobseekers.identity import format_phone
from app.offers import board_bp, board_search
from app.offers.board_search import INTERNATIONAL, NATIONAL, BoardFilters, OccupationQuery
from app.offers.models import BENEFITS, CONTRACT_TITLES, Offer
from app.reference.services import get_tree
from app.reference.vocab import SALARY_PERIODS

# The query parameters of a search, carried over by the pager and the "or search for" links.
FILTER_ARGS = ("country", "occupation", "domain", "region", "scope", "destination", "contract")
SCOPE_TITLES = {NATIONAL: _l("In the country"), INTERNATIONAL: _l("Abroad")}


class BoardSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search: results can be bookmarked and shared

    country = SelectField(_l("Employment service of"), validate_choice=False)
    occupation = StringField(_l("Occupation: code or job title"))
    domain = SelectField(_l("Domain"), validate_choice=False)
    region = SelectField(_l("Region"), validate_choice=False)
    scope = SelectField(_l("In the country or abroad"), validate_choice=False)
    destination = SelectField(_l("Destination country"), validate_choice=False)
    contract = SelectField(_l("Contract"), validate_choice=False)


def _by_label(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(pairs, key=lambda pair: pair[1])


def _fill_choices(form: BoardSearchForm, country: str, countries: list[str]) -> None:
    everything = [("", _("All"))]
    form.country.choices = choices(_by_label((code, country_name(code)) for code in countries))
    domains = []
    for grand in get_tree():
        domains.append((grand.code, f"{grand.code} · {localised_label(grand)}"))
        domains += [(d.code, f"\u00a0\u00a0{d.code} · {localised_label(d)}") for d in grand.domains]
    form.domain.choices = choices(everything + domains)
    regions = db.session.scalars(sa.select(Region).where(Region.country_code == country))
    form.region.choices = choices(everything + _by_label((str(r.id), r.label) for r in regions))
    form.scope.choices = choices(everything + list(SCOPE_TITLES.items()))
    abroad = db.session.scalars(sa.select(Country.code).where(Country.code != country))
    form.destination.choices = choices(everything + _by_label((code, country_name(code)) for code in abroad))
    form.contract.choices = choices(everything + [(kind.value, title) for kind, title in CONTRACT_TITLES.items()])


def _chosen(field: SelectField) -> str | None:
    """The field's value if it is one of its choices: a hand-edited URL must not reach the query."""
    value = field.data or ""
    return value if value and value in {str(choice.value) for choice in field.choices} else None


def _filters(form: BoardSearchForm, country: str, occupation: OccupationQuery | None) -> BoardFilters:
    region = _chosen(form.region)
    codes = None if occupation is None else tuple(code for code in (occupation.code,) if code)
    return BoardFilters(country=country, occupation_codes=codes, domain=_chosen(form.domain),
                        region_id=int(region) if region else None, scope=_chosen(form.scope),
                        destination=_chosen(form.destination), contract_type=_chosen(form.contract))


@board_bp.route("/")
def index():
    number = request.args.get("page", 1, type=int)
    if number > board_search.MAX_PAGES:
        abort(404)
    form = BoardSearchForm(request.args)
    countries = board_search.pes_countries()
    user_country = current_user.country_code if current_user.is_authenticated else None
    country = board_search.choose_country(form.country.data, countries, user_country)
    if country is None:
        abort(404)  # no PES country loaded yet: there is no board to show
    form.country.data = country
    _fill_choices(form, country, countries)
    occupation = board_search.read_occupation(form.occupation.data or "")
    page, total = board_search.find_page(_filters(form, country, occupation), utcnow().date(), number)
    args = {name: value for name, value in request.args.items() if name in FILTER_ARGS and value}
    return render_template("board/index.html", form=form, page=page, total=total, args=args, country=country,
                           occupation=occupation, several_countries=len(countries) > 1)


@board_bp.route("/<reference>")
def detail(reference: str):
    offer = board_search.find_open_offer(reference, utcnow().date())
    if offer is None:
        abort(404)
    agency = db.session.get(Agency, offer.agency_id) if offer.agency_id else None
    return render_template("board/detail.html", offer=offer, agency=agency)


@board_bp.errorhandler(404)
def not_found(_error):
    # The staff error page would load Bootstrap: a wrong link must stay light too.
    return render_template("board/not_found.html"), 404


def salary_text(offer: Offer) -> str:
    """The salary range and period in the reader's number format, or '' when none is given."""
    if not offer.salary_currency or (offer.salary_min is None and offer.salary_max is None):
        return ""
    low, high = (format_money(amount, offer.salary_currency) if amount is not None else ""
                 for amount in (offer.salary_min, offer.salary_max))
    if low and high:
        text = low if low == high else f"{low} – {high}"
    elif low:
        text = _("from %(amount)s", amount=low)
    else:
        text = _("up to %(amount)s", amount=high)
    period = SALARY_PERIODS.get(offer.salary_period or "")
    return f"{text} {period}" if period else text


def place_text(offer: Offer) -> str:
    """The town and region at home, or the town and country abroad."""
    if offer.international:
        parts = [offer.city, country_name(offer.destination_country)]
    else:
        parts = [offer.city, offer.region.label if offer.region else None]
    return ", ".join(part for part in parts if part)


def contract_text(offer: Offer) -> str:
    """The kind of contract, with its length when it has one."""
    text = str(CONTRACT_TITLES.get(offer.contract_type, offer.contract_type))
    if offer.contract_months:
        text += " · " + ngettext("%(num)d month", "%(num)d months", offer.contract_months)
    return text


def benefit_titles(offer: Offer) -> list[str]:
    return [str(BENEFITS[key]) for key in offer.benefits.split() if key in BENEFITS]


def phone_text(number: str) -> str:
    """The employer's phone in international form, or as stored when it does not parse:
    a badly typed number must not break a public page."""
    try:
        return format_phone(number)
    except NumberParseException:
        return number


@board_bp.context_processor
def offer_helpers() -> dict:
    return {"salary_text": salary_text, "place_text": place_text, "contract_text": contract_text,
            "benefit_titles": benefit_titles, "phone_text": phone_text}
