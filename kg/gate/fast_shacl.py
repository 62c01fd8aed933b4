"""pyshacl-turbo, a SHACL engine in Rust, for the verdict on large changesets (docs/adr/0016).

It reads the data as N-Triples written by Oxigraph (no rdflib graph of a million triples) and
gives pyshacl's verdict and results on our shapes (focus node, path, value, constraint, severity,
shape), measured in bench/shacl_engines.py. Its *messages* differ from pyshacl's for a shape with
two SPARQL constraints, so the gate uses it only for the verdict: a report with any result is
redone by pyshacl (kg/gate/bulk.py), and pyshacl stays the engine of every other validation.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata
from typing import Any

import pyoxigraph as ox
import rdflib

from kg import sparql_cache
from kg.gate.validate import ValidationReport, read_report, shapes_graph
from kg.store import OxigraphStore, Store


class EngineUnavailableError(RuntimeError):
    """Raised when pyshacl-turbo is not installed (the caller validates with pyshacl)."""


def version() -> str:
    """The installed pyshacl-turbo version; raises EngineUnavailableError if there is none."""
    try:
        return metadata.version("pyshacl-turbo")
    except metadata.PackageNotFoundError as error:
        raise EngineUnavailableError("pyshacl-turbo is not installed") from error


@lru_cache(maxsize=1)
def _compiled() -> Any:
    """The shapes compiled once per process by the native engine."""
    try:
        import pyshacl_turbo
    except ImportError as error:
        raise EngineUnavailableError("pyshacl-turbo is not installed") from error
    return pyshacl_turbo.compile_shapes(shapes_graph())  # type: ignore[no-untyped-call]


def union_ntriples(store: Store) -> str:
    """The store's default graph (the merge of its named graphs, inferences included) as N-Triples."""
    triples = store.query("CONSTRUCT WHERE { ?s ?p ?o }")
    assert isinstance(triples, ox.QueryTriples)
    data = triples.serialize(format=ox.RdfFormat.N_TRIPLES)
    assert data is not None
    return data.decode("utf-8")


def validate_text(ntriples: str, *, allow_warnings: bool = False) -> ValidationReport:
    """Validate N-Triples text (types already inferred) against the shapes, every focus node.

    Raises EngineUnavailableError without pyshacl-turbo.
    """
    from pyshacl_turbo.rdf import Input

    sparql_cache.install()
    conforms, report, _ = _compiled().validate(
        Input(ntriples, "nquads", None, {}), allow_warnings=allow_warnings, allow_infos=allow_warnings
    )
    assert isinstance(report, rdflib.Graph)
    return read_report(report, bool(conforms))


def validate_store(store: OxigraphStore | Store, *, allow_warnings: bool = False) -> ValidationReport:
    """Validate everything ``store`` holds (as validate.validate_store does, with the fast engine)."""
    return validate_text(union_ntriples(store), allow_warnings=allow_warnings)


def restricted(report: ValidationReport, focus: set[str], *, allow_warnings: bool) -> ValidationReport:
    """``report`` cut to its results on ``focus``, with the verdict those give (warnings count unless allowed)."""
    results = [result for result in report.results if result.focus_node in focus]
    counted = [result for result in results if result.severity == "Violation" or not allow_warnings]
    return ValidationReport(conforms=not counted, results=results, graph=report.graph)
