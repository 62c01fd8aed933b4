"""SHACL shapes: the curated data conforms; each example in tests/data/invalid fails for the
reason its name gives (``<path>--<constraint component>.ttl``), each in tests/data/valid passes.

Validation runs pyshacl on the graph as the store holds it: ontology, data and the inferred
facts of the build's rules (types from subclass axioms only, never from domain or range).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib.namespace import RDF, SH

from kg import resources
from kg.build import parse_file
from kg.gate.validate import scratch_store, shapes_graph, validate_store
from kg.namespaces import ONTOLOGY_GRAPH
from kg.store import OxigraphStore

EXAMPLES = Path(__file__).parent / "data"
CG = "https://w3id.org/chipgraph/ontology#"


def example_store(path: Path) -> OxigraphStore:
    """The ontology and one example file, with the build's inferences, unvalidated."""
    quads = {quad for ontology in resources.ontology_files() for quad in parse_file(ontology, ONTOLOGY_GRAPH)}
    return scratch_store(quads | set(parse_file(path, "urn:example")))


def test_curated_data_conforms(store: OxigraphStore) -> None:
    report = validate_store(store)
    assert not [result for result in report.results if result.severity == "Violation"]
    # The Epoch figures of a few chips disagree with Epoch's own TPP, and MetaX's memory bandwidth
    # is ten times too high: warned, not refused.
    assert {result.severity for result in report.results} == {"Warning"}
    # Federal Register documents whose page or number was not found are warned (issue 16).
    assert {result.message.split(" ")[0:2][1] for result in report.results} == {"stated", "bandwidth", "Federal"}
    fr = {r.focus_node.rsplit("/", 1)[-1] for r in report.results if r.message.startswith("A Federal Register")}
    assert fr == {"fr-2019-17921", "fr-2024-28267", "fr-84-22961", "fr-85-51596"}
    metax = [
        r.focus_node for r in report.results if r.path == "https://w3id.org/chipgraph/ontology#memoryBandwidthGBps"
    ]
    assert sorted(metax) == [
        "https://w3id.org/chipgraph/id/chip/metax-mxc500-oam",
        "https://w3id.org/chipgraph/id/chip/metax-mxc500-pcie",
    ]


@pytest.mark.parametrize("path", sorted((EXAMPLES / "valid").glob("*.ttl")), ids=lambda path: path.stem)
def test_valid_examples_conform(path: Path) -> None:
    report = validate_store(example_store(path))
    assert report.conforms, report.to_json()


@pytest.mark.parametrize("path", sorted((EXAMPLES / "invalid").glob("*.ttl")), ids=lambda path: path.stem)
def test_invalid_examples_fail_for_the_named_reason(path: Path) -> None:
    expected_path, expected_component = path.stem.split("--")
    report = validate_store(example_store(path))
    assert not report.conforms
    reasons = {(result.path, result.constraint) for result in report.results}
    assert (CG + expected_path, expected_component) in reasons, reasons
    assert all(result.message for result in report.results)


def test_every_property_shape_has_a_message_a_curator_can_read() -> None:
    shapes = shapes_graph()
    properties = set(shapes.objects(None, SH.property))
    assert len(properties) > 30
    assert {prop for prop in properties if shapes.value(prop, SH.message) is None} == set()


def test_warnings_can_be_allowed_but_violations_cannot() -> None:
    warned = validate_store(
        example_store(EXAMPLES / "invalid" / "memoryBandwidthGBps--MaxInclusiveConstraintComponent.ttl"),
        allow_warnings=True,
    )
    assert warned.conforms
    assert [result.severity for result in warned.results] == ["Warning"]
    refused = validate_store(
        example_store(EXAMPLES / "invalid" / "designedBy--ClassConstraintComponent.ttl"), allow_warnings=True
    )
    assert not refused.conforms
    assert {result.severity for result in refused.results} == {"Violation"}


def test_report_graph_is_the_standard_shacl_report() -> None:
    report = validate_store(example_store(EXAMPLES / "invalid" / "designedBy--MinCountConstraintComponent.ttl"))
    assert (None, RDF.type, SH.ValidationReport) in report.graph
    assert len(list(report.graph.subjects(RDF.type, SH.ValidationResult))) == len(report.results) == 1
