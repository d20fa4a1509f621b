"""Benchmark of duplicate detection on a synthetic register with planted duplicates.

    python -m bench.dedup --people 100000 [--seed 1] [--json] [--tracemalloc]

Generates a register (app.jobseekers.synthetic), runs find_duplicates on it and prints
the register size, true and found pairs, precision, recall, F1, the seconds taken by
find_duplicates, the peak memory, and the recall by kind of planted alteration.

Peak memory is the process's peak resident set size (``ru_maxrss``), which includes
the generated register itself; ``--tracemalloc`` measures instead the peak of Python
allocations during find_duplicates alone, at the price of a run two to three times
slower (the seconds printed are then not representative).
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import tracemalloc
from collections import Counter

from app.jobseekers.dedup import DEFAULT_THRESHOLD, find_duplicates
from app.jobseekers.synthetic import evaluate, generate


def run(people: int, seed: int, threshold: float, trace: bool) -> dict:
    start = time.perf_counter()
    register = generate(people, seed=seed)
    generation = time.perf_counter() - start

    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    found = find_duplicates(register.people, threshold=threshold)
    seconds = time.perf_counter() - start
    traced_peak = None
    if trace:
        traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_mb = rss / 2**20 if sys.platform == "darwin" else rss / 2**10  # bytes vs KiB

    metrics = evaluate(found, register.true_pairs)
    found_pairs = {(m.a, m.b) for m in found}
    totals: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    for pair, kinds in register.kinds.items():
        for kind in kinds:
            totals[kind] += 1
            caught[kind] += pair in found_pairs
    return {
        "people": len(register.people),
        "seed": seed,
        "threshold": threshold,
        "true_pairs": metrics["true_pairs"],
        "found_pairs": metrics["found_pairs"],
        "true_positives": metrics["true_positives"],
        "precision": round(metrics["precision"], 4),
        "recall": round(metrics["recall"], 4),
        "f1": round(metrics["f1"], 4),
        "seconds": round(seconds, 2),
        "generation_seconds": round(generation, 2),
        "peak_rss_mb": round(rss_mb, 1),
        "peak_traced_mb": None if traced_peak is None else round(traced_peak, 1),
        "recall_by_kind": {k: round(caught[k] / totals[k], 4) for k in sorted(totals)},
        "pairs_by_kind": dict(sorted(totals.items())),
        "near_misses": register.near_misses,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dedup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000, help="register size (default 10,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--tracemalloc", action="store_true", help="peak Python allocations (slower)")
    args = parser.parse_args(argv)
    result = run(args.people, args.seed, args.threshold, args.tracemalloc)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"people          {result['people']:>10,}   (seed {result['seed']}, threshold {result['threshold']})")
    print(f"true pairs      {result['true_pairs']:>10,}")
    print(f"found pairs     {result['found_pairs']:>10,}   ({result['true_positives']:,} true)")
    print(f"precision       {result['precision']:>10.4f}")
    print(f"recall          {result['recall']:>10.4f}")
    print(f"F1              {result['f1']:>10.4f}")
    print(f"seconds         {result['seconds']:>10.2f}   (find_duplicates; generation {result['generation_seconds']:.1f}s)")
    print(f"peak RSS        {result['peak_rss_mb']:>10.1f} MB (whole process, register included)")
    if result["peak_traced_mb"] is not None:
        print(f"peak traced     {result['peak_traced_mb']:>10.1f} MB (Python allocations in find_duplicates)")
    print("recall by kind of alteration (a pair may carry several):")
    for kind, value in result["recall_by_kind"].items():
        print(f"  {kind:<18} {value:.4f}  of {result['pairs_by_kind'][kind]:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
