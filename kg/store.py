"""The graph store: a small interface and its embedded Oxigraph implementation.

Queries are SPARQL strings run by Oxigraph's own engine. By default the query's default graph
is the union of all named graphs, so a query sees every source, the ontology and the inferred
facts at once; ``GRAPH ?g`` still tells which graph a triple is in.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol, TypeAlias

import pyoxigraph as ox

Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row: TypeAlias = dict[str, Term]
QueryResult: TypeAlias = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


class StoreError(RuntimeError):
    """Base class of the errors the store raises."""


class StoreNotFoundError(StoreError):
    """Raised when a store is opened for reading at a path where none was built."""


class QuerySyntaxError(StoreError, ValueError):
    """Raised when a query or update is not valid SPARQL 1.1; the message is the parser's."""


class Store(Protocol):
    """What the rest of chipgraph needs from a store."""

    def query(self, sparql: str) -> QueryResult:
        """Run a SPARQL query over the union of the graphs; raise QuerySyntaxError if invalid."""
        ...

    def select(self, sparql: str) -> list[Row]:
        """Run a SELECT query and return its rows (unbound variables are left out)."""
        ...

    def update(self, sparql: str) -> None:
        """Run a SPARQL update as one transaction; raise QuerySyntaxError if invalid."""
        ...

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads as one transaction."""
        ...

    def named_graphs(self) -> list[str]:
        """The IRIs of the named graphs, sorted."""
        ...

    def quad_count(self, graph: str | None = None) -> int:
        """The number of quads in one named graph, or in the whole store."""
        ...

    def close(self) -> None:
        """Release the store (flush and unlock an on-disk store)."""
        ...


class OxigraphStore:
    """An embedded Oxigraph store, on disk or in memory."""

    def __init__(self, store: ox.Store, path: Path | None = None, *, read_only: bool = False) -> None:
        self._store = store
        self.path = path
        self.read_only = read_only

    @classmethod
    def in_memory(cls) -> OxigraphStore:
        """A fresh, empty store that lives in memory (for tests and dry runs)."""
        return cls(ox.Store())

    @classmethod
    def create(cls, path: Path) -> OxigraphStore:
        """Open the store at ``path`` for writing, creating the folder if needed."""
        path.mkdir(parents=True, exist_ok=True)
        return cls(ox.Store(str(path)), path)

    @classmethod
    def open(cls, path: Path, *, read_only: bool = True) -> OxigraphStore:
        """Open an existing store; raise StoreNotFoundError if none was built at ``path``."""
        if not (path / "CURRENT").is_file():
            raise StoreNotFoundError(f"no chipgraph store at {path}: run `chipgraph build` first")
        try:
            store = ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
        except OSError as error:
            raise StoreError(f"cannot open the store at {path}: {error}") from error
        return cls(store, path, read_only=read_only)

    def query(self, sparql: str) -> QueryResult:
        """Run a SPARQL query over the union of the graphs; raise QuerySyntaxError if invalid."""
        try:
            return self._store.query(sparql, use_default_graph_as_union=True)
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from error

    def select(self, sparql: str) -> list[Row]:
        """Run a SELECT query and return its rows (unbound variables are left out)."""
        result = self.query(sparql)
        if not isinstance(result, ox.QuerySolutions):
            raise QuerySyntaxError("expected a SELECT query")
        names = [variable.value for variable in result.variables]
        return [
            {name: term for name, term in zip(names, solution, strict=True) if term is not None} for solution in result
        ]

    def update(self, sparql: str) -> None:
        """Run a SPARQL update as one transaction; raise QuerySyntaxError if invalid, StoreError if it failed."""
        try:
            self._store.update(sparql)
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from error
        except RuntimeError as error:  # an operation failed (e.g. CREATE of an existing graph): rolled back
            raise StoreError(str(error)) from error

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads as one transaction."""
        self._store.extend(quads)

    def named_graphs(self) -> list[str]:
        """The IRIs of the named graphs, sorted."""
        return sorted(graph.value for graph in self._store.named_graphs() if isinstance(graph, ox.NamedNode))

    def quad_count(self, graph: str | None = None) -> int:
        """The number of quads in one named graph, or in the whole store."""
        if graph is None:
            return len(self._store)
        return sum(1 for _ in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))

    def contains(self, quad: ox.Quad) -> bool:
        """Whether the store holds ``quad``."""
        return quad in self._store

    def quads_matching(
        self, subject: ox.NamedNode | None, predicate: ox.NamedNode | None, obj: Term | None, graph: ox.NamedNode
    ) -> list[ox.Quad]:
        """The quads of ``graph`` that match the pattern (None matches anything)."""
        return list(self._store.quads_for_pattern(subject, predicate, obj, graph))

    def backup(self, target: Path) -> None:
        """Write a consistent snapshot of an on-disk store to ``target`` (hard links: cheap)."""
        self._store.backup(str(target))

    def all_quads(self) -> list[ox.Quad]:
        """Every quad of the store."""
        return list(self._store)

    def quads(self, graph: str) -> list[ox.Quad]:
        """Every quad of one named graph."""
        return list(self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))

    def dump_nquads(self) -> bytes:
        """The whole store as sorted N-Quads with canonical blank nodes: equal stores, equal bytes."""
        dataset = ox.Dataset(self._store)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        text = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS) or b""
        return b"\n".join(sorted(line for line in text.splitlines() if line))

    def close(self) -> None:
        """Flush and release the store; the object must not be used afterwards."""
        if self.path is not None and not self.read_only:
            self._store.flush()
        del self._store


def term_text(term: Term) -> str:
    """The plain text of a term: an IRI, a literal's lexical form, or a blank node's id."""
    return str(term.value) if not isinstance(term, ox.Triple) else str(term)
