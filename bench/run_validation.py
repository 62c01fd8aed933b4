"""Benchmark: incremental validation of a changeset against full validation of the same graph.

For each scale (synthetic ecosystem of bench/generate.py) and each changeset size, it times
kg.gate.validate.validate_changes (median of --repeat runs, each a different changeset) and, up to
--full-max triples, kg.gate.validate.validate_full of the graph after one changeset of 100 triples,
in the same run. Setup (generating the graph, loading it with the build's inferences) is not
timed. Prints a Markdown table.

    .venv/bin/python -m bench.run_validation --scales 10000 100000 1000000 --sizes 10 100 1000
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from rich.console import Console

from bench.generate import Ecosystem, changeset, ecosystem
from kg import resources
from kg.build import parse_file
from kg.gate.validate import scratch_store, validate_changes, validate_full
from kg.namespaces import ONTOLOGY_GRAPH
from kg.store import OxigraphStore

console = Console(stderr=True)


T = TypeVar("T")


def load(scale: int) -> tuple[OxigraphStore, Ecosystem]:
    """The synthetic graph of about ``scale`` triples, in memory with the build's inferences."""
    quads, eco = ecosystem(scale)
    ontology = {quad for path in resources.ontology_files() for quad in parse_file(path, ONTOLOGY_GRAPH)}
    return scratch_store(set(quads) | ontology), eco


def timed(action: Callable[[], T]) -> tuple[float, T]:
    """Run ``action``; return the seconds it took and its result."""
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def incremental_median(store: OxigraphStore, eco: Ecosystem, size: int, repeat: int) -> tuple[float, int]:
    """The median seconds of incremental validation over ``repeat`` changesets, and their size."""
    times, triples = [], 0
    for run in range(repeat):
        change = changeset(eco, size, seed=run + 1)
        elapsed, report = timed(partial(validate_changes, store, [change]))
        assert report.conforms, report.to_json()
        times.append(elapsed)
        triples = len(change.add) + len(change.remove)
    return statistics.median(times), triples


def full_once(store: OxigraphStore, eco: Ecosystem) -> float:
    """The seconds full validation of the graph after one 100-triple changeset takes."""
    elapsed, report = timed(partial(validate_full, store, [changeset(eco, 100, seed=0)]))
    assert report.conforms, report.to_json()
    return elapsed


HEADER = "| graph (stated triples) | changeset (triples) | incremental, median | full validation | full / incremental |"


def main() -> None:
    """Run the benchmark and print the Markdown table (progress goes to stderr)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--full-max", type=int, default=100_000, help="largest scale for full validation")
    args = parser.parse_args()
    print(HEADER)
    print("|---:|---:|---:|---:|---:|")
    for scale in args.scales:
        with console.status(f"generating and loading {scale} triples"):
            load_time, (store, eco) = timed(partial(load, scale))
        console.print(f"{scale}: {store.quad_count()} quads with inferences, loaded in {load_time:.1f} s")
        full_time = None
        if scale <= args.full_max:
            with console.status("full validation"):
                full_time = full_once(store, eco)
        for size in args.sizes:
            median, triples = incremental_median(store, eco, size, args.repeat)
            full_text = f"{full_time * 1000:.0f} ms" if full_time is not None else "not run"
            ratio = f"{full_time / median:.0f}x" if full_time is not None and size == 100 else ""
            print(f"| {scale:,} | {triples} | {median * 1000:.1f} ms | {full_text} | {ratio} |")


if __name__ == "__main__":
    main()
