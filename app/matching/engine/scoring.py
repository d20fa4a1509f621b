"""The score contract in vectorised form: factors from pair features, their weighted sum,
and the deterministic top N.

Every factor lies in [0, 1]:

* **occupation**: 1 for the offer's own fiche; ``linked_fiche`` when one of the seeker's
  fiches has a ROME mobility link to it; ``same_domain``; ``same_grand_domain``; else 0.
  The seeker's closest fiche counts.
* **skills**: the share of the offer's core skills the seeker has, and of its other skills;
  ``core_skills_share`` of the first plus the rest of the second (only the one that exists
  when the offer asks for one kind; 1 when it asks for none).
* **experience**: 1 when the offer takes beginners or asks for no experience; else years in
  the offer's fiche (years in a linked fiche counting ``linked_experience`` each) over the
  years asked, capped at 1.
* **education**: 1 when nothing is asked or the level is reached; ``unknown`` when the
  seeker's level is not known; else ``education_step`` less per ISCED level missing.
* **languages**: 1 when the offer lists no desirable language (required ones are filters);
  else the share of its desirable languages held at the level asked, a lower level counting half.
* **location**: by :data:`features.LOCATIONS` code: same region 1, ``mobility_region``,
  ``other_region``, ``unknown``; abroad: a destination of the seeker's mobility dossier 1,
  the country among the seeker's wishes ``country_wanted``, ``abroad_interest``, else 0.
* **availability**: 1 when the seeker is available by the start date (or no date can be
  compared); then falling linearly to 0 over ``availability_grace_days``.
* **salary**: ``unknown`` without an expectation, a range or a shared currency; 1 when the
  expectation is within the offer's top; then falling to 0 at ``salary_tolerance`` above it.

Each operation is the one ``pairwise.py`` performs on Python floats, in the same order, so
the two agree to the last bit and rank identically.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .features import (ABROAD_INTEREST, COUNTRY_WANTED, DOSSIER, MOBILITY_REGION, NOT_ABROAD, OTHER_REGION,
                       SAME_REGION, UNKNOWN_PLACE, PairFeatures)
from .params import MatchingParams
from .reference import DOMAIN, GRAND_DOMAIN, LINKED, NONE, SAME

__all__ = ["factor_values", "location_values", "occupation_values", "skill_values", "top", "weighted_sum"]


def occupation_values(params: MatchingParams) -> np.ndarray:
    """The factor's value for each occupation level."""
    table = np.zeros(5)
    table[[NONE, GRAND_DOMAIN, DOMAIN, LINKED, SAME]] = (0.0, params.same_grand_domain, params.same_domain,
                                                         params.linked_fiche, 1.0)
    return table


def location_values(params: MatchingParams) -> np.ndarray:
    """The factor's value for each location code."""
    table = np.zeros(8)
    table[[OTHER_REGION, UNKNOWN_PLACE, MOBILITY_REGION, SAME_REGION, NOT_ABROAD, ABROAD_INTEREST,
           COUNTRY_WANTED, DOSSIER]] = (params.other_region, params.unknown, params.mobility_region, 1.0, 0.0,
                                        params.abroad_interest, params.country_wanted, 1.0)
    return table


def _share(part: Any, whole: Any) -> np.ndarray:
    return part / np.maximum(whole, 1)


def skill_values(core_covered: Any, core_asked: Any, other_covered: Any, other_asked: Any,
                 params: MatchingParams) -> np.ndarray:
    """The skills factor from counts of skills covered and asked (arrays or scalars)."""
    core, other = _share(core_covered, core_asked), _share(other_covered, other_asked)
    both = params.core_skills_share * core + (1.0 - params.core_skills_share) * other
    return np.where(np.asarray(core_asked) > 0, np.where(np.asarray(other_asked) > 0, both, core),
                    np.where(np.asarray(other_asked) > 0, other, 1.0))


def _experience(f: PairFeatures, p: MatchingParams) -> np.ndarray:
    years = np.maximum(f.years_same, f.years_linked * p.linked_experience)
    enough = np.minimum(1.0, years / np.maximum(f.experience_asked, 1))
    return np.where(np.asarray(f.beginners) | (np.asarray(f.experience_asked) <= 0), 1.0, enough)


def _education(f: PairFeatures, p: MatchingParams) -> np.ndarray:
    gap = np.asarray(f.education_asked) - np.asarray(f.education)
    below = np.maximum(0.0, 1.0 - p.education_step * gap)
    value = np.where(np.asarray(f.education) < 0, p.unknown, np.where(gap <= 0, 1.0, below))
    return np.where(np.asarray(f.education_asked) < 0, 1.0, value)


def _languages(f: PairFeatures) -> np.ndarray:
    credit = f.languages_full + 0.5 * f.languages_partial
    return np.where(np.asarray(f.languages_asked) > 0, credit / np.maximum(f.languages_asked, 1), 1.0)


def _availability(f: PairFeatures, p: MatchingParams) -> np.ndarray:
    delay = np.asarray(f.available, dtype=np.int64) - np.asarray(f.start, dtype=np.int64)
    fading = np.maximum(0.0, 1.0 - delay / p.availability_grace_days)
    no_date = (np.asarray(f.available) == 0) | (np.asarray(f.start) == 0)
    return np.where(no_date | (delay <= 0), 1.0, fading)


def _salary(f: PairFeatures, p: MatchingParams) -> np.ndarray:
    expected, top = np.asarray(f.salary, dtype=np.float64), np.asarray(f.salary_top, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        fading = np.maximum(0.0, 1.0 - ((expected - top) / top) / p.salary_tolerance)
        within = expected <= top
    known = ~np.isnan(expected) & ~np.isnan(top) & np.asarray(f.same_currency)
    return np.where(known, np.where(within, 1.0, fading), p.unknown)


def factor_values(f: PairFeatures, params: MatchingParams, n: int) -> list[np.ndarray]:
    """The eight factors of ``n`` pairs, in :data:`params.FACTORS` order."""
    values = [
        occupation_values(params)[f.level],
        skill_values(f.core_covered, f.core_asked, f.other_covered, f.other_asked, params),
        _experience(f, params),
        _education(f, params),
        _languages(f),
        location_values(params)[f.location],
        _availability(f, params),
        _salary(f, params),
    ]
    return [np.broadcast_to(v, (n,)).astype(np.float64, copy=False) for v in values]


def weighted_sum(values: list[np.ndarray], weights: tuple[float, ...]) -> np.ndarray:
    """The score: factors times normalised weights, added in factor order, capped at 1
    against rounding."""
    total = np.zeros(len(values[0]))
    for weight, value in zip(weights, values):
        total += weight * value
    return np.minimum(total, 1.0)


def top(scores: np.ndarray, keep: np.ndarray, ids: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the ``limit`` best kept scores, best first, equal scores by ascending id.

    ``np.partition`` finds the cut-off score in linear time; only the pairs at or above it
    are sorted, and all of those tied at the cut-off are kept until the id decides.
    """
    kept = np.flatnonzero(keep)
    if limit <= 0 or not kept.size:
        return kept[:0]
    if kept.size > limit:
        cut = -np.partition(-scores[kept], limit - 1)[limit - 1]
        kept = kept[scores[kept] >= cut]
    order = np.lexsort((ids[kept], -scores[kept]))
    return kept[order[:limit]]
