"""Benchmark of the matching engine on a seeded synthetic register.

    python -m bench.matching --seekers N --offers M --json [--seed S] [--queries Q] [--baseline-queries B]

It generates a register from the shipped reference (``app.matching.synthetic``), builds the
index and measures, on one core:

* offer → seekers (top 20) for ``Q`` sampled offers, and seeker → offers for ``Q`` seekers
  (medians and 95th percentiles, after a short warm-up);
* the nightly batch: the top 20 for every open offer;
* the baseline: the same score computed row by row in plain Python over the records
  (``app.matching.engine.pairwise``) for ``B`` of the sampled offers and seekers. Its
  rankings must be identical to the engine's, ids and scores: the run stops otherwise;
* incremental updates: a thousand edited seekers applied one by one, a query with the delta
  in use (checked against the baseline over the edited register), and the merge.

``index_mb`` is the sum of ``nbytes`` of every array the index holds (dense columns, sparse
data, indices and indptr, derived CSC and grids, the reference's arrays). ``rss_peak_mb`` is
the process's peak resident memory, which also counts the register's Python records that
the benchmark keeps for the baseline; ``rss_build_mb`` is the growth during the build.
"""
from __future__ import annotations

import os

# One core, as in production workers: set before numpy/scipy load their BLAS.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

from app.matching import synthetic
from app.matching.engine import MatchIndex, Reference, SearchOptions, explain, pairwise

DATA_DIR = Path(__file__).resolve().parents[1] / "app" / "reference" / "data" / "rome3_2021_v460"
LIMIT = 20
UPDATES = 1000


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3  # kilobytes on Linux


def _timed(run: Callable[[int], object], keys: list[int], warm_up: int = 3) -> list[float]:
    """Milliseconds of ``run(key)`` for each key, after a few unmeasured runs."""
    for key in keys[:warm_up]:
        run(key)
    times = []
    for key in keys:
        start = time.perf_counter()
        run(key)
        times.append((time.perf_counter() - start) * 1e3)
    return times


def _baseline(rank: Callable[[int], list], check: Callable[[int, list], None], keys: list[int]) -> list[float]:
    """Milliseconds of the row-by-row ranking for each key, each result checked against the engine."""
    times = []
    for key in keys:
        start = time.perf_counter()
        ranked = rank(key)
        times.append((time.perf_counter() - start) * 1e3)
        check(key, ranked)
    return times


def _p(times: list[float], q: int) -> float:
    return round(statistics.quantiles(times, n=100)[q - 1] if len(times) > 1 else times[0], 3)


def _same(engine: list, baseline: list[tuple[int, float]], what: str) -> None:
    got = [(m.seeker_id if what == "offer" else m.offer_id, m.score) for m in engine]
    if got != baseline:
        raise AssertionError(f"engine and baseline rank differently for {what}: {got[:5]} != {baseline[:5]}")


def run(seekers: int, offers: int, seed: int, queries: int, baseline_queries: int) -> dict[str, object]:
    ref = Reference.from_csv(DATA_DIR)
    start = time.perf_counter()
    register = synthetic.generate(ref, seekers, offers, seed=seed)
    generate_s = time.perf_counter() - start
    options = SearchOptions(limit=LIMIT, as_of=register.on)

    rss_before = _rss_mb()
    start = time.perf_counter()
    index = MatchIndex.build(ref, register.seekers, register.offers)
    build_s = time.perf_counter() - start
    rss_build = _rss_mb() - rss_before

    rng = random.Random(seed)
    open_offers = [o.id for o in register.offers if o.open]
    offer_keys = rng.sample(open_offers, min(queries, len(open_offers)))
    seeker_keys = rng.sample([s.id for s in register.seekers if s.active and s.consented], queries)
    to_seekers = _timed(lambda k: index.rank_seekers(k, options), offer_keys)
    scans = dict(index.scans)
    to_offers = _timed(lambda k: index.rank_offers(k, options), seeker_keys)

    start = time.perf_counter()
    batch = sum(1 for _ in index.rank_all_offers(options))
    batch_s = time.perf_counter() - start

    # The baseline over the same records; every sampled ranking must agree exactly.
    by_offer = {o.id: o for o in register.offers}
    by_seeker = {s.id: s for s in register.seekers}
    baseline = _baseline(
        lambda k: pairwise.rank_seekers(ref, register.seekers, by_offer[k], index.params, LIMIT, register.on),
        lambda k, ranked: _same(index.rank_seekers(k, options), ranked, "offer"), offer_keys[:baseline_queries])
    baseline_offers = _baseline(
        lambda k: pairwise.rank_offers(ref, by_seeker[k], register.offers, index.params, LIMIT, register.on),
        lambda k, ranked: _same(index.rank_offers(k, options), ranked, "seeker"), seeker_keys[:baseline_queries * 4])

    # Edits at the counter, applied one by one, then queries that must see them.
    edited = rng.sample(range(len(register.seekers)), UPDATES)
    start = time.perf_counter()
    for position in edited:
        register.seekers[position] = synthetic.perturb(register, register.seekers[position], seed + position)
        index.upsert_seeker(register.seekers[position])
    upsert_us = (time.perf_counter() - start) / UPDATES * 1e6
    with_delta = _timed(lambda k: index.rank_seekers(k, options), offer_keys)
    for key in offer_keys[:2]:
        _same(index.rank_seekers(key, options), pairwise.rank_seekers(
            ref, register.seekers, by_offer[key], index.params, LIMIT, register.on), "offer")
    start = time.perf_counter()
    index.seekers.compact()
    compact_s = time.perf_counter() - start

    example = index.rank_seekers(offer_keys[0], options)[:1]
    p50, base_p50 = _p(to_seekers, 50), round(statistics.median(baseline), 3)
    return {
        "seekers": seekers, "offers": offers, "seed": seed,
        "generate_s": round(generate_s, 2), "build_s": round(build_s, 2),
        "index_mb": round(index.nbytes / 1e6, 1), "rss_build_mb": round(rss_build, 1),
        "rss_peak_mb": round(_peak_mb(), 1),
        "offer_to_seekers_p50_ms": p50, "offer_to_seekers_p95_ms": _p(to_seekers, 95),
        "offer_to_seekers_queries": len(to_seekers), "offer_to_seekers_passes": scans,
        "seeker_to_offers_p50_ms": _p(to_offers, 50), "seeker_to_offers_p95_ms": _p(to_offers, 95),
        "batch_all_offers_s": round(batch_s, 2), "batch_offers": batch,
        "baseline_offer_to_seekers_p50_ms": base_p50, "baseline_sample": len(baseline),
        "baseline_speedup": round(base_p50 / p50, 1),
        "baseline_seeker_to_offers_p50_ms": round(statistics.median(baseline_offers), 3),
        "baseline_seeker_sample": len(baseline_offers), "baseline_identical": True,
        "upsert_seeker_us": round(upsert_us, 1), "updates": UPDATES,
        "offer_to_seekers_p50_ms_with_delta": _p(with_delta, 50), "compact_s": round(compact_s, 2),
        "example_fr": explain(example[0], "fr") if example else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seekers", type=int, default=100_000)
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--queries", type=int, default=200, help="timed queries in each direction")
    parser.add_argument("--baseline-queries", type=int, default=20,
                        help="offers ranked by the row-by-row baseline (four times as many seekers)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result = run(args.seekers, args.offers, args.seed, args.queries, args.baseline_queries)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key:>36}  {value}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
