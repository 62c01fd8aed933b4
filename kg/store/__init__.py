"""The graph store: the ``Store`` interface, its errors, and the stores that implement it.

- ``kg.store.oxigraph``: ``OxigraphStore``, embedded Oxigraph on disk or in memory (the default);
- ``kg.store.remote``: ``RemoteStore``, any SPARQL 1.1 Query + Update server over HTTP (Virtuoso
  first; docs/adr/0018); ``kg.store.remote_terms``: terms into update text and out of answers;
  ``kg.store.server_lock``: the write lock kept in the server, one writer across processes;
- ``kg.store.shape``: what rdflib's parse of a query says (form, dataset, GRAPH, SERVICE) and
  the query with chipgraph's dataset written into it;
- ``kg.store.virtuoso_launcher``: a throw-away Virtuoso on loopback, for the tests and bench/.

Every store promises the same: SPARQL strings in, pyoxigraph terms out; the default graph is the
RDF merge of the named graphs (each triple once, however many graphs state it; kept so by every
write, see kg/union.py and docs/adr/0010); an update is applied whole or not at all. Everything
public here is importable as ``from kg.store import X``.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeAlias

import pyoxigraph as ox

Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row: TypeAlias = dict[str, Term]
QueryResult: TypeAlias = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


class StoreError(RuntimeError):
    """Base class of the errors the store raises."""


class StoreTimeoutError(StoreError):
    """Raised when a server does not answer a query within its time limit (or answers with a partial result)."""


class StoreNotFoundError(StoreError):
    """Raised when a store is opened for reading at a path where none was built."""


class StoreLockedError(StoreError):
    """Raised when another process (a running server, another command) holds the store for writing."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"the store at {path} is in use by another chipgraph process (a running server or another command); "
            "stop it or retry"
        )
        self.path = path


class StoreFormatError(StoreError):
    """Raised when a store built before ADR 0010 (no union default graph) is opened read-only."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"the store at {path} was built by an older chipgraph (its default graph is not yet the merge of "
            "its named graphs): open it once for writing (`chipgraph serve`, `chipgraph backup`) to upgrade it "
            "in place, or run `chipgraph build`"
        )
        self.path = path


class QuerySyntaxError(StoreError, ValueError):
    """Raised when a query or update is not valid SPARQL 1.1; the message is the parser's."""


class Store(Protocol):
    """What the rest of chipgraph needs from a store."""

    @property
    def mirror_graph(self) -> ox.NamedNode | None:
        """Where the merge of the named graphs lives: None for the default graph itself (embedded).

        A remote store keeps it in a named graph of its own; writes pass it to kg/union.py.
        """
        ...

    @property
    def atomic_updates(self) -> bool:
        """Whether an update request of several operations is applied whole or not at all.

        True for the embedded store. A remote store says what its server does: Virtuoso commits
        each operation of a request by itself (docs/adr/0018), so a request that fails part-way
        leaves the operations before the failure applied.
        """
        ...

    def query(self, sparql: str) -> QueryResult:
        """Run a SPARQL query over the merge of the named graphs; raise QuerySyntaxError if invalid."""
        ...

    def select(self, sparql: str) -> list[Row]:
        """Run a SELECT query and return its rows (unbound variables are left out)."""
        ...

    def update(self, sparql: str) -> None:
        """Run a SPARQL update as one transaction; raise QuerySyntaxError if invalid.

        The update must keep the default graph the merge of the named graphs (kg/union.py).
        """
        ...

    def writing(self) -> AbstractContextManager[None]:
        """A block in which this process is the store's one writer (re-entrant in its thread).

        The embedded store needs nothing (its writer holds the folder); a remote store takes the
        server's write lock, shared by every process writing to that server.
        """
        ...

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Add named-graph quads, and their triples to the default graph, as one transaction."""
        ...

    def named_graphs(self) -> list[str]:
        """The IRIs of the named graphs, sorted."""
        ...

    def quad_count(self, graph: str | None = None) -> int:
        """The number of quads in one named graph, or in all named graphs (the default graph not counted)."""
        ...

    def triple_count(self) -> int:
        """The number of distinct triples: the size of the default graph, the merge of the named graphs."""
        ...

    def close(self) -> None:
        """Release the store (flush and unlock an on-disk store)."""
        ...


def solution_rows(result: QueryResult) -> list[Row]:
    """The rows of a SELECT query's result (unbound variables left out); QuerySyntaxError for another form."""
    if not isinstance(result, ox.QuerySolutions):
        raise QuerySyntaxError("expected a SELECT query")
    names = [variable.value for variable in result.variables]
    return [{name: term for name, term in zip(names, solution, strict=True) if term is not None} for solution in result]


def term_text(term: Term) -> str:
    """The plain text of a term: an IRI, a literal's lexical form, or a blank node's id."""
    return str(term.value) if not isinstance(term, ox.Triple) else str(term)


# The implementations import the names above from this package: they come after them.
from kg.store.oxigraph import (  # noqa: E402
    OxigraphStore,
    ensure_free,
    is_store,
    needs_union,
    replace_store,
)
from kg.store.remote import RemoteStore  # noqa: E402

AnyStore: TypeAlias = OxigraphStore | RemoteStore
"""Either store, for code that needs more than the Store protocol (quad look-ups, the write lock)."""


def in_memory(store: AnyStore, graphs: Iterable[str]) -> OxigraphStore:
    """``store`` itself when embedded; else an in-memory copy of ``graphs`` (small ones: the ontology).

    For queries that read only those graphs with what a server may not evaluate: Virtuoso 7.2
    refuses a ``+`` or ``*`` property path whose start is not a constant ("transitive start not
    given"), even when VALUES binds it.
    """
    if isinstance(store, OxigraphStore):
        return store
    copy = OxigraphStore.in_memory()
    copy.add_quads(quad for graph in graphs for quad in store.quads(graph))
    return copy


if TYPE_CHECKING:  # mypy proves that both stores are Stores

    def _embedded_is_a_store(store: OxigraphStore) -> Store:
        return store

    def _remote_is_a_store(store: RemoteStore) -> Store:
        return store


__all__ = [
    "AnyStore",
    "OxigraphStore",
    "QueryResult",
    "QuerySyntaxError",
    "RemoteStore",
    "Row",
    "Store",
    "StoreError",
    "StoreFormatError",
    "StoreLockedError",
    "StoreNotFoundError",
    "StoreTimeoutError",
    "Term",
    "ensure_free",
    "in_memory",
    "is_store",
    "needs_union",
    "replace_store",
    "term_text",
]
