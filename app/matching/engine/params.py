"""Weights and thresholds of the score: settings with defaults, validated on creation.

An administrator sets them per country; the adapter stores :meth:`MatchingParams.as_dict`
and rebuilds the dataclass with :meth:`MatchingParams.from_mapping`, which refuses
anything the score contract cannot honour (a negative or infinite weight, all weights
zero, a level outside [0, 1]). The index stores raw features only, so new settings apply to
the next query without a rebuild.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Mapping

__all__ = ["FACTORS", "MatchingParams", "Weights"]

#: The factors of the score, in the order results list them.
FACTORS = ("occupation", "skills", "experience", "education", "languages", "location", "availability",
           "salary")


def _finite_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return float(value)


@dataclass(frozen=True)
class Weights:
    """The weight of each factor. Only their ratios matter: :meth:`normalised` divides
    by the total so that a score stays in [0, 1]."""

    occupation: float = 0.30
    skills: float = 0.25
    experience: float = 0.10
    education: float = 0.08
    languages: float = 0.07
    location: float = 0.10
    availability: float = 0.05
    salary: float = 0.05

    def __post_init__(self) -> None:
        for f in fields(self):
            if _finite_number(f.name, getattr(self, f.name)) < 0:
                raise ValueError(f"the weight of {f.name} must not be negative")
        if not any(getattr(self, name) > 0 for name in FACTORS):
            raise ValueError("at least one weight must be above zero")

    def normalised(self) -> tuple[float, ...]:
        """Weights in :data:`FACTORS` order, summing to one."""
        values = [float(getattr(self, name)) for name in FACTORS]
        total = sum(values)
        return tuple(v / total for v in values)


@dataclass(frozen=True)
class MatchingParams:
    """Weights plus the levels inside each factor (see ``scoring.py`` for their use)."""

    weights: Weights = field(default_factory=Weights)
    # Occupation: the same fiche is 1; then, for the seeker's closest fiche:
    linked_fiche: float = 0.7  # a ROME mobility link from the seeker's fiche to the offer's
    same_domain: float = 0.5
    same_grand_domain: float = 0.25
    # Years worked in a fiche linked by mobility count for this share of years in the fiche.
    linked_experience: float = 0.5
    # Skills: the share of the factor given by the offer's core (required) skills.
    core_skills_share: float = 0.75
    # Education: what each ISCED level below the one asked costs.
    education_step: float = 0.25
    # Value of a factor that cannot be known (no region, no salary, another currency…).
    unknown: float = 0.5
    # Location of a national offer when not in the seeker's region.
    mobility_region: float = 0.8  # a region the seeker said they would move to
    other_region: float = 0.2
    # International offer: the seeker named that country (without a mobility dossier for it, which
    # counts 1), or only said they want to work abroad.
    country_wanted: float = 0.85
    abroad_interest: float = 0.6
    # Availability falls to 0 over this many days after the start date.
    availability_grace_days: int = 90
    # Salary falls to 0 when the expectation is this share above the offer's top.
    salary_tolerance: float = 0.5

    def __post_init__(self) -> None:
        if not isinstance(self.weights, Weights):
            raise ValueError("weights must be a Weights")
        for f in fields(self):
            if f.name != "weights":
                _finite_number(f.name, getattr(self, f.name))
        for name in ("linked_fiche", "same_domain", "same_grand_domain", "linked_experience",
                     "core_skills_share", "education_step", "unknown", "mobility_region", "other_region",
                     "country_wanted", "abroad_interest"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie between 0 and 1")
        if not self.linked_fiche >= self.same_domain >= self.same_grand_domain:
            # The occupation factor takes the closest relation; a looser one must not score higher.
            raise ValueError("occupation levels must not increase: linked ≥ domain ≥ grand domain")
        if self.availability_grace_days < 1 or self.salary_tolerance <= 0:
            raise ValueError("availability_grace_days and salary_tolerance must be positive")

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for storing the settings of a country."""
        return asdict(self)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> MatchingParams:
        """Settings from stored values; unknown keys are refused rather than ignored, so a
        misspelt setting cannot silently fall back to its default."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        weights = dict(data.get("weights") or {})
        unknown |= {f"weights.{k}" for k in set(weights) - set(FACTORS)}
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        values = {k: v for k, v in data.items() if k != "weights"}
        return cls(weights=Weights(**weights), **values)
