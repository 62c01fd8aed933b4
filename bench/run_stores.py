"""Read side on both stores (issue 15): the same ecosystem in an embedded Oxigraph and in a Virtuoso.

Generates the synthetic ecosystem (bench/generate.py) at each size, loads it into an on-disk
OxigraphStore and into a throw-away Virtuoso started like the tests' (kg/store/virtuoso_launcher.py),
then times, on each store: the load (``add_quads``), the named queries of kg/queries (top level,
default parameters), a few queries of bench/run_http.py, the REST look-ups of kg/catalog.py (read
only), and user queries through the guarded remote path (kg/sparql/remote.py). Then the graph
listing at 1 000 and 3 000 graphs on Virtuoso (a COUNT over the default graph, one over GRAPH ?g).
Each figure is the median of ``--repeat`` runs, in milliseconds; rows are compared between stores.

    .venv/bin/python -m bench.run_stores --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import functools
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import httpx2 as httpx
import pyoxigraph as ox

from bench.generate import ecosystem
from bench.run_http import QUERIES
from kg import catalog
from kg.queries import named_queries, named_query
from kg.sparql.remote import RemoteQueryPool
from kg.sparql.worker import QueryJob
from kg.store import OxigraphStore, RemoteStore, Store
from kg.store.virtuoso_launcher import PASSWORD, USER, Virtuoso, start

ID = "https://w3id.org/chipgraph/id/"
LOOK_UPS: dict[str, Callable[[Any], object]] = {
    "list chips of designer-7 (500)": lambda store: catalog.list_chips(
        store, catalog.ChipFilter(designer="designer-7"), 0, 500
    ),
    "list foundries": lambda store: catalog.list_organisations(store, 0, 500, role="foundry"),
    "facts of one chip": lambda store: catalog.facts(store, ID + "chip/synthetic-7"),
    "export control of one chip": lambda store: catalog.export_control(store, ID + "chip/synthetic-7"),
    "sources": lambda store: catalog.source_index(store),
    "label index (every entity)": lambda store: catalog.label_index(store),
}


def timed(action: Callable[[], object], repeat: int) -> tuple[float, object]:
    """The median time of ``action`` in ms over ``repeat`` runs, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def size_of(result: object) -> int:
    """Rows of a query result or items of a look-up's answer."""
    if isinstance(result, ox.QueryBoolean):
        return int(bool(result))
    if isinstance(result, ox.QuerySolutions | ox.QueryTriples):
        return sum(1 for _ in result)
    if isinstance(result, catalog.Page):
        return len(result.items)
    if isinstance(result, dict | list | set | tuple):
        return len(result)
    return len(getattr(result, "items", []) or [])


LOAD_BATCH = 10_000  # quads per add_quads request: Virtuoso refuses an update text past 10 MB (SR0??)


def load(store: RemoteStore, quads: list[ox.Quad]) -> None:
    """Add ``quads`` to ``store`` in requests of LOAD_BATCH quads."""
    for first in range(0, len(quads), LOAD_BATCH):
        store.add_quads(quads[first : first + LOAD_BATCH])


def queries() -> dict[str, str]:
    """The named queries (default parameters) and run_http's queries."""
    found = {}
    for name, _named in named_queries().items():
        try:
            found[f"named: {name}"] = named_query(name).bind({})
        except Exception:  # a parameter without a default
            continue
    found.update({f"bench: {name}": text for name, text in QUERIES.items()})
    return found


def _rows(store: Store, query: str) -> int:
    """Run ``query`` on ``store`` and read its whole result (Oxigraph evaluates as it is read): its size."""
    return size_of(store.query(query))


def run_size(size: int, server: Virtuoso, repeat: int, folder: Path) -> list[tuple[str, str, float, float, int, int]]:
    """Figures at one size: (section, name, Oxigraph ms, Virtuoso ms, Oxigraph rows, Virtuoso rows)."""
    quads, _ = ecosystem(size)
    rows: list[tuple[str, str, float, float, int, int]] = []
    embedded = OxigraphStore.create(folder / f"oxigraph-{size}")
    remote = remote_store(server)
    remote.clear()
    load_ox, _ = timed(lambda: embedded.add_quads(quads), 1)
    load_vt, _ = timed(lambda: load(remote, quads), 1)
    rows.append(
        ("load", f"add_quads of {len(quads)} quads", load_ox, load_vt, embedded.quad_count(), remote.quad_count())
    )
    stores: tuple[Store, Store] = (embedded, remote)
    for name, text in queries().items():
        try:
            (ms_ox, res_ox), (ms_vt, res_vt) = (timed(functools.partial(_rows, s, text), repeat) for s in stores)
            rows.append(("query", name, ms_ox, ms_vt, cast(int, res_ox), cast(int, res_vt)))
        except Exception as error:
            rows.append(("query", f"{name} (failed: {str(error)[:60]})", 0.0, 0.0, 0, 0))
    for name, look_up in LOOK_UPS.items():
        try:
            (ms_ox, res_ox), (ms_vt, res_vt) = (timed(functools.partial(look_up, s), repeat) for s in stores)
            rows.append(("look-up", name, ms_ox, ms_vt, size_of(res_ox), size_of(res_vt)))
        except Exception as error:
            rows.append(("look-up", f"{name} (failed: {str(error)[:60]})", 0.0, 0.0, 0, 0))
    pool = RemoteQueryPool(remote, timeout=60)
    for name, text in list(QUERIES.items())[:2]:
        job = QueryJob(text, ("application/sparql-results+json",), max_rows=100_000)
        ms_guarded, _ = timed(functools.partial(pool.run, job), repeat)
        ms_plain, _ = timed(functools.partial(_rows, remote, text), repeat)
        rows.append(
            ("guarded", f"{name}: RemoteStore.query vs RemoteQueryPool.run (JSON written)", ms_plain, ms_guarded, 0, 0)
        )
    remote.clear()
    embedded.close()
    remote.close()
    return rows


