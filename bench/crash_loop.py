"""Crash loop: kill -9 a process in the middle of a stream of merges, then check the store.

The writer (``python -m bench.crash_loop write STORE``) merges changesets one after another into
the store: new chips (so derived figures change) on a growing ownership chain (so inferences
must follow transitive chains), and every fifth step the revert of an earlier merge (removals).
After each merge returns it prints ``ACK <id>``. The driver starts the writer, kills it with
SIGKILL after a random delay, reopens the store and checks:

- every acknowledged merge is in the history, and at most one unacknowledged one (in flight);
- the test graph equals the replay of the history records (no merge is there in part);
- the inferred and derived graphs equal a recompute from the stated facts.

    .venv/bin/python -m bench.crash_loop run --kills 100          # the nightly-sized run
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.build import build, load_plan
from kg.gate import derive, inference
from kg.gate.changes import Changeset, nt_text
from kg.gate.merge import log, merge, revert
from kg.namespaces import DERIVED_GRAPH, ID_BASE, INFERRED_GRAPH, ONTOLOGY_NS
from kg.store import OxigraphStore

GRAPH = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
AUTHOR = "crash-loop"
TOKEN = "crash-loop-token"
SERVER_START = 4.0  # seconds a `chipgraph serve` of the curated store takes to answer, about


def _step(number: int, parent: ox.NamedNode | None) -> Changeset:
    """Merge number ``number``: a chip designed by a new organisation, subsidiary of ``parent``."""
    org = ox.NamedNode(f"{ID_BASE}organization/crash-org-{number}")
    chip = ox.NamedNode(f"{ID_BASE}chip/crash-chip-{number}")
    triples = {
        ox.Triple(org, TYPE, ox.NamedNode(ONTOLOGY_NS + "ChipDesigner")),
        ox.Triple(org, LABEL, ox.Literal(f"Crash Org {number}")),
        ox.Triple(chip, TYPE, ox.NamedNode(ONTOLOGY_NS + "GPU")),
        ox.Triple(chip, LABEL, ox.Literal(f"Crash Chip {number}")),
        ox.Triple(chip, ox.NamedNode(ONTOLOGY_NS + "designedBy"), org),
        ox.Triple(chip, ox.NamedNode(ONTOLOGY_NS + "denseFP16TFLOPS"), ox.Literal(str(100 + number), datatype=DEC)),
        ox.Triple(chip, ox.NamedNode(ONTOLOGY_NS + "dieAreaMm2"), ox.Literal("500", datatype=DEC)),
    }
    if parent is not None:
        triples.add(ox.Triple(org, ox.NamedNode(ONTOLOGY_NS + "subsidiaryOf"), parent))
    return Changeset(GRAPH, frozenset(triples), frozenset(), AUTHOR, f"crash step {number}")


DEC = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")


def _newest_org(store: OxigraphStore) -> ox.NamedNode | None:
    """The crash-loop organisation with the highest number in the store, if any."""
    prefix = f"{ID_BASE}organization/crash-org-"
    designers = store.quads_matching(None, TYPE, ox.NamedNode(ONTOLOGY_NS + "ChipDesigner"), ox.NamedNode(GRAPH))
    subjects = [q.subject for q in designers if isinstance(q.subject, ox.NamedNode)]
    numbered = [(int(s.value[len(prefix) :]), s) for s in subjects if s.value.startswith(prefix)]
    return max(numbered, key=lambda pair: pair[0])[1] if numbered else None


def _ours(store: OxigraphStore) -> list[str]:
    """The ids of the crash loop's merges, newest first."""
    return [record.id for record in log(store) if record.author == AUTHOR]


def write(store_path: Path) -> None:
    """The writer: merge steps (and reverts of the newest) until killed, printing ACK <id> after each."""
    store = OxigraphStore.open(store_path, read_only=False)
    while True:
        ours = _ours(store)
        number = len(ours)
        if number % 5 == 4:
            merged = revert(store, ours[0], author=AUTHOR).merged
        else:
            merged = merge(store, [_step(number, _newest_org(store))]).merged
        for change in merged:
            print(f"ACK {change.id}", flush=True)
        number += 1


