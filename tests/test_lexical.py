"""Well-formed literals at the gate (kg/gate/lexical.py): XSD lexical spaces, and a refusal that writes nothing."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.gate import merge
from kg.gate.changes import Changeset
from kg.gate.lexical import XSD, well_formed
from kg.namespaces import ONTOLOGY_NS
from kg.store import OxigraphStore

WELL_FORMED = [
    ("1.5", "decimal"),
    ("-0", "decimal"),
    ("+.5", "decimal"),
    ("7.", "decimal"),
    (" 12 ", "decimal"),
    ("42", "integer"),
    ("-3", "integer"),
    ("1.0E3", "double"),
    ("INF", "double"),
    ("NaN", "float"),
    ("true", "boolean"),
    ("0", "boolean"),
    ("2024-02-29", "date"),
    ("2023-10-17Z", "date"),
    ("2023-10-17T12:00:00", "dateTime"),
    ("2023-10-17T24:00:00+14:00", "dateTime"),
    ("2022", "gYear"),
    ("anything at all", "string"),
    ("12.x", "anyURI"),
]
ILL_FORMED = [
    ("12.x", "decimal"),
    ("NaN", "decimal"),
    ("INF", "decimal"),
    ("1E3", "decimal"),
    ("1,5", "decimal"),
    ("", "decimal"),
    ("--3", "decimal"),
    ("1.5", "integer"),
    ("٣", "integer"),
    ("1e", "double"),
    ("yes", "boolean"),
    ("2023-02-29", "date"),
    ("2023-13-01", "date"),
    ("23-10-17", "date"),
    ("2023-10-17T25:00:00", "dateTime"),
    ("2023-10-17", "dateTime"),
    ("MMXXII", "gYear"),
]


@pytest.mark.parametrize(("text", "datatype"), WELL_FORMED)
def test_well_formed_values_pass(text: str, datatype: str) -> None:
    assert well_formed(ox.Literal(text, datatype=ox.NamedNode(XSD + datatype)))


@pytest.mark.parametrize(("text", "datatype"), ILL_FORMED)
def test_ill_formed_values_are_caught(text: str, datatype: str) -> None:
    assert not well_formed(ox.Literal(text, datatype=ox.NamedNode(XSD + datatype)))


def test_every_literal_of_the_curated_build_is_well_formed(fresh_curated: OxigraphStore) -> None:
    literals = [q.object for q in fresh_curated.all_quads() if isinstance(q.object, ox.Literal)]
    assert len(literals) > 1000
    assert [str(literal) for literal in literals if not well_formed(literal)] == []


@pytest.mark.parametrize("text", ["12.x", "NaN", "1E3"])
def test_a_merge_with_an_ill_formed_figure_is_refused_and_writes_nothing(
    fresh_curated: OxigraphStore, text: str
) -> None:
    tpp = ox.NamedNode(ONTOLOGY_NS + "statedTPP")
    row = fresh_curated.select(f"SELECT ?g ?c WHERE {{ GRAPH ?g {{ ?c {tpp} ?t }} }} LIMIT 1")[0]
    chip, graph = row["c"], row["g"]
    ill = ox.Triple(chip, tpp, ox.Literal(text, datatype=ox.NamedNode(XSD + "decimal")))
    before = fresh_curated.dump_nquads()
    with pytest.raises(merge.MergeRefusedError) as refused:
        merge.merge(fresh_curated, [Changeset(graph.value, frozenset({ill}), frozenset(), "t", "m")])
    assert fresh_curated.dump_nquads() == before
    [result] = refused.value.report.results
    assert (result.focus_node, result.path, result.value, result.constraint, result.severity) == (
        chip.value,
        tpp.value,
        text,
        "DatatypeConstraintComponent",
        "Violation",
    )
