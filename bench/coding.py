"""Benchmark of the occupation coder on held-out ROME job titles.

    python -m bench.coding [--json] [--seed N] [--seeds N ...]
    python -m bench.coding --fit                 # refit the stage-1 weights, print them
    python -m bench.coding --fit-reranker        # refit the stage-2 trees, write the JSON file

For each seed, a quarter of every fiche's titles (at least one for fiches with two or more) is
held out by title code. The coder is built without them, and without any other entry whose
normalised text equals one of their wordings (alternative and specialisation labels often repeat
a title verbatim, which would leak the answer). We then measure:

* French top-1 / top-5 on the held-out ``label_fr`` (and, separately, on their alt labels);
* English top-1 / top-5 on the first ``label_en`` variant of the held-out titles (when filled);
* latency of ``suggest()`` one title at a time on one core (median, p95), build time, memory;
* the same accuracies for stage 1 alone (no re-ranker) and for a plain baseline: character
  2-4-gram TF-IDF, fiche of the nearest title.

The stage-2 re-ranker (``app/reference/data/coder_reranker.json``) holds K models; model i was
fitted on held-out titles of the fit seeds (10-19, never the evaluation seeds) whose title code
falls outside fold i (``fold_of``). Here every held-out title is ranked by the model of its own
fold, i.e. by trees that never saw that title as a query, so the figures are those of unseen
titles. (The application averages the K models.) Nothing here hard-codes a result.
"""

from __future__ import annotations

import os

# One core, as in production workers: set before numpy/scipy load their BLAS.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import csv
import gc
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from app.reference import coding
from app.reference.coding import (
    RERANKER_PATH, WEIGHTS, Entry, OccupationCoder, entries_from_csv, normalise, stage2_feature_names,
)

DATA_DIR = Path(__file__).resolve().parents[1] / "app" / "reference" / "data" / "rome3_2021_v460"
HOLDOUT = 0.25
FIT_SEEDS = [10, 11, 12]  # stage-1 weights
RERANK_SEEDS = list(range(10, 20))  # stage-2 trees
FOLDS = 4
TREE_DEPTH = 6
TREE_PARAMS = {"max_iter": 150, "learning_rate": 0.1, "max_leaf_nodes": 2**TREE_DEPTH, "max_depth": TREE_DEPTH,
               "min_samples_leaf": 400, "l2_regularization": 1.0}
QUERY_SETS = ("fr", "fr_alt", "en")


def _variants(value: str) -> list[str]:
    return [v.strip() for v in (value or "").split(" | ") if v.strip()]


def fold_of(code: str, folds: int = FOLDS) -> int:
    """Fold of a title code (stable across runs and machines)."""
    return int(hashlib.md5(code.encode("utf-8")).hexdigest(), 16) % folds


def load_titles(data_dir: Path = DATA_DIR) -> list[dict[str, str]]:
    with (data_dir / "titles.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def split(titles: list[dict[str, str]], seed: int, frac: float = HOLDOUT) -> set[str]:
    """Held-out title codes: round(frac * n) of each fiche's n titles, at least 1 when n >= 2."""
    rng = np.random.default_rng(seed)
    by_fiche: dict[str, list[str]] = {}
    for t in titles:
        by_fiche.setdefault(t["occupation"], []).append(t["code"])
    held: set[str] = set()
    for fiche in sorted(by_fiche):
        codes = sorted(by_fiche[fiche])
        if len(codes) < 2:
            continue
        k = max(1, int(round(frac * len(codes))))
        held.update(codes[i] for i in rng.choice(len(codes), size=k, replace=False))
    return held


def make_split(titles, seed, data_dir=DATA_DIR):
    """Training entries and held-out queries ``(text, fiche, title code)`` for one seed."""
    held = split(titles, seed)
    held_rows = [t for t in titles if t["code"] in held]
    leak = set()
    for t in held_rows:
        for text in [t["label_fr"], *_variants(t.get("alt_labels_fr", "")), *_variants(t.get("label_en", ""))]:
            leak.add(normalise(text))
    entries = [e for e in entries_from_csv(data_dir, exclude_codes=held, texts=True) if normalise(e.text) not in leak]
    q_fr = [(t["label_fr"], t["occupation"], t["code"]) for t in held_rows]
    q_alt = [(a, t["occupation"], t["code"]) for t in held_rows for a in _variants(t.get("alt_labels_fr", ""))]
    q_en = [(_variants(t["label_en"])[0], t["occupation"], t["code"]) for t in held_rows
            if _variants(t.get("label_en", ""))]
    return entries, {"fr": q_fr, "fr_alt": q_alt, "en": q_en}


def accuracy(ranked: list[list[str]], gold: list[str]) -> dict[str, float]:
    n = len(gold)
    if not n:
        return {"n": 0, "top1": float("nan"), "top5": float("nan")}
    top1 = sum(bool(r) and r[0] == g for r, g in zip(ranked, gold)) / n
    top5 = sum(g in r[:5] for r, g in zip(ranked, gold)) / n
    return {"n": n, "top1": top1, "top5": top5}


class Baseline:
    """Plain char n-gram TF-IDF nearest-title matching (the reference point of the brief)."""

    def __init__(self, entries: list[Entry]):
        titles = [e for e in entries if e.kind == "title"]
        self.fiche = np.array([e.occupation for e in titles])
        self.vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=True, sublinear_tf=True)
        self.x = self.vec.fit_transform([e.text for e in titles])

    def rank(self, queries: list[str], k: int = 5) -> list[list[str]]:
        out = []
        for start in range(0, len(queries), 256):
            sims = (self.vec.transform(queries[start : start + 256]) @ self.x.T).toarray()
            for row in sims:
                ranked: list[str] = []
                for j in np.argsort(-row, kind="stable"):
                    if self.fiche[j] not in ranked:
                        ranked.append(self.fiche[j])
                        if len(ranked) == k:
                            break
                out.append(ranked)
        return out


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # not Linux
        return float("nan")