@dataclass
class LoopResult:
    """What a crash loop did and found."""

    kills: int = 0
    merges_acknowledged: int = 0
    merges_checked: int = 0
    lost: int = 0
    partial: int = 0
    inference_mismatches: int = 0
    details: list[str] = field(default_factory=list)


def recomputed(store: OxigraphStore) -> tuple[set[ox.Quad], set[ox.Quad]]:
    """The inferred and derived graphs recomputed from the store's stated facts, in memory."""
    memory = OxigraphStore.in_memory()
    memory.add_quads(
        q for q in store.all_quads() if q.graph_name not in (ox.NamedNode(INFERRED_GRAPH), ox.NamedNode(DERIVED_GRAPH))
    )
    inference.materialise(memory)
    derive.recompute(memory)
    inference.materialise(memory)
    return set(memory.quads(INFERRED_GRAPH)), set(memory.quads(DERIVED_GRAPH))


def _replayed(store: OxigraphStore) -> set[ox.Triple]:
    """The test graph as the history says it should be: every record applied in sequence order."""
    triples: set[ox.Triple] = set()
    for record in sorted(log(store), key=lambda r: r.sequence):
        if record.graph == GRAPH:
            triples = (triples - record.removed_triples) | record.added_triples
    canonical = ox.Store()  # the store keeps literals in canonical form ("2600.0" -> "2600")
    canonical.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    return {quad.triple for quad in canonical}


def check(store_path: Path, acknowledged: set[str], baseline: set[ox.Triple], result: LoopResult) -> set[str]:
    """Reopen the store after a kill and count what is lost, partial or inconsistent.

    ``acknowledged`` holds the ids acknowledged so far and those found by earlier checks; at
    most one new id may be unacknowledged (merged just before the kill). Returns the ids found.
    """
    store = OxigraphStore.open(store_path, read_only=False)
    try:
        ids = _ours(store)
        result.merges_checked += len(ids)
        result.lost += len(acknowledged - set(ids))
        unacknowledged = set(ids) - acknowledged
        if len(unacknowledged) > 1:  # one may have been merged just before the kill
            result.partial += len(unacknowledged) - 1
            result.details.append(f"after kill {result.kills}: {len(unacknowledged)} merges not acknowledged")
        stated = {quad.triple for quad in store.quads(GRAPH)} - baseline
        replayed = _replayed(store) - baseline
        if stated != replayed:
            result.partial += 1
            result.details.append(f"after kill {result.kills}: the graph differs from the history: {stated ^ replayed}")
        missing, extra = store.union_differences()  # the default graph is the merge (docs/adr/0010)
        if missing or extra:
            result.partial += 1
            result.details.append(
                f"after kill {result.kills}: the default graph lacks {len(missing)} and has {len(extra)} extra triples"
            )
        inferred, derived = recomputed(store)
        held_inferred, held_derived = set(store.quads(INFERRED_GRAPH)), set(store.quads(DERIVED_GRAPH))
        if inferred != held_inferred or derived != held_derived:
            result.inference_mismatches += 1
            differences = [*(inferred ^ held_inferred), *(derived ^ held_derived)]
            result.details.append(f"after kill {result.kills}: {len(differences)} quads differ, e.g. {differences[:2]}")
        return set(ids)
    finally:
        store.close()


def _kill_writer(store_path: Path, delay: float, log_file: Path | None) -> set[str]:
    """Run the writer process, SIGKILL it after ``delay`` seconds; the ids it acknowledged."""
    writer = subprocess.Popen(
        [sys.executable, "-m", "bench.crash_loop", "write", str(store_path)],
        stdout=subprocess.PIPE,
        stderr=log_file.open("a") if log_file else subprocess.DEVNULL,
        text=True,
    )
    time.sleep(delay)
    writer.kill()
    out, _ = writer.communicate()
    return {line.split()[1] for line in out.splitlines() if line.startswith("ACK ")}


