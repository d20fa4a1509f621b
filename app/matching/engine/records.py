"""What the engine knows about a job-seeker and an offer: plain, frozen records.

The ORM adapter fills them from the database; tests and the benchmark build them by hand.
Codes are the reference's own (fiche codes such as ``F1703``, skill codes, ISO 639-3
languages, driving licence categories, ISO 3166 countries). Levels and amounts arrive
already normalised, so that the engine never needs the application's vocabularies:

* education is an ISCED 2011 level as an integer, 0 to 8;
* a language level is a rank, 1 (basic) to 4 (mother tongue), as
  ``app.reference.vocab.LANGUAGE_LEVEL_RANK`` gives it;
* salaries are monthly amounts (:func:`monthly_amount` converts the other periods).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Mapping

__all__ = [
    "LanguageAsked", "OfferRecord", "SeekerOccupation", "SeekerRecord", "SkillAsked", "monthly_amount",
]

# Months are 52 weeks of 40 hours over 12 months, or 26 working days: the usual conversions
# of labour codes in the region for hourly and daily pay.
HOURS_PER_MONTH = 52 * 40 / 12
DAYS_PER_MONTH = 26


def monthly_amount(amount: float | None, period: str | None) -> float | None:
    """A salary per hour, day or month as a monthly amount; ``None`` when it cannot be
    compared (no amount, pay per task, an unknown period)."""
    if amount is None or amount <= 0:
        return None
    factor = {"month": 1.0, "day": DAYS_PER_MONTH, "hour": HOURS_PER_MONTH}.get(period or "month")
    return None if factor is None else float(amount) * factor


@dataclass(frozen=True, slots=True)
class SeekerOccupation:
    """One occupation a person seeks, with the years they have worked in it (``None``: not said)."""

    fiche: str
    years: int | None = None


@dataclass(frozen=True, slots=True)
class SeekerRecord:
    """A job-seeker as matching sees them.

    ``active`` is the adapter's reading of the status (active, not anonymised, not merged);
    ``consented`` is an unwithdrawn consent to be proposed to employers. ``available_from``
    ``None`` means available now.
    """

    id: int
    occupations: tuple[SeekerOccupation, ...] = ()
    skills: frozenset[str] = frozenset()
    languages: Mapping[str, int] = field(default_factory=dict)  # ISO 639-3 -> rank 1..4
    education: int | None = None
    licences: frozenset[str] = frozenset()
    region: int | None = None
    mobility_regions: frozenset[int] = frozenset()
    mobility_countries: frozenset[str] = frozenset()
    # Destinations of an open mobility dossier that went past its risk assessment: the person
    # is being prepared for that country, which counts more than a wish.
    dossier_countries: frozenset[str] = frozenset()
    abroad_interest: bool = False
    available_from: date | None = None
    salary: float | None = None  # expected, monthly
    currency: str | None = None
    active: bool = True
    consented: bool = True


@dataclass(frozen=True, slots=True)
class SkillAsked:
    """A skill an offer lists: required (a core skill of the post) or only desirable."""

    code: str
    required: bool = True


@dataclass(frozen=True, slots=True)
class LanguageAsked:
    """A language an offer lists: ``required`` makes it a hard filter at ``level``."""

    code: str
    level: int = 1
    required: bool = True


@dataclass(frozen=True, slots=True)
class OfferRecord:
    """An offer as matching sees it.

    ``open`` is the adapter's reading of the workflow (published, not past its closing
    date, positions left). ``licence`` and ``education`` with ``education_required`` are
    must-haves. A national offer has a ``region``; an international one a
    ``destination_country``. The salary range is monthly; either bound may be missing.
    """

    id: int
    fiche: str
    skills: tuple[SkillAsked, ...] = ()
    languages: tuple[LanguageAsked, ...] = ()
    education: int | None = None
    education_required: bool = False
    licence: str | None = None
    experience_years: int | None = None
    beginners_ok: bool = False
    region: int | None = None
    international: bool = False
    destination_country: str | None = None
    salary_min: float | None = None
    salary_max: float | None = None
    currency: str | None = None
    start_date: date | None = None
    open: bool = True

    @property
    def salary_top(self) -> float | None:
        """The most the offer pays a month: what an expectation is compared with."""
        top = self.salary_max if self.salary_max is not None else self.salary_min
        return top if top is not None and top > 0 else None

    def language_terms(self) -> tuple[dict[str, int], dict[str, int]]:
        """``(required, desirable)`` as language -> rank, one entry per language.

        A language listed twice counts once: as required if any listing requires it, at the
        highest level asked with that flag. Levels are brought within 1 to 4.
        """
        required: dict[str, int] = {}
        desirable: dict[str, int] = {}
        for term in self.languages:
            target = required if term.required else desirable
            target[term.code] = max(target.get(term.code, 1), min(max(term.level, 1), 4))
        for code in required:
            desirable.pop(code, None)
        return required, desirable

    def skill_terms(self) -> tuple[frozenset[str], frozenset[str]]:
        """``(required, desirable)`` skill codes as the offer lists them; a skill listed as
        both is required. Both are empty when the offer lists none (the fiche's lists then
        stand in for them, see :meth:`Reference.offer_skills`)."""
        required = frozenset(s.code for s in self.skills if s.required)
        return required, frozenset(s.code for s in self.skills if not s.required) - required