def rank_unseen(coder: OccupationCoder, qs: list[tuple[str, str, str]], limit: int = 5) -> list[list[str]]:
    """Codes ranked for each query, each title by the re-ranker model that never saw it."""
    out: list[list[str] | None] = [None] * len(qs)
    if coder.reranker is None:
        return [[s.code for s in r] for r in coder.suggest_many([q for q, _, _ in qs], limit=limit)]
    folds = coder.reranker.folds
    for fold in range(folds):
        idx = [i for i, (_, _, code) in enumerate(qs) if fold_of(code, folds) == fold]
        for start in range(0, len(idx), 128):
            part = idx[start : start + 128]
            res = coder._rank_batch([qs[i][0] for i in part], limit, models=[fold])
            for i, r in zip(part, res):
                out[i] = [s.code for s in r]
    return out  # type: ignore[return-value]


def run_seed(titles, seed: int, latency_n: int = 500) -> dict:
    entries, queries = make_split(titles, seed)
    gc.collect()
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    coder = OccupationCoder.build(entries)
    build_s = time.perf_counter() - t0
    mem_mb = _rss_mb() - rss0
    res: dict = {"seed": seed, "build_s": build_s, "mem_mb": mem_mb, "n_entries": len(entries),
                 "reranker": coder.reranker is not None}
    base = Baseline(entries)
    for name, qs in queries.items():
        texts, gold = [q for q, _, _ in qs], [g for _, g, _ in qs]
        res[name] = accuracy(rank_unseen(coder, qs), gold)
        stage1 = [[s.code for s in r] for start in range(0, len(texts), 128)
                  for r in coder._rank_batch(texts[start : start + 128], 5, stage1_only=True)]
        res["stage1_" + name] = accuracy(stage1, gold)
        res["baseline_" + name] = accuracy(base.rank(texts), gold)
    # latency, one query at a time, as the application runs it (all re-ranker models)
    sample = [q for q, _, _ in queries["fr"]][:latency_n]
    coder.suggest(sample[0])  # warm-up
    times = []
    for q in sample:
        t = time.perf_counter()
        coder.suggest(q)
        times.append((time.perf_counter() - t) * 1000)
    res["latency_ms_median"] = statistics.median(times)
    res["latency_ms_p95"] = float(np.percentile(times, 95))
    return res


def summarise(runs: list[dict]) -> dict:
    keys = [p + k for p in ("", "stage1_", "baseline_") for k in QUERY_SETS]
    out: dict = {"seeds": [r["seed"] for r in runs]}
    for k in keys:
        out[k] = {m: float(np.mean([r[k][m] for r in runs])) for m in ("n", "top1", "top5")}
    for k in ("build_s", "mem_mb", "latency_ms_median", "latency_ms_p95"):
        out[k] = float(np.mean([r[k] for r in runs]))
    out["reranker"] = all(r["reranker"] for r in runs)
    out["per_seed"] = runs
    return out


