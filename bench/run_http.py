"""Benchmark: SPARQL over HTTP against the same query in process; REST look-ups per second.

On the synthetic ecosystem (bench/generate.py) written to an on-disk store: first each SPARQL
query is timed in process (query and every result row read), then `chipgraph serve` is started
on the same store and the same queries are timed over HTTP (SPARQL JSON, keep-alive, loopback, stdlib client);
then wrk (Debian package `wrk`) drives /chips/{id} look-ups over random chips. Prints Markdown.
As a baseline in the same run, each query is also timed as chipgraph ran it before ADR 0010: on
a copy of the store with the named graphs only, with Oxigraph's union flag (the bag default graph).

    .venv/bin/python -m bench.run_http --scale 1000000
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import httpx2 as httpx
import pyoxigraph as ox
from rich.console import Console

from bench.generate import ecosystem
from kg import resources
from kg.build import parse_file
from kg.gate import derive, inference
from kg.namespaces import ONTOLOGY_GRAPH
from kg.store import OxigraphStore

console = Console(stderr=True)
CG = "https://w3id.org/chipgraph/ontology#"
QUERIES = {
    "chips of one designer (about 400 rows)": (
        f"SELECT ?chip ?label WHERE {{ ?chip <{CG}designedBy> <https://w3id.org/chipgraph/id/organization/designer-7> ;"
        " <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
    ),
    "chips per designer (aggregate over all chips)": (
        f"SELECT ?designer (COUNT(?chip) AS ?chips) WHERE {{ ?chip <{CG}designedBy> ?designer }} GROUP BY ?designer"
    ),
    "chips of designers in one country (join, 2 hops)": (
        f"SELECT ?chip WHERE {{ ?chip <{CG}designedBy> ?d . ?d <{CG}headquarteredIn> "
        "<https://w3id.org/chipgraph/id/country/QC> }"
    ),
    "designer links per source graph (GRAPH ?g, aggregate)": (
        f"SELECT ?g (COUNT(*) AS ?links) WHERE {{ GRAPH ?g {{ ?chip <{CG}designedBy> ?designer }} }} GROUP BY ?g"
    ),
}


def write_store(path: Path, scale: int) -> int:
    """Write the synthetic ecosystem and its inferences to an on-disk store; return the chip count."""
    quads, _ = ecosystem(scale)
    return write_quads(path, quads)


def write_quads(path: Path, quads: list[ox.Quad]) -> int:
    """Write ``quads`` (the ecosystem), the ontology and the inferences to an on-disk store; return the chip count."""
    store = OxigraphStore.create(path)
    store.add_quads(quad for file in resources.ontology_files() for quad in parse_file(file, ONTOLOGY_GRAPH))
    store.add_quads(quads)
    inference.materialise(store)
    derive.recompute(store)
    store.close()
    return sum(1 for quad in quads if quad.predicate.value == CG + "designedBy")


def median_ms(action: Callable[[], object], repeat: int) -> float:
    """The median milliseconds of ``repeat`` runs after one warm-up run."""
    action()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def read_all(store: OxigraphStore, query: str) -> int:
    """Run a query and read every result row; return how many."""
    result = store.query(query)
    assert isinstance(result, ox.QuerySolutions)
    return len(list(result))


def old_format_copy(path: Path, target: Path) -> Path:
    """A copy of the store at ``path`` as chipgraph wrote it before ADR 0010: named graphs only."""
    store = OxigraphStore.open(path)
    old = ox.Store(str(target))
    old.extend(store.all_quads())
    old.flush()
    store.close()
    return target


def in_process(path: Path, old_path: Path, repeat: int) -> tuple[dict[str, float], dict[str, float]]:
    """Each query's median time in this process (all rows read): on the store, and as before ADR 0010.

    Before ADR 0010 means the copy at ``old_path`` (named graphs only) with Oxigraph's union flag.
    The two alternate, ``repeat`` rounds of one run each, so that a busy machine slows both alike.
    """
    store, old = OxigraphStore.open(path), ox.Store.read_only(str(old_path))

    def run_old(query: str) -> int:
        return len(list(old.query(query, use_default_graph_as_union=True)))  # type: ignore[arg-type]

    try:
        now: dict[str, float] = {}
        before: dict[str, float] = {}
        for name, query in QUERIES.items():
            pairs = [
                (median_ms(partial(read_all, store, query), 1), median_ms(partial(run_old, query), 1))
                for _ in range(repeat)
            ]
            now[name] = statistics.median(pair[0] for pair in pairs)
            before[name] = statistics.median(pair[1] for pair in pairs)
        return now, before
    finally:
        store.close()


def over_http(port: int, repeat: int) -> dict[str, float]:
    """Each query's median time over HTTP: SPARQL JSON, one keep-alive connection, body read.

    The client is the standard library's http.client, so that the client adds as little as it can.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def run(query: str) -> int:
        connection.request(
            "GET", "/sparql?" + urlencode({"query": query}), headers={"Accept": "application/sparql-results+json"}
        )
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{response.status}: {body[:200]!r}")
        return len(body)

    try:
        return {name: median_ms(partial(run, query), repeat) for name, query in QUERIES.items()}
    finally:
        connection.close()


def serve(path: Path, port: int) -> subprocess.Popen[bytes]:
    """Start `chipgraph serve` on ``path`` and wait until it answers."""
    server = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--store", str(path), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "CHIPGRAPH_QUERY_WORKERS": "2"},
    )
    deadline = time.monotonic() + 600  # a large store takes minutes to open on a loaded machine
    while time.monotonic() < deadline and server.poll() is None:
        try:
            # /readyz counts every quad: seconds at 1 M triples on a loaded machine
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=120).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError("chipgraph serve did not come up")


LUA = """
math.randomseed(42)
request = function()
  return wrk.format("GET", "/chips/synthetic-" .. math.random(0, {last}))
end
"""


def load_test(port: int, chips: int, seconds: int, connections: int, folder: Path) -> str:
    """Run wrk against /chips/{id} with random ids; return its latency and rate summary."""
    script = folder / "chips.lua"
    script.write_text(LUA.replace("{last}", str(chips - 1)), encoding="utf-8")
    result = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def main() -> None:
    """Run both benchmarks and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="chipgraph-bench-"))
    try:
        path = folder / "store"
        with console.status(f"writing {args.scale} triples"):
            chips = write_store(path, args.scale)
        local, before = in_process(path, old_format_copy(path, folder / "before-0010"), args.repeat)
        server = serve(path, args.port)
        try:
            remote = over_http(args.port, args.repeat)
            print("| query | before 0010 (union flag), in process | in process | over HTTP | HTTP adds |")
            print("|---|---:|---:|---:|---:|")
            for name in QUERIES:
                extra = (remote[name] - local[name]) / local[name] * 100
                print(
                    f"| {name} | {before[name]:.1f} ms | {local[name]:.1f} ms | {remote[name]:.1f} ms | {extra:+.0f}% |"
                )
            print()
            if shutil.which("wrk") is None:
                print("wrk is not installed (Debian package `wrk`): REST look-ups not measured")
                return
            print(f"wrk, {args.connections} connections, {args.seconds} s, GET /chips/{{random of {chips}}}:")
            print("```")
            print(load_test(args.port, chips, args.seconds, args.connections, folder).strip())
            print("```")
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    random.seed(0)
    main()
