"""Benchmark: one merge's transaction, and the upkeep of the union default graph (docs/adr/0010).

On the synthetic ecosystem (bench/generate.py) in an in-memory store: the time of
``kg.gate.merge.write`` (the merge's one update: data, history, inference to its fixpoint, derived
figures; validation is not timed) for changesets of several sizes, median over different
changesets; then, where the checkout has it, a full resync of the default graph
(``OxigraphStore.resync_union``), the fallback the ADR weighs against per-operation upkeep.
Runs unchanged in a checkout from before ADR 0010 (no resync there), for a before/after pair:

    .venv/bin/python -m bench.run_merge --scale 100000
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from bench.generate import Ecosystem, changeset, ecosystem
from kg import resources
from kg.build import parse_file
from kg.gate import derive, inference
from kg.gate.changes import now
from kg.gate.merge import next_sequence, write
from kg.namespaces import ONTOLOGY_GRAPH
from kg.store import OxigraphStore


def load(scale: int) -> tuple[OxigraphStore, Ecosystem]:
    """An in-memory store with the ontology, about ``scale`` stated triples, inferences and figures."""
    quads, eco = ecosystem(scale)
    store = OxigraphStore.in_memory()
    store.add_quads(quad for file in resources.ontology_files() for quad in parse_file(file, ONTOLOGY_GRAPH))
    store.add_quads(quads)
    inference.materialise(store)
    derive.recompute(store)
    inference.materialise(store)
    return store, eco


def timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds of ``action`` (CPU time, of this process, resists a busy machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def time_write(store: OxigraphStore, eco: Ecosystem, size: int, seed: int) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds of one merge transaction of a changeset of about ``size`` triples."""
    sequence = next_sequence(store)
    change = changeset(eco, size, seed).stamped(now(), sequence)
    return timed(lambda: write(store, [change], sequence))


def medians(samples: list[tuple[float, float]]) -> str:
    """The medians of wall-clock and CPU times, as two table cells."""
    return f"{statistics.median(s[0] for s in samples):.0f} ms | {statistics.median(s[1] for s in samples):.0f} ms"


def main() -> None:
    """Print a Markdown table of merge times, and the resync time when the checkout has one."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[15, 100, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    start = time.perf_counter()
    store, eco = load(args.scale)
    print(f"{store.quad_count()} quads in named graphs, loaded in {time.perf_counter() - start:.1f} s")
    print("| operation | wall clock, median | CPU, median |")
    print("|---|---:|---:|")
    seed = 1
    for size in args.sizes:
        samples = []
        for _ in range(args.repeat):
            samples.append(time_write(store, eco, size, seed))
            seed += 1
        print(f"| merge transaction, {size}-triple changeset | {medians(samples)} |")
    resync = getattr(store, "resync_union", None)
    if resync is not None:
        samples = [timed(resync) for _ in range(args.repeat)]
        print(f"| full resync of the default graph ({store.triple_count()} triples) | {medians(samples)} |")


if __name__ == "__main__":
    main()
