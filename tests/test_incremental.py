"""Incremental validation gives the verdict of full validation of the graph after the change.

Hypothesis draws changesets, additions and removals mixed over three graphs, from pools of facts
chosen to exercise every way a change reaches a verdict: a node's own facts, the types of the
nodes it names (sh:class), removed types that break the nodes pointing at them, inverse and
transitive inferences, property pairs, and the facts a SHACL-SPARQL constraint reads along its
declared path (a classification's criteria). Each drawn change is validated both ways.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.gate.changes import Changeset
from kg.gate.validate import ValidationResult, validate_changes, validate_full, validate_store
from kg.store import OxigraphStore
from tests.conftest import examples

CG = "https://w3id.org/chipgraph/ontology#"
ID = "https://w3id.org/chipgraph/id/"
G = "https://w3id.org/chipgraph/graph/"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = "http://www.w3.org/2001/XMLSchema#"


def iri(name: str) -> ox.NamedNode:
    if name.startswith("cg:"):
        return ox.NamedNode(CG + name[3:])
    if name in ("a", "label"):
        return ox.NamedNode(TYPE if name == "a" else LABEL)
    return ox.NamedNode(ID + name)


def fact(subject: str, predicate: str, obj: str | int | float) -> ox.Triple:
    if isinstance(obj, str) and (":" in obj or "/" in obj):
        value: ox.NamedNode | ox.Literal = iri(obj)
    elif isinstance(obj, str):
        value = ox.Literal(obj)
    elif isinstance(obj, int):
        value = ox.Literal(str(obj), datatype=ox.NamedNode(XSD + "integer"))
    else:
        value = ox.Literal(repr(obj), datatype=ox.NamedNode(XSD + "decimal"))
    return ox.Triple(iri(subject), iri(predicate), value)


def date(subject: str, predicate: str, day: str) -> ox.Triple:
    return ox.Triple(iri(subject), iri(predicate), ox.Literal(day, datatype=ox.NamedNode(XSD + "date")))


NEW = "chip/new-chip"
ADD = {
    "epoch-ml-hardware": [
        fact(NEW, "a", "cg:GPU"),
        fact(NEW, "label", "New chip"),
        fact(NEW, "cg:designedBy", "organization/nvidia"),
        fact(NEW, "cg:designedBy", "organization/tsmc"),
        fact(NEW, "cg:manufacturedBy", "organization/hua-hong"),
        fact(NEW, "cg:manufacturedBy", "country/CN"),
        fact("chip/nvidia-h20", "cg:manufacturedBy", "organization/nvidia"),
        fact("organization/tsmc", "a", "cg:ChipDesigner"),
        fact("country/CN", "a", "cg:Foundry"),
        fact("organization/nvidia", "cg:headquarteredIn", "country/CN"),
        fact("organization/alibaba", "cg:subsidiaryOf", "chip/nvidia-h20"),
        fact("organization/hisilicon", "cg:subsidiaryOf", "organization/t-head"),
        fact("chip/nvidia-a100-sxm4-80gb", "cg:eccnClassification", "eccn/3A090-a"),
        fact("chip/huawei-ascend-310", "cg:eccnClassification", "eccn/3A090-a"),
        fact("chip/nvidia-h20", "cg:eccnClassification", "eccn/3A090-a"),
        fact("chip/nvidia-h20", "cg:statedTPP", 9999.0),
        fact("chip/nvidia-h20", "cg:dieAreaMm2", 300.0),
        fact("chip/nvidia-h20", "cg:memoryBandwidthGBps", 90000.0),
        fact("chip/nvidia-h20", "cg:releaseDate", "November 2023"),
        fact(NEW, "cg:variantOf", "organization/amd"),
    ],
    "fr-2023-23055": [
        fact("criterion/3a090a-2023-tpp", "cg:minTPP", 100000.0),
        fact("criterion/3a090a-2023-density", "cg:minPerformanceDensity", 50.0),
        date("criterion/3a090a-2023-density", "cg:validUntil", "2020-01-01"),
        fact("eccn/3A090-a", "cg:eccnCode", "3A090 a"),
    ],
    "fr-2023-23048": [
        fact("organization/biren", "cg:headquarteredIn", "country/US"),
    ],
}
REMOVE = {
    "epoch-ml-hardware": [
        fact("organization/nvidia", "a", "cg:ChipDesigner"),
        fact("organization/biren", "a", "cg:ChipDesigner"),
        fact("organization/moore-threads", "a", "cg:ChipDesigner"),
        fact("organization/smic", "a", "cg:Foundry"),
        fact("organization/tsmc", "a", "cg:Foundry"),
        fact("chip/biren-br100", "cg:designedBy", "organization/biren"),
        fact("chip/huawei-ascend-310", "label", "Huawei Ascend 310"),
        fact("chip/nvidia-a100-sxm4-80gb", "a", "cg:GPU"),
    ],
    "fr-2023-23055": [
        fact("eccn/3A090-a", "cg:hasCriterion", "criterion/3a090a-2023-tpp"),
        fact("eccn/3A090-a", "cg:hasCriterion", "criterion/3a090a-2023-density"),
        fact("criterion/3a090a-2023-tpp", "cg:minTPP", 4800.0),
        fact("eccn/3A090-a", "a", "cg:ExportControlClassification"),
    ],
    "fr-2023-23048": [
        fact("organization/biren", "a", "cg:ChipDesigner"),
        fact("organization/moore-threads", "a", "cg:ChipDesigner"),
        fact("organization/biren", "label", "Biren"),
    ],
}


@st.composite
def changesets(draw: st.DrawFn) -> list[Changeset]:
    result = []
    for graph in ADD:
        add = draw(st.sets(st.sampled_from(ADD[graph])))
        remove = draw(st.sets(st.sampled_from(REMOVE[graph])))
        if add or remove:
            result.append(Changeset(G + graph, frozenset(add), frozenset(remove), "hypothesis", "drawn change"))
    if not result:
        result.append(
            Changeset(
                G + "epoch-ml-hardware",
                frozenset({ADD["epoch-ml-hardware"][0]}),
                frozenset(),
                "hypothesis",
                "drawn change",
            )
        )
    return result


def key(result: ValidationResult) -> tuple[str | None, ...]:
    return (result.focus_node, result.path, result.value, result.constraint, result.severity, result.source_shape)


def test_the_removal_pool_holds_real_facts(curated: OxigraphStore) -> None:
    store = curated
    for graph, triples in REMOVE.items():
        for triple in triples:
            assert store.contains(ox.Quad(triple.subject, triple.predicate, triple.object, ox.NamedNode(G + graph))), (
                triple
            )


@pytest.fixture(scope="module")
def base_results(curated: OxigraphStore) -> set[tuple[str | None, ...]]:
    report = validate_store(curated, allow_warnings=True)
    assert report.conforms
    return {key(result) for result in report.results}


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=changesets())
def test_incremental_validation_agrees_with_full_validation(
    curated: OxigraphStore, base_results: set[tuple[str | None, ...]], changes: list[Changeset]
) -> None:
    incremental = validate_changes(curated, changes, allow_warnings=True)
    full = validate_full(curated, changes, allow_warnings=True)
    assert incremental.conforms == full.conforms
    found, expected = {key(r) for r in incremental.results}, {key(r) for r in full.results}
    assert found <= expected, found - expected
    assert expected - found <= base_results, (expected - found) - base_results


UNDECLARED = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix cg: <https://w3id.org/chipgraph/ontology#> .
@prefix cgs: <https://w3id.org/chipgraph/shapes#> .
cgs:UndeclaredReadShape a sh:NodeShape ;
    sh:targetClass cg:Chip ;
    sh:sparql [
        a sh:SPARQLConstraint ;
        sh:message "The chip's designer is labelled FORBIDDEN." ;
        sh:select \"\"\"SELECT $this WHERE {
            $this <https://w3id.org/chipgraph/ontology#designedBy> ?designer .
            ?designer <http://www.w3.org/2000/01/rdf-schema#label> "FORBIDDEN" }\"\"\" ;
    ] .
"""


