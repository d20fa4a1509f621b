"""The counsellors' matching pages: candidates for an offer, offers for a person, the nightly
lists of an agency, and the weights of the score."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import audit
from app.auth.access import ObjectScope, can, ensure, permission_required
from app.auth.models import Country, CountryKind, Region, User
from app.extensions import db
from app.i18n import country_name
from app.jobseekers.models import Consent, ConsentPurpose, JobSeeker, JobSeekerOccupation, SeekerStatus
from app.matching import bp, services, wording
from app.matching.engine import Match, MatchingParams
from app.matching.forms import MatchFilterForm, OfferFilterForm, SettingsForm, changed_settings
from app.matching.models import MatchingSettings, MatchSuggestion, Referral
from app.offers.models import Offer, OfferStatus
from app.reference.models import MobilityLink

NIGHTLY_OFFERS_PER_PAGE = 10


@dataclass(frozen=True)
class Result:
    """One ranked match, worded for the page."""

    rank: int
    match: Match
    sentence: str
    lines: list[wording.FactorLine]
    missing: list[str]
    missing_more: int  # missing skills beyond those listed
    referred: bool


def _results(matches: list[Match], labels: wording.Labels, referred: frozenset[int], by_offer: bool) -> list[Result]:
    results = []
    for rank, m in enumerate(matches, 1):
        missing = wording.missing_skills(m, labels)
        results.append(Result(rank, m, wording.sentence(m, labels), wording.breakdown(m, labels), missing,
                              len(m.missing_skills) - len(missing),
                              (m.offer_id if by_offer else m.seeker_id) in referred))
    return results


def _regions(country: str) -> list[tuple[int, str]]:
    regions = db.session.scalars(sa.select(Region).where(Region.country_code == country)).all()
    return sorted(((r.id, r.label) for r in regions), key=lambda pair: pair[1])


def _propose_url() -> str | None:
    # Referrals are their own pages; without them (or the right to propose) the results have no refer button.
    if "referrals.propose" not in current_app.view_functions or not can(current_user, "referral.manage"):
        return None
    return url_for("referrals.propose")


def _here() -> str:
    return request.full_path if request.query_string else request.path


@bp.route("/offers/<int:offer_id>/candidates")
@permission_required("matching.run")
def candidates(offer_id: int):
    offer = db.get_or_404(Offer, offer_id)
    ensure("matching.run", offer)
    form = MatchFilterForm(request.args)
    form.fill_regions(_regions(offer.country_code))
    ranking = services.find_candidates(offer, **form.options()) if form.validate() else None
    matches = ranking.matches if ranking else []
    ids = [m.seeker_id for m in matches]
    people = {p.id: p for p in db.session.scalars(
        sa.select(JobSeeker).where(JobSeeker.id.in_(ids))
        .options(sa.orm.joinedload(JobSeeker.agency), sa.orm.joinedload(JobSeeker.region)))} if ids else {}
    labels = wording.load_labels(matches, fiches=[offer.occupation_code])
    results = [r for r in _results(matches, labels, ranking.referred if ranking else frozenset(), by_offer=False)
               if r.match.seeker_id in people]
    return render_template("matching/candidates.html", offer=offer, form=form, ranking=ranking,
                           results=results, people=people, labels=labels, propose_url=_propose_url(),
                           here=_here(), refusals=wording.REFUSALS)


def _mobility(codes: list[str]) -> list[tuple[str, list[str]]]:
    """For each of the person's fiches, the fiches it leads to by ROME mobility, closest first."""
    if not codes:
        return []
    links = db.session.execute(
        sa.select(MobilityLink.occupation_code, MobilityLink.target_code)
        .where(MobilityLink.occupation_code.in_(codes)).order_by(MobilityLink.rank)).all()
    targets: dict[str, list[str]] = defaultdict(list)
    for source, target in links:
        if target not in codes:
            targets[source].append(target)
    return [(code, targets[code]) for code in codes]


@bp.route("/jobseekers/<int:seeker_id>/offers")
@permission_required("matching.run")
def offers_for(seeker_id: int):
    seeker = db.get_or_404(JobSeeker, seeker_id)
    ensure("matching.run", seeker)
    form = OfferFilterForm(request.args)
    form.fill_regions(_regions(seeker.country_code))
    ranking = services.find_offers(seeker, **form.options()) if form.validate() else None
    matches = ranking.matches if ranking else []
    ids = [m.offer_id for m in matches]
    offers = {o.id: o for o in db.session.scalars(
        sa.select(Offer).where(Offer.id.in_(ids))
        .options(sa.orm.joinedload(Offer.employer), sa.orm.joinedload(Offer.region)))} if ids else {}
    own = list(dict.fromkeys(db.session.scalars(
        sa.select(JobSeekerOccupation.occupation_code).where(JobSeekerOccupation.jobseeker_id == seeker.id)
        .order_by(JobSeekerOccupation.rank, JobSeekerOccupation.id))))
    mobility = _mobility(own)
    labels = wording.load_labels(matches, fiches=own + [t for _code, targets in mobility for t in targets])
    results = [r for r in _results(matches, labels, ranking.referred if ranking else frozenset(), by_offer=True)
               if r.match.offer_id in offers]
    return render_template("matching/offers.html", seeker=seeker, form=form, ranking=ranking, results=results,
                           offers=offers, mobility=mobility, labels=labels, propose_url=_propose_url(),
                           here=_here(), refusals=wording.REFUSALS)


