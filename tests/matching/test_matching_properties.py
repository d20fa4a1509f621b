"""Property tests of the matching engine: filters never violated, scores in [0, 1],
deterministic tie-breaking, and the vectorised index ranking exactly as the row-by-row
score does (pure: no app fixture)."""
from __future__ import annotations

import math
import random

import pytest
from engine_strategies import ON, REGIONS, offers, seekers, small_reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.matching.engine import (FACTORS, MatchIndex, MatchingParams, OfferRecord, SearchOptions, SeekerOccupation,
                                 SeekerRecord, Weights, pairwise)

REF = small_reference()
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# prune_from=0 sends every query through the candidate passes and their bound; a huge value
# makes every query a full scan. Both must give the same answers.
PRUNING = pytest.mark.parametrize("prune_from", [0, 10**9])


def _index(people, posts, prune_from=10**9, params=None, **kw) -> MatchIndex:
    return MatchIndex.build(REF, people, posts, params, prune_from=prune_from, **kw)


def _obeys_filters(seeker, offer) -> bool:
    """The hard filters, written out again from the contract rather than reused."""
    if not (seeker.active and seeker.consented and offer.open):
        return False
    if offer.licence is not None and offer.licence not in seeker.licences:
        return False
    if offer.education_required and offer.education is not None:
        if seeker.education is None or seeker.education < offer.education:
            return False
    return all(seeker.languages.get(t.code, 0) >= t.level for t in offer.languages if t.required)


@PRUNING
@PROPERTY
@given(seekers(), offers(), st.integers(1, 12))
def test_offer_to_seekers_equals_row_by_row_score(prune_from, people, posts, limit):
    index = _index(people, posts, prune_from)
    options = SearchOptions(limit=limit, as_of=ON)
    for offer in posts:
        got = [(m.seeker_id, m.score) for m in index.rank_seekers(offer.id, options)]
        assert got == pairwise.rank_seekers(REF, people, offer, index.params, limit, ON)


@PROPERTY
@given(seekers(min_size=1), offers(), st.integers(1, 12))
def test_seeker_to_offers_equals_row_by_row_score(people, posts, limit):
    index = _index(people, posts)
    options = SearchOptions(limit=limit, as_of=ON)
    for seeker in people:
        got = [(m.offer_id, m.score) for m in index.rank_offers(seeker.id, options)]
        assert got == pairwise.rank_offers(REF, seeker, posts, index.params, limit, ON)


@PRUNING
@PROPERTY
@given(seekers(), offers())
def test_hard_filters_always_hold(prune_from, people, posts):
    index = _index(people, posts, prune_from)
    by_id = {s.id: s for s in people}
    for offer in posts:
        for match in index.rank_seekers(offer.id, SearchOptions(limit=50)):
            assert _obeys_filters(by_id[match.seeker_id], offer)
    offers_by_id = {o.id: o for o in posts}
    for seeker in people:
        for match in index.rank_offers(seeker.id, SearchOptions(limit=50)):
            assert _obeys_filters(seeker, offers_by_id[match.offer_id])


@PROPERTY
@given(seekers(), offers(), st.lists(st.floats(0, 5, allow_nan=False), min_size=8, max_size=8)
       .filter(lambda w: sum(w) > 0))
def test_scores_and_factors_lie_in_unit_interval(people, posts, raw_weights):
    params = MatchingParams(weights=Weights(**dict(zip(FACTORS, raw_weights))))
    index = _index(people, posts, params=params)
    for offer in posts:
        for match in index.rank_seekers(offer.id, SearchOptions(limit=50, as_of=ON)):
            assert 0.0 <= match.score <= 1.0
            assert [f.code for f in match.factors] == list(FACTORS)
            assert all(0.0 <= f.value <= 1.0 for f in match.factors)
            assert math.isclose(sum(f.weight for f in match.factors), 1.0)
            assert math.isclose(match.score, sum(f.contribution for f in match.factors), abs_tol=1e-12)


@PRUNING
@PROPERTY
@given(seekers(), offers())
def test_ties_are_broken_by_ascending_id(prune_from, people, posts):
    index = _index(people, posts, prune_from)
    for offer in posts:
        ranked = [(-m.score, m.seeker_id) for m in index.rank_seekers(offer.id, SearchOptions(limit=50))]
        assert ranked == sorted(ranked) and len(set(ranked)) == len(ranked)


