"""SHACL validation of the graph a store holds, as one typed report.

This is full validation (pyshacl over the union of the store's graphs, inferred types
included); the incremental validation of changesets is issue #3's next step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib.namespace import RDF, SH

from kg import resources
from kg.rdf import to_rdflib
from kg.store import Store


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


@lru_cache(maxsize=1)
def shapes_graph() -> rdflib.Graph:
    """All shapes of shapes/*.ttl in one graph (parsed once per process)."""
    graph = rdflib.Graph()
    for path in resources.shape_files():
        graph.parse(path, format="turtle")
    return graph


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


def validate_graph(data: rdflib.Graph, *, allow_warnings: bool = False) -> ValidationReport:
    """Validate ``data`` (types already inferred) against the shapes.

    With ``allow_warnings`` a result of severity Warning or Info does not break conformance.
    """
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes_graph(), inference="none", allow_warnings=allow_warnings
    )
    assert isinstance(report, rdflib.Graph)
    return read_report(report, bool(conforms))


def validate_store(store: Store, *, allow_warnings: bool = False) -> ValidationReport:
    """Validate everything the store holds against the shapes."""
    return validate_graph(store_graph(store), allow_warnings=allow_warnings)
