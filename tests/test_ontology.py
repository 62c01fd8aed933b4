"""The ontology is OWL 2 DL that HermiT finds consistent, alone and with all curated data."""

from __future__ import annotations

import pytest
import rdflib

from kg import reasoning, resources
from kg.checks import run_checks
from kg.store import OxigraphStore

pytestmark = pytest.mark.slow


def test_ontology_alone_is_consistent_with_no_unsatisfiable_class() -> None:
    report = reasoning.check(reasoning.load_graph(resources.ontology_files()))
    assert report.consistent, report.message
    assert report.unsatisfiable_classes == []


def test_ontology_with_all_curated_data_is_consistent() -> None:
    files = [*resources.ontology_files(), *resources.source_files(), *resources.data_files()]
    graph = reasoning.load_graph(files)
    assert len(graph) > len(reasoning.load_graph(resources.ontology_files())) + 1000
    report = reasoning.check(graph)
    assert report.consistent, report.message
    assert report.unsatisfiable_classes == []


def test_reasoner_detects_a_chip_that_is_also_a_company() -> None:
    graph = reasoning.load_graph(resources.ontology_files())
    graph.parse(
        data="""
        @prefix cg: <https://w3id.org/chipgraph/ontology#> .
        <https://w3id.org/chipgraph/id/chip/bogus> a cg:GPU , cg:Company .
        """,
        format="turtle",
    )
    report = reasoning.check(graph)
    assert not report.consistent


def test_reasoner_detects_an_unsatisfiable_class() -> None:
    graph = reasoning.load_graph(resources.ontology_files())
    graph.parse(
        data="""
        @prefix cg: <https://w3id.org/chipgraph/ontology#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        cg:ChipCompany rdfs:subClassOf cg:Chip , cg:Company .
        """,
        format="turtle",
    )
    report = reasoning.check(graph)
    assert report.consistent
    assert report.unsatisfiable_classes == ["https://w3id.org/chipgraph/ontology#ChipCompany"]


def test_reasoner_view_turns_dates_into_datetimes() -> None:
    graph = rdflib.Graph()
    graph.parse(data='<urn:x> <urn:p> "2023-11-17"^^<http://www.w3.org/2001/XMLSchema#date> .', format="turtle")
    ((_, _, value),) = reasoning.reasoner_view(graph)
    assert value == rdflib.Literal("2023-11-17T00:00:00", datatype=rdflib.XSD.dateTime)


def test_every_quality_check_returns_no_rows(store: OxigraphStore) -> None:
    results = run_checks(store)
    assert set(results) == {path.stem for path in resources.check_files()}
    assert len(results) >= 6
    assert {name: rows for name, rows in results.items() if rows} == {}


def test_quality_checks_catch_a_term_without_label_definition_domain_or_range() -> None:
    store = OxigraphStore.in_memory()
    store.update(
        """
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        INSERT DATA { GRAPH <urn:g> {
          <https://w3id.org/chipgraph/ontology#sloppy> a owl:ObjectProperty .
          <https://w3id.org/chipgraph/id/chip/x> <https://w3id.org/chipgraph/ontology#undeclared> 1 .
        } }
        """
    )
    store.resync_union()  # a raw update: the default graph made the merge of the named graphs (docs/adr/0010)
    failing = {name for name, rows in run_checks(store).items() if rows}
    assert failing == {
        "missing-label-violation",
        "missing-definition-violation",
        "missing-domain-range-violation",
        "undeclared-term-violation",
        "untyped-entity-violation",
    }
