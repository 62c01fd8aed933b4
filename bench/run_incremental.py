"""Benchmark: a ~100-triple merge with incremental inference (docs/adr/0015) against the full recompute.

For each scale, on the synthetic ecosystem (bench/generate.py) in an in-memory store: the whole
merge (``kg.gate.merge.merge``: validate, write, inference, derived figures, history), the merge
transaction alone (``kg.gate.merge.write``) with incremental inference, and the same transaction with
the inferences recomputed whole (the behaviour before ADR 0015; fewer repetitions, it is slow),
medians over different changesets. Then the inferred graph is compared with a full recompute
from the stated graphs (a copy, ``kg.gate.inference.materialise``); a difference is an error.

    .venv/bin/python -m bench.run_incremental --scales 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import statistics
import time

import pyoxigraph as ox

from bench.generate import Ecosystem, changeset
from bench.run_merge import load, timed
from kg.gate import inference
from kg.gate.changes import now
from kg.gate.merge import merge, next_sequence, write
from kg.namespaces import INFERRED_GRAPH
from kg.store import OxigraphStore


class NotRecomputedError(AssertionError):
    """Raised when the inferred graph differs from a full recompute after the benchmark."""


def whole_merge(store: OxigraphStore, eco: Ecosystem, size: int, seed: int) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds of kg.gate.merge.merge of one changeset of about ``size`` triples."""
    change = changeset(eco, size, seed)
    return timed(lambda: merge(store, [change], allow_warnings=True))


def transaction(store: OxigraphStore, eco: Ecosystem, size: int, seed: int, incremental: bool) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds of kg.gate.merge.write of one changeset, incremental or recomputing."""
    sequence = next_sequence(store)
    change = changeset(eco, size, seed).stamped(now(), sequence)
    return timed(lambda: write(store, [change], sequence, incremental=incremental))


def check_as_recomputed(store: OxigraphStore) -> int:
    """The number of inferred triples; raises NotRecomputedError unless a recompute gives the same."""
    inferred = ox.NamedNode(INFERRED_GRAPH)
    copy = OxigraphStore.in_memory()
    copy.add_quads(quad for quad in store.all_quads() if quad.graph_name != inferred)
    inference.materialise(copy)
    kept, recomputed = set(store.triples(INFERRED_GRAPH)), set(copy.triples(INFERRED_GRAPH))
    if kept != recomputed:
        raise NotRecomputedError(f"{len(kept - recomputed)} extra, {len(recomputed - kept)} missing inferences")
    if store.union_differences() != (set(), set()):
        raise NotRecomputedError("the default graph is not the union of the named graphs")
    return len(kept)


def median(samples: list[tuple[float, float]], index: int) -> float:
    """The median of the wall-clock (0) or CPU (1) times."""
    return statistics.median(sample[index] for sample in samples)


def cell(samples: list[tuple[float, float]]) -> str:
    """A table cell: median wall clock (median CPU), or "not run"."""
    return f"{median(samples, 0):.0f} ms ({median(samples, 1):.0f} ms CPU)" if samples else "not run"


def row(scale: int, args: argparse.Namespace) -> str:
    """One Markdown table row of the scale's medians (and the check)."""
    start = time.perf_counter()
    store, eco = load(scale)
    loaded = time.perf_counter() - start
    seed = 1000
    samples: dict[str, list[tuple[float, float]]] = {"merge": [], "incremental": [], "full": []}
    for index in range(args.repeat):
        samples["merge"].append(whole_merge(store, eco, args.size, seed := seed + 1))
        samples["incremental"].append(transaction(store, eco, args.size, seed := seed + 1, True))
        if index < args.full_repeat and scale <= args.full_max:
            samples["full"].append(transaction(store, eco, args.size, seed := seed + 1, False))
    inferred = check_as_recomputed(store)
    cells = [cell(samples[kind]) for kind in samples]
    full = samples["full"]
    ratio = f"{median(full, 0) / median(samples['incremental'], 0):.0f}x" if full else ""
    quads = store.quad_count()
    return f"| {scale:,} | {quads:,} | {loaded:.0f} s | {' | '.join(cells)} | {ratio} | equal ({inferred:,}) |"


def main() -> None:
    """Print a Markdown table: per scale, whole merge, transaction incremental and full, the check.

    Each time cell is the median wall clock with the median CPU time of this process (which
    resists a busy machine) in brackets; the ratio is of wall-clock medians.
    """
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--full-repeat", type=int, default=3, help="repetitions of the full recompute")
    parser.add_argument("--full-max", type=int, default=1_000_000, help="largest scale to run the full recompute at")
    args = parser.parse_args()
    print(
        "| stated triples | quads | setup | whole merge (incremental), median "
        "| transaction, incremental | transaction, full recompute | full / incremental | inferred graph vs recompute |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for scale in args.scales:
        print(row(scale, args), flush=True)


if __name__ == "__main__":
    main()
