"""Benchmark of the occupation coder on held-out ROME job titles.

    python -m bench.coding [--json] [--seed N] [--seeds N ...] [--fit]

For each seed, a quarter of every fiche's titles (at least one for fiches with two or more) is
held out by title code. The coder is built without them, and without any other entry whose
normalised text equals one of their wordings (alternative and specialisation labels often repeat
a title verbatim, which would leak the answer). We then measure:

* French top-1 / top-5 on the held-out ``label_fr`` (and, separately, on their alt labels);
* English top-1 / top-5 on the first ``label_en`` variant of the held-out titles (when filled);
* latency of ``suggest()`` one title at a time on one core (median, p95), build time, memory;
* the same accuracies for a plain baseline: character 2-4-gram TF-IDF, fiche of the nearest title.

``--fit`` refits the coder's signal weights (a softmax ranker over the per-fiche signals) on the
held-out titles of separate seeds and prints them; paste them into ``WEIGHTS`` in
``app/reference/coding.py``. Nothing here hard-codes a result.
"""

from __future__ import annotations

import os

# One core, as in production workers: set before numpy/scipy load their BLAS.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from app.reference.coding import WEIGHTS, Entry, OccupationCoder, entries_from_csv, normalise

DATA_DIR = Path(__file__).resolve().parents[1] / "app" / "reference" / "data" / "rome3_2021_v460"
HOLDOUT = 0.25


def _variants(value: str) -> list[str]:
    return [v.strip() for v in (value or "").split(" | ") if v.strip()]


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
    """Training entries and held-out queries for one seed."""
    held = split(titles, seed)
    held_rows = [t for t in titles if t["code"] in held]
    leak = set()
    for t in held_rows:
        for text in [t["label_fr"], *_variants(t.get("alt_labels_fr", "")), *_variants(t.get("label_en", ""))]:
            leak.add(normalise(text))
    entries = [e for e in entries_from_csv(data_dir, exclude_codes=held) if normalise(e.text) not in leak]
    q_fr = [(t["label_fr"], t["occupation"]) for t in held_rows]
    q_alt = [(a, t["occupation"]) for t in held_rows for a in _variants(t.get("alt_labels_fr", ""))]
    q_en = [(_variants(t["label_en"])[0], t["occupation"]) for t in held_rows if _variants(t.get("label_en", ""))]
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


def run_seed(titles, seed: int, latency_n: int = 500) -> dict:
    entries, queries = make_split(titles, seed)
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    coder = OccupationCoder.build(entries)
    build_s = time.perf_counter() - t0
    mem_mb = _rss_mb() - rss0
    res: dict = {"seed": seed, "build_s": build_s, "mem_mb": mem_mb, "n_entries": len(entries)}
    base = Baseline(entries)
    for name, qs in queries.items():
        texts, gold = [q for q, _ in qs], [g for _, g in qs]
        ranked = [[s.code for s in r] for r in coder.suggest_many(texts, limit=5)]
        res[name] = accuracy(ranked, gold)
        res["baseline_" + name] = accuracy(base.rank(texts), gold)
    # latency, one query at a time
    sample = [q for q, _ in queries["fr"]][:latency_n]
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
    keys = ["fr", "fr_alt", "en", "baseline_fr", "baseline_fr_alt", "baseline_en"]
    out: dict = {"seeds": [r["seed"] for r in runs]}
    for k in keys:
        out[k] = {m: float(np.mean([r[k][m] for r in runs])) for m in ("n", "top1", "top5")}
    for k in ("build_s", "mem_mb", "latency_ms_median", "latency_ms_p95"):
        out[k] = float(np.mean([r[k] for r in runs]))
    out["per_seed"] = runs
    return out


def print_table(s: dict) -> None:
    print(f"Occupation coder benchmark, seeds {s['seeds']} (mean), held-out {HOLDOUT:.0%} of each fiche's titles")
    print(f"{'query set':<22}{'n':>7}{'coder top1':>12}{'coder top5':>12}{'base top1':>11}{'base top5':>11}")
    labels = {"fr": "French label_fr", "fr_alt": "French alt labels", "en": "English label_en[0]"}
    for k, label in labels.items():
        c, b = s[k], s["baseline_" + k]
        if not c["n"]:
            print(f"{label:<22}{0:>7}{'(no labels)':>12}")
            continue
        print(f"{label:<22}{c['n']:>7.0f}{c['top1']:>12.1%}{c['top5']:>12.1%}{b['top1']:>11.1%}{b['top5']:>11.1%}")
    print(f"latency per title (suggest, 1 core): median {s['latency_ms_median']:.2f} ms, p95 {s['latency_ms_p95']:.2f} ms")
    print(f"build time {s['build_s']:.2f} s, memory (RSS growth at build) {s['mem_mb']:.0f} MB")
    for r in s["per_seed"]:
        print(f"  seed {r['seed']}: fr {r['fr']['top1']:.1%}/{r['fr']['top5']:.1%}  en {r['en']['top1']:.1%}/{r['en']['top5']:.1%}"
              f"  baseline fr {r['baseline_fr']['top1']:.1%}/{r['baseline_fr']['top5']:.1%}")


# ----------------------------------------------------------------------------- weight fitting
def fit_weights(titles, seeds: list[int], l2: float = 1e-3) -> dict[str, float]:
    """Conditional-logit fit of the signal weights on held-out French and English titles."""
    from scipy.optimize import minimize

    names = list(WEIGHTS)
    blocks = []
    for seed in seeds:
        entries, queries = make_split(titles, seed)
        coder = OccupationCoder.build(entries)
        index = {c: i for i, c in enumerate(coder.codes)}
        for name in ("fr", "en"):
            qs = [(q, g) for q, g in queries[name] if g in index]
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    ap.add_argument("--seed", type=int, help="run a single seed")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds to average (default 0 1 2)")
    ap.add_argument("--fit", action="store_true", help="refit the signal weights on seeds 10 11 12 and print them")
    args = ap.parse_args(argv)
    titles = load_titles()
    if args.fit:
        print(json.dumps(fit_weights(titles, [10, 11, 12]), indent=1))
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
