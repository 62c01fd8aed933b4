"""Merge: validate changesets, then write all of them or nothing, with a history record each.

Everything a merge writes (the data, the history records, the inferences to their fixpoint, the
derived figures) is one SPARQL update, which Oxigraph applies as one transaction: readers never
see half a merge, and a kill at any moment leaves the store exactly before or exactly after it.
The inferences are updated by what the merge changes (kg/gate/incremental_inference.py, docs/adr/0015),
or recomputed whole where that does not apply. The update proves its own fixpoint: should the
rules still have something to add after the rounds it ran, it fails on purpose (rolled back
whole) and is sent again with twice the rounds. A refused merge writes nothing. ``revert``
undoes a merged changeset with a new, validated changeset. Each operation that writes a named
graph comes with its mirror from kg/union.py, so the default graph stays the merge of the named
graphs (docs/adr/0010).

Every IRI and literal in the update text is a pyoxigraph term serialised by pyoxigraph (which
refuses an IRI that could break out of its brackets); nothing is pasted from input.

On a SPARQL server the same update runs on an in-memory copy of the region it reads, and its
effect is sent as one operation (kg/gate/replay.py, docs/adr/0018).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pyoxigraph as ox
import rdflib

from kg import union
from kg.gate import derive, graph_sources, inference
from kg.gate import incremental_inference as upkeep
from kg.gate.changes import Changeset, ChangesetError, now, nt_text, parse_nt
from kg.gate.derive import changed_chips
from kg.gate.validate import NeighbourhoodCheck, ValidationReport, check_neighbourhood, validate_changes
from kg.namespaces import (
    CHANGE_BASE,
    DERIVED_GRAPH,
    FIXPOINT_GRAPH,
    HISTORY_GRAPH,
    INFERRED_GRAPH,
    ONTOLOGY_GRAPH,
    ONTOLOGY_NS,
)
from kg.store import AnyStore, OxigraphStore, RemoteStore, StoreError, term_text

CG = ONTOLOGY_NS
XSD = "http://www.w3.org/2001/XMLSchema#"
INFERENCE_ROUNDS = 8  # first try: repetitions of the rules inside the merge transaction
MAX_INFERENCE_ROUNDS = 256


class MergeRefusedError(ChangesetError):
    """Raised when a changeset does not conform; ``report`` says why. Nothing was written."""

    def __init__(self, report: ValidationReport) -> None:
        violations = [result for result in report.results if result.severity == "Violation"]
        shown = violations or report.results
        super().__init__(
            f"refused: {len(violations)} violation(s), {len(report.results) - len(violations)} other result(s); "
            + "; ".join(f"{r.focus_node}: {r.message}" for r in shown[:3])
        )
        self.report = report


class UnknownChangeError(KeyError):
    """Raised when no merged changeset has the requested id."""

    def __str__(self) -> str:
        return f"no merged changeset {self.args[0]!r} (see `chipgraph log`)"


@dataclass(frozen=True)
class MergeResult:
    """What a merge wrote: the merged changesets (with ids and effective triples) and the report."""

    merged: list[Changeset]
    report: ValidationReport


def effective(store: AnyStore, change: Changeset) -> Changeset | None:
    """The changeset reduced to what it changes (new additions, present removals), or None."""
    add = change.add - store.present(change.graph, change.add).keys()
    remove = frozenset(store.present(change.graph, change.remove).values())  # as the store holds them
    if not add and not remove:
        return None
    return replace(change, add=frozenset(add), remove=remove)


def _iri(value: str) -> ox.NamedNode:
    """An IRI term; raises ChangesetError for text that is not an absolute IRI."""
    try:
        return ox.NamedNode(value)
    except ValueError as error:
        raise ChangesetError(f"not an absolute IRI: {value!r} ({error})") from error


def _literal(value: str, datatype: str = XSD + "string") -> str:
    return str(ox.Literal(value, datatype=ox.NamedNode(datatype)))


def history_triples(change: Changeset, sequence: int) -> str:
    """The history record of a merged changeset, as N-Triples-like SPARQL data."""
    assert change.time is not None
    node = str(_iri(CHANGE_BASE + change.id))
    lines = [
        f"{node} <{CG}sequenceNumber> {_literal(str(sequence), XSD + 'integer')} .",
        f"{node} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{CG}Changeset> .",
        f"{node} <{CG}author> {_literal(change.author)} .",
        f"{node} <{CG}changeMessage> {_literal(change.message)} .",
        f"{node} <{CG}mergedAt> {_literal(change.time.strftime('%Y-%m-%dT%H:%M:%SZ'), XSD + 'dateTime')} .",
        f"{node} <{CG}targetGraph> {_literal(str(_iri(change.graph).value), XSD + 'anyURI')} .",
        f"{node} <{CG}addedCount> {_literal(str(len(change.add)), XSD + 'integer')} .",
        f"{node} <{CG}removedCount> {_literal(str(len(change.remove)), XSD + 'integer')} .",
        f"{node} <{CG}addedTriples> {_literal(nt_text(change.add))} .",
        f"{node} <{CG}removedTriples> {_literal(nt_text(change.remove))} .",
    ]
    if change.source_iri:
        lines.append(f"{node} <{CG}changeSource> {_iri(change.source_iri)} .")
    if change.reverts:
        lines.append(f"{node} <{CG}reverts> {_iri(CHANGE_BASE + change.reverts)} .")
    return "\n".join(lines)


def _writes(changesets: list[Changeset], first_sequence: int, recorded: bool) -> list[str]:
    """The operations writing the changesets and their history records (recorded for upkeep if ``recorded``)."""
    operations = []
    for sequence, change in enumerate(changesets, start=first_sequence):
        graph = _iri(change.graph)
        history = history_triples(change, sequence)
        operations.extend(union.delete_data(graph, change.remove))
        if change.add:
            operations.append(union.insert_data(graph, nt_text(change.add)))
        operations.append(union.insert_data(_iri(HISTORY_GRAPH), history))
        if recorded:
            records = ox.parse(history, format=ox.RdfFormat.N_TRIPLES)
            operations += upkeep.record(upkeep.REMOVED, change.remove)
            operations += upkeep.record(upkeep.ADDED, [*change.add, *records])
    return operations


def incremental_applies(changesets: list[Changeset]) -> bool:
    """Whether the inferences can be kept up to date incrementally (else they are recomputed whole).

    Not when a changeset writes the ontology (the rules' schema) or the inferred graph, when
    too many chips change to name them, or when kg/gate/rules no longer matches the incremental rules.
    """
    if any(change.graph in (ONTOLOGY_GRAPH, INFERRED_GRAPH) for change in changesets):
        return False
    return _chips(changesets) is not None and upkeep.covers_rule_files()


def _chips(changesets: list[Changeset]) -> set[str] | None:
    """The chips the changesets change (None: too many to name)."""
    return changed_chips(term_text(t.subject) for change in changesets for t in change.add | change.remove)


def merge_update(
    changesets: list[Changeset], first_sequence: int, rounds: int = INFERENCE_ROUNDS, incremental: bool = True
) -> str:
    """One SPARQL update: removals, additions, history records, inferences, derived figures.

    Every operation that writes a named graph keeps the default graph their merge (kg/union.py).

    With ``incremental`` (and where incremental_applies), the inferences are updated by what
    changed (kg/gate/incremental_inference.py, docs/adr/0015); otherwise they are dropped and the
    rules run ``rounds`` times over everything. Either way the update fails (the whole
    transaction rolled back, FIXPOINT_GRAPH named in the error) unless the inferences are at
    their fixpoint after ``rounds`` rounds. Raises ChangesetError for a graph or source that is
    not an IRI.
    """
    rule_files, derivation_files = inference.rule_files(), derive.derivation_files()
    prologue, bodies = inference.rules_without_prologue(rule_files + derivation_files)
    rules, derivations = bodies[: len(rule_files)], bodies[len(rule_files) :]
    chips = _chips(changesets)
    operations = [f"DROP SILENT GRAPH {_iri(FIXPOINT_GRAPH)}"]
    if incremental and incremental_applies(changesets):
        assert chips is not None  # incremental_applies says so
        operations += _writes(changesets, first_sequence, recorded=True)
        operations += _incremental_inferences(derivations, chips, rounds)
    else:
        operations += _writes(changesets, first_sequence, recorded=False)
        operations += _full_inferences(rules, derivations, chips, rounds)
    operations.append(f"CREATE GRAPH <{FIXPOINT_GRAPH}>")  # fails if a check above found more to infer
    operations.append(f"DROP GRAPH <{FIXPOINT_GRAPH}>")
    return prologue + "\n" + " ;\n".join(operations)


def _incremental_inferences(derivations: list[str], chips: set[str], rounds: int) -> list[str]:
    """Inferences kept up to date (DRed), then the chips' figures recomputed and their consequences too."""
    operations = upkeep.maintain(rounds, FIXPOINT_GRAPH)
    if not chips:
        return operations
    derived = f"<{DERIVED_GRAPH}>"
    patterns = derive.clear_patterns(chips)
    for pattern in patterns:  # the figures about to go, so that their consequences go too
        operations += upkeep.record_matching(upkeep.REMOVED, derived, pattern)
    operations += derive.clear(chips)
    operations += [union.mirrored(derive.restrict(body, chips)) for body in derivations]
    for pattern in patterns:
        operations += upkeep.record_matching(upkeep.ADDED, derived, pattern)
    return operations + upkeep.maintain(rounds, FIXPOINT_GRAPH)


def _full_inferences(rules: list[str], derivations: list[str], chips: set[str] | None, rounds: int) -> list[str]:
    """Inferences dropped and recomputed whole (the rules ``rounds`` times), figures, then the fixpoint checks."""
    writing_rules = [union.mirrored(rule) for rule in rules]
    recompute = chips is None or bool(chips)
    operations = derive.clear(chips) if recompute else []  # first: no inference from figures about to go
    operations.extend(union.drop_graph(f"<{INFERRED_GRAPH}>"))
    operations.extend(writing_rules * rounds)  # the derivations read inferred facts (e.g. super-properties)
    if recompute:
        operations.extend(union.mirrored(derive.restrict(body, chips)) for body in derivations)
    operations.extend(writing_rules * 2)  # the consequences of the new derived facts (their types), then the proof:
    operations.extend(inference.fixpoint_check(rule, FIXPOINT_GRAPH) for rule in rules)
    return operations


def write(
    store: OxigraphStore,
    changesets: list[Changeset],
    first_sequence: int,
    first_rounds: int = INFERENCE_ROUNDS,
    incremental: bool = True,
) -> None:
    """Write validated, stamped changesets in one transaction, inferences at their fixpoint.

    The rounds double until the fixpoint is reached inside the transaction; past
    MAX_INFERENCE_ROUNDS the StoreError is raised and nothing is written. ``incremental``
    False forces the full recompute of the inferences (for comparison).
    """
    rounds = first_rounds
    while True:
        try:
            store.update(merge_update(changesets, first_sequence, rounds, incremental))
            return
        except StoreError as error:
            if FIXPOINT_GRAPH not in str(error) or rounds >= MAX_INFERENCE_ROUNDS:
                raise
            rounds *= 2


def merge(
    store: AnyStore,
    changesets: list[Changeset],
    *,
    allow_warnings: bool = False,
    check: NeighbourhoodCheck = check_neighbourhood,
) -> MergeResult:
    """Validate the changesets together, then write them all in one transaction, or nothing.

    ``check`` validates the neighbourhood of the change (in this process by default; a server
    passes kg/gate/validation_worker.py's, and whatever it raises leaves nothing written).

    Parts of a changeset that change nothing (additions already present, removals absent) are
    dropped first, so the history holds exactly what changed. Raises MergeRefusedError with the
    report when the result would not conform (warnings too, unless ``allow_warnings``), and
    ChangesetError (graph_sources.SourceNotDescribedError) when a written graph's source is not
    described. Returns the merged changesets with their ids. Changesets that add at least
    the bulk_above setting's triples and remove none take the bulk path (kg/gate/bulk.py), same promises.

    On a SPARQL server (a RemoteStore) the merge holds the server's write lock from its first read
    to its write (StoreBusyError past the wait) and is written as one fenced operation
    (kg/gate/replay.py: MergeConflictError, MergeNotAppliedError, UpdateTooLargeError, nothing
    written; a StoreError after which the outcome could not be read back says so).
    """
    from kg.gate import bulk, replay  # the bulk path imports this module

    if isinstance(store, OxigraphStore) and bulk.applies(changesets):
        merged, report = bulk.merge_bulk(store, changesets, allow_warnings=allow_warnings)
        return MergeResult(merged=merged, report=report)
    with store.writing():  # on a SPARQL server: no other process merges until this one is written
        time = now()
        reduced = [change for change in (effective(store, c) for c in changesets) if change is not None]
        if not reduced:
            return MergeResult(merged=[], report=ValidationReport(conforms=True, results=[], graph=rdflib.Graph()))
        reduced = graph_sources.with_sources(store, reduced)
        report = validate_changes(store, reduced, allow_warnings=allow_warnings, check=check)
        if not report.conforms:
            raise MergeRefusedError(report)
        first = next_sequence(store)
        stamped = [change.stamped(time, sequence) for sequence, change in enumerate(reduced, start=first)]
        if isinstance(store, RemoteStore):
            replay.write_remote(store, stamped, first, incremental_applies(stamped))
        else:
            write(store, stamped, first)
    return MergeResult(merged=stamped, report=report)


def next_sequence(store: AnyStore) -> int:
    """The sequence number the next merged changeset gets."""
    rows = store.select(
        f"SELECT (MAX(?n) AS ?last) WHERE {{ GRAPH <{HISTORY_GRAPH}> {{ ?c <{CG}sequenceNumber> ?n }} }}"
    )
    last = rows[0].get("last") if rows else None
    return int(term_text(last)) + 1 if last is not None else 1


HISTORY_QUERY = f"""
SELECT ?change ?sequence ?author ?message ?time ?graph ?added ?removed ?source ?reverts ?addedTriples ?removedTriples
WHERE {{
  GRAPH <{HISTORY_GRAPH}> {{
    ?change a <{CG}Changeset> ; <{CG}sequenceNumber> ?sequence ; <{CG}author> ?author ;
            <{CG}changeMessage> ?message ; <{CG}mergedAt> ?time ;
            <{CG}targetGraph> ?graph ; <{CG}addedCount> ?added ; <{CG}removedCount> ?removed ;
            <{CG}addedTriples> ?addedTriples ; <{CG}removedTriples> ?removedTriples .
    OPTIONAL {{ ?change <{CG}changeSource> ?source }}
    OPTIONAL {{ ?change <{CG}reverts> ?reverts }}
    $FILTER
  }}
}} ORDER BY DESC(?sequence)
"""


@dataclass(frozen=True)
class HistoryRecord:
    """One merged changeset as the history holds it."""

    id: str
    sequence: int
    author: str
    message: str
    time: str
    graph: str
    added: int
    removed: int
    source: str | None
    reverts: str | None
    added_triples: frozenset[ox.Triple]
    removed_triples: frozenset[ox.Triple]


def _record(row: dict[str, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]) -> HistoryRecord:
    text = {name: term_text(value) for name, value in row.items()}
    return HistoryRecord(
        id=text["change"].removeprefix(CHANGE_BASE),
        sequence=int(text["sequence"]),
        author=text["author"],
        message=text["message"],
        time=text["time"],
        graph=text["graph"],
        added=int(text["added"]),
        removed=int(text["removed"]),
        source=text.get("source"),
        reverts=text["reverts"].removeprefix(CHANGE_BASE) if "reverts" in text else None,
        added_triples=parse_nt(text["addedTriples"]),
        removed_triples=parse_nt(text["removedTriples"]),
    )


def log(store: AnyStore, limit: int | None = None) -> list[HistoryRecord]:
    """The merged changesets, newest first."""
    query = HISTORY_QUERY.replace("$FILTER", "") + ("" if limit is None else f" LIMIT {int(limit)}")
    return [_record(row) for row in store.select(query)]


def touching(store: AnyStore, iri: str, limit: int) -> list[HistoryRecord]:
    """The newest ``limit`` merged changesets whose added or removed triples mention ``iri``.

    The history literals are searched for the IRI as N-Triples writes it (``<iri>``); callers
    that need the exact triples filter the records' parsed triples.
    """
    written = ox.Literal(f"{ox.NamedNode(iri)}")
    condition = f"FILTER(CONTAINS(?addedTriples, {written}) || CONTAINS(?removedTriples, {written}))"
    query = HISTORY_QUERY.replace("$FILTER", condition) + f" LIMIT {int(limit)}"
    return [_record(row) for row in store.select(query)]


def show(store: AnyStore, change_id: str) -> HistoryRecord:
    """One merged changeset; raises UnknownChangeError."""
    try:
        node = ox.NamedNode(CHANGE_BASE + change_id)
    except ValueError:
        raise UnknownChangeError(change_id) from None
    rows = store.select(HISTORY_QUERY.replace("$FILTER", f"FILTER(?change = {node})"))
    if not rows:
        raise UnknownChangeError(change_id)
    return _record(rows[0])


def revert(
    store: AnyStore,
    change_id: str,
    *,
    author: str,
    message: str | None = None,
    allow_warnings: bool = False,
    check: NeighbourhoodCheck = check_neighbourhood,
) -> MergeResult:
    """Undo a merged changeset by merging its inverse (validated like any other changeset, by ``check``)."""
    record = show(store, change_id)
    inverse = Changeset(
        record.graph,
        record.removed_triples,
        record.added_triples,
        author,
        message or f"Revert {change_id}: {record.message}",
        record.source,
        reverts=change_id,
    )
    return merge(store, [inverse], allow_warnings=allow_warnings, check=check)
