"""Merge: all or nothing, validated, recorded in the history, and revertible exactly."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.gate.changes import Changeset, ChangesetError
from kg.gate.merge import MergeRefusedError, UnknownChangeError, log, merge, revert, show
from kg.namespaces import INFERRED_GRAPH
from kg.store import OxigraphStore
from tests.conftest import data_without_history

CG = "https://w3id.org/chipgraph/ontology#"
ID = "https://w3id.org/chipgraph/id/"
EPOCH = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def t(subject: str, predicate: str | ox.NamedNode, obj: str | ox.Literal) -> ox.Triple:
    p = predicate if isinstance(predicate, ox.NamedNode) else ox.NamedNode(CG + predicate)
    o = obj if isinstance(obj, ox.Literal) else ox.NamedNode(obj)
    return ox.Triple(ox.NamedNode(ID + subject), p, o)


def change(add: set[ox.Triple], remove: set[ox.Triple] = frozenset(), graph: str = EPOCH) -> Changeset:  # type: ignore[assignment]
    return Changeset(graph, frozenset(add), frozenset(remove), "tester", "a test change")


@pytest.fixture
def store(fresh_curated: OxigraphStore) -> OxigraphStore:
    """A fresh store of the curated data (no data set imports: merges here are about the algorithm)."""
    return fresh_curated


def new_chip(slug: str, designer: str) -> set[ox.Triple]:
    return {
        t(f"chip/{slug}", TYPE, CG + "GPU"),
        t(f"chip/{slug}", LABEL, ox.Literal(slug.upper())),
        t(f"chip/{slug}", "designedBy", ID + f"organization/{designer}"),
    }


def test_a_violating_changeset_is_refused_and_nothing_is_written(store: OxigraphStore) -> None:
    before = store.dump_nquads()
    bad = change(new_chip("good-one", "nvidia") | new_chip("bad-one", "tsmc"))
    with pytest.raises(MergeRefusedError) as refused:
        merge(store, [bad])
    assert not refused.value.report.conforms
    assert {(r.focus_node, r.path) for r in refused.value.report.results} == {(ID + "chip/bad-one", CG + "designedBy")}
    assert store.dump_nquads() == before


def test_removing_a_designer_role_breaks_the_chips_that_name_it(store: OxigraphStore) -> None:
    # Biren is a ChipDesigner in several graphs (curated Epoch, a Federal Register document, the
    # Epoch import): removing the role from all of them leaves its chip without a designer.
    before = store.dump_nquads()
    role = t("organization/biren", TYPE, CG + "ChipDesigner")
    graphs = [
        row["g"].value
        for row in store.select(f"SELECT ?g WHERE {{ GRAPH ?g {{ <{ID}organization/biren> a <{CG}ChipDesigner> }} }}")
        if row["g"].value != INFERRED_GRAPH
    ]
    assert len(graphs) >= 2
    drops = [Changeset(graph, frozenset(), frozenset({role}), "tester", "drop role") for graph in graphs]
    with pytest.raises(MergeRefusedError) as refused:
        merge(store, drops)
    assert (ID + "chip/biren-br100", CG + "designedBy") in {
        (r.focus_node, r.path) for r in refused.value.report.results
    }
    assert store.dump_nquads() == before


def test_a_conforming_changeset_is_merged_whole_logged_and_inferred(store: OxigraphStore) -> None:
    result = merge(store, [change(new_chip("x1", "nvidia"))])
    (merged,) = result.merged
    assert store.query(f"ASK {{ GRAPH <{EPOCH}> {{ <{ID}chip/x1> <{CG}designedBy> <{ID}organization/nvidia> }} }}")
    assert store.query(
        f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ <{ID}organization/nvidia> <{CG}designed> <{ID}chip/x1> }} }}"
    )
    assert store.query(f"ASK {{ GRAPH <{INFERRED_GRAPH}> {{ <{ID}chip/x1> a <{CG}Chip> }} }}")
    newest = log(store)[0]
    assert (newest.id, newest.author, newest.added, newest.removed) == (merged.id, "tester", 3, 0)
    record = show(store, merged.id)
    assert record.added_triples == frozenset(new_chip("x1", "nvidia"))
    assert record.source == "https://w3id.org/chipgraph/id/source/epoch-ml-hardware"


def test_revert_restores_the_earlier_state_exactly(store: OxigraphStore) -> None:
    before = data_without_history(store)
    edit = change(
        new_chip("x2", "amd"),
        {
            t(
                "chip/nvidia-h20",
                "memoryGB",
                ox.Literal("96", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
            )
        },
    )
    (merged,) = merge(store, [edit]).merged
    assert len(merged.remove) == 1
    assert data_without_history(store) != before
    (undo,) = revert(store, merged.id, author="tester").merged
    assert data_without_history(store) == before
    assert undo.reverts == merged.id
    assert show(store, undo.id).reverts == merged.id
    assert [record.id for record in log(store)[:2]] == [undo.id, merged.id]


def test_warnings_are_refused_unless_allowed(store: OxigraphStore) -> None:
    implausible = new_chip("x3", "nvidia") | {
        t(
            "chip/x3",
            "memoryBandwidthGBps",
            ox.Literal("180000", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
        )
    }
    with pytest.raises(MergeRefusedError):
        merge(store, [change(implausible)])
    result = merge(store, [change(implausible)], allow_warnings=True)
    assert [r.severity for r in result.report.results] == ["Warning"]


def test_merging_what_the_store_holds_changes_nothing(store: OxigraphStore) -> None:
    before = store.dump_nquads()
    same = change({t("organization/nvidia", LABEL, ox.Literal("Nvidia"))})
    assert merge(store, [same]).merged == []
    assert store.dump_nquads() == before


def test_only_the_effective_part_is_recorded(store: OxigraphStore) -> None:
    mixed = change(
        new_chip("x4", "nvidia") | {t("organization/nvidia", LABEL, ox.Literal("Nvidia"))},
        {t("chip/not-there", LABEL, ox.Literal("nothing"))},
    )
    (merged,) = merge(store, [mixed]).merged
    assert merged.add == frozenset(new_chip("x4", "nvidia")) and merged.remove == frozenset()


def test_a_graph_whose_source_is_not_described_is_refused(store: OxigraphStore) -> None:
    before = store.dump_nquads()
    with pytest.raises(ChangesetError, match="not described"):
        merge(store, [change(new_chip("x5", "nvidia"), graph="https://w3id.org/chipgraph/graph/new-source")])
    assert store.dump_nquads() == before


def describe_source(slug: str, citation: str | None) -> Changeset:
    """A changeset to the metadata graph that describes a new source."""
    source = ox.NamedNode(f"{ID}source/{slug}")
    facts = {
        ox.Triple(source, TYPE, ox.NamedNode(CG + "NewsArticle")),
        ox.Triple(source, ox.NamedNode("http://purl.org/dc/terms/title"), ox.Literal(f"Report {slug}")),
    }
    if citation:
        facts.add(ox.Triple(source, ox.NamedNode(CG + "sourceCitation"), ox.Literal(citation)))
    return Changeset("https://w3id.org/chipgraph/graph/meta", frozenset(facts), frozenset(), "tester", "describe")


def test_a_new_source_and_its_facts_merge_together(store: OxigraphStore) -> None:
    facts = change(new_chip("x6", "nvidia"), graph="https://w3id.org/chipgraph/graph/new-source")
    result = merge(store, [describe_source("new-source", "Example Times, 1 May 2026"), facts])
    assert len(result.merged) == 2


def test_a_source_without_url_or_citation_is_refused(store: OxigraphStore) -> None:
    with pytest.raises(MergeRefusedError, match="URL or a citation"):
        merge(store, [describe_source("vague", None)])


def test_unknown_change_ids_are_refused(store: OxigraphStore) -> None:
    for bad in ["", "nope", "x> } DROP ALL {"]:
        with pytest.raises(UnknownChangeError):
            show(store, bad)


def test_merge_revert_merge_in_one_second_gives_three_ids(
    store: OxigraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With SOURCE_DATE_EPOCH every merge has the same time: the ids still differ, and each shows its own record."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    adding = change(new_chip("twice", "nvidia"))
    (first,) = merge(store, [adding]).merged
    (undo,) = revert(store, first.id, author="tester").merged
    (again,) = merge(store, [adding]).merged
    ids = [first.id, undo.id, again.id]
    assert len(set(ids)) == 3
    assert [show(store, change_id).sequence for change_id in ids] == [first.sequence, undo.sequence, again.sequence]
    assert len({record.id for record in log(store)}) == len(log(store))


@pytest.mark.parametrize("iri", ["tag:x,2026:chip", "rdf:x", "schema:thing", "owl:q"])
def test_a_subject_of_any_scheme_is_validated_as_itself(store: OxigraphStore, iri: str) -> None:
    """pyshacl reads focus nodes outside http/https/urn/file as CURIEs: none may become another IRI."""
    gpu = ox.Triple(ox.NamedNode(iri), TYPE, ox.NamedNode(CG + "GPU"))  # a chip with no name, no designer
    with pytest.raises(MergeRefusedError) as refused:
        merge(store, [change({gpu})])
    assert {result.focus_node for result in refused.value.report.results} == {iri}
