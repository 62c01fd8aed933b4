"""SHACL shapes: the curated data conforms; each example in tests/data/invalid fails for the
reason its name gives (``<path>--<constraint component>.ttl``), each in tests/data/valid passes.

Validation runs pyshacl on the graph as the store holds it: ontology, data and the inferred
facts of the build's rules (types from subclass axioms only, never from domain or range).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from rdflib.namespace import SH

from kg import resources
from kg.build import build, load_plan
from kg.store import OxigraphStore

EXAMPLES = Path(__file__).parent / "data"
CG = "https://w3id.org/chipgraph/ontology#"


def shapes() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in resources.shape_files():
        graph.parse(path, format="turtle")
    return graph


def union_graph(store: OxigraphStore) -> rdflib.Graph:
    data = ox.serialize(store.query("CONSTRUCT WHERE { ?s ?p ?o }"), format=ox.RdfFormat.N_TRIPLES)
    graph = rdflib.Graph()
    graph.parse(data=(data or b"").decode("utf-8"), format="nt")
    return graph


def validate(store: OxigraphStore) -> tuple[bool, rdflib.Graph]:
    conforms, report, _ = pyshacl.validate(union_graph(store), shacl_graph=shapes(), inference="none")
    return bool(conforms), report


def example_store(path: Path) -> OxigraphStore:
    ontology_plan = [entry for entry in load_plan() if entry[0] in resources.ontology_files()]
    _, store = build(None, plan=[*ontology_plan, (path, "urn:example")])
    assert store is not None
    return store


def test_curated_data_conforms(store: OxigraphStore) -> None:
    conforms, report = validate(store)
    assert conforms, report.serialize(format="turtle")


@pytest.mark.parametrize("path", sorted((EXAMPLES / "valid").glob("*.ttl")), ids=lambda path: path.stem)
def test_valid_examples_conform(path: Path) -> None:
    conforms, report = validate(example_store(path))
    assert conforms, report.serialize(format="turtle")


@pytest.mark.parametrize("path", sorted((EXAMPLES / "invalid").glob("*.ttl")), ids=lambda path: path.stem)
def test_invalid_examples_fail_for_the_named_reason(path: Path) -> None:
    expected_path, expected_component = path.stem.split("--")
    conforms, report = validate(example_store(path))
    assert not conforms
    reasons = {
        (str(report.value(result, SH.resultPath)), str(report.value(result, SH.sourceConstraintComponent)))
        for result in report.subjects(rdflib.RDF.type, SH.ValidationResult)
    }
    assert (CG + expected_path, str(SH) + expected_component) in reasons, reasons


def test_every_result_has_a_message_a_curator_can_read() -> None:
    shapes_graph = shapes()
    properties = set(shapes_graph.objects(None, SH.property))
    assert len(properties) > 30
    assert {prop for prop in properties if shapes_graph.value(prop, SH.message) is None} == set()
