"""Evaluate an update on a private copy of the store, in a child process that cannot open a socket.

``evaluate`` copies the store (an on-disk store: a RocksDB checkpoint, hard links, cheap; an
in-memory store: its quads written to a scratch folder), starts a child process that installs
the socket filter of kg.sparql.sandbox before it reads the update, and hands it the copy. The
child reads the update (kg.update.plan: refusals before anything runs), records the graphs the
update can write, runs the update with Oxigraph on the copy, and sends back what changed in
each of those graphs: every named graph when a template writes to a variable graph. New blank
nodes become skolem IRIs (``SKOLEM_BASE`` + a UUID, one per blank node). The copy is deleted;
the store itself is only read (by the checkpoint).

Between two operations, when a later one can read the default graph, the default graph of the
copy is derived again from its named graphs (kg.union.RESYNC), so that it stays their merge as
in the store (docs/adr/0010) and a later operation sees an earlier one's writes.
"""

from __future__ import annotations

import errno
import multiprocessing
import tempfile
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import union
from kg.gate.changes import nt_text, parse_nt
from kg.sparql.sandbox import SandboxUnavailableError, lock_out_and_greet
from kg.store import AnyStore, OxigraphStore
from kg.update.plan import SKOLEM_BASE, UpdateError, UsingDataset, forbidden, plan

START_TIMEOUT = 60.0
NO_REQUESTS = "SERVICE is refused: this server never queries other endpoints"


@dataclass(frozen=True)
class GraphDiff:
    """What an update would change in one named graph."""

    graph: str
    added: frozenset[ox.Triple]
    removed: frozenset[ox.Triple]


def evaluate(
    store: AnyStore,
    text: str,
    base_iri: str | None = None,
    *,
    dataset: UsingDataset | None = None,
    timeout: float = 60.0,
    sandboxed: bool = True,
) -> list[GraphDiff]:
    """The triples ``text`` would add to and remove from each named graph of ``store``; writes nothing.

    Raises UpdateError: invalid-update (syntax, or an evaluation error such as CREATE of an
    existing graph), forbidden-update (LOAD, SERVICE, writes to the default or a system graph),
    update-timeout (``timeout`` seconds of evaluation passed; the child is killed). Raises
    SandboxUnavailableError when ``sandboxed`` and the child cannot be locked out of the network.
    ``dataset`` is the protocol's using-graph-uri/using-named-graph-uri (kg.update.plan.UsingDataset).
    """
    path = store.path if isinstance(store, OxigraphStore) else None
    parent_folder = path.parent if path is not None else None
    prefix = (path.name if path is not None else "memory") + ".update-"
    with tempfile.TemporaryDirectory(prefix=prefix, dir=parent_folder) as folder:
        copy = Path(folder) / "store"
        _copy(store, copy)
        message = _in_child((text, base_iri, dataset or UsingDataset(), str(copy)), timeout, sandboxed)
    if message[0] == "error":
        _, code, text_of_error, context = message
        raise UpdateError(code, text_of_error, context)
    return [GraphDiff(graph, parse_nt(added), parse_nt(removed)) for graph, added, removed in message[1]]


def _copy(store: AnyStore, target: Path) -> None:
    """Write a copy of ``store`` (named graphs and default graph) at ``target``.

    An on-disk store is checkpointed (cheap); an in-memory one, or a SPARQL server's graph, is
    read whole and written (on a server, O(graph) per update: docs/adr/0018).
    """
    if isinstance(store, OxigraphStore) and store.path is not None:
        store.backup(target)
        return
    copy = OxigraphStore(ox.Store(str(target)), target)
    copy.add_quads(store.all_quads())
    copy.close()