def run_graphs(server: Virtuoso, repeat: int) -> list[tuple[str, str, float, float, int, int]]:
    """The dataset at 1 000 and 3 000 one-triple graphs on Virtuoso: default graph vs GRAPH ?g."""
    remote = RemoteStore(server.query_url, server.update_url, user=USER, password=PASSWORD, auth="digest")
    remote.clear()
    rows = []
    subject, predicate = ox.NamedNode("urn:s"), ox.NamedNode("urn:p")
    for count in (1000, 3000):
        remote.clear()
        remote.add_quads(
            ox.Quad(
                subject,
                predicate,
                ox.Literal("x"),
                ox.NamedNode(f"https://w3id.org/chipgraph/graph/change/{index:06d}"),
            )
            for index in range(count)
        )
        ms_default, res_default = timed(lambda: remote.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"), repeat)
        ms_graph, res_graph = timed(lambda: remote.query("SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"), repeat)
        ms_list, _ = timed(remote.named_graphs, repeat)
        n_default = int(next(iter(cast(ox.QuerySolutions, res_default)))[0].value)
        n_graph = int(next(iter(cast(ox.QuerySolutions, res_graph)))[0].value)
        rows.append(
            (
                "graphs",
                f"{count} graphs: COUNT default (ms, n) vs GRAPH ?g (ms, n)",
                ms_default,
                ms_graph,
                n_default,
                n_graph,
            )
        )
        rows.append(("graphs", f"{count} graphs: the listing alone", ms_list, 0.0, count, 0))
        ms_before, n_before = timed(lambda: before(server, remote), repeat)
        rows.append(
            (
                "graphs",
                f"{count} graphs: GRAPH ?g as before (listing + named-graph-uri)",
                ms_before,
                0.0,
                cast(int, n_before),
                0,
            )
        )
    remote.clear()
    remote.close()
    return rows


def before(server: Virtuoso, remote: RemoteStore) -> int:
    """The GRAPH ?g count as RemoteStore sent it before: the listing, then every graph as a named-graph-uri.

    -1 when the answer cannot be read (Virtuoso echoes the graphs in a header past the client's limit).
    """
    form = {
        "query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }",
        "default-graph-uri": remote.mirror_graph.value,
        "named-graph-uri": remote.named_graphs(),
    }
    try:
        response = httpx.post(
            server.query_url, data=form, headers={"Accept": "application/sparql-results+json"}, timeout=60
        )
    except httpx.HTTPError:
        return -1
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def remote_store(server: Virtuoso) -> RemoteStore:
    """A RemoteStore on the benchmark's Virtuoso, with time-outs long enough for the load."""
    return RemoteStore(
        server.query_url,
        server.update_url,
        user=USER,
        password=PASSWORD,
        auth="digest",
        query_timeout=600,
        update_timeout=600,
    )


def size_arguments(description: str | None) -> argparse.Namespace:
    """The command line of a two-store benchmark: --sizes (target triples) and --repeat (runs per figure)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeat", type=int, default=3)
    return parser.parse_args()


def main() -> None:
    """Run the benchmark and print a Markdown table per size."""
    args = size_arguments(__doc__)
    with tempfile.TemporaryDirectory(prefix="chipgraph-stores-") as temporary:
        folder = Path(temporary)
        server = start(folder / "virtuoso")
        try:
            for size in args.sizes:
                print(f"\n### {size:,} stated triples (target)\n")
                print("| what | Oxigraph ms | Virtuoso ms | Oxigraph rows | Virtuoso rows |\n|---|---:|---:|---:|---:|")
                for section, name, ms_ox, ms_vt, n_ox, n_vt in run_size(size, server, args.repeat, folder):
                    print(f"| {section}: {name} | {ms_ox:.1f} | {ms_vt:.1f} | {n_ox} | {n_vt} |", flush=True)
            print("\n### Graph listing on Virtuoso\n")
            print("| what | ms | ms | n | n |\n|---|---:|---:|---:|---:|")
            for _section, name, a, b, n_a, n_b in run_graphs(server, args.repeat):
                print(f"| {name} | {a:.1f} | {b:.1f} | {n_a} | {n_b} |", flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
