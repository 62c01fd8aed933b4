"""The embedded Oxigraph store, on disk or in memory (the default store).

Queries are SPARQL strings run by Oxigraph's own engine. The store's default graph is the RDF
merge of all named graphs (each triple once, however many graphs state it; kept so by every write,
see kg/union.py and docs/adr/0010), so a query sees every source, the ontology and the inferred
facts at once, and counts a fact once; ``GRAPH ?g`` still tells which graphs a triple is in.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pyoxigraph as ox

from kg import union
from kg.store import (
    QueryResult,
    QuerySyntaxError,
    Row,
    StoreError,
    StoreFormatError,
    StoreLockedError,
    StoreNotFoundError,
    Term,
    solution_rows,
    term_text,
)


class OxigraphStore:
    """An embedded Oxigraph store, on disk or in memory."""

    mirror_graph: ox.NamedNode | None = None  # the merge is the store's own default graph
    atomic_updates = True  # an update request is one transaction

    def __init__(self, store: ox.Store, path: Path | None = None, *, read_only: bool = False) -> None:
        """Wrap ``store``; an on-disk store from before ADR 0010 is upgraded (writable) or refused.

        Raises StoreFormatError when ``read_only`` and the store still lacks its union default graph.
        """
        self._store = store
        self.path = path
        self.read_only = read_only
        if needs_union(store):
            if read_only:
                raise StoreFormatError(path or Path("(memory)"))
            self.resync_union()

    @classmethod
    def in_memory(cls) -> OxigraphStore:
        """A fresh, empty store that lives in memory (for tests and dry runs)."""
        return cls(ox.Store())

    @classmethod
    def create(cls, path: Path, *, wait: float = 0.0) -> OxigraphStore:
        """Open the store at ``path`` for writing, creating the folder if needed.

        Raises StoreLockedError if another process still holds it after ``wait`` seconds, and
        StoreError if it cannot be opened otherwise.
        """
        path.mkdir(parents=True, exist_ok=True)
        return cls(_open_for_writing(path, wait), path)

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        read_only: bool = True,
        wait: float = 0.0,
        on_wait: Callable[[], None] | None = None,
    ) -> OxigraphStore:
        """Open an existing store; raise StoreNotFoundError if none was built at ``path``.

        Read-only opening takes no lock. Opening for writing retries for up to ``wait`` seconds
        while another process holds the store (``on_wait`` is called once when it starts waiting),
        then raises StoreLockedError; any other failure raises StoreError.
        """
        if not is_store(path):
            raise StoreNotFoundError(f"no chipgraph store at {path}: run `chipgraph build` first")
        if not read_only:
            return cls(_open_for_writing(path, wait, on_wait), path)
        try:
            opened = ox.Store.read_only(str(path))
        except OSError as error:
            raise StoreError(f"cannot open the store at {path}: {error}") from error
        return cls(opened, path, read_only=True)

    def query(self, sparql: str) -> QueryResult:
        """Run a SPARQL query; raise QuerySyntaxError if invalid.

        Its default graph is the store's, the merge of the named graphs (each triple once), unless
        the query names its own with FROM: several FROM graphs are Oxigraph's bag (a triple once
        per graph that states it; docs/adr/0010).
        """
        try:
            return self._store.query(sparql)
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from error

    def select(self, sparql: str) -> list[Row]:
        """Run a SELECT query and return its rows (unbound variables are left out)."""
        return solution_rows(self.query(sparql))

    def update(self, sparql: str) -> None:
        """Run a SPARQL update as one transaction; raise QuerySyntaxError if invalid, StoreError if it failed.

        The caller keeps the default graph the merge of the named graphs: every write of a named
        graph comes with its mirror from kg/union.py in the same update.
        """
        try:
            self._store.update(sparql)
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from error
        except RuntimeError as error:  # an operation failed (e.g. CREATE of an existing graph): rolled back
            raise StoreError(str(error)) from error

    def writing(self) -> AbstractContextManager[None]:
        """A block with the right to write: nothing to take, a store open for writing is this process's alone."""
        return nullcontext()

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads of named graphs, and their triples to the default graph, as one transaction.

        Raises ValueError, adding nothing, for a quad in the default graph: it is the named
        graphs' merge, nothing is stated there directly.
        """
        named = list(quads)
        if any(isinstance(quad.graph_name, ox.DefaultGraph) for quad in named):
            raise ValueError("a quad in the default graph: state every triple in a named graph")
        default = ox.DefaultGraph()
        self._store.extend([*named, *(ox.Quad(q.subject, q.predicate, q.object, default) for q in named)])

    def named_graphs(self) -> list[str]:
        """The IRIs of the named graphs, sorted."""
        return sorted(graph.value for graph in self._store.named_graphs() if isinstance(graph, ox.NamedNode))

    def quad_count(self, graph: str | None = None) -> int:
        """The number of quads in one named graph, or in all named graphs (the default graph not counted).

        A triple stated by two sources counts twice here; ``triple_count`` counts it once.
        """
        if graph is None:
            return self._count("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sum(1 for _ in self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))

    def triple_count(self) -> int:
        """The number of distinct triples: the size of the default graph, the merge of the named graphs."""
        return self._count("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")

    def _count(self, sparql: str) -> int:
        """The single integer a COUNT query returns."""
        rows = self.select(sparql)
        return int(term_text(rows[0]["n"]))

    def resync_union(self) -> None:
        """Make the default graph exactly the merge of the named graphs, in one transaction.

        Every write keeps it so already; this is for a store from before ADR 0010 and for checks.
        """
        self.update(" ;\n".join(union.RESYNC))

    def union_differences(self) -> tuple[set[ox.Triple], set[ox.Triple]]:
        """The triples missing from the default graph and those it holds in excess (both empty when right)."""
        default = {quad.triple for quad in self._store.quads_for_pattern(None, None, None, ox.DefaultGraph())}
        stated = {quad.triple for quad in self._store if not isinstance(quad.graph_name, ox.DefaultGraph)}
        return stated - default, default - stated

    def contains(self, quad: ox.Quad) -> bool:
        """Whether the store holds ``quad``."""
        return quad in self._store

    def present(self, graph: str, triples: Iterable[ox.Triple]) -> dict[ox.Triple, ox.Triple]:
        """Those of ``triples`` that the named graph ``graph`` holds, each mapped to itself (terms kept as written)."""
        name = ox.NamedNode(graph)
        return {t: t for t in triples if ox.Quad(t.subject, t.predicate, t.object, name) in self._store}

    def quads_matching(
        self, subject: ox.NamedNode | None, predicate: ox.NamedNode | None, obj: Term | None, graph: ox.NamedNode
    ) -> list[ox.Quad]:
        """The quads of ``graph`` that match the pattern (None matches anything)."""
        return list(self._store.quads_for_pattern(subject, predicate, obj, graph))

    def has_quads(
        self, subject: ox.NamedNode | None, predicate: ox.NamedNode | None, obj: Term | None, graph: ox.NamedNode
    ) -> bool:
        """Whether ``graph`` holds at least one quad matching the pattern (None matches anything)."""
        return next(iter(self._store.quads_for_pattern(subject, predicate, obj, graph)), None) is not None

    @property
    def raw(self) -> ox.Store:
        """The pyoxigraph store itself, for bulk paths (kg/gate/bulk.py) that write a scratch copy.

        A write through it must keep the default graph the merge of the named graphs (kg/union.py).
        """
        return self._store

    def backup(self, target: Path) -> None:
        """Write a consistent snapshot of an on-disk store to ``target`` (hard links: cheap)."""
        self._store.backup(str(target))

    def all_quads(self) -> list[ox.Quad]:
        """Every quad of the named graphs (not the default graph, which is their merge)."""
        return [quad for quad in self._store if not isinstance(quad.graph_name, ox.DefaultGraph)]

    def triples(self, graph: str | None) -> list[ox.Triple]:
        """The triples of one named graph, or of the default graph (None: the merge of the named graphs)."""
        name = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
        return [quad.triple for quad in self._store.quads_for_pattern(None, None, None, name)]

    def has_graph(self, graph: str) -> bool:
        """Whether the named graph ``graph`` holds a triple (an emptied graph does not count)."""
        return next(iter(self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph))), None) is not None

    def quads(self, graph: str) -> list[ox.Quad]:
        """Every quad of one named graph."""
        return list(self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))

    def dump_nquads(self) -> bytes:
        """The whole store, default graph included, as sorted N-Quads with canonical blank nodes.

        Equal stores, equal bytes.
        """
        dataset = ox.Dataset(self._store)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        text = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS) or b""
        return b"\n".join(sorted(line for line in text.splitlines() if line))

    def close(self) -> None:
        """Flush and release the store; the object must not be used afterwards."""
        if self.path is not None and not self.read_only:
            self._store.flush()
        del self._store


def is_store(path: Path) -> bool:
    """Whether ``path`` holds an on-disk store (a RocksDB folder with its CURRENT file)."""
    return (path / "CURRENT").is_file()


def needs_union(store: ox.Store) -> bool:
    """Whether ``store`` was written before ADR 0010: named graphs hold triples, the default graph none."""
    default = next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None)
    if default is not None:
        return False
    return bool(store.query("ASK { GRAPH ?g { ?s ?p ?o } }"))


def _is_lock_error(error: OSError) -> bool:
    """Whether RocksDB refused to open because the store's LOCK is held (by this or another process)."""
    message = str(error)
    return "While lock file" in message or "lock hold by current process" in message


