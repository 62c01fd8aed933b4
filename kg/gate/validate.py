"""SHACL validation, as one typed report: of a whole store, or of changesets before they merge.

Changesets are validated incrementally: only the focus nodes the change can affect, on the
neighbourhood their shapes read (kg/gate/affected.py), after applying the change and the inference
rules to that neighbourhood in a scratch store. The store itself is never written. Tests prove
the verdict equals full validation of the graph after the change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib.namespace import RDF, SH, NamespaceManager

from kg import resources, sparql_cache
from kg.gate import affected, inference, lexical
from kg.gate.changes import Changeset
from kg.namespaces import INFERRED_GRAPH
from kg.rdf import stable_blank_nodes, to_rdflib
from kg.store import AnyStore, OxigraphStore, Store


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL result: which node broke which constraint of which shape, and why."""

    focus_node: str
    path: str | None
    value: str | None
    source_shape: str
    constraint: str
    severity: str
    message: str

    def to_json(self) -> dict[str, Any]:
        """The result as a JSON object with the field names above."""
        return asdict(self)


@dataclass(frozen=True)
class ValidationReport:
    """The verdict (conforms) and every result; ``graph`` is the standard SHACL report graph."""

    conforms: bool
    results: list[ValidationResult]
    graph: rdflib.Graph = field(repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON object: conforms and the list of results."""
        return {"conforms": self.conforms, "results": [result.to_json() for result in self.results]}

    @property
    def violations(self) -> int:
        """How many results are violations (the others are warnings or infos)."""
        return sum(1 for result in self.results if result.severity == "Violation")

    @property
    def warnings_only(self) -> bool:
        """Whether the report has results and none is a violation: allowing warnings would let it pass."""
        return bool(self.results) and self.violations == 0


@lru_cache(maxsize=1)
def shapes_graph() -> rdflib.Graph:
    """All shapes of shapes/*.ttl in one graph (parsed once per process; the same blank node names in each)."""
    graph = rdflib.Graph()
    for path in resources.shape_files():
        graph.parse(path, format="turtle")
    return stable_blank_nodes(graph, "shape")


def store_graph(store: Store) -> rdflib.Graph:
    """The union of the store's graphs, inferred facts included, as an rdflib graph."""
    triples = store.query("CONSTRUCT WHERE { ?s ?p ?o }")
    assert isinstance(triples, ox.QueryTriples)
    return to_rdflib(triples)


def _text(graph: rdflib.Graph, node: rdflib.term.Node, predicate: rdflib.URIRef) -> str | None:
    value = graph.value(node, predicate)
    return None if value is None else str(value)


def read_report(report: rdflib.Graph, conforms: bool) -> ValidationReport:
    """Turn pyshacl's report graph into a ValidationReport, results sorted for stable output."""
    results = [
        ValidationResult(
            focus_node=str(report.value(node, SH.focusNode)),
            path=_text(report, node, SH.resultPath),
            value=_text(report, node, SH.value),
            source_shape=str(report.value(node, SH.sourceShape)),
            constraint=str(report.value(node, SH.sourceConstraintComponent)).removeprefix(str(SH)),
            severity=str(report.value(node, SH.resultSeverity)).removeprefix(str(SH)),
            message=_text(report, node, SH.resultMessage) or "",
        )
        for node in report.subjects(RDF.type, SH.ValidationResult)
    ]
    results.sort(key=lambda result: (result.focus_node, result.path or "", result.constraint))
    return ValidationReport(conforms=conforms, results=results, graph=report)


def validate_graph(
    data: rdflib.Graph, *, allow_warnings: bool = False, focus: set[str] | None = None
) -> ValidationReport:
    """Validate ``data`` (types already inferred) against the shapes; only ``focus`` if given.

    With ``allow_warnings`` a result of severity Warning or Info does not break conformance.
    """
    sparql_cache.install()
    focus_nodes: list[str | rdflib.URIRef] | None = None if focus is None else sorted(focus)
    if focus_nodes == []:
        return ValidationReport(conforms=True, results=[], graph=rdflib.Graph())
    # pyshacl reads a focus node outside http:, https:, urn: and file: as a CURIE of the data
    # graph (a URIRef there raises TypeError): with no prefix bound, every one stays the IRI it is.
    data.namespace_manager = NamespaceManager(data, bind_namespaces="none")
    conforms, report, _ = pyshacl.validate(
        data,
        shacl_graph=shapes_graph(),
        inference="none",
        allow_warnings=allow_warnings,
        allow_infos=allow_warnings,
        focus_nodes=focus_nodes,
    )
    assert isinstance(report, rdflib.Graph)
    return read_report(report, bool(conforms))


def validate_store(store: Store, *, allow_warnings: bool = False) -> ValidationReport:
    """Validate everything the store holds against the shapes."""
    return validate_graph(store_graph(store), allow_warnings=allow_warnings)


def apply_changes(quads: set[ox.Quad], changesets: list[Changeset]) -> set[ox.Quad]:
    """The quads after the changesets: each removes then adds triples in its own graph."""
    result = set(quads)
    for change in changesets:
        graph = ox.NamedNode(change.graph)
        result -= {ox.Quad(t.subject, t.predicate, t.object, graph) for t in change.remove}
        result |= {ox.Quad(t.subject, t.predicate, t.object, graph) for t in change.add}
    return result


def scratch_store(quads: set[ox.Quad]) -> OxigraphStore:
    """An in-memory store holding ``quads`` and the inferences of the build's rules."""
    scratch = OxigraphStore.in_memory()
    scratch.add_quads(quads)
    inference.materialise(scratch)
    return scratch


def stated_quads(store: AnyStore) -> set[ox.Quad]:
    """Every quad of the store except the inferred ones."""
    inferred = ox.NamedNode(INFERRED_GRAPH)
    return {quad for quad in store.all_quads() if quad.graph_name != inferred}


def validate_full(store: AnyStore, changesets: list[Changeset], *, allow_warnings: bool = False) -> ValidationReport:
    """Validate the whole graph as it would be after the changesets (slow; the reference)."""
    after = scratch_store(apply_changes(stated_quads(store), changesets))
    return validate_store(after, allow_warnings=allow_warnings)


NeighbourhoodCheck = Callable[[set[ox.Quad], set[str], bool], ValidationReport]
"""Validates the focus nodes of a neighbourhood (its stated quads after the change), warnings allowed or not."""


def check_neighbourhood(quads: set[ox.Quad], focus: set[str], allow_warnings: bool) -> ValidationReport:
    """Validate ``focus`` on ``quads`` (stated, after the change) and the build's inferences, in this process.

    The default NeighbourhoodCheck; kg/gate/validation_worker.py runs this same function in a
    worker process, so that the GIL of a server stays free for its readers. When pyshacl cannot
    evaluate a constraint (rdflib's SPARQL recurses without end on an ill-formed number such as
    "12.x"^^xsd:decimal; docs/adr/0016), the verdict and results on ``focus`` are pyshacl-turbo's,
    which reports such a value, so the change is judged, never left to an internal error.
    """
    scratch = scratch_store(quads)
    try:
        return validate_graph(store_graph(scratch), allow_warnings=allow_warnings, focus=focus)
    except RecursionError:
        from kg.gate import fast_shacl  # it imports this module

        report = fast_shacl.validate_store(scratch, allow_warnings=True)
        return fast_shacl.restricted(report, focus, allow_warnings=allow_warnings)


def validate_changes(
    store: AnyStore,
    changesets: list[Changeset],
    *,
    allow_warnings: bool = False,
    check: NeighbourhoodCheck = check_neighbourhood,
) -> ValidationReport:
    """Validate the graph as it would be after the changesets, incrementally; write nothing.

    The neighbourhood is read here and validated by ``check`` (in this process by default).
    Falls back to full validation when the shapes use a feature the affected-node analysis
    does not follow. An added literal whose text is not in its XSD datatype's lexical space is
    refused first, as a datatype violation (kg/gate/lexical.py).
    """
    ill_formed = lexical.ill_formed(triple for change in changesets for triple in change.add)
    if ill_formed is not None:
        return read_report(ill_formed, conforms=False)
    changed = {triple for change in changesets for triple in (*change.add, *change.remove)}
    try:
        reach = affected.shapes_reach(shapes_graph())
    except affected.UnsupportedShapesError:
        return validate_full(store, changesets, allow_warnings=allow_warnings)
    vocabulary = affected.vocabulary(store)
    focus = affected.focus_nodes(store, changed, reach, vocabulary)
    quads = affected.neighbourhood(store, focus, changed, reach, vocabulary)
    return check(apply_changes(quads, changesets), focus, allow_warnings)
