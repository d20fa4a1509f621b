"""Incremental updates: an index kept up to date one change at a time answers exactly as an
index rebuilt from the final records, whether the changes still sit in the delta or were
merged into the base."""
from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest
from engine_strategies import ON, offer_bodies, seeker_bodies, small_reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.matching import synthetic
from app.matching.engine import MatchIndex, OfferRecord, Reference, SearchOptions, SeekerRecord, pairwise

DATA_DIR = Path(__file__).resolve().parents[2] / "app" / "reference" / "data" / "rome3_2021_v460"
OPTIONS = SearchOptions(limit=15, as_of=ON)


@pytest.fixture(scope="module")
def ref() -> Reference:
    return Reference.from_csv(DATA_DIR)


def _edit(register: synthetic.Register, seekers: dict, offers: dict, rnd: random.Random, index: MatchIndex) -> None:
    """One change at the counter, applied to both the records and the index."""
    kind = rnd.random()
    if kind < 0.5:
        person = seekers[rnd.choice(sorted(seekers))]
        seekers[person.id] = synthetic.perturb(register, person, rnd.randrange(10**6))
        index.upsert_seeker(seekers[person.id])
    elif kind < 0.6:
        victim = rnd.choice(sorted(seekers))
        del seekers[victim]
        index.remove_seeker(victim)
    elif kind < 0.75:
        new_id = max(seekers) + 1
        template = seekers[rnd.choice(sorted(seekers))]
        seekers[new_id] = replace(template, id=new_id, skills=frozenset(list(template.skills)[:2]))
        index.upsert_seeker(seekers[new_id])
    elif kind < 0.9:
        offer = offers[rnd.choice(sorted(offers))]
        offers[offer.id] = replace(offer, open=not offer.open, experience_years=rnd.randint(0, 4))
        index.upsert_offer(offers[offer.id])
    else:
        victim = rnd.choice(sorted(offers))
        del offers[victim]
        index.remove_offer(victim)


@pytest.mark.parametrize("changes, delta_limit", [(40, 10_000), (400, 25)])
def test_incremental_updates_give_the_same_results_as_a_rebuild(ref, changes, delta_limit):
    register = synthetic.generate(ref, 3000, 150, seed=7)
    index = MatchIndex.build(ref, register.seekers, register.offers, delta_limit=delta_limit, prune_from=500)
    seekers = {s.id: s for s in register.seekers}
    offers = {o.id: o for o in register.offers}
    rnd = random.Random(changes)
    for _ in range(changes):
        _edit(register, seekers, offers, rnd, index)
    merged = index.seekers.base.ids.max() > 3000  # people added since the load are in the base
    assert merged == (delta_limit < changes) and len(index.seekers.pending) <= delta_limit
    rebuilt = MatchIndex.build(ref, seekers.values(), offers.values(), prune_from=500)
    assert len(index.seekers) == len(rebuilt.seekers) == len(seekers)
    assert list(index.rank_all_offers(OPTIONS)) == list(rebuilt.rank_all_offers(OPTIONS))
    for seeker_id in rnd.sample(sorted(seekers), 60):
        assert index.rank_offers(seeker_id, OPTIONS) == rebuilt.rank_offers(seeker_id, OPTIONS)
    for offer_id in rnd.sample(sorted(offers), 10):
        expected = pairwise.rank_seekers(ref, seekers.values(), offers[offer_id], index.params, 15, ON)
        assert [(m.seeker_id, m.score) for m in index.rank_seekers(offer_id, OPTIONS)] == expected


def test_a_removed_or_changed_record_is_not_found_under_its_old_version(ref):
    person = SeekerRecord(1, (synthetic.SeekerOccupation("F1703", 3),), region=1)
    offer = OfferRecord(10, "F1703", region=1)
    index = MatchIndex.build(ref, [person], [offer])
    index.upsert_seeker(replace(person, active=False))
    assert index.rank_seekers(10) == []
    index.upsert_seeker(person)
    index.seekers.compact()
    assert [m.seeker_id for m in index.rank_seekers(10)] == [1]
    index.remove_seeker(1)
    index.remove_offer(10)
    assert index.rank_offers(person) == []
    with pytest.raises(KeyError):
        index.rank_seekers(10)


def test_duplicate_ids_are_refused_at_load(ref):
    person = SeekerRecord(1)
    with pytest.raises(ValueError, match="duplicate"):
        MatchIndex.build(ref, [person, person], [])


_operations = st.lists(st.tuples(st.sampled_from(("seeker", "offer")), st.integers(1, 12),
                                 st.none() | st.booleans()), max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(seeker_bodies(), min_size=12, max_size=12), st.lists(offer_bodies(), min_size=12, max_size=12),
       _operations, st.integers(1, 6))
def test_any_sequence_of_changes_matches_the_row_by_row_score(people, posts, operations, delta_limit):
    """Records with ids 1..12 come and go (``None``: removed, else a new version from the
    pools); after each step the index still ranks as the row-by-row score does."""
    ref = small_reference()
    index = MatchIndex(ref, delta_limit=delta_limit, prune_from=0)
    seekers: dict[int, SeekerRecord] = {}
    offers: dict[int, OfferRecord] = {}
    for kind, record_id, version in operations:
        pool, store, records, build = ((people, index.seekers, seekers, SeekerRecord) if kind == "seeker"
                                       else (posts, index.offers, offers, OfferRecord))
        if version is None:
            store.remove(record_id)
            records.pop(record_id, None)
        else:
            records[record_id] = build(id=record_id, **pool[(record_id + version) % len(pool)])
            store.upsert(records[record_id])
    for offer in offers.values():
        got = [(m.seeker_id, m.score) for m in index.rank_seekers(offer.id, OPTIONS)]
        assert got == pairwise.rank_seekers(ref, seekers.values(), offer, index.params, 15, ON)
    for seeker in seekers.values():
        got = [(m.offer_id, m.score) for m in index.rank_offers(seeker.id, OPTIONS)]
        assert got == pairwise.rank_offers(ref, seeker, offers.values(), index.params, 15, ON)
