"""A merge on a SPARQL server: its update replayed on a local copy of what it touches, the effect sent as one operation.

The embedded store runs a merge as one SPARQL update of many operations (kg/gate/merge.py), one
transaction. A SPARQL server may commit operation by operation (Virtuoso does; docs/adr/0018), so
the same text sent there could stop half-way, and its incremental inference keeps scratch sets as
RDF-star triple terms, which SPARQL 1.1 servers lack. So on a server:

1. *region*: the quads the merge's update reads are copied from the server into an in-memory
   Oxigraph store: every quad (any graph) whose subject is a node of the change, a node linked to
   one by a chain of transitive properties, or a derivation of a changed chip; and the ontology.
   The rules (subclass types, inverses, transitive chains, sub-properties) and the derivations only
   ever join facts about those nodes, so the update computes there exactly what it would on the
   whole graph. When the inferences must be recomputed whole (a change of the ontology or of the
   inferred graph), the region is everything.
2. *replay*: the unchanged merge update (data, history records, inferences to their fixpoint,
   derived figures, the default graph kept as the merge) runs on that copy; the difference
   before/after, quad by quad, is the merge's effect.
3. *apply*: the effect is one DELETE/INSERT operation on the server (the default graph's quads in
   its mirror graph), which the server applies whole, *fenced*: it writes only if no history
   record at or past the merge's first sequence number exists, i.e. if no other merge landed since
   the graph was read (the callers also hold the server's write lock, kg/store/server_lock.py).
4. *confirm*: the merge happened if and only if its first history record is on the server. When
   the request fails (server error, time-out) the history is read back: a merge is reported only
   when it is there, and nothing half-written can be there, the operation being one.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from kg.gate import affected, derive
from kg.gate.changes import Changeset
from kg.namespaces import CHANGE_BASE, DERIVED_GRAPH, HISTORY_GRAPH, ONTOLOGY_GRAPH, ONTOLOGY_NS
from kg.rdf import fill, sparql_iri
from kg.store import OxigraphStore, RemoteStore, StoreError, term_text
from kg.store.remote import UpdateTooLargeError

SEQUENCE = ox.NamedNode(ONTOLOGY_NS + "sequenceNumber")
DERIVED_FROM = "http://www.w3.org/ns/prov#wasDerivedFrom"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


class MergeNotAppliedError(StoreError):
    """Raised when the server failed during a merge's one write and its history shows the merge is not there."""


class MergeOutcomeUnknownError(StoreError):
    """Raised when the server failed during a merge's one write and its history could not be read afterwards."""


class MergeConflictError(StoreError):
    """Raised when another writer merged between this merge's read and its write: nothing of it was written."""


def write_remote(store: RemoteStore, changesets: list[Changeset], first_sequence: int, incremental: bool) -> None:
    """Write validated, stamped changesets to the server as one fenced operation (module docstring).

    ``incremental`` says whether the inferences are updated from the change (else recomputed whole
    on a copy of everything). Raises MergeConflictError or MergeNotAppliedError (nothing written),
    UpdateTooLargeError (nothing sent), MergeOutcomeUnknownError when the server fails and the
    outcome cannot be read back (the message says to check the log).
    """
    removed, added = effect(_region(store, changesets, incremental), changesets, first_sequence, incremental)
    proof = changesets[0]
    try:
        store.apply(removed, added, fence(first_sequence))
    except UpdateTooLargeError:
        raise
    except StoreError as error:
        if _landed(store, proof, error):
            return
        raise MergeNotAppliedError(
            f"the SPARQL server failed while writing the merge, and its history shows the merge is not there: "
            f"nothing was written ({error})"
        ) from error
    if not _landed(store, proof, None):
        raise MergeConflictError(
            "another writer merged into the SPARQL server while this merge was computed: nothing of it was "
            "written; send it again"
        )