def _in_child(job: tuple[str, str | None, UsingDataset, str], timeout: float, sandboxed: bool) -> tuple[Any, ...]:
    """Run ``job`` in a fresh child process (killed at the end); its answer message."""
    context = multiprocessing.get_context("spawn")
    connection, child_end = context.Pipe()
    process = context.Process(target=_serve, args=(child_end, sandboxed), daemon=True)
    process.start()
    child_end.close()
    try:
        if not connection.poll(START_TIMEOUT):
            raise UpdateError("update-timeout", f"the update's evaluation process did not start in {START_TIMEOUT:g} s")
        hello = connection.recv()
        if hello[0] == "unsafe":
            raise SandboxUnavailableError(f"updates cannot be evaluated without network access: {hello[1]}")
        connection.send(job)
        if not connection.poll(timeout):
            raise UpdateError("update-timeout", f"the update ran longer than {timeout:g} s and was stopped")
        answer: tuple[Any, ...] = connection.recv()
        return answer
    except (EOFError, OSError) as error:
        raise UpdateError(
            "invalid-update", "the update stopped its evaluation process (for example by nesting too deep)"
        ) from error
    finally:
        process.kill()
        process.join(5)
        connection.close()


def _serve(connection: Connection, sandboxed: bool) -> None:
    """Child main: lock out the network, say ("ready",) or ("unsafe", why), evaluate one job, answer.

    The answer is ("ok", [(graph, added N-Triples, removed N-Triples), ...]) or
    ("error", code, message, context).
    """
    if not lock_out_and_greet(connection, sandboxed):
        return
    text, base_iri, dataset, path = connection.recv()
    try:
        copy = ox.Store(path)
    except OSError as error:
        connection.send(("error", "internal-error", f"the copy of the store cannot be opened: {error}", {}))
        return
    try:
        connection.send(("ok", evaluate_here(copy, text, base_iri, dataset)))
    except UpdateError as error:
        connection.send(("error", error.code, str(error), error.context))
    except OSError as error:  # the sandbox's refusal, or Oxigraph's HTTP client: a SERVICE call
        if error.errno in (None, errno.EACCES):
            refusal = forbidden("service", NO_REQUESTS)
            connection.send(("error", refusal.code, str(refusal), refusal.context))
        else:
            connection.send(("error", "invalid-update", f"the update failed: {error.strerror or error}", {}))
    except SyntaxError as error:
        connection.send(("error", "invalid-update", f"the update is not SPARQL 1.1: {error}", {}))
    except Exception as error:  # an evaluation error is the update's (e.g. CREATE of an existing graph)
        connection.send(("error", "invalid-update", f"the update failed: {error}", {}))


def _triples(store: ox.Store, graph: str) -> set[ox.Triple]:
    return {quad.triple for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))}


def _named_graphs(store: ox.Store) -> set[str]:
    return {graph.value for graph in store.named_graphs() if isinstance(graph, ox.NamedNode)}


def evaluate_here(
    store: ox.Store, text: str, base_iri: str | None, dataset: UsingDataset | None = None
) -> list[tuple[str, str, str]]:
    """Run the update on ``store`` (a copy: it is changed) and return what changed per named graph.

    Each item is (graph, added triples, removed triples), the triples as N-Triples text, added
    blank nodes skolemised. Raises UpdateError for updates kg.update.plan refuses.
    """
    accepted = plan(text, base_iri, dataset)
    graphs = set(accepted.graphs)
    if accepted.any_graph:
        graphs |= _named_graphs(store)
    before = {graph: _triples(store, graph) for graph in graphs}
    store.update(accepted.evaluation_text(union.RESYNC), base_iri=base_iri)
    if accepted.any_graph:
        graphs |= _named_graphs(store)
    skolem: dict[ox.BlankNode, ox.NamedNode] = {}
    changed = []
    for graph in sorted(graphs):
        old, new = before.get(graph, set()), _triples(store, graph)
        added, removed = new - old, old - new
        if added or removed:
            changed.append((graph, nt_text(skolemised(triple, skolem) for triple in added), nt_text(removed)))
    return changed


def skolemised(triple: ox.Triple, skolem: dict[ox.BlankNode, ox.NamedNode]) -> ox.Triple:
    """``triple`` with each blank node replaced by its skolem IRI (a new one the first time it is seen)."""

    def term(node: Any) -> Any:
        if isinstance(node, ox.BlankNode):
            if node not in skolem:
                skolem[node] = ox.NamedNode(SKOLEM_BASE + str(uuid.uuid4()))
            return skolem[node]
        return node

    return ox.Triple(term(triple.subject), triple.predicate, term(triple.object))
