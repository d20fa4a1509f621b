"""Orderings a counsellor finds obvious, on the shipped reference: each case changes one
thing between people who are otherwise alike."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from app.matching.engine import (LanguageAsked, MatchIndex, OfferRecord, Reference, SearchOptions, SeekerOccupation,
                                 SeekerRecord, SkillAsked)

DATA_DIR = Path(__file__).resolve().parents[2] / "app" / "reference" / "data" / "rome3_2021_v460"
REF = Reference.from_csv(DATA_DIR)
MASONRY = "F1703"
# Tiling (F16) has a ROME mobility link to masonry; concrete-site preparation shares its
# domain F17 without a link; building electricity only its grand domain F; joinery nothing.
LINKED, SAME_DOMAIN, SAME_GRAND_DOMAIN, UNRELATED = "F1608", "F1704", "F1602", "H2206"
CORE, OTHER = (sorted(part) for part in REF.fiche_skill_lists(MASONRY))
ON = date(2025, 3, 1)


def test_the_fiches_of_these_cases_relate_as_described():
    levels = [REF.relation(MASONRY, f) for f in (MASONRY, LINKED, SAME_DOMAIN, SAME_GRAND_DOMAIN, UNRELATED)]
    assert levels == [4, 3, 2, 1, 0]
    assert len(CORE) >= 5 and OTHER


def _person(seeker_id: int, fiche: str = MASONRY, years: int | None = 4, **kw) -> SeekerRecord:
    base = dict(occupations=(SeekerOccupation(fiche, years),), skills=frozenset(CORE), languages={"fra": 3},
                education=3, region=1)
    return SeekerRecord(id=seeker_id, **{**base, **kw})


OFFER = OfferRecord(id=1, fiche=MASONRY, skills=tuple(SkillAsked(c) for c in CORE), experience_years=2,
                    region=1, education=2)


def _ranked(people: list[SeekerRecord], offer: OfferRecord = OFFER, **options) -> list[int]:
    index = MatchIndex.build(REF, people, [offer])
    return [m.seeker_id for m in index.rank_seekers(offer.id, SearchOptions(as_of=ON, **options))]


def test_same_fiche_with_all_core_skills_ranks_above_related_fiches():
    people = [_person(5, UNRELATED), _person(4, SAME_GRAND_DOMAIN), _person(3, SAME_DOMAIN), _person(2, LINKED),
              _person(1, MASONRY)]
    assert _ranked(people) == [1, 2, 3, 4, 5]
    index = MatchIndex.build(REF, people, [OFFER])
    reasons = [m.factor("occupation").reason for m in index.rank_seekers(1)]
    assert reasons == ["same", "linked", "domain", "grand_domain", "none"]


def test_a_related_fiche_does_not_catch_up_with_more_years():
    assert _ranked([_person(2, LINKED, years=15), _person(1, MASONRY, years=2)]) == [1, 2]


def test_missing_core_skills_rank_lower_and_are_listed_core_first():
    people = [_person(1), _person(2, skills=frozenset(CORE[:-2])), _person(3, skills=frozenset())]
    assert _ranked(people) == [1, 2, 3]
    offer = replace(OFFER, skills=(SkillAsked(CORE[0]), SkillAsked(CORE[1]), SkillAsked(OTHER[0], required=False)))
    match = MatchIndex.build(REF, [_person(9, skills=frozenset({CORE[1]}))], [offer]).rank_seekers(1)[0]
    assert match.missing_skills == (CORE[0], OTHER[0])
    assert match.factor("skills").details == {"core_covered": 1, "core_asked": 2, "other_covered": 0,
                                              "other_asked": 1}


def test_an_offer_listing_no_skills_is_matched_on_its_fiche_lists():
    offer = replace(OFFER, skills=())
    people = [_person(2, skills=frozenset(CORE[:2])), _person(1, skills=frozenset(CORE + OTHER[:3]))]
    index = MatchIndex.build(REF, people, [offer])
    first = index.rank_seekers(1)[0]
    assert first.seeker_id == 1
    assert first.factor("skills").details["core_asked"] == len(CORE)
    assert len(first.missing_skills) == len(OTHER) - 3


def test_missing_experience_ranks_lower():
    people = [_person(3, years=None), _person(2, years=1), _person(1, years=2)]
    assert _ranked(people) == [1, 2, 3]
    # Beginners welcome: experience no longer separates them, and the id breaks the tie.
    assert _ranked(people, replace(OFFER, beginners_ok=True)) == [1, 2, 3]
    index = MatchIndex.build(REF, people, [replace(OFFER, beginners_ok=True)])
    assert len({m.score for m in index.rank_seekers(1)}) == 1


def test_a_missing_language_ranks_lower_and_a_required_one_excludes():
    offer = replace(OFFER, languages=(LanguageAsked("eng", 2, required=False), LanguageAsked("fra", 3)))
    people = [_person(4, languages={"fra": 2, "eng": 3}), _person(3, languages={"fra": 3}),
              _person(2, languages={"fra": 3, "eng": 1}), _person(1, languages={"fra": 4, "eng": 2})]
    assert _ranked(people, offer) == [1, 2, 3]  # 4 does not speak French well enough


def test_place_same_region_then_stated_mobility_then_unknown_then_elsewhere():
    people = [_person(4, region=2), _person(3, region=None), _person(2, region=3, mobility_regions=frozenset({1})),
              _person(1, region=1)]
    assert _ranked(people) == [1, 2, 3, 4]


def test_abroad_the_wished_country_first_then_any_interest():
    offer = replace(OFFER, region=None, international=True, destination_country="ES")
    people = [_person(3), _person(2, abroad_interest=True),
              _person(1, mobility_countries=frozenset({"ES"}), abroad_interest=True)]
    assert _ranked(people, offer) == [1, 2, 3]


def test_abroad_a_mobility_dossier_for_the_country_before_a_wish():
    offer = replace(OFFER, region=None, international=True, destination_country="ES")
    people = [_person(3, abroad_interest=True), _person(2, mobility_countries=frozenset({"ES"})),
              _person(1, mobility_countries=frozenset({"ES"}), dossier_countries=frozenset({"ES"})),
              _person(4, dossier_countries=frozenset({"FR"}), abroad_interest=True)]
    assert _ranked(people, offer)[:2] == [1, 2]
    assert set(_ranked(people, offer)[2:]) == {3, 4}


def test_availability_by_the_start_date_first():
    offer = replace(OFFER, start_date=date(2025, 4, 1))
    people = [_person(3, available_from=date(2025, 9, 1)), _person(2, available_from=date(2025, 5, 1)),
              _person(1, available_from=date(2025, 3, 15))]
    assert _ranked(people, offer) == [1, 2, 3]


def test_salary_within_the_range_first_and_other_currencies_neutral():
    offer = replace(OFFER, salary_min=80_000, salary_max=100_000, currency="XOF")
    people = [_person(4, salary=200_000, currency="XOF"), _person(3, salary=90_000, currency="EUR"),
              _person(2, salary=120_000, currency="XOF"), _person(1, salary=95_000, currency="XOF")]
    assert _ranked(people, offer) == [1, 2, 3, 4]


def test_education_below_the_level_asked_ranks_lower_or_excludes_when_required():
    people = [_person(3, education=None), _person(2, education=1), _person(1, education=6)]
    assert _ranked(people) == [1, 2, 3]
    assert _ranked(people, replace(OFFER, education_required=True)) == [1]


def test_a_required_driving_licence_excludes_those_without():
    offer = replace(OFFER, licence="C")
    assert _ranked([_person(1), _person(2, licences=frozenset({"B", "C"}))], offer) == [2]


def test_inactive_or_unconsenting_people_are_never_proposed():
    people = [_person(1, active=False), _person(2, consented=False), _person(3)]
    assert _ranked(people) == [3]


@pytest.mark.parametrize("related, expected", [(True, [1, 2]), (False, [1])])
def test_related_fiches_can_be_left_out(related, expected):
    assert _ranked([_person(2, LINKED), _person(1)], include_related=related) == expected


def test_a_seeker_sees_offers_of_their_fiche_before_related_ones():
    person = _person(1)
    posts = [replace(OFFER, id=3, fiche=UNRELATED), replace(OFFER, id=2, fiche=LINKED), replace(OFFER, id=7)]
    index = MatchIndex.build(REF, [person], posts)
    assert [m.offer_id for m in index.rank_offers(1)] == [7, 2, 3]
    assert [m.offer_id for m in index.rank_offers(1, SearchOptions(include_related=False))] == [7]
    assert [m.offer_id for m in index.rank_offers(1, SearchOptions(exclude=frozenset({7})))] == [2, 3]