def _kill_server(store_path: Path, delay: float, log_file: Path | None) -> set[str]:
    """Serve the store, post merges and reverts, SIGKILL the server after ``delay`` s; the acknowledged ids."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    environment = {**os.environ, "CHIPGRAPH_WRITE_TOKEN": TOKEN, "CHIPGRAPH_QUERY_WORKERS": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--store", str(store_path), "--port", str(port)],
        stdout=log_file.open("a") if log_file else subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        env=environment,
    )
    acks: set[str] = set()
    client = threading.Thread(target=_post_merges, args=(f"http://127.0.0.1:{port}", acks), daemon=True)
    client.start()
    time.sleep(delay)
    server.kill()
    server.wait()
    client.join(30)
    return set(acks)


def _post_merges(base: str, acks: set[str]) -> None:
    """Once the server answers, POST steps (every fifth a revert of the newest) until it stops; record each 201."""
    if not _wait_for(base + "/readyz"):
        return
    newest, number = "", random.randrange(10**9)  # slugs of this run only
    while True:
        try:
            merged = _post(base, _revert_request(newest) if newest and number % 5 == 4 else _step_request(number))
        except OSError:  # killed
            return
        acks.update(merged)
        newest, number = (merged[0] if merged else newest), number + 1


def _wait_for(url: str, seconds: float = 60.0) -> bool:
    """Whether ``url`` answers within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def _step_request(number: int) -> tuple[str, dict[str, object]]:
    change = _step(number, None)
    add = {"format": "application/n-triples", "data": nt_text(change.add)}
    return "/changes", {"graph": GRAPH, "author": AUTHOR, "message": change.message, "add": add}


def _revert_request(change_id: str) -> tuple[str, dict[str, object]]:
    return f"/changes/{change_id}/revert", {"author": AUTHOR}


def _post(base: str, request: tuple[str, dict[str, object]]) -> list[str]:
    """POST a JSON body with the token; the merged ids of the answer. Raises OSError (HTTPError too)."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    path, body = request
    call = urllib.request.Request(base + path, json.dumps(body).encode(), headers)
    with urllib.request.urlopen(call, timeout=60) as response:
        merged: list[str] = json.loads(response.read())["merged"]
        return merged


def run(
    store_path: Path, kills: int, seed: int, max_delay: float, log_file: Path | None = None, target: str = "writer"
) -> LoopResult:
    """Kill the writer (or the server, ``target``) ``kills`` times at random delays, checking after each.

    The delay is up to ``max_delay`` seconds after the process is up (a server's start is added).
    """
    if not (store_path / "CURRENT").exists():
        build(store_path, plan=load_plan())
    baseline_store = OxigraphStore.open(store_path, read_only=False)
    baseline = {quad.triple for quad in baseline_store.quads(GRAPH)} - _replayed(baseline_store)
    acknowledged = set(_ours(baseline_store))  # a store reused from an earlier run
    baseline_store.close()
    chooser, result = random.Random(seed), LoopResult()
    for _ in range(kills):
        if target == "server":
            acks = _kill_server(store_path, SERVER_START + chooser.uniform(0.2, max_delay), log_file)
        else:
            acks = _kill_writer(store_path, chooser.uniform(0.2, max_delay), log_file)
        result.kills += 1
        result.merges_acknowledged += len(acks)
        acknowledged |= acks
        acknowledged |= check(store_path, acknowledged, baseline, result)
    return result


def main() -> None:
    """Command line: ``write STORE`` (the writer) or ``run [--kills N] [--store DIR]`` (the loop)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    writer = commands.add_parser("write")
    writer.add_argument("store", type=Path)
    loop = commands.add_parser("run")
    loop.add_argument("--kills", type=int, default=100)
    loop.add_argument("--store", type=Path, default=Path("/tmp/chipgraph-crash-loop"))
    loop.add_argument("--seed", type=int, default=1)
    loop.add_argument("--max-delay", type=float, default=6.0)
    loop.add_argument("--target", choices=["writer", "server"], default="writer")
    arguments = parser.parse_args()
    if arguments.command == "write":
        write(arguments.store)
        return
    started = time.monotonic()
    result = run(arguments.store, arguments.kills, arguments.seed, arguments.max_delay, target=arguments.target)
    for detail in result.details:
        print(detail)
    print(
        f"{result.kills} kills, {result.merges_acknowledged} merges acknowledged, {result.merges_checked} merge"
        f" records checked: {result.lost} lost, {result.partial} partial, {result.inference_mismatches} stores whose"
        f" inferred or derived graph differs from a recompute ({time.monotonic() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