@PROPERTY
@given(seekers(), offers(), st.randoms(use_true_random=False))
def test_same_inputs_give_the_same_ranking_whatever_the_order(people, posts, rnd):
    first = _index(people, posts)
    shuffled_people, shuffled_posts = people[:], posts[:]
    rnd.shuffle(shuffled_people)
    rnd.shuffle(shuffled_posts)
    second = _index(shuffled_people, shuffled_posts, delta_limit=3)
    for seeker in shuffled_people[:5]:  # some arrive one by one, through the delta
        second.upsert_seeker(seeker)
    for offer in posts:
        assert first.rank_seekers(offer.id) == second.rank_seekers(offer.id)
    for seeker in people:
        assert first.rank_offers(seeker.id) == second.rank_offers(seeker.id)


def test_identical_people_are_ordered_by_id():
    person = dict(region=1, skills=frozenset({"s011"}))
    people = [SeekerRecord(id=i, **person) for i in (42, 7, 19)]
    post = OfferRecord(id=1, fiche="F1703", region=1)
    ranked = _index(people, [post]).rank_seekers(1)
    assert [m.seeker_id for m in ranked] == [7, 19, 42]
    assert len({m.score for m in ranked}) == 1


@PRUNING
@PROPERTY
@given(seekers(), offers(), st.data())
def test_options_filter_like_the_row_by_row_score(prune_from, people, posts, data):
    regions = data.draw(st.none() | st.frozensets(st.sampled_from(REGIONS), min_size=1))
    exclude = data.draw(st.frozensets(st.sampled_from([s.id for s in people] or [0])))
    min_score = data.draw(st.sampled_from((0.0, 0.3, 0.6)))
    related = data.draw(st.booleans())
    options = SearchOptions(limit=10, min_score=min_score, include_related=related, regions=regions,
                            exclude=exclude, as_of=ON)
    index = _index(people, posts, prune_from)
    for offer in posts:
        kept = [s for s in people if s.id not in exclude and (regions is None or s.region in regions)
                and (related or any(o.fiche == offer.fiche and o.fiche in REF.index for o in s.occupations))]
        expected = [(i, s) for i, s in pairwise.rank_seekers(REF, kept, offer, index.params, 10 ** 6, ON)
                    if s >= min_score][:10]
        assert [(m.seeker_id, m.score) for m in index.rank_seekers(offer.id, options)] == expected


@PROPERTY
@given(seekers(min_size=1), offers(), st.sampled_from(("all", "national", "international")))
def test_scope_keeps_national_or_international_offers(people, posts, scope):
    index = _index(people, posts)
    by_id = {o.id: o for o in posts}
    for seeker in people:
        for match in index.rank_offers(seeker.id, SearchOptions(scope=scope)):
            international = by_id[match.offer_id].international
            assert scope == "all" or international == (scope == "international")


def test_records_outside_the_index_are_scored_too():
    people = [SeekerRecord(id=1, occupations=(SeekerOccupation("F1703", 3),), region=2)]
    draft = OfferRecord(id=99, fiche="F1703", region=2)
    index = _index(people, [])
    assert [(m.seeker_id, m.score) for m in index.rank_seekers(draft)] == pairwise.rank_seekers(
        REF, people, draft, index.params, 20)
    with pytest.raises(KeyError):
        index.rank_seekers(99)


def test_closed_offer_and_inactive_seeker_get_nothing():
    person = SeekerRecord(id=1, occupations=(SeekerOccupation("F1703", 3),))
    index = _index([person, SeekerRecord(id=2, active=False)],
                   [OfferRecord(id=5, fiche="F1703", open=False), OfferRecord(id=6, fiche="F1703")])
    assert index.rank_seekers(5) == []
    assert [m.offer_id for m in index.rank_offers(1)] == [6]
    assert index.rank_offers(2) == []
    assert [m.seeker_id for m in index.rank_seekers(6)] == [1]


def test_batch_ranks_every_open_offer_in_id_order():
    rnd = random.Random(3)
    people = [SeekerRecord(id=i, occupations=(SeekerOccupation(rnd.choice(["F1703", "F1702"]),
                                                                                 rnd.randint(0, 5)),))
              for i in range(1, 30)]
    posts = [OfferRecord(id=i, fiche="F1703", experience_years=2, open=i != 4) for i in (9, 4, 2)]
    index = _index(people, posts)
    batch = list(index.rank_all_offers(SearchOptions(limit=5)))
    assert [offer_id for offer_id, _ in batch] == [2, 9]
    assert all(matches == index.rank_seekers(offer_id, SearchOptions(limit=5)) for offer_id, matches in batch)
