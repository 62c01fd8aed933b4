"""Benchmark: a data set imported through the gate (kg/gate/bulk.py) against a raw pyoxigraph bulk load.

For each size: bench/generate.py writes the synthetic ecosystem to an N-Quads file; then, in the
same run, (1) ``pyoxigraph.Store.bulk_load`` of the file into a fresh store, on disk and in
memory, and (2) the import of the same file through the gate (``kg.gate.datasets.read_dataset``
then ``kg.gate.bulk.merge_bulk``, what ``chipgraph import-rdf`` and ``kg.gate.merge.merge`` run)
into a fresh chipgraph store holding the ontology, on disk and in memory; each phase of the
gated import timed. After the import the store is checked: the default graph is the merge of the
named graphs, the history holds exactly the file's triples, and (``--check-inferences``) the
inferred graph equals a recompute from nothing.

Run: ``.venv/bin/python -m bench.run_bulk_import --sizes 100000 1075000`` (1,075,000 asks the
generator for about a million quads); ``--ordinary 20000`` also times the ordinary merge path
(bulk path off) at that size, for comparison. Prints Markdown rows (bench/README.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from bench.generate import ecosystem
from kg import resources
from kg.build import parse_file
from kg.gate import bulk, inference, merge
from kg.gate.datasets import read_dataset
from kg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH
from kg.store import OxigraphStore


def write_file(size: int, folder: Path) -> tuple[Path, int]:
    """The synthetic ecosystem of about ``size`` quads as an N-Quads file, and its quad count."""
    quads, _ = ecosystem(size)
    path = folder / f"ecosystem-{size}.nq"
    ox.serialize(quads, str(path), format=ox.RdfFormat.N_QUADS)
    return path, len(quads)


def raw_load(path: Path, folder: Path | None) -> float:
    """Seconds of ``Store.bulk_load`` of the file into a fresh store (on disk in ``folder``, else in memory)."""
    started = time.perf_counter()
    store = ox.Store(str(folder)) if folder else ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    store.flush()
    elapsed = time.perf_counter() - started
    assert len(store) > 0
    return elapsed


def raw_extend(path: Path, folder: Path | None) -> float:
    """Seconds of one atomic ``Store.extend`` of the file's quads into a fresh store (the write a merge can use)."""
    quads = list(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))
    started = time.perf_counter()
    store = ox.Store(str(folder)) if folder else ox.Store()
    store.extend(quads)
    store.flush()
    return time.perf_counter() - started


def ordinary_merge(path: Path) -> float:
    """Seconds of ``merge.merge`` of the file by the ordinary path (bulk path off) into a fresh in-memory store."""
    store = chipgraph_store(None)
    changesets = read_dataset(path, author="bench", message="ordinary merge")
    started = time.perf_counter()
    os.environ["CHIPGRAPH_BULK_ABOVE"] = str(10**12)
    try:
        merge.merge(store, changesets)
    finally:
        del os.environ["CHIPGRAPH_BULK_ABOVE"]
    return time.perf_counter() - started


def chipgraph_store(folder: Path | None) -> OxigraphStore:
    """A fresh chipgraph store holding the ontology and its inferences (on disk in ``folder``, else in memory)."""
    store = OxigraphStore.create(folder) if folder else OxigraphStore.in_memory()
    store.add_quads(quad for file in resources.ontology_files() for quad in parse_file(file, ONTOLOGY_GRAPH))
    inference.materialise(store)
    return store


def gated_import(path: Path, store: OxigraphStore) -> tuple[float, bulk.Timings]:
    """Seconds of the import of ``path`` through the gate, and its phases."""
    timings = bulk.Timings()
    started = time.perf_counter()
    with timings.phase("parse"):
        changesets = read_dataset(path, author="bench", message="bulk import benchmark")
    merged, report = bulk.merge_bulk(store, changesets, allow_warnings=False, timings=timings)
    store.raw.flush()
    elapsed = time.perf_counter() - started
    assert report.conforms and merged
    return elapsed, timings


def check(store: OxigraphStore, path: Path, inferences: bool) -> str:
    """What was checked after the import; raises AssertionError when a check fails."""
    missing, extra = store.union_differences()
    assert not missing and not extra, (len(missing), len(extra))
    recorded = {t for record in merge.log(store) for t in record.added_triples}
    stated = {quad.triple for quad in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS)}
    assert recorded == stated, (len(recorded - stated), len(stated - recorded))
    checked = "union ok, history exact"
    if inferences:
        copy = OxigraphStore.in_memory()
        copy.add_quads(q for q in store.all_quads() if q.graph_name != ox.NamedNode(INFERRED_GRAPH))
        inference.materialise(copy)
        assert set(copy.triples(INFERRED_GRAPH)) == set(store.triples(INFERRED_GRAPH))
        checked += ", inferences = recompute"
    return checked


def run(
    size: int, work: Path, inferences: bool, checks: bool = True, stores: tuple[str, ...] = ("disk", "memory")
) -> list[str]:
    """The Markdown rows of one size: on disk and in memory, ratios, phases."""
    path, quads = write_file(size, work)
    rows = []
    for where in stores:
        raw_dir = work / f"raw-{size}" if where == "disk" else None
        raw = raw_load(path, raw_dir)
        if raw_dir:
            shutil.rmtree(raw_dir)
        extend = raw_extend(path, raw_dir)
        if raw_dir:
            shutil.rmtree(raw_dir)
        gate_dir = work / f"gate-{size}" if where == "disk" else None
        store = chipgraph_store(gate_dir)
        gated, timings = gated_import(path, store)
        phases = ", ".join(f"{name} {seconds:.1f}" for name, seconds in timings.phases.items())
        rows.append(
            f"| {quads:,} | {where} | {raw:.1f} s | {extend:.1f} s | {gated:.1f} s | **{gated / raw:.1f}x** | "
            f"{phases} | {timings.engine} |"
        )
        print(rows[-1], flush=True)  # before the checks, which take long at 1 M (Python sets of every quad)
        if checks:
            print(f"  checked: {check(store, path, inferences and where == 'memory')}", flush=True)
        store.close()
        if gate_dir:
            shutil.rmtree(gate_dir)
    path.unlink()
    return rows


def main() -> None:
    """Run the sizes asked for and print the rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_075_000])
    parser.add_argument("--work", type=Path, default=None, help="folder for the files and stores (default: a temp dir)")
    parser.add_argument("--ordinary", type=int, nargs="*", default=[], help="sizes to time the ordinary path at too")
    parser.add_argument("--stores", nargs="+", choices=["disk", "memory"], default=["disk", "memory"])
    parser.add_argument("--no-checks", action="store_true", help="skip the checks after each import")
    parser.add_argument("--check-inferences", action="store_true", help="compare the inferred graph with a recompute")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bulk-bench-"))
    print(f"pyoxigraph {ox.__version__}; {Path('/proc/loadavg').read_text().strip()} (load average)")
    print("| quads | store | raw bulk_load | raw extend (atomic) | through the gate | ratio | phases (s) | engine |")
    print("|---:|---|---:|---:|---:|---:|---|---|")
    for size in args.sizes:
        run(size, work, args.check_inferences, not args.no_checks, tuple(args.stores))
    for size in args.ordinary:
        path, quads = write_file(size, work)
        print(f"ordinary merge path (bulk off), {quads:,} quads, in memory: {ordinary_merge(path):.1f} s", flush=True)
        path.unlink()


if __name__ == "__main__":
    main()
