"""A small reference and hypothesis strategies for seekers and offers, shared by the
matching engine tests.

Values are drawn from small sets on purpose: many pairs then tie, regions and languages
collide, and the filters both pass and fail, which is where ranking bugs hide.
"""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

from app.matching.engine import (LanguageAsked, OfferRecord, Reference, SeekerOccupation, SeekerRecord,
                                 SkillAsked)

# Two grand domains (A, F), four domains; F1702 and F1801 move to F1703, A1101 to F1701.
FICHES = {"A1101": "A11", "A1201": "A12", "A1202": "A12", "F1701": "F17", "F1702": "F17", "F1703": "F17",
          "F1801": "F18", "N4101": "N41"}
LINKS = [("F1702", "F1703"), ("F1801", "F1703"), ("A1101", "F1701"), ("F1703", "F1702")]
SKILLS = [(fiche, f"s{fiche[-2:]}{k}", k < 3) for fiche in FICHES for k in range(5)]
SKILLS += [("F1702", "s033", False), ("F1801", "s031", True), ("F1701", "s010", False)]  # shared skills
ON = date(2025, 1, 1)

LANGUAGES = ("fra", "eng", "wol")
LICENCES = ("B", "C")
REGIONS = (1, 2, 3)
COUNTRIES = ("FR", "ES")
ALL_SKILLS = sorted({code for _, code, _ in SKILLS}) + ["zz-free"]


def small_reference() -> Reference:
    return Reference.build(FICHES.items(), SKILLS, LINKS)


def _subset(values, max_size: int | None = None):
    return st.frozensets(st.sampled_from(values), max_size=max_size)


_dates = st.none() | st.integers(-30, 150).map(lambda d: ON + timedelta(days=d))
_money = st.none() | st.sampled_from((40_000.0, 60_000.0, 90_000.0, 150_000.0))
_currency = st.sampled_from(("XOF", "XOF", "XOF", "EUR", None))
_fiche = st.sampled_from(sorted(FICHES) + ["X9999"])


@st.composite
def seeker_bodies(draw) -> dict:
    """Everything of a seeker but the id."""
    return dict(
        occupations=tuple(draw(st.lists(st.builds(SeekerOccupation, _fiche, st.none() | st.integers(0, 12)),
                                        max_size=3))),
        skills=draw(_subset(ALL_SKILLS, 8)),
        languages=draw(st.dictionaries(st.sampled_from(LANGUAGES), st.integers(1, 4), max_size=3)),
        education=draw(st.none() | st.integers(0, 8)),
        licences=draw(_subset(LICENCES)),
        region=draw(st.none() | st.sampled_from(REGIONS)),
        mobility_regions=draw(_subset(REGIONS)),
        mobility_countries=draw(_subset(COUNTRIES)),
        dossier_countries=draw(_subset(COUNTRIES)),
        abroad_interest=draw(st.booleans()),
        available_from=draw(_dates),
        salary=draw(_money),
        currency=draw(_currency),
        active=draw(st.booleans() | st.just(True)),
        consented=draw(st.booleans() | st.just(True)),
    )


@st.composite
def offer_bodies(draw) -> dict:
    """Everything of an offer but the id."""
    international = draw(st.booleans())
    low = draw(_money)
    spread = draw(st.none() | st.sampled_from((1.0, 1.5)))
    return dict(
        fiche=draw(_fiche),
        skills=tuple(draw(st.lists(st.builds(SkillAsked, st.sampled_from(ALL_SKILLS), st.booleans()), max_size=5))),
        languages=tuple(draw(st.lists(st.builds(LanguageAsked, st.sampled_from(LANGUAGES), st.integers(1, 4),
                                                st.booleans()), max_size=2))),
        education=draw(st.none() | st.integers(0, 8)),
        education_required=draw(st.booleans()),
        licence=draw(st.none() | st.sampled_from(LICENCES)),
        experience_years=draw(st.none() | st.integers(0, 5)),
        beginners_ok=draw(st.booleans()),
        region=None if international else draw(st.none() | st.sampled_from(REGIONS)),
        international=international,
        destination_country=draw(st.sampled_from(COUNTRIES + ("MA",))) if international else None,
        salary_min=low,
        salary_max=low * spread if low and spread else None,
        currency=draw(_currency),
        start_date=draw(_dates),
        open=draw(st.booleans() | st.just(True)),
    )


def _with_ids(kind, bodies_strategy, min_size: int, max_size: int):
    @st.composite
    def build(draw):
        bodies = draw(st.lists(bodies_strategy(), min_size=min_size, max_size=max_size))
        ids = draw(st.lists(st.integers(1, 10_000), min_size=len(bodies), max_size=len(bodies), unique=True))
        return [kind(id=i, **body) for i, body in zip(ids, bodies)]
    return build()


def seekers(min_size: int = 0, max_size: int = 25):
    return _with_ids(SeekerRecord, seeker_bodies, min_size, max_size)


def offers(min_size: int = 1, max_size: int = 8):
    return _with_ids(OfferRecord, offer_bodies, min_size, max_size)