def print_table(s: dict) -> None:
    print(f"Occupation coder benchmark, seeds {s['seeds']} (mean), held-out {HOLDOUT:.0%} of each fiche's titles")
    if not s["reranker"]:
        print("(no stage-2 re-ranker loaded: coder = stage 1)")
    print(f"{'query set':<22}{'n':>7}{'coder top1':>12}{'coder top5':>12}{'stage1 top1':>13}{'stage1 top5':>13}"
          f"{'base top1':>11}{'base top5':>11}")
    labels = {"fr": "French label_fr", "fr_alt": "French alt labels", "en": "English label_en[0]"}
    for k, label in labels.items():
        c, s1, b = s[k], s["stage1_" + k], s["baseline_" + k]
        if not c["n"]:
            print(f"{label:<22}{0:>7}{'(no labels)':>12}")
            continue
        print(f"{label:<22}{c['n']:>7.0f}{c['top1']:>12.1%}{c['top5']:>12.1%}{s1['top1']:>13.1%}{s1['top5']:>13.1%}"
              f"{b['top1']:>11.1%}{b['top5']:>11.1%}")
    print(f"latency per title (suggest, 1 core): median {s['latency_ms_median']:.2f} ms, p95 {s['latency_ms_p95']:.2f} ms")
    print(f"build time {s['build_s']:.2f} s, memory (RSS growth at build) {s['mem_mb']:.0f} MB")
    for r in s["per_seed"]:
        print(f"  seed {r['seed']}: fr {r['fr']['top1']:.1%}/{r['fr']['top5']:.1%}"
              f"  fr_alt {r['fr_alt']['top1']:.1%}/{r['fr_alt']['top5']:.1%}"
              f"  en {r['en']['top1']:.1%}/{r['en']['top5']:.1%}"
              f"  stage1 fr {r['stage1_fr']['top1']:.1%}/{r['stage1_fr']['top5']:.1%}"
              f"  baseline fr {r['baseline_fr']['top1']:.1%}/{r['baseline_fr']['top5']:.1%}")


# ----------------------------------------------------------------------------- weight fitting
def fit_weights(titles, seeds: list[int], l2: float = 1e-3) -> dict[str, float]:
    """Conditional-logit fit of the stage-1 weights on held-out French and English titles."""
    from scipy.optimize import minimize

    names = list(WEIGHTS)
    blocks = []
    for seed in seeds:
        entries, queries = make_split(titles, seed)
        coder = OccupationCoder.build(entries, reranker=None)
        index = {c: i for i, c in enumerate(coder.codes)}
        for name in ("fr", "en"):
            qs = [(q, g) for q, g, _ in queries[name] if g in index]
            for start in range(0, len(qs), 256):
                part = qs[start : start + 256]
                f, _, _ = coder._features([q for q, _ in part])
                blocks.append((np.stack([f[n] for n in names], -1).astype(np.float64),
                               np.array([index[g] for _, g in part])))
    x = np.concatenate([b[0] for b in blocks])
    y = np.concatenate([b[1] for b in blocks])
    rows = np.arange(len(y))

    def loss(w):
        s = x @ w
        s -= s.max(1, keepdims=True)
        e = np.exp(s)
        z = e.sum(1)
        p = e / z[:, None]
        val = -(s[rows, y] - np.log(z)).mean() + l2 * w @ w
        grad = np.einsum("mc,mcd->d", p, x) / len(y) - x[rows, y].mean(0) + 2 * l2 * w
        return val, grad

    w0 = np.array([WEIGHTS[n] for n in names])
    w = minimize(loss, w0, jac=True, method="L-BFGS-B").x
    return {n: round(float(v), 3) for n, v in zip(names, w)}


def reranker_data(titles, seeds: list[int], verbose: bool = True):
    """Stage-2 candidate features of the held-out titles of ``seeds`` (stage-1 weights: WEIGHTS).

    Returns (x, label, fold): one row per (query, candidate) whose query has its fiche among the
    candidates; ``fold`` is the fold of the query's title code.
    """
    xs, labels, folds = [], [], []
    for seed in seeds:
        t0 = time.perf_counter()
        entries, queries = make_split(titles, seed)
        coder = OccupationCoder.build(entries, reranker=None)
        index = {c: i for i, c in enumerate(coder.codes)}
        for name in QUERY_SETS:
            qs = [(q, index[g], fold_of(code)) for q, g, code in queries[name] if g in index]
            for start in range(0, len(qs), 256):
                part = qs[start : start + 256]
                _, top, x, valid, _ = coder._stage2([q for q, _, _ in part])
                gold = np.array([g for _, g, _ in part])
                lab = (top == gold[:, None]) & valid[:, None]
                keep = lab.any(axis=1)
                xs.append(x[keep].reshape(-1, x.shape[2]).astype(np.float32))
                labels.append(lab[keep].reshape(-1))
                folds.append(np.repeat(np.array([f for _, _, f in part])[keep], top.shape[1]))
        if verbose:
            print(f"  seed {seed}: {sum(len(v) for v in queries.values())} queries, "
                  f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)
        del coder, entries
        gc.collect()
    return np.concatenate(xs), np.concatenate(labels), np.concatenate(folds)


