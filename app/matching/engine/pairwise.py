"""The score of one seeker-offer pair, row by row in plain Python.

This is the score contract written the straightforward way: loops, sets and dicts over the
records, no arrays. It serves three purposes: it scores one pair without an index (a
referral page, a draft offer); it is the benchmark's baseline; and it is the oracle the
tests hold the vectorised engine to. Its operations are those of ``scoring.py`` in the same
order, so both produce the same floats and the same ranking.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

from .params import MatchingParams
from .records import OfferRecord, SeekerRecord
from .reference import LINKED, SAME, Reference

__all__ = ["factors", "passes_filters", "rank_offers", "rank_seekers", "score_pair"]


def passes_filters(seeker: SeekerRecord, offer: OfferRecord) -> bool:
    """The hard filters: open offer, active seeker who consented, and the offer's must-haves."""
    if not (offer.open and seeker.active and seeker.consented):
        return False
    if offer.licence and offer.licence not in seeker.licences:
        return False
    if offer.education_required and offer.education is not None:
        if seeker.education is None or seeker.education < offer.education:
            return False
    required, _ = offer.language_terms()
    return all(seeker.languages.get(code, 0) >= level for code, level in required.items())


def _occupation(ref: Reference, seeker: SeekerRecord, offer: OfferRecord, params: MatchingParams) -> float:
    value = {0: 0.0, 1: params.same_grand_domain, 2: params.same_domain, 3: params.linked_fiche, 4: 1.0}
    return max((value[ref.relation(offer.fiche, o.fiche)] for o in seeker.occupations), default=0.0)


def _skills(ref: Reference, seeker: SeekerRecord, offer: OfferRecord, params: MatchingParams) -> float:
    core, other = ref.offer_skills(offer)
    if not core and not other:
        return 1.0
    core_share = len(core & seeker.skills) / len(core) if core else None
    other_share = len(other & seeker.skills) / len(other) if other else None
    if core_share is None:
        return other_share
    if other_share is None:
        return core_share
    return params.core_skills_share * core_share + (1.0 - params.core_skills_share) * other_share


def _experience(ref: Reference, seeker: SeekerRecord, offer: OfferRecord, params: MatchingParams) -> float:
    asked = offer.experience_years or 0
    if offer.beginners_ok or asked <= 0:
        return 1.0
    years = 0.0
    for occupation in seeker.occupations:
        worked = min(max(occupation.years or 0, 0), 99)
        relation = ref.relation(offer.fiche, occupation.fiche)
        if relation == SAME:
            years = max(years, worked)
        elif relation == LINKED:
            years = max(years, worked * params.linked_experience)
    return min(1.0, years / asked)


def _education(seeker: SeekerRecord, offer: OfferRecord, params: MatchingParams) -> float:
    if offer.education is None:
        return 1.0
    if seeker.education is None:
        return params.unknown
    if seeker.education >= offer.education:
        return 1.0
    return max(0.0, 1.0 - params.education_step * (offer.education - seeker.education))


def _languages(seeker: SeekerRecord, offer: OfferRecord) -> float:
    _, desirable = offer.language_terms()
    if not desirable:
        return 1.0
    credit = 0.0
    for code, level in desirable.items():
        held = seeker.languages.get(code, 0)
        if held >= level:
            credit += 1.0
        elif held > 0:
            credit += 0.5
    return credit / len(desirable)


def _location(seeker: SeekerRecord, offer: OfferRecord, params: MatchingParams) -> float:
    if offer.international:
        if offer.destination_country and offer.destination_country in seeker.dossier_countries:
            return 1.0
        if offer.destination_country and offer.destination_country in seeker.mobility_countries:
            return params.country_wanted
        return params.abroad_interest if seeker.abroad_interest else 0.0
    if offer.region is None:
        return params.unknown
    if seeker.region == offer.region:
        return 1.0
    if offer.region in seeker.mobility_regions:
        return params.mobility_region
    return params.unknown if seeker.region is None else params.other_region


def _availability(seeker: SeekerRecord, offer: OfferRecord, params: MatchingParams, as_of: date | None) -> float:
    start = offer.start_date or as_of
    if seeker.available_from is None or start is None:
        return 1.0
    delay = seeker.available_from.toordinal() - start.toordinal()
    if delay <= 0:
        return 1.0
    return max(0.0, 1.0 - delay / params.availability_grace_days)


def _salary(seeker: SeekerRecord, offer: OfferRecord, params: MatchingParams) -> float:
    expected, top = seeker.salary, offer.salary_top
    if expected is None or expected <= 0 or top is None or not seeker.currency or seeker.currency != offer.currency:
        return params.unknown
    if expected <= top:
        return 1.0
    return max(0.0, 1.0 - ((expected - top) / top) / params.salary_tolerance)


def factors(ref: Reference, seeker: SeekerRecord, offer: OfferRecord, params: MatchingParams,
            as_of: date | None = None) -> list[float]:
    """The eight factor values of a pair, in :data:`params.FACTORS` order."""
    return [
        _occupation(ref, seeker, offer, params),
        _skills(ref, seeker, offer, params),
        _experience(ref, seeker, offer, params),
        _education(seeker, offer, params),
        _languages(seeker, offer),
        _location(seeker, offer, params),
        _availability(seeker, offer, params, as_of),
        _salary(seeker, offer, params),
    ]


def score_pair(ref: Reference, seeker: SeekerRecord, offer: OfferRecord, params: MatchingParams,
               as_of: date | None = None) -> float | None:
    """The pair's score in [0, 1], or ``None`` when a hard filter excludes it."""
    if not passes_filters(seeker, offer):
        return None
    total = 0.0
    for weight, value in zip(params.weights.normalised(), factors(ref, seeker, offer, params, as_of)):
        total += weight * value
    return min(total, 1.0)


def _best(scored: Iterable[tuple[int, float | None]], limit: int) -> list[tuple[int, float]]:
    """The ``limit`` best ``(id, score)``, best first, ties by ascending id; ``None``
    scores (filtered pairs) left out."""
    kept = sorted((-score, key) for key, score in scored if score is not None)
    return [(key, -negative) for negative, key in kept[:limit]]


def rank_seekers(ref: Reference, seekers: Iterable[SeekerRecord], offer: OfferRecord, params: MatchingParams,
                 limit: int, as_of: date | None = None) -> list[tuple[int, float]]:
    """``(seeker id, score)`` of the best seekers for an offer."""
    return _best(((s.id, score_pair(ref, s, offer, params, as_of)) for s in seekers), limit)


def rank_offers(ref: Reference, seeker: SeekerRecord, offers: Iterable[OfferRecord], params: MatchingParams,
                limit: int, as_of: date | None = None) -> list[tuple[int, float]]:
    """``(offer id, score)`` of the best offers for a seeker."""
    return _best(((o.id, score_pair(ref, seeker, o, params, as_of)) for o in offers), limit)
