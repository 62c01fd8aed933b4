"""Bulk imports (kg/gate/bulk.py, issue 14 item 3): the same gate as every merge, taken another way.

A bulk import leaves the store exactly as the ordinary merge path does (data, default graph,
derived figures, inferences; only the history records' ids and times differ), a violating one
is refused with nothing written, its history is exact and revert restores the store exactly.
The fast engine's results equal pyshacl's on every example under tests/data.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from bench.generate import ecosystem
from kg import resources
from kg.build import parse_file
from kg.cli import app
from kg.gate import bulk, fast_shacl, inference, merge
from kg.gate.changes import Changeset
from kg.gate.datasets import read_dataset
from kg.gate.validate import ValidationReport, validate_store
from kg.namespaces import GRAPH_BASE, ID_BASE, INFERRED_GRAPH, ONTOLOGY_GRAPH, ONTOLOGY_NS
from kg.store import OxigraphStore
from tests.conftest import data_without_history, dump
from tests.test_shapes import EXAMPLES, example_store

CHIP = ox.NamedNode(ID_BASE + "chip/synthetic-7")


def synthetic(size: int) -> list[Changeset]:
    """The synthetic ecosystem of about ``size`` quads as changesets, one per graph (as import-rdf reads a file)."""
    quads, _ = ecosystem(size)
    graphs: dict[str, list[ox.Triple]] = {}
    for quad in quads:
        graphs.setdefault(quad.graph_name.value, []).append(quad.triple)
    return [Changeset(g, frozenset(t), frozenset(), "test", "bulk import") for g, t in sorted(graphs.items())]


def test_a_bulk_import_leaves_the_store_as_the_ordinary_merge_does(fresh_curated: OxigraphStore) -> None:
    changesets = synthetic(1500)
    ordinary = OxigraphStore.in_memory()
    ordinary.add_quads(fresh_curated.all_quads())
    assert not bulk.applies(changesets)  # so merge.merge takes the ordinary path
    merge.merge(ordinary, changesets)
    merged, report = bulk.merge_bulk(fresh_curated, changesets)
    assert report.conforms and [c.graph for c in merged] == [c.graph for c in changesets]
    assert report.results == []  # the curated data's own warnings are not this merge's
    assert data_without_history(fresh_curated) == data_without_history(ordinary)
    assert fresh_curated.union_differences() == (set(), set())
    derived = fresh_curated.quads_matching(None, None, None, ox.NamedNode(GRAPH_BASE + "derived"))
    assert any(ID_BASE + "derivation/synthetic-7/" in quad.subject.value for quad in derived)
    assert fresh_curated.contains(
        ox.Quad(
            CHIP,
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode(ONTOLOGY_NS + "Chip"),
            ox.NamedNode(INFERRED_GRAPH),
        )
    )
    records = {record.graph: record for record in merge.log(fresh_curated, limit=len(changesets))}
    for change in changesets:  # the history holds exactly what each changeset added
        assert records[change.graph].added_triples == change.add
        assert records[change.graph].removed_triples == frozenset()


def test_a_bulk_import_that_violates_the_shapes_is_refused_with_nothing_written(fresh_curated: OxigraphStore) -> None:
    changesets = synthetic(1500)
    designed_by = ox.NamedNode(ONTOLOGY_NS + "designedBy")
    country = ox.NamedNode(ID_BASE + "country/QA")
    first = changesets[0]
    bad = Changeset(first.graph, first.add | {ox.Triple(CHIP, designed_by, country)}, frozenset(), "test", "bad")
    before = fresh_curated.dump_nquads()
    with pytest.raises(merge.MergeRefusedError) as refused:
        bulk.merge_bulk(fresh_curated, [bad, *changesets[1:]])
    assert fresh_curated.dump_nquads() == before
    (violation,) = [r for r in refused.value.report.results if r.severity == "Violation"]
    assert (violation.focus_node, violation.path, violation.constraint) == (
        CHIP.value,
        designed_by.value,
        "ClassConstraintComponent",
    )
    assert violation.message  # pyshacl's report, with its message


def test_a_bulk_import_with_an_ill_formed_figure_is_refused_with_nothing_written(fresh_curated: OxigraphStore) -> None:
    """pyshacl cannot evaluate the TPP constraint on "12.x"^^xsd:decimal (rdflib recurses); refused all the same."""
    changesets = synthetic(1500)
    tpp = ox.NamedNode(ONTOLOGY_NS + "statedTPP")
    first = changesets[0]
    old = {t for t in first.add if t.subject == CHIP and t.predicate == tpp}
    ill = ox.Triple(CHIP, tpp, ox.Literal("12.x", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")))
    before = fresh_curated.dump_nquads()
    with pytest.raises(merge.MergeRefusedError) as refused:
        bulk.merge_bulk(
            fresh_curated, [Changeset(first.graph, (first.add - old) | {ill}, frozenset(), "t", "m"), *changesets[1:]]
        )
    assert fresh_curated.dump_nquads() == before
    assert any(r.focus_node == CHIP.value and r.severity == "Violation" for r in refused.value.report.results)


def test_a_bulk_import_with_a_warning_needs_allow_warnings(fresh_curated: OxigraphStore) -> None:
    changesets = synthetic(1500)
    bandwidth = ox.NamedNode(ONTOLOGY_NS + "memoryBandwidthGBps")
    first = changesets[0]
    old = {t for t in first.add if t.subject == CHIP and t.predicate == bandwidth}
    huge = ox.Triple(
        CHIP, bandwidth, ox.Literal("990000.0", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal"))
    )
    warned = [Changeset(first.graph, (first.add - old) | {huge}, frozenset(), "t", "m"), *changesets[1:]]
    before = fresh_curated.dump_nquads()
    with pytest.raises(merge.MergeRefusedError):
        bulk.merge_bulk(fresh_curated, warned)
    assert fresh_curated.dump_nquads() == before
    _, report = bulk.merge_bulk(fresh_curated, warned, allow_warnings=True)
    assert report.conforms and [r.severity for r in report.results] == ["Warning"]
    assert fresh_curated.contains(ox.Quad(huge.subject, huge.predicate, huge.object, ox.NamedNode(first.graph)))


def test_revert_of_a_bulk_import_restores_the_store_exactly(fresh_curated: OxigraphStore) -> None:
    before = data_without_history(fresh_curated)
    merged, _ = bulk.merge_bulk(fresh_curated, synthetic(1500))
    assert data_without_history(fresh_curated) != before
    for change in reversed(merged):
        merge.revert(fresh_curated, change.id, author="test")
    assert data_without_history(fresh_curated) == before
    assert fresh_curated.union_differences() == (set(), set())


def ontology_store(path: Path) -> Path:
    """A chipgraph store on disk holding only the ontology and its inferences (a fresh, empty graph)."""
    store = OxigraphStore.create(path)
    store.add_quads(quad for file in resources.ontology_files() for quad in parse_file(file, ONTOLOGY_GRAPH))
    inference.materialise(store)
    store.close()
    return path


def test_import_rdf_takes_the_bulk_path_and_refuses_a_bad_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHIPGRAPH_BULK_ABOVE", "1000")  # the setting, so that a small file takes the bulk path
    store_path = ontology_store(tmp_path / "store")
    quads, _ = ecosystem(1500)
    good = tmp_path / "ecosystem.nq"
    ox.serialize(quads, str(good), format=ox.RdfFormat.N_QUADS)
    changesets = read_dataset(good, author="cli", message="bulk")
    assert bulk.applies(changesets) and not bulk.applies(changesets, threshold=20_000)
    bad = tmp_path / "bad.nq"
    designed_by = ox.NamedNode(ONTOLOGY_NS + "designedBy")
    wrong = ox.Quad(CHIP, designed_by, ox.NamedNode(ID_BASE + "country/QA"), quads[0].graph_name)
    ox.serialize([*quads, wrong], str(bad), format=ox.RdfFormat.N_QUADS)
    runner = CliRunner()
    before = dump(store_path)
    args = ["--author", "cli", "-m", "bulk", "--store", str(store_path)]
    refused = runner.invoke(app, ["import-rdf", str(bad), *args])
    assert refused.exit_code == 1 and "nothing written" in refused.output
    assert dump(store_path) == before
    merged = runner.invoke(app, ["import-rdf", str(good), *args])
    assert merged.exit_code == 0, merged.output
    assert merged.output.count("merged ") == len(changesets)
    again = runner.invoke(app, ["import-rdf", str(good), *args])
    assert again.exit_code == 0 and "nothing to merge" in again.output
    store = OxigraphStore.open(store_path)
    try:
        assert all(store.contains(quad) for quad in quads)
        assert store.union_differences() == (set(), set())
        assert {t for r in merge.log(store) for t in r.added_triples} == {q.triple for q in quads}
    finally:
        store.close()


def without_messages(report: ValidationReport) -> list[tuple[str | None, ...]]:
    """The results without their messages (pyshacl-turbo picks one of a shape's messages at random, ADR 0016)."""
    return [(r.focus_node, r.path, r.value, r.source_shape, r.constraint, r.severity) for r in report.results]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*/*.t*")), ids=lambda path: path.name)
def test_the_fast_engine_gives_pyshacls_results_on_every_example(path: Path) -> None:
    store = example_store(path)
    reference, fast = validate_store(store, allow_warnings=True), fast_shacl.validate_store(store, allow_warnings=True)
    assert fast.conforms == reference.conforms
    assert without_messages(fast) == without_messages(reference)  # focus, path, value, shape, constraint, severity


def test_a_refused_bulk_import_reports_pyshacls_messages(fresh_curated: OxigraphStore) -> None:
    """The source shape has two messages; the report of a refusal is pyshacl's, whatever pyshacl-turbo picked."""
    source = ox.NamedNode(ID_BASE + "source/example-home-page")
    meta = [
        q.triple
        for q in example_store(EXAMPLES / "sources" / "site-root--refused.ttl").all_quads()
        if q.subject == source and q.graph_name == ox.NamedNode("urn:example")
    ]
    changesets = [Changeset(GRAPH_BASE + "meta", frozenset(meta), frozenset(), "t", "m"), *synthetic(1500)]
    reference = validate_store(example_store(EXAMPLES / "sources" / "site-root--refused.ttl"))
    with pytest.raises(merge.MergeRefusedError) as refused:
        bulk.merge_bulk(fresh_curated, changesets)
    messages = {r.message for r in refused.value.report.results if r.focus_node == source.value}
    assert messages == {r.message for r in reference.results if r.focus_node == source.value}


HOSTILE_FILES = {
    "broken.nq": b'<urn:a> <urn:b> "unterminated .\n',
    "injection.nq": b"<urn:a> <urn:b> <urn:c> <urn:g> . } ; DROP ALL ; INSERT DATA { <urn:x> <urn:y> <urn:z> } .\n",
    "iri-breakout.nq": b'<urn:a> <urn:b> <urn:c> <urn:g> <urn:x> .\n<urn:a> <urn:b> "x" <urn:g> .\n',
    "default-graph.nq": b"<urn:a> <urn:b> <urn:c> .\n",
    "blank-graph.trig": b"_:g { <urn:a> <urn:b> <urn:c> }\n",
    "empty.ttl": b"",
    "nested.ttl": b"<urn:a> <urn:b> " + b"(" * 5000 + b")" * 5000 + b" .\n",
    "not-utf8.nt": b'<urn:a> <urn:b> "\xff\xfe" .\n',
    "data.exe": b"<urn:a> <urn:b> <urn:c> .\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_import_rdf_refuses_a_hostile_file_and_writes_nothing(tmp_path: Path, name: str) -> None:
    store_path = ontology_store(tmp_path / "store")
    hostile = tmp_path / name
    hostile.write_bytes(HOSTILE_FILES[name])
    before = dump(store_path)
    args = ["--author", "cli", "-m", "hostile", "--store", str(store_path)]
    refused = CliRunner().invoke(app, ["import-rdf", str(hostile), *args])
    assert refused.exit_code != 0, refused.output
    assert refused.output.startswith("error: ") and "Traceback" not in refused.output
    assert dump(store_path) == before