def export_trees(model, depth: int) -> dict:
    """A fitted binary HistGradientBoostingClassifier as complete binary trees (coding._Trees).

    Leaves above the last level are pushed down (threshold +inf: always left), so every tree has
    2**depth - 1 split nodes and 2**depth leaves.
    """
    n_inner = 2**depth - 1
    features, thresholds, values = [], [], []
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        feat = np.zeros(n_inner, dtype=np.int64)
        thr = np.full(n_inner, np.inf)
        val = np.zeros(n_inner + 1)

        def fill(i: int, pos: int, level: int) -> None:
            node = nodes[i]
            if level == depth:
                if not node["is_leaf"]:
                    raise ValueError("tree deeper than its declared depth")
                val[pos - n_inner] = node["value"]
                return
            if node["is_leaf"]:
                fill(i, 2 * pos + 1, level + 1)
                fill(i, 2 * pos + 2, level + 1)
                return
            feat[pos], thr[pos] = node["feature_idx"], node["num_threshold"]
            fill(int(node["left"]), 2 * pos + 1, level + 1)
            fill(int(node["right"]), 2 * pos + 2, level + 1)

        fill(0, 0, 0)
        features.append(feat.tolist())
        # split points at full precision (they can equal feature values); inf (no split) as 1e300
        thresholds.append([float(t) if np.isfinite(t) else 1e300 for t in thr])
        values.append([round(float(v), 7) for v in val])
    return {"baseline": float(np.ravel(model._baseline_prediction)[0]), "feature": features,
            "threshold": thresholds, "value": values}


def fit_reranker(titles, seeds: list[int] = RERANK_SEEDS, folds: int = FOLDS, path: Path = RERANKER_PATH) -> dict:
    """Fit the K stage-2 models (model i without the titles of fold i) and write them to ``path``."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    x, y, fold = reranker_data(titles, seeds)
    models = []
    for i in range(folds):
        t0 = time.perf_counter()
        train = fold != i
        model = HistGradientBoostingClassifier(random_state=0, early_stopping=False, **TREE_PARAMS)
        model.fit(x[train], y[train])
        models.append(export_trees(model, TREE_DEPTH))
        print(f"  model {i}: {int(train.sum())} rows, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    spec = {
        "about": "Stage-2 re-ranker of app/reference/coding.py (gradient-boosted trees, complete binary "
                 "trees of depth 'depth'; node i has children 2i+1 (x[feature] <= threshold) and 2i+2). "
                 "Derived from the shipped reference CSVs by python -m bench.coding --fit-reranker.",
        "features": stage2_feature_names(),
        "candidates": coding._CANDIDATES,
        "depth": TREE_DEPTH,
        "folds": folds,
        "fold_rule": "md5(title code) mod folds; model i was fitted without the titles of fold i",
        "fit_seeds": seeds,
        "holdout": HOLDOUT,
        "query_sets": list(QUERY_SETS),
        "params": TREE_PARAMS,
        "stage1_weights": dict(WEIGHTS),
        "models": models,
    }
    with Path(path).open("w", encoding="utf-8") as fh:
        json.dump(spec, fh, separators=(",", ":"))
        fh.write("\n")
    return spec


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    ap.add_argument("--seed", type=int, help="run a single seed")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds to average (default 0 1 2)")
    ap.add_argument("--fit", action="store_true", help="refit the stage-1 weights on seeds 10 11 12 and print them")
    ap.add_argument("--fit-reranker", action="store_true",
                    help=f"refit the stage-2 trees on seeds {RERANK_SEEDS[0]}-{RERANK_SEEDS[-1]} and write "
                         f"{RERANKER_PATH.name} (needs scikit-learn; several minutes)")
    args = ap.parse_args(argv)
    titles = load_titles()
    if args.fit:
        print(json.dumps(fit_weights(titles, FIT_SEEDS), indent=1))
        return 0
    if args.fit_reranker:
        spec = fit_reranker(titles)
        print(f"wrote {RERANKER_PATH} ({len(spec['models'])} models)")
        return 0
    seeds = [args.seed] if args.seed is not None else args.seeds
    s = summarise([run_seed(titles, seed) for seed in seeds])
    s["label_en_filled"] = sum(bool(_variants(t.get("label_en", ""))) for t in titles)
    s["titles"] = len(titles)
    if args.json:
        print(json.dumps(s))
    else:
        print_table(s)
        print(f"label_en filled for {s['label_en_filled']} of {s['titles']} titles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