def _open_for_writing(path: Path, wait: float, on_wait: Callable[[], None] | None = None) -> ox.Store:
    """Open the store at ``path`` for writing, retrying while it is locked for up to ``wait`` seconds.

    ``on_wait`` is called once, when the store is found held and there is time to wait. Raises
    StoreLockedError when the lock is still held at the deadline, StoreError on any other failure.
    """
    deadline = time.monotonic() + wait
    pause = 0.05
    while True:
        try:
            return ox.Store(str(path))
        except OSError as error:
            if not _is_lock_error(error):
                raise StoreError(f"cannot open the store at {path}: {error}") from error
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StoreLockedError(path) from None
        if on_wait is not None:
            on_wait()
            on_wait = None
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, 0.5)


def ensure_free(path: Path, *, wait: float = 0.0) -> None:
    """Return once no other process holds the store at ``path`` (at once when there is no store).

    Raises StoreLockedError if it is still held after ``wait`` seconds. The store is opened for
    writing and closed again: nothing of its content changes.
    """
    if is_store(path):
        OxigraphStore.open(path, read_only=False, wait=wait).close()


def replace_store(staging: Path, target: Path, *, wait: float = 0.0) -> None:
    """Put the closed store at ``staging`` in the place of ``target``, removing the old one.

    Two renames in the same folder: the target holds the old store or the new one (for an instant
    neither), never a mix.
    Raises StoreLockedError, with ``target`` unchanged and ``staging`` left in place, if another
    process holds ``target`` (checked before the old store is moved aside, and again after, so
    that a process opening it in between is caught).
    """
    ensure_free(target, wait=wait)
    target.parent.mkdir(parents=True, exist_ok=True)
    retired = target.with_name(target.name + ".old")
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        target.rename(retired)
        try:
            ensure_free(retired)
        except StoreLockedError:
            retired.rename(target)
            raise StoreLockedError(target) from None
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
