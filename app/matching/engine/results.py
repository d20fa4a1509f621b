"""Ranked results: the score, every factor with its weight, the reason behind its value and
the skills the seeker lacks.

A :class:`Factor`'s ``reason`` is a stable code (``occupation``/``linked``, ``salary``/``above``…)
and its ``details`` plain values (counts, years, codes), so that the web layer can word a
sentence in the counsellor's language and the engine's own :func:`explain.explain` can too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from .blocks import Vocabularies
from .features import LOCATIONS
from .params import FACTORS
from .reference import LEVELS, Reference

__all__ = ["Factor", "Match", "describe"]


@dataclass(frozen=True)
class Factor:
    """One factor of a score: its value in [0, 1], its normalised weight and why."""

    code: str
    value: float
    weight: float
    reason: str
    details: Mapping[str, Any]

    @property
    def contribution(self) -> float:
        return self.value * self.weight


@dataclass(frozen=True)
class Match:
    """A seeker-offer pair that passed the hard filters, with its score and reasons."""

    seeker_id: int
    offer_id: int
    score: float
    factors: tuple[Factor, ...]
    missing_skills: tuple[str, ...]  # the offer's core skills first, then its others

    def factor(self, code: str) -> Factor:
        return self.factors[FACTORS.index(code)]


def _whole(years: float) -> float | int:
    return int(years) if float(years).is_integer() else years


def _occupation(f: dict[str, Any], ref: Reference, offer_fiche: int,
                seeker_fiches: np.ndarray) -> tuple[str, dict[str, Any]]:
    """The level, the seeker's fiche that reaches it (the first in code order) and the offer's."""
    fiche = None
    if f["level"] and seeker_fiches.size:
        fiche = ref.fiches[int(seeker_fiches[ref.levels_to(offer_fiche)[seeker_fiches].argmax()])]
    return LEVELS[f["level"]], {"fiche": fiche, "offer_fiche": ref.fiches[offer_fiche] if offer_fiche < ref.size
                                else None}


def _skills(f: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    details = {k: f[k] for k in ("core_covered", "core_asked", "other_covered", "other_asked")}
    return ("coverage" if f["core_asked"] or f["other_asked"] else "not_asked"), details


def _experience(f: dict[str, Any], linked_share: float) -> tuple[str, dict[str, Any]]:
    years = max(f["years_same"], f["years_linked"] * linked_share)
    details = {"years": _whole(years), "asked": f["experience_asked"]}
    if f["beginners"]:
        return "beginners", details
    if f["experience_asked"] <= 0:
        return "not_asked", details
    return ("enough" if years >= f["experience_asked"] else "short"), details


def _education(f: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    level, asked = f["education"], f["education_asked"]
    details = {"level": None if level < 0 else level, "asked": None if asked < 0 else asked}
    if asked < 0:
        return "not_asked", details
    if level < 0:
        return "unknown", details
    return ("enough" if level >= asked else "below"), details


def _languages(f: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    details = {"full": f["languages_full"], "partial": f["languages_partial"], "asked": f["languages_asked"]}
    return ("coverage" if f["languages_asked"] else "not_asked"), details


def _availability(f: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if f["available"] == 0:
        return "now", {"days_late": 0}
    if f["start"] == 0:
        return "no_date", {"days_late": 0}
    late = f["available"] - f["start"]
    return ("late" if late > 0 else "ready"), {"days_late": max(late, 0)}


def _salary(f: dict[str, Any], currency: str | None) -> tuple[str, dict[str, Any]]:
    expected, top = f["salary"], f["salary_top"]
    details = {"expected": None if expected != expected else expected, "top": None if top != top else top,
               "currency": currency}
    if details["expected"] is None or details["top"] is None:
        return "unknown", details
    if not f["same_currency"]:
        return "other_currency", details
    return ("within" if expected <= top else "above"), details


def describe(features: dict[str, Any], values: list[float], weights: tuple[float, ...], ref: Reference,
             vocab: Vocabularies, offer: Mapping[str, int], seeker_fiches: np.ndarray,
             linked_share: float) -> tuple[Factor, ...]:
    """Every factor of one pair, from its plain features (``PairFeatures.records``) and values.

    ``offer`` gives the offer's ``fiche``, ``region``, ``destination`` and ``currency``
    indices, which name the place and currency in the details; ``seeker_fiches`` the
    seeker's fiche indices, to name the one that matched.
    """
    currency = vocab.currencies.codes[offer["currency"]] if offer["currency"] >= 0 else None
    location = LOCATIONS[features["location"]]
    place = ({"country": vocab.countries.codes[offer["destination"]] if offer["destination"] >= 0 else None}
             if location in ("dossier", "country_wanted", "abroad_interest", "not_abroad") else
             {"region": vocab.regions.codes[offer["region"]] if offer["region"] >= 0 else None})
    reasons = [
        _occupation(features, ref, offer["fiche"], seeker_fiches),
        _skills(features),
        _experience(features, linked_share),
        _education(features),
        _languages(features),
        (location, place),
        _availability(features),
        _salary(features, currency),
    ]
    return tuple(Factor(code, float(value), weight, reason, details)
                 for code, value, weight, (reason, details) in zip(FACTORS, values, weights, reasons))
