"""Tests of the coder's fiche texts, junk filter and stage-2 re-ranker (no Flask app needed)."""

import csv
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from app.reference import coding
from app.reference.coding import (
    RERANKER_PATH, WEIGHTS, Entry, OccupationCoder, Reranker, entries_from_csv, stage2_feature_names, text_entries,
)

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "app" / "reference" / "data" / "rome3_2021_v460"
SHARED = Path("/work/shared/data")


@pytest.fixture(scope="module")
def coder() -> OccupationCoder:
    return OccupationCoder.build(entries_from_csv(DATA_DIR, texts=True))


SMALL = [
    Entry("F1703", "Maçon / Maçonne"),
    Entry("F1703", "Maçonnerie", kind="occupation"),
    Entry("G1602", "Cuisinier / Cuisinière"),
    Entry("G1602", "Personnel de cuisine", kind="occupation"),
]


# --------------------------------------------------------------------------- fiche texts
def test_text_entries_cover_fiche_and_sub_fiche_texts():
    texts = text_entries(DATA_DIR)
    assert texts and all(e.kind == "text" and e.lang == "fr" for e in texts)
    assert all("\n" not in e.text for e in texts)  # one entry per sentence
    with (DATA_DIR / "specialisation_texts.csv").open(encoding="utf-8", newline="") as fh:
        sub = list(csv.DictReader(fh))
    assert sub and {r["kind"] for r in sub} == {"definition", "access"}
    codes = {r["code"] for r in sub}
    parents = {r["occupation"] for r in sub}
    assert not codes & parents  # sub-fiches only: parents' texts come from occupations.csv
    # a sentence of a sub-fiche's definition is evidence for its v3 parent
    first = sub[0]["text"].split("\n")[0]
    assert Entry(sub[0]["occupation"], first, "fr", "text") in texts


def test_entries_from_csv_includes_texts_on_request():
    with_texts = entries_from_csv(DATA_DIR, texts=True)
    without = entries_from_csv(DATA_DIR)
    assert any(e.kind == "text" for e in with_texts)
    assert not any(e.kind == "text" for e in without)
    assert len(with_texts) - len(without) == len(text_entries(DATA_DIR))


def test_texts_are_evidence_never_the_match():
    entries = SMALL + [Entry("F1703", "Monte des murs en briques et en parpaings.", kind="text")]
    small = OccupationCoder.build(entries, texts=False, reranker=None)
    result = small.suggest("parpaing")
    assert result[0].code == "F1703"
    assert result[0].matched in {"Maçon / Maçonne", "Maçonnerie"}


def test_texts_are_added_automatically_when_none_are_given():
    auto = OccupationCoder.build(SMALL, reranker=None)
    bare = OccupationCoder.build(SMALL, texts=False, reranker=None)
    # "parpaing" is in no title, only in the shipped texts of F1703 (masonry)
    assert "parpaing" not in bare._word_id
    assert "parpaing" in auto._word_id
    assert auto.suggest("parpaings")[0].code == "F1703"


def test_application_and_benchmark_build_the_same_coder(coder):
    # the application passes no texts (its database has none): build() adds the shipped ones
    auto = OccupationCoder.build(entries_from_csv(DATA_DIR))
    queries = ["maçon", "vendeuse de tissu", "truck driver", "paludier", "chargé de cours"]
    assert [[(s.code, s.matched) for s in auto.suggest(q)] for q in queries] == \
        [[(s.code, s.matched) for s in coder.suggest(q)] for q in queries]


def test_shipped_texts_match_the_derivation_script(tmp_path):
    if not (SHARED / "rome" / "v4_60" / "unix_texte_v460_utf8.csv").exists():
        pytest.skip("shared open data not available")
    spec = importlib.util.spec_from_file_location("derive_coder_texts", ROOT / "scripts" / "derive_coder_texts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.derive(SHARED, tmp_path)
    assert (tmp_path / "specialisation_texts.csv").read_bytes() == (DATA_DIR / "specialisation_texts.csv").read_bytes()


# --------------------------------------------------------------------------- junk filter
@pytest.mark.parametrize("query", ["Paludier", "biscuitier", "Piroguière"])
def test_unknown_but_plausible_trade_names_get_suggestions(coder, query):
    # words in no reference text, but made of letter sequences the reference uses
    assert len(coder.suggest(query, limit=5)) == 5


@pytest.mark.parametrize("query", ["qsdfghjk", "zzxxqq", "asdf qwerty", "12345"])
def test_keyboard_mashing_is_still_junk(coder, query):
    assert coder.suggest(query) == []


# --------------------------------------------------------------------------- stage 2
def test_shipped_reranker_matches_the_coder():
    reranker = Reranker.load(RERANKER_PATH)
    assert reranker is not None, "run python -m bench.coding --fit-reranker"
    assert reranker.features == stage2_feature_names()
    assert reranker.compatible(WEIGHTS)
    assert len(reranker.models) == reranker.folds >= 2
    assert RERANKER_PATH.stat().st_size < 3_000_000  # the repository stays small


def test_coder_uses_the_reranker_by_default(coder):
    assert coder.reranker is not None
    assert OccupationCoder.build(SMALL, reranker=None).reranker is None


def test_incompatible_reranker_falls_back_to_stage1():
    other = {**WEIGHTS, "nb": WEIGHTS["nb"] + 1.0}
    assert OccupationCoder.build(SMALL, weights=other).reranker is None


def test_stage2_features_have_the_declared_shape(coder):
    s1, top, x, valid, best_entry = coder._stage2(["maçon", "qsdfghjk", "truck driver"])
    assert x.shape == (3, top.shape[1], len(stage2_feature_names()))
    assert np.isfinite(x).all()
    assert valid.tolist() == [True, False, True]
    # candidates come in stage-1 order
    for i in range(3):
        assert np.all(np.diff(s1[i, top[i]]) <= 1e-12)


def test_reranked_results_beyond_the_candidates_stay_sorted(coder):
    result = coder.suggest("boulanger", limit=60)
    assert len(result) == 60
    scores = [s.score for s in result]
    assert scores == sorted(scores, reverse=True)
    assert len({s.code for s in result}) == 60
    total = sum(s.score for s in coder.suggest("boulanger", limit=len(coder.codes)))
    assert 0.99 < total <= 1.0 + 1e-9


def test_single_fold_models_rank_like_the_ensemble_on_easy_titles(coder):
    for fold in range(coder.reranker.folds):
        assert coder._rank_batch(["maçon"], 1, models=[fold])[0][0].code == "F1703"


def test_trees_reproduce_scikit_learn():
    pytest.importorskip("sklearn")
    from sklearn.ensemble import HistGradientBoostingClassifier

    from bench.coding import export_trees

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 5))
    y = (x[:, 0] + x[:, 1] * x[:, 2] + 0.3 * rng.normal(size=3000)) > 0
    model = HistGradientBoostingClassifier(max_iter=20, max_depth=3, max_leaf_nodes=8, random_state=0,
                                           early_stopping=False).fit(x, y)
    trees = coding._Trees(export_trees(model, 3), 3)
    assert np.allclose(trees.predict(x), model.decision_function(x), atol=1e-5)