def _still_proposable() -> sa.ColumnElement[bool]:
    """The people of a nightly list who may still be proposed today: the list was made last
    night, and since then a person may have left, been anonymised or merged, or withdrawn
    their consent. Needs the query joined to ``JobSeeker``."""
    consented = sa.exists().where(Consent.jobseeker_id == JobSeeker.id,
                                  Consent.purpose == ConsentPurpose.PROPOSE.value, Consent.withdrawn_at.is_(None))
    return sa.and_(JobSeeker.status == SeekerStatus.ACTIVE.value, JobSeeker.anonymised_at.is_(None),
                   JobSeeker.merged_into_id.is_(None), consented)


@bp.route("/nightly")
@permission_required("matching.run")
def nightly():
    agency_id = current_user.agency_id
    mine = MatchSuggestion.agency_id == agency_id
    run_on = db.session.scalar(sa.select(sa.func.max(MatchSuggestion.run_on)).where(mine)) if agency_id else None
    page, lists, referred = None, {}, set()
    if run_on is not None:
        latest = sa.and_(mine, MatchSuggestion.run_on == run_on, _still_proposable())
        suggested = sa.select(MatchSuggestion.offer_id).join(MatchSuggestion.jobseeker).where(latest)
        query = (sa.select(Offer).where(Offer.id.in_(suggested), Offer.status == OfferStatus.PUBLISHED.value)
                 .options(sa.orm.joinedload(Offer.employer))
                 .order_by(Offer.closing_date.is_(None), Offer.closing_date, Offer.id))
        page = db.paginate(query, per_page=NIGHTLY_OFFERS_PER_PAGE, error_out=False)
        ids = [o.id for o in page.items]
        rows = db.session.scalars(
            sa.select(MatchSuggestion).join(MatchSuggestion.jobseeker).where(latest, MatchSuggestion.offer_id.in_(ids))
            .options(sa.orm.contains_eager(MatchSuggestion.jobseeker).joinedload(JobSeeker.agency))
            .order_by(MatchSuggestion.offer_id, MatchSuggestion.rank)).all() if ids else []
        lists = defaultdict(list)
        for row in rows:
            lists[row.offer_id].append(row)
        referred = set(db.session.execute(
            sa.select(Referral.offer_id, Referral.jobseeker_id).where(Referral.offer_id.in_(ids))).tuples()) \
            if ids else set()
    return render_template("matching/nightly.html", run_on=run_on, page=page, lists=lists, referred=referred)


# ---------------------------------------------------------------------- settings

def _settings_countries() -> list[str]:
    """The countries whose settings the user may change: their own, or every PES country
    for a national administrator (attached to no agency)."""
    if current_user.country_code:
        return [current_user.country_code]
    codes = db.session.scalars(sa.select(Country.code).where(Country.kind == CountryKind.PES.value)).all()
    return sorted(codes, key=country_name)


def _last_change(code: str) -> tuple[MatchingSettings | None, User | None]:
    row = db.session.get(MatchingSettings, code)
    author = db.session.get(User, row.updated_by_id) if row is not None and row.updated_by_id else None
    return row, author


@bp.route("/settings", methods=["GET", "POST"])
@permission_required("matching.settings")
def settings():
    countries = _settings_countries()
    chosen = request.form.get("country") if request.method == "POST" else request.args.get("country")
    code = chosen or (countries[0] if len(countries) == 1 else None)
    if code is None:  # a national administrator picks the country first
        return render_template("matching/settings.html", form=None, code=None, countries=countries)
    if code not in countries:
        abort(404)
    ensure("matching.settings", ObjectScope(country_code=code))
    current = services.params_for(code)
    form = SettingsForm()
    form.country.data = code
    restored, status = False, 200
    if request.method == "GET":
        form.fill(current)
    elif form.restore.data:
        form.fill(MatchingParams())
        restored = True
    elif form.validate_on_submit() and (params := form.params(current)) is not None:
        changed = changed_settings(current, params)
        if not changed:
            flash(_("Nothing was changed."), "info")
        else:
            services.save_params(code, params, current_user.id)
            audit.record("matching.settings_changed", "country", None, country=code, changed=changed)
            db.session.commit()
            flash(_("The settings of %(country)s are saved: the next searches use them.",
                    country=country_name(code)), "success")
        return redirect(url_for("matching.settings", country=code))
    else:
        status = 400
    row, author = _last_change(code)
    return render_template("matching/settings.html", form=form, code=code, countries=countries, row=row,
                           author=author, restored=restored), status