def effect(
    region: Iterable[ox.Quad], changesets: list[Changeset], first_sequence: int, incremental: bool
) -> tuple[set[ox.Quad], set[ox.Quad]]:
    """The quads the merge removes and adds (default graph included), computed on a copy of ``region``."""
    from kg.gate import merge  # it imports this module

    scratch = OxigraphStore.in_memory()
    scratch.add_quads(region)
    before = set(scratch.raw)
    merge.write(scratch, changesets, first_sequence, incremental=incremental)
    after = set(scratch.raw)
    scratch.close()
    return before - after, after - before


def fence(first_sequence: int) -> str:
    """A pattern with one solution while no history record has ``first_sequence`` or a later number.

    COUNT, not FILTER NOT EXISTS: Virtuoso 7.2 finds a solution for a NOT EXISTS with no outer
    bindings even when the pattern matches (measured; tests/store/test_remote_merge.py).
    """
    number = ox.Literal(str(int(first_sequence)), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    return (
        f"{{ SELECT (COUNT(*) AS ?later) WHERE {{ GRAPH <{HISTORY_GRAPH}> {{ ?change {SEQUENCE} ?number "
        f"FILTER(?number >= {number}) }} }} }} FILTER(?later = 0)"
    )


def _landed(store: RemoteStore, change: Changeset, failure: StoreError | None) -> bool:
    """Whether the history on the server holds ``change``; StoreError if it cannot be read after ``failure``."""
    node = ox.NamedNode(CHANGE_BASE + str(change.id))
    try:
        return store.has_quads(node, SEQUENCE, None, ox.NamedNode(HISTORY_GRAPH))
    except StoreError as error:
        if failure is None:
            raise
        raise MergeOutcomeUnknownError(
            f"the SPARQL server failed while writing a merge ({failure}) and its history cannot be read ({error}): "
            f"whether changeset {change.id} was merged is unknown; see `chipgraph log` once the server answers"
        ) from error


def _region(store: RemoteStore, changesets: list[Changeset], incremental: bool) -> list[ox.Quad]:
    """The quads the merge's update reads (module docstring, step 1)."""
    if not incremental:
        return store.all_quads()
    changed = [triple for change in changesets for triple in (*change.add, *change.remove)]
    nodes = {term.value for triple in changed for term in _nodes(triple)}
    vocabulary = affected.vocabulary(store)
    nodes |= affected.connected(store, nodes, vocabulary.transitive)
    chips = derive.changed_chips(t.subject.value for t in changed if isinstance(t.subject, ox.NamedNode)) or set()
    nodes |= _derivations(store, chips)
    return [*store.quads_about(nodes), *store.quads(ONTOLOGY_GRAPH)]


def _nodes(triple: ox.Triple) -> list[ox.NamedNode]:
    """The IRIs a changed triple is about: its subject, and its object unless that is a class it types."""
    terms = [triple.subject] if triple.predicate.value == RDF_TYPE else [triple.subject, triple.object]
    return [term for term in terms if isinstance(term, ox.NamedNode)]


def _derivations(store: RemoteStore, chips: set[str]) -> set[str]:
    """The derivation nodes of ``chips`` and the fact references they were derived from."""
    if not chips:
        return set()
    derivations = {
        derivation
        for chip in chips
        for metric in derive.METRICS
        for derivation in [f"{derive.DERIVATION_BASE}{chip[len(derive.CHIP_BASE) :]}/{metric}"]
    }
    query = (
        f"SELECT DISTINCT ?x WHERE {{ VALUES ?n {{ $VALUES }} GRAPH {sparql_iri(DERIVED_GRAPH)} "
        f"{{ ?n {sparql_iri(DERIVED_FROM)} ?x }} }}"
    )
    found = {
        term_text(row["x"])
        for values in affected.batches(derivations)
        for row in store.select_unscoped(fill(query, {"VALUES": values}))
        if isinstance(row.get("x"), ox.NamedNode)
    }
    return derivations | found
