"""The coder benchmark's protocol: honest splits, folds and per-fold ranking (bench/coding.py)."""

from collections import Counter

import pytest

from app.reference.coding import OccupationCoder, normalise
from bench import coding as bench


@pytest.fixture(scope="module")
def titles():
    return bench.load_titles()


@pytest.fixture(scope="module")
def split_1(titles):
    return bench.make_split(titles, 1)


def test_split_is_deterministic_and_a_quarter_per_fiche(titles):
    held = bench.split(titles, 1)
    assert held == bench.split(titles, 1) != bench.split(titles, 2)
    by_fiche = Counter(t["occupation"] for t in titles)
    held_by_fiche = Counter(t["occupation"] for t in titles if t["code"] in held)
    for fiche, n in by_fiche.items():
        expected = 0 if n < 2 else max(1, round(0.25 * n))
        assert held_by_fiche[fiche] == expected


def test_no_entry_repeats_a_held_out_wording(titles, split_1):
    entries, queries = split_1
    held = bench.split(titles, 1)
    wordings = {normalise(w) for t in titles if t["code"] in held
                for w in [t["label_fr"], *bench._variants(t["alt_labels_fr"]), *bench._variants(t["label_en"])]}
    assert not any(normalise(e.text) in wordings for e in entries)
    assert any(e.kind == "text" for e in entries)  # the fiche texts go through the same filter
    assert {code for _, _, code in queries["fr"]} == held
    assert len(queries["en"]) == len(queries["fr"])


def test_folds_are_stable_and_balanced(titles):
    folds = Counter(bench.fold_of(t["code"]) for t in titles)
    assert set(folds) == set(range(bench.FOLDS))
    assert min(folds.values()) > 0.2 * len(titles)
    assert bench.fold_of("12862") == bench.fold_of("12862")


def test_unseen_ranking_uses_the_model_of_each_titles_fold(split_1):
    entries, queries = split_1
    coder = OccupationCoder.build(entries)
    assert coder.reranker is not None and coder.reranker.folds == bench.FOLDS
    sample = queries["fr"][:40]
    ranked = bench.rank_unseen(coder, sample, limit=3)
    for (text, _, code), codes in zip(sample, ranked):
        expected = coder._rank_batch([text], 3, models=[bench.fold_of(code)])[0]
        assert codes == [s.code for s in expected]
