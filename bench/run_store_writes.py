"""Write side on both stores (issue 15): validations, merges and reverts on embedded Oxigraph and on Virtuoso.

At each size the synthetic ecosystem (bench/generate.py) is loaded into an on-disk OxigraphStore
with the ontology and the build's inferences and derived figures (as bench/run_merge.py prepares
its store), then every quad of it is copied into a throw-away Virtuoso (kg/store/virtuoso_launcher.py),
so that both hold the same graph. Then, on each store in turn and with the same changesets:

* ``validate_changes`` (incremental validation, nothing written) of a ~10- and a ~100-triple changeset;
* ``merge`` (validation and write) of ~10- and ~100-triple changesets, a new changeset (new chips)
  every run, the same one on both stores;
* ``revert`` of one merged changeset;
* the phases of those merges: validation, then on Oxigraph the one update (``kg.gate.merge.write``),
  on Virtuoso the region read, the replay on the local copy and the one fenced DELETE/INSERT
  (kg/gate/replay.py); and taking and releasing the server's write lock alone.

Each figure is the median of ``--repeat`` runs, wall clock in milliseconds. After the writes both
stores must hold as many quads and as long a history (``kg.gate.merge.log``): both counts are
printed, and the run exits with an error (after printing every table) when they differ.

    .venv/bin/python -m bench.run_store_writes --sizes 100000 1000000 --repeat 3
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.generate import Ecosystem, changeset, ecosystem
from bench.run_stores import load, remote_store, size_arguments
from kg import resources
from kg.build import parse_file
from kg.gate import affected, derive, graph_sources, inference, merge, replay
from kg.gate.changes import Changeset
from kg.gate.validate import validate_changes
from kg.namespaces import ONTOLOGY_GRAPH
from kg.store import AnyStore, OxigraphStore, RemoteStore
from kg.store.virtuoso_launcher import Virtuoso, start

SIZES = (10, 100)  # changeset sizes, in triples (about)
Row = tuple[str, float, float]  # what, Oxigraph ms, Virtuoso ms


class Phases:
    """Wall-clock milliseconds spent in named functions, per call of the enclosing run."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.current: dict[str, float] = defaultdict(float)
        self.nested: set[str] = set()
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, name: str, function: Callable[..., Any], nested: bool = False) -> Callable[..., Any]:
        """``function``, its time added to phase ``name`` of the current run (``nested``: inside another phase)."""
        if nested:
            self.nested.add(name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            self.calls[name] += 1
            try:
                return function(*args, **kwargs)
            finally:
                self.current[name] += (time.perf_counter() - started) * 1000

        return timed

    def close_run(self, total: float) -> None:
        """End one run of ``total`` ms: its phases become samples, the rest is 'other'."""
        for name, spent in self.current.items():
            self.samples[name].append(spent)
        outer = sum(spent for name, spent in self.current.items() if name not in self.nested)
        self.samples["other"].append(total - outer)
        self.samples[LISTINGS].append(self.calls[LISTING])
        self.current, self.calls = defaultdict(float), defaultdict(int)

    def medians(self) -> dict[str, float]:
        """The median of each phase over the runs."""
        return {name: statistics.median(values) for name, values in self.samples.items()}


# RemoteStore.select lists the named graphs first when the query has GRAPH (kg/store/remote.py, _dataset).
LISTING = "of which listing the named graphs (RemoteStore.named_graphs)"
LISTINGS = "graph listings in one merge (a count, not ms)"
# The phases of a merge (kg.gate.merge.merge, kg/gate/replay.py), one after the other: (module, function, name).
PHASES: list[tuple[Any, str, str]] = [
    (merge, "effective", "drop what changes nothing (effective)"),
    (graph_sources, "with_sources", "sources of the graphs (with_sources)"),
    (merge, "validate_changes", "validate"),
    (merge, "next_sequence", "next sequence number"),
    (replay, "_region", "region read"),
    (replay, "effect", "replay on the local copy"),
    (RemoteStore, "apply", "apply (one DELETE/INSERT)"),
    (replay, "_landed", "confirm (history read back)"),
]
# Parts of the phases above, shown but not subtracted again from the total.
NESTED_PHASES: list[tuple[Any, str, str]] = [
    (merge, "write", "of which the merge update (Oxigraph: the store; Virtuoso: the local copy)"),
    (affected, "vocabulary", "of which affected.vocabulary (validation, region)"),
    (affected, "focus_nodes", "of which affected.focus_nodes (validation)"),
    (affected, "neighbourhood", "of which affected.neighbourhood (validation)"),
    (RemoteStore, "named_graphs", LISTING),
    (RemoteStore, "present", "of which RemoteStore.present (effective: one query per 200 triples)"),
    (RemoteStore, "quads", "of which RemoteStore.quads (whole graphs: the ontology)"),
    (RemoteStore, "quads_about", "of which RemoteStore.quads_about (region)"),
    (affected, "connected", "of which affected.connected (transitive chains)"),
]


@contextmanager
def phases_recorded(phases: Phases) -> Iterator[None]:
    """The merge's phases timed (functions of kg.gate.merge and kg.gate.replay wrapped, then restored)."""
    patched = [(owner, attribute, name, False) for owner, attribute, name in PHASES]
    patched += [(owner, attribute, name, True) for owner, attribute, name in NESTED_PHASES]
    originals = [(owner, attribute, getattr(owner, attribute)) for owner, attribute, _, _ in patched]
    try:
        for owner, attribute, name, nested in patched:
            setattr(owner, attribute, phases.wrap(name, getattr(owner, attribute), nested))
        yield
    finally:
        for owner, attribute, original in originals:
            setattr(owner, attribute, original)


def prepare(size: int, folder: Path) -> tuple[OxigraphStore, Ecosystem, float]:
    """An on-disk store with the ontology, about ``size`` stated triples, inferences and figures; seconds taken."""
    started = time.perf_counter()
    quads, eco = ecosystem(size)
    store = OxigraphStore.create(folder / f"oxigraph-{size}")
    store.add_quads(quad for file in resources.ontology_files() for quad in parse_file(file, ONTOLOGY_GRAPH))
    store.add_quads(quads)
    inference.materialise(store)
    derive.recompute(store)
    inference.materialise(store)
    return store, eco, time.perf_counter() - started


def milliseconds(action: Callable[[], object]) -> float:
    """The wall-clock milliseconds of ``action``."""
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def validations(stores: tuple[AnyStore, AnyStore], eco: Ecosystem, repeat: int, seed: int) -> list[Row]:
    """Incremental validation of ~10- and ~100-triple changesets on both stores (nothing written)."""
    rows = []
    for size in SIZES:
        times: tuple[list[float], list[float]] = ([], [])
        for run in range(repeat):
            change = changeset(eco, size, seed + run)
            for store, samples in zip(stores, times, strict=True):
                started = time.perf_counter()
                report = validate_changes(store, [change], allow_warnings=True)
                samples.append((time.perf_counter() - started) * 1000)
                assert report.conforms, report.to_json()
        count = len(change.add) + len(change.remove)
        rows.append((f"validate_changes, {count} triples", statistics.median(times[0]), statistics.median(times[1])))
    return rows


def merges(
    stores: tuple[AnyStore, AnyStore], eco: Ecosystem, repeat: int, seed: int
) -> tuple[list[Row], list[Row], tuple[str, str]]:
    """Merges of new ~10- and ~100-triple changesets on both stores; their phases; the last merged ids."""
    rows, phase_rows = [], []
    last: list[str] = ["", ""]
    for size in SIZES:
        times: tuple[list[float], list[float]] = ([], [])
        phases = (Phases(), Phases())
        for run in range(repeat):
            change: Changeset = changeset(eco, size, seed + size * 1000 + run)
            for index, store in enumerate(stores):
                with phases_recorded(phases[index]):
                    started = time.perf_counter()
                    result = merge.merge(store, [change], allow_warnings=True)
                    spent = (time.perf_counter() - started) * 1000
                phases[index].close_run(spent)
                assert len(result.merged) == 1, f"{size}-triple changeset merged {len(result.merged)} changesets"
                times[index].append(spent)
                last[index] = str(result.merged[0].id)
        count = len(change.add) + len(change.remove)
        medians = statistics.median(times[0]), statistics.median(times[1])
        rows.append((f"merge, {count} triples (new chips each run)", *medians))
        embedded, remote = (p.medians() for p in phases)
        for name in sorted(set(embedded) | set(remote), key=_phase_order):
            phase_rows.append((f"merge, {count} triples: {name}", embedded.get(name, 0.0), remote.get(name, 0.0)))
    return rows, phase_rows, (last[0], last[1])


def _phase_order(name: str) -> int:
    order = [phase for _, _, phase in PHASES] + ["other"] + [phase for _, _, phase in NESTED_PHASES] + [LISTINGS]
    return order.index(name) if name in order else len(order)


def reverts(stores: tuple[AnyStore, AnyStore], ids: tuple[str, str]) -> Row:
    """The revert of the last merged changeset on each store."""
    times = []
    for store, change_id in zip(stores, ids, strict=True):
        started = time.perf_counter()
        merge.revert(store, change_id, author="bench", allow_warnings=True)
        times.append((time.perf_counter() - started) * 1000)
    return ("revert of the last merged changeset", times[0], times[1])


def lock_alone(remote: RemoteStore, repeat: int) -> float:
    """Median milliseconds of taking and releasing the server's write lock, nothing done inside."""

    def hold() -> None:
        with remote.writing():
            pass

    return statistics.median(milliseconds(hold) for _ in range(repeat))


def run_size(size: int, server: Virtuoso, repeat: int, folder: Path) -> tuple[list[Row], list[str]]:
    """Every figure at one size, and what differs between the stores afterwards (nothing, if all went well)."""
    embedded, eco, prepared = prepare(size, folder)
    remote = remote_store(server)
    remote.clear()
    copied = milliseconds(lambda: load(remote, embedded.all_quads()))
    before = (embedded.quad_count(), remote.quad_count())
    print(f"prepared Oxigraph in {prepared:.0f} s, copied into Virtuoso in {copied / 1000:.0f} s: {before} quads")
    assert before[0] == before[1], f"quads after the copy: Oxigraph {before[0]}, Virtuoso {before[1]}"
    stores: tuple[AnyStore, AnyStore] = (embedded, remote)
    rows = validations(stores, eco, repeat, seed=1)
    merged, phase_rows, last = merges(stores, eco, repeat, seed=1)
    rows += merged
    rows.append(reverts(stores, last))
    rows += phase_rows
    rows.append(("taking and releasing the write lock alone", 0.0, lock_alone(remote, repeat)))
    after = (embedded.quad_count(), remote.quad_count())
    history = (len(merge.log(embedded)), len(merge.log(remote)))
    print(f"after the writes: quads (Oxigraph, Virtuoso) {after}, history records {history}")
    problems = []
    if after[0] != after[1]:
        problems.append(f"{size}: quads after the writes differ: Oxigraph {after[0]}, Virtuoso {after[1]}")
    if history[0] != history[1]:
        problems.append(f"{size}: history records differ: Oxigraph {history[0]}, Virtuoso {history[1]}")
    remote.clear()
    remote.close()
    embedded.close()
    return rows, problems


def main() -> None:
    """Run the benchmark and print a Markdown table per size."""
    args = size_arguments(__doc__)
    with tempfile.TemporaryDirectory(prefix="chipgraph-store-writes-") as temporary:
        folder = Path(temporary)
        server = start(folder / "virtuoso")
        try:
            problems = []
            for size in args.sizes:
                print(f"\n### {size:,} stated triples (target)\n", flush=True)
                rows, found = run_size(size, server, args.repeat, folder)
                problems += found
                print("| what | Oxigraph ms | Virtuoso ms | Virtuoso / Oxigraph |\n|---|---:|---:|---:|")
                for name, ms_ox, ms_vt in rows:
                    ratio = f"{ms_vt / ms_ox:.1f}" if ms_ox > 0 and ms_vt > 0 else ""
                    print(f"| {name} | {ms_ox:.1f} | {ms_vt:.1f} | {ratio} |", flush=True)
            if problems:  # the figures are printed first: they are still worth reading
                raise SystemExit("the stores did not do the same work:\n" + "\n".join(problems))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