def test_a_sparql_constraint_that_does_not_declare_what_it_reads_means_full_validation(
    curated: OxigraphStore,
) -> None:
    """Relabelling a designer changes a fact of the designer only: the chips' constraint that reads it
    (undeclared) is only checked because validation falls back to the whole graph."""
    from kg.gate import affected
    from kg.gate.validate import shapes_graph

    relabel = Changeset(
        G + "epoch-ml-hardware",
        frozenset({fact("organization/nvidia", "label", "FORBIDDEN")}),
        frozenset(),
        "tester",
        "a label a shape forbids",
    )
    assert validate_changes(curated, [relabel]).conforms  # the real shapes: nothing reads a designer's label
    shapes = shapes_graph()
    extra = shapes.parse(data=UNDECLARED, format="turtle")
    try:
        with pytest.raises(affected.UnsupportedShapesError, match="readsProperties"):
            affected.shapes_reach(extra)
        report = validate_changes(curated, [relabel])
        full = validate_full(curated, [relabel])
    finally:
        shapes_graph.cache_clear()  # the next caller parses the real shapes again
    focus = {result.focus_node for result in report.results}
    assert not report.conforms and ID + "chip/nvidia-h100-sxm5" in focus
    assert focus == {result.focus_node for result in full.results}
    assert validate_changes(curated, [relabel]).conforms  # the cache holds the real shapes again
