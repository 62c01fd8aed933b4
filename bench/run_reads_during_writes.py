"""Benchmark: /chips/{id} latency while a stream of ~100-triple merges runs (issue 14, item 5).

On the synthetic ecosystem (bench/generate.py) in an on-disk store, `chipgraph serve` answers
GET /chips/{random chip} from one client for ``--seconds`` with no writes (the baseline), then
for as long again while a second client merges ~100-triple changesets through POST /changes one
after another (validated, written, inferences and derived figures updated, history, the
server's indexes and query snapshot refreshed). Prints the read latency percentiles of both
phases, their ratio, and the merges' own latency. Machines are noisy: compare the two phases of
one run.

    .venv/bin/python -m bench.run_reads_during_writes --scale 1000000 --seconds 30

With ``--store PATH`` the store is built there once and kept; each run then serves a hard-linked
copy of it (Oxigraph's backup), so that a 1 M store is written once for several runs.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx2 as httpx
from rich.console import Console

from bench.generate import Ecosystem, changeset, ecosystem
from bench.run_http import serve, write_quads
from kg.gate.changes import nt_text
from kg.store import OxigraphStore

console = Console(stderr=True)
TOKEN = "bench-token"
CG = "https://w3id.org/chipgraph/ontology#"


def reads(port: int, chips: int, seconds: float, stop: threading.Event | None = None) -> list[float]:
    """Milliseconds of each GET /chips/{random chip} made one after another for ``seconds``."""
    rng = random.Random(42)
    latencies = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end and not (stop and stop.is_set()):
            start = time.perf_counter()
            response = client.get(f"/chips/synthetic-{rng.randrange(chips)}")
            latencies.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"GET /chips: {response.status_code} {response.text[:200]}")
    return latencies


def merges(port: int, eco: Ecosystem, stop: threading.Event, latencies: list[float]) -> None:
    """Merge ~100-triple changesets one after another until ``stop``; append each one's milliseconds."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
        seed = 1
        while not stop.is_set():
            change = changeset(eco, 100, seed)
            body = {
                "graph": change.graph,
                "author": change.author,
                "message": change.message,
                "add": {"format": "application/n-triples", "data": nt_text(change.add)},
                "remove": {"format": "application/n-triples", "data": nt_text(change.remove)},
            }
            start = time.perf_counter()
            response = client.post("/changes", json=body, headers=headers)
            latencies.append((time.perf_counter() - start) * 1000)
            if response.status_code not in (200, 201):
                raise RuntimeError(f"POST /changes: {response.status_code} {response.text[:300]}")
            seed += 1


def percentiles(samples: list[float]) -> str:
    """p50, p99 and max of ``samples`` (milliseconds), and how many."""
    cuts = statistics.quantiles(samples, n=100)
    return f"{cuts[49]:.1f} | {cuts[98]:.1f} | {max(samples):.1f} | {len(samples)}"


def prepared_store(folder: Path, scale: int, kept: Path | None) -> tuple[Path, Ecosystem, int]:
    """The store to serve (in ``folder``), the ecosystem and the chip count.

    Without ``kept`` the ecosystem is written to ``folder``/store; with it, it is written to
    ``kept`` if that does not exist yet, and ``folder``/store is a hard-linked copy of ``kept``.
    """
    with console.status(f"generating {scale} triples"):
        quads, eco = ecosystem(scale)
    chips = sum(1 for quad in quads if quad.predicate.value == CG + "designedBy")
    target = folder / "store"
    if kept is None:
        with console.status(f"writing {scale} triples"):
            write_quads(target, quads)
        return target, eco, chips
    if not kept.exists():
        with console.status(f"writing {scale} triples to {kept}"):
            write_quads(kept, quads)
    store = OxigraphStore.open(kept, read_only=False)
    store.backup(target)
    store.close()
    return target, eco, chips


def main() -> None:
    """Build the store, serve it, measure reads alone and reads during merges; print Markdown."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--store", type=Path, help="build the store here once and serve a copy of it")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="chipgraph-bench-"))
    os.environ["CHIPGRAPH_WRITE_TOKEN"] = TOKEN
    try:
        path, eco, chips = prepared_store(folder, args.scale, args.store)
        server = serve(path, args.port)
        try:
            reads(args.port, chips, 3)  # warm-up
            alone = reads(args.port, chips, args.seconds)
            stop, merged = threading.Event(), list[float]()
            writer = threading.Thread(target=merges, args=(args.port, eco, stop, merged))
            writer.start()
            during = reads(args.port, chips, args.seconds)
            stop.set()
            writer.join()
        finally:
            server.terminate()
            server.wait(30)
        print(f"{args.scale} stated triples, {chips} chips, {args.seconds:g} s per phase, one reader:")
        print()
        print("| GET /chips/{id} | p50 ms | p99 ms | max ms | requests |")
        print("|---|---:|---:|---:|---:|")
        print(f"| no writes | {percentiles(alone)} |")
        print(f"| during merges | {percentiles(during)} |")
        ratio = statistics.quantiles(during, n=100)[98] / statistics.quantiles(alone, n=100)[98]
        print()
        print(f"p99 during merges / p99 without: {ratio:.2f}x")
        if len(merged) >= 2:
            median, slowest = statistics.median(merged), max(merged)
            print(f"merges: {len(merged)}, POST /changes p50 {median:.0f} ms, max {slowest:.0f} ms")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
