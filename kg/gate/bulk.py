"""Bulk merges: a large changeset through the same gate, at a cost close to a raw bulk load (docs/adr/0016).

``merge.merge`` sends here changesets that together add at least the bulk_above setting's
triples (20 000) and remove nothing (an import of a data set). The promises are those of every merge: the result is
validated against the shapes (a violation, or a warning unless allowed, refuses the whole merge
and nothing is written), the graph's source must be described, the history records exactly what
each changeset added (``merge.revert`` undoes it), and the store ends exactly as the ordinary
merge path would leave it: data, default graph (the merge of the named graphs), derived figures
and inferences at their fixpoint. What differs is how:

    reconcile   additions to a graph the store does not hold yet are all new (no per-triple lookup)
    scratch     an in-memory store: the store's stated facts and old inferences, plus the additions;
                the rules run to their fixpoint there (inference only grows under additions)
    validate    pyshacl-turbo on the whole scratch graph, results kept for the focus nodes the change
                can affect (kg/gate/affected.py); any result is redone by pyshacl on those nodes, so
                the report (and its messages) is pyshacl's. Without pyshacl-turbo, pyshacl validates.
    derive      the derived figures of the chips, then the rules again, in the scratch store
    write       ONE transaction: ``Store.extend`` of the data, history, new derived figures and new
                inferences (each with its default-graph mirror); when an addition was an inferred
                triple (now stated), one SPARQL update instead, removing it from the inferred graph

Each phase's wall time is recorded in a ``Timings`` the caller may pass (bench/run_bulk_import.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pyoxigraph as ox
import rdflib

from kg import union
from kg.gate import affected, derive, fast_shacl, graph_sources, inference, lexical
from kg.gate.changes import Changeset, now
from kg.gate.validate import ValidationReport, read_report, shapes_graph, store_graph, validate_graph
from kg.namespaces import DERIVED_GRAPH, HISTORY_GRAPH, INFERRED_GRAPH
from kg.settings import Settings
from kg.store import OxigraphStore

INFERRED = ox.NamedNode(INFERRED_GRAPH)
DERIVED = ox.NamedNode(DERIVED_GRAPH)


@dataclass
class Timings:
    """Seconds spent in each phase of a bulk merge, in the order they ran."""

    phases: dict[str, float] = field(default_factory=dict)
    engine: str = ""

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time the block under ``name`` (added to what the phase already took)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - started


def applies(changesets: list[Changeset], threshold: int | None = None) -> bool:
    """Whether the changesets go the bulk path: at least ``threshold`` additions and no removal.

    ``threshold`` defaults to the bulk_above setting (CHIPGRAPH_BULK_ABOVE, 20 000).
    """
    least = Settings().bulk_above if threshold is None else threshold
    return not any(change.remove for change in changesets) and sum(len(c.add) for c in changesets) >= least


def effective(store: OxigraphStore, change: Changeset) -> Changeset | None:
    """The changeset reduced to its new additions (None if none); a graph not yet in the store is not searched."""
    graph = ox.NamedNode(change.graph)
    if not store.has_quads(None, None, None, graph):
        return change
    from kg.gate.merge import effective as effective_one

    return effective_one(store, change)


def scratch_after(store: OxigraphStore, changesets: list[Changeset]) -> OxigraphStore:
    """An in-memory store: the store's facts (inferences included) plus the additions, rules at their fixpoint.

    Additions only: the inferences of the store before stay inferences after, so the rules start
    from them. Triples now stated leave the inferred graph, as in every merge.
    """
    scratch = OxigraphStore.in_memory()
    scratch.raw.extend(store.raw)  # every quad, the default graph included
    scratch.add_quads(
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(c.graph)) for c in changesets for t in c.add
    )
    _drop_stated_inferences(scratch, changesets)
    inference.materialise(scratch)
    return scratch


def _drop_stated_inferences(scratch: OxigraphStore, changesets: list[Changeset]) -> None:
    """Remove from the inferred graph (not from the default graph) the triples the changesets state."""
    stated = [
        ox.Quad(t.subject, t.predicate, t.object, INFERRED)
        for change in changesets
        for t in change.add
        if ox.Quad(t.subject, t.predicate, t.object, INFERRED) in scratch.raw
    ]
    for quad in stated:
        scratch.raw.remove(quad)


def validate(
    store: OxigraphStore, after: OxigraphStore, changesets: list[Changeset], *, allow_warnings: bool, timings: Timings
) -> ValidationReport:
    """The verdict on the graph ``after`` the changesets, for the focus nodes they can affect.

    pyshacl-turbo finds the results on the whole graph; those on affected focus nodes are redone by
    pyshacl (the report is pyshacl's), unless pyshacl cannot evaluate them (rdflib's SPARQL recurses
    without end on an ill-formed decimal in a SPARQL constraint): then pyshacl-turbo's results are
    the report. Without pyshacl-turbo, pyshacl validates the whole graph.
    """
    changed = {triple for change in changesets for triple in change.add}
    ill_formed = lexical.ill_formed(changed)  # before any engine reads them (kg/gate/lexical.py)
    if ill_formed is not None:
        return read_report(ill_formed, conforms=False)
    with timings.phase("focus nodes"):
        try:
            reach = affected.shapes_reach(shapes_graph())
            focus: set[str] | None = affected.focus_nodes(store, changed, reach, affected.vocabulary(after))
        except affected.UnsupportedShapesError:
            focus = None
    try:
        with timings.phase("validate: pyshacl-turbo"):
            fast = fast_shacl.validate_store(after, allow_warnings=True)
        timings.engine = f"pyshacl-turbo {fast_shacl.version()}"
    except fast_shacl.EngineUnavailableError:
        timings.engine = "pyshacl"
        with timings.phase("validate: pyshacl"):
            return validate_graph(store_graph(after), allow_warnings=allow_warnings, focus=focus)
    flagged = {r.focus_node for r in fast.results if focus is None or r.focus_node in focus}
    if not flagged:  # results on nodes the change cannot affect were there before: not this merge's
        return ValidationReport(conforms=True, results=[], graph=rdflib.Graph())
    with timings.phase("validate: pyshacl report"):
        try:
            return validate_graph(store_graph(after), allow_warnings=allow_warnings, focus=flagged)
        except RecursionError:  # rdflib's SPARQL on an ill-formed number (ADR 0016): pyshacl-turbo's results stand
            return fast_shacl.restricted(fast, flagged, allow_warnings=allow_warnings)


def derive_after(after: OxigraphStore) -> None:
    """The derived figures of every chip, then their consequences, in the scratch store.

    A chip's figures depend only on its own facts, so the figures of chips the additions do not
    touch come out as they were; those of touched chips are cleared first by ``merge_bulk``.
    """
    for path in derive.derivation_files():
        after.update(union.mirrored(derive.restrict(path.read_text(encoding="utf-8"), None)))
    inference.materialise(after)


def _graph_quads(store: OxigraphStore, graph: ox.NamedNode) -> set[ox.Quad]:
    return set(store.raw.quads_for_pattern(None, None, None, graph))


def history_quads(changesets: list[Changeset], first_sequence: int) -> list[ox.Quad]:
    """The history records of the stamped changesets, as quads of the history graph (kg.gate.merge.history_triples)."""
    from kg.gate.merge import history_triples

    history = ox.NamedNode(HISTORY_GRAPH)
    return [
        ox.Quad(t.subject, t.predicate, t.object, history)
        for sequence, change in enumerate(changesets, start=first_sequence)
        for t in ox.parse(input=history_triples(change, sequence), format=ox.RdfFormat.N_TRIPLES)
    ]


def write(
    store: OxigraphStore, after: OxigraphStore, changesets: list[Changeset], records: list[ox.Quad], timings: Timings
) -> None:
    """Write the changesets, their history ``records``, and the new derived figures and inferences: one transaction."""
    with timings.phase("write: diff inferences"):
        inferred_before, inferred_after = _graph_quads(store, INFERRED), _graph_quads(after, INFERRED)
        derived_before, derived_after = _graph_quads(store, DERIVED), _graph_quads(after, DERIVED)
        gone = (inferred_before - inferred_after) | (derived_before - derived_after)
        data = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(c.graph)) for c in changesets for t in c.add]
        new = [*data, *records, *(inferred_after - inferred_before), *(derived_after - derived_before)]
    with timings.phase("write"):
        if not gone:
            store.add_quads(new)  # one Store.extend: one transaction
        else:
            store.update(_update(gone, new))


def _update(gone: set[ox.Quad], new: list[ox.Quad]) -> str:
    """One SPARQL update removing ``gone`` and adding ``new`` (each with its default-graph mirror, kg/union.py)."""
    operations: list[str] = []
    for graph in {quad.graph_name for quad in gone}:
        assert isinstance(graph, ox.NamedNode)
        operations += union.delete_data(graph, [q.triple for q in gone if q.graph_name == graph])
    by_graph: dict[ox.NamedNode, list[ox.Triple]] = {}
    for quad in new:
        assert isinstance(quad.graph_name, ox.NamedNode)
        by_graph.setdefault(quad.graph_name, []).append(quad.triple)
    operations += [
        union.insert_data(graph, "".join(f"{t} .\n" for t in triples)) for graph, triples in by_graph.items()
    ]
    return " ;\n".join(operations)


def merge_bulk(
    store: OxigraphStore, changesets: list[Changeset], *, allow_warnings: bool = False, timings: Timings | None = None
) -> tuple[list[Changeset], ValidationReport]:
    """Validate and merge additions-only changesets in one transaction; return the merged ones and the report.

    Raises MergeRefusedError (nothing written) when the result does not conform, ChangesetError
    (graph_sources.SourceNotDescribedError) when a graph's source is not described, ValueError
    when a changeset removes triples (``applies`` says which changesets come here).
    """
    from kg.gate.merge import MergeRefusedError, next_sequence

    if any(change.remove for change in changesets):
        raise ValueError("the bulk path merges additions only")
    timings = timings or Timings()
    time_of_merge = now()
    with timings.phase("reconcile"):
        reduced = [change for change in (effective(store, c) for c in changesets) if change is not None]
        if not reduced:
            return [], ValidationReport(conforms=True, results=[], graph=rdflib.Graph())
        reduced = graph_sources.with_sources(store, reduced)
    with timings.phase("scratch + inference"):
        after = scratch_after(store, reduced)
    report = validate(store, after, reduced, allow_warnings=allow_warnings, timings=timings)
    if not report.conforms:
        raise MergeRefusedError(report)
    first = next_sequence(store)
    stamped = [change.stamped(time_of_merge, sequence) for sequence, change in enumerate(reduced, start=first)]
    with timings.phase("history"):
        records = history_quads(stamped, first)
    with timings.phase("derive + inference"):
        after.add_quads(records)  # their types have consequences too
        subjects = {t.subject.value for c in reduced for t in c.add if isinstance(t.subject, ox.NamedNode)}
        touched = [chip for chip in subjects if chip.startswith(derive.CHIP_BASE)]
        stale = {chip for chip in touched if after.has_quads(ox.NamedNode(chip), None, None, DERIVED)}
        for operation in derive.clear(stale) if stale else []:
            after.update(operation)
        derive_after(after)
    write(store, after, stamped, records, timings)
    return stamped, report
