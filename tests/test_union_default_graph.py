"""The default graph is the RDF merge of the named graphs: each triple once (docs/adr/0010).

On the real curated build: a fact two sources state comes back once, counts once and sums once,
while ``GRAPH ?g`` still names both sources; merges, reverts and inference keep the default graph
equal to the set of the named graphs' triples (also under random sequences of writes).
"""

from __future__ import annotations

import functools
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg import union
from kg.build import build, load_plan
from kg.gate.changes import Changeset, now
from kg.gate.merge import merge, next_sequence, revert, write
from kg.namespaces import DERIVED_GRAPH, GRAPH_BASE, ID_BASE, INFERRED_GRAPH, ONTOLOGY_NS
from kg.service_description import describe
from kg.store import OxigraphStore, StoreFormatError, term_text
from tests.conftest import examples

CG, ID, GRAPH = ONTOLOGY_NS, ID_BASE, GRAPH_BASE
EPOCH = GRAPH + "epoch-ml-hardware"
TWEAKERS = GRAPH + "tweakers-2022-nvidia-a800"
ETO = GRAPH + "eto-chip-explorer"
A100 = f"<{ID}chip/nvidia-a100-sxm4-80gb>"
BANDWIDTH = f"<{CG}interconnectBandwidthGBps>"
DECIMAL = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
# Stated by both the Epoch data set and the Tweakers article (tests/data: the curated build).
SHARED = ox.Triple(
    ox.NamedNode(ID + "chip/nvidia-a100-sxm4-80gb"), ox.NamedNode(BANDWIDTH[1:-1]), ox.Literal("600", datatype=DECIMAL)
)


def count(store: OxigraphStore, where: str) -> int:
    rows = store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
    return int(term_text(rows[0]["n"]))


def stating_graphs(store: OxigraphStore, triple: ox.Triple) -> set[str]:
    rows = store.select(f"SELECT ?g WHERE {{ GRAPH ?g {{ {triple} }} }}")
    return {term_text(row["g"]) for row in rows}


def assert_union(store: OxigraphStore) -> None:
    missing, extra = store.union_differences()
    assert (missing, extra) == (set(), set())


@functools.cache
def curated() -> tuple[ox.Quad, ...]:
    """The named graphs' quads of the curated build (built once)."""
    _, built = build(None, plan=load_plan())
    assert built is not None
    assert_union(built)
    return tuple(built.all_quads())


@pytest.fixture
def curated_quads() -> tuple[ox.Quad, ...]:
    return curated()


@pytest.fixture
def store(curated_quads: tuple[ox.Quad, ...]) -> OxigraphStore:
    """A fresh in-memory copy of the curated build (named graphs copied, default graph rebuilt by add_quads)."""
    copy = OxigraphStore.in_memory()
    copy.add_quads(curated_quads)
    return copy


def change(graph: str, add: set[ox.Triple] | None = None, remove: set[ox.Triple] | None = None) -> Changeset:
    return Changeset(graph, frozenset(add or ()), frozenset(remove or ()), "tester", "union test")


def test_a_triple_two_sources_state_comes_back_once_and_both_sources_are_named(store: OxigraphStore) -> None:
    assert stating_graphs(store, SHARED) == {EPOCH, TWEAKERS}
    rows = store.select(f"SELECT * WHERE {{ {A100} {BANDWIDTH} ?value }}")
    assert [term_text(row["value"]) for row in rows] == ["600"]
    assert count(store, f"{A100} {BANDWIDTH} ?value") == 1
    rows = store.select(f"SELECT (SUM(?value) AS ?total) WHERE {{ {A100} {BANDWIDTH} ?value }}")
    assert term_text(rows[0]["total"]) == "600"
    assert count(store, f"GRAPH ?g {{ {A100} {BANDWIDTH} ?value }}") == 2


def test_no_triple_of_the_default_graph_repeats_and_it_holds_every_stated_triple(store: OxigraphStore) -> None:
    distinct = count(store, "SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert count(store, "?s ?p ?o") == store.triple_count() == distinct < store.quad_count()


def test_inferred_triples_come_back_once(store: OxigraphStore) -> None:
    """Nvidia is a ChipDesigner in three sources; its types, stated and inferred, come once each."""
    rows = store.select(f"SELECT ?type WHERE {{ <{ID}organization/nvidia> a ?type }}")
    types = [term_text(row["type"]) for row in rows]
    assert len(types) == len(set(types))
    assert CG + "Organization" in types  # inferred from ChipDesigner, in the inferred graph only
    nvidia_org = ox.Triple(ox.NamedNode(ID + "organization/nvidia"), TYPE, ox.NamedNode(CG + "Organization"))
    assert INFERRED_GRAPH in stating_graphs(store, nvidia_org)


def test_a_merge_removing_the_triple_from_one_source_keeps_it_and_from_both_drops_it(store: OxigraphStore) -> None:
    where = f"{A100} {BANDWIDTH} ?value"
    (first,) = merge(store, [change(EPOCH, remove={SHARED})]).merged
    assert stating_graphs(store, SHARED) == {TWEAKERS}
    assert count(store, where) == 1
    assert_union(store)
    (second,) = merge(store, [change(TWEAKERS, remove={SHARED})]).merged
    assert stating_graphs(store, SHARED) == set()
    assert count(store, where) == 0
    assert_union(store)
    revert(store, second.id, author="tester")
    assert count(store, where) == 1
    revert(store, first.id, author="tester")
    assert stating_graphs(store, SHARED) == {EPOCH, TWEAKERS}
    assert count(store, where) == 1
    assert_union(store)


def test_a_merge_adding_a_triple_another_source_states_still_counts_it_once(store: OxigraphStore) -> None:
    (merged,) = merge(store, [change(ETO, add={SHARED})]).merged
    assert stating_graphs(store, SHARED) == {EPOCH, TWEAKERS, ETO}
    assert count(store, f"{A100} {BANDWIDTH} ?value") == 1
    revert(store, merged.id, author="tester")
    assert stating_graphs(store, SHARED) == {EPOCH, TWEAKERS}
    assert count(store, f"{A100} {BANDWIDTH} ?value") == 1
    assert_union(store)


def test_inferences_and_derived_figures_that_go_leave_the_default_graph(store: OxigraphStore) -> None:
    chip = ox.NamedNode(ID + "chip/union-test")
    figures = {
        ox.Triple(chip, TYPE, ox.NamedNode(CG + "GPU")),
        ox.Triple(chip, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal("Union test")),
        ox.Triple(chip, ox.NamedNode(CG + "designedBy"), ox.NamedNode(ID + "organization/nvidia")),
        ox.Triple(chip, ox.NamedNode(CG + "denseFP16TFLOPS"), ox.Literal("300", datatype=DECIMAL)),
        ox.Triple(chip, ox.NamedNode(CG + "dieAreaMm2"), ox.Literal("400", datatype=DECIMAL)),
    }
    (merged,) = merge(store, [change(EPOCH, add=figures)]).merged
    assert count(store, f"{chip} <{CG}computedTPP> ?tpp") == 1
    assert count(store, f"{chip} a <{CG}Chip>") == 1  # inferred
    assert_union(store)
    revert(store, merged.id, author="tester")
    assert count(store, f"{chip} ?p ?o") == 0
    assert count(store, f"GRAPH <{DERIVED_GRAPH}> {{ {chip} ?p ?o }}") == 0
    assert_union(store)


def test_the_service_description_counts_distinct_triples(store: OxigraphStore) -> None:
    text = describe(store, "http://localhost/sparql", ox.RdfFormat.N_TRIPLES)
    counts = [
        int(term_text(t.object))
        for t in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)
        if t.predicate.value == "http://rdfs.org/ns/void#triples" and t.subject == ox.BlankNode("dataset")
    ]
    assert counts == [store.triple_count()]
    assert store.triple_count() == count(store, "SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")


def test_several_from_graphs_are_a_bag_as_the_adr_says(store: OxigraphStore) -> None:
    """Documented limit (docs/adr/0010): a default graph the query makes of several graphs is not merged."""
    rows = store.select(f"SELECT ?value FROM <{EPOCH}> FROM <{TWEAKERS}> WHERE {{ {A100} {BANDWIDTH} ?value }}")
    assert len(rows) == 2


def test_quads_in_the_default_graph_are_refused(store: OxigraphStore) -> None:
    with pytest.raises(ValueError, match="named graph"):
        store.add_quads([ox.Quad(SHARED.subject, SHARED.predicate, SHARED.object, ox.DefaultGraph())])


@pytest.fixture
def old_store(tmp_path: Path, curated_quads: tuple[ox.Quad, ...]) -> Path:
    """An on-disk store as chipgraph wrote it before ADR 0010: named graphs only."""
    path = tmp_path / "store"
    raw = ox.Store(str(path))
    raw.extend(curated_quads)
    raw.flush()
    del raw
    return path


def test_a_store_from_before_the_change_is_refused_read_only_and_upgraded_when_opened_for_writing(
    old_store: Path,
) -> None:
    with pytest.raises(StoreFormatError, match="open it once for writing"):
        OxigraphStore.open(old_store)
    upgraded = OxigraphStore.open(old_store, read_only=False)
    assert_union(upgraded)
    upgraded.close()
    reopened = OxigraphStore.open(old_store)
    assert count(reopened, f"{A100} {BANDWIDTH} ?value") == 1
    reopened.close()


# Random writes: the pool of triples touches stated facts (two of them already stated twice),
# inferred ones (types, an ownership chain) and derived figures (a chip's throughput and area).
CHIP = ox.NamedNode(ID + "chip/union-random")
ORG = ox.NamedNode(ID + "organization/union-random")
POOL = [
    SHARED,
    ox.Triple(ox.NamedNode(ID + "organization/nvidia"), TYPE, ox.NamedNode(CG + "ChipDesigner")),
    ox.Triple(CHIP, TYPE, ox.NamedNode(CG + "GPU")),
    ox.Triple(CHIP, ox.NamedNode(CG + "denseFP16TFLOPS"), ox.Literal("300", datatype=DECIMAL)),
    ox.Triple(CHIP, ox.NamedNode(CG + "dieAreaMm2"), ox.Literal("400", datatype=DECIMAL)),
    ox.Triple(CHIP, ox.NamedNode(CG + "designedBy"), ORG),
    ox.Triple(ORG, TYPE, ox.NamedNode(CG + "ChipDesigner")),
    ox.Triple(ORG, ox.NamedNode(CG + "subsidiaryOf"), ox.NamedNode(ID + "organization/nvidia")),
]
STEP = st.tuples(
    st.sampled_from([EPOCH, TWEAKERS, ETO]),
    st.sets(st.sampled_from(range(len(POOL)))),
    st.sets(st.sampled_from(range(len(POOL)))),
)


@settings(max_examples=examples(12), deadline=None)
@given(steps=st.lists(STEP, min_size=1, max_size=4))
def test_random_writes_keep_the_default_graph_the_set_of_the_named_graphs_triples(
    steps: list[tuple[str, set[int], set[int]]],
) -> None:
    """Unvalidated writes (kg.gate.merge.write, the merge's own transaction): the invariant is the write path's."""
    store = OxigraphStore.in_memory()
    store.add_quads(curated())
    for graph, added, removed in steps:
        if not added | removed:
            continue
        sequence = next_sequence(store)
        add = {POOL[index] for index in added - removed}
        written = change(graph, add=add, remove={POOL[index] for index in removed}).stamped(now(), sequence)
        write(store, [written], sequence)
        assert_union(store)


# The same invariant for every operation kg/union.py offers, on a bare store (fast, many cases).
SUBJECTS = [ox.NamedNode(f"urn:s{n}") for n in range(3)]
OPERATION = st.one_of(
    st.tuples(st.just("insert"), st.sampled_from(range(3)), st.sets(st.tuples(st.integers(0, 2), st.integers(0, 2)))),
    st.tuples(st.just("delete"), st.sampled_from(range(3)), st.sets(st.tuples(st.integers(0, 2), st.integers(0, 2)))),
    st.tuples(st.just("drop"), st.sampled_from(range(3)), st.just(frozenset())),
    st.tuples(st.just("delete-where"), st.sampled_from(range(3)), st.sets(st.tuples(st.integers(0, 2), st.just(0)))),
    st.tuples(st.just("rule"), st.sampled_from(range(3)), st.just(frozenset())),
)
RULE = "INSERT { GRAPH $G { ?b <urn:p0> ?a } } WHERE { GRAPH ?x { ?a <urn:p0> ?b } }"


def _triples(pairs: set[tuple[int, int]]) -> list[ox.Triple]:
    return [ox.Triple(SUBJECTS[s], ox.NamedNode(f"urn:p{p}"), SUBJECTS[(s + p) % 3]) for s, p in pairs]


def _operations(kind: str, graph: ox.NamedNode, pairs: set[tuple[int, int]]) -> list[str]:
    if kind == "insert":
        return [union.insert_data(graph, "".join(f"{t} .\n" for t in _triples(pairs)))] if pairs else []
    if kind == "delete":
        return union.delete_data(graph, _triples(pairs))
    if kind == "drop":
        return union.drop_graph(str(graph))
    if kind == "delete-where":
        return [
            op for s, _ in pairs for op in union.delete_where(str(graph), [f"{SUBJECTS[s]} <urn:p0> ?o", "?o ?p ?x"])
        ]
    return [union.mirrored(RULE.replace("$G", str(graph)))]


@settings(max_examples=examples(200), deadline=None)
@given(operations=st.lists(OPERATION, min_size=1, max_size=12), one_update=st.booleans())
def test_every_union_operation_keeps_the_invariant(
    operations: list[tuple[str, int, frozenset[tuple[int, int]]]], one_update: bool
) -> None:
    """Each group of operations (one write and its mirror) keeps it, whether sent alone or all in one update."""
    store = OxigraphStore.in_memory()
    groups = [_operations(kind, ox.NamedNode(f"urn:g{g}"), set(pairs)) for kind, g, pairs in operations]
    updates = [" ;\n".join(group) for group in groups if group]
    for update in [" ;\n".join(updates)] if one_update and updates else updates:
        store.update(update)
        assert_union(store)


def test_mirrored_refuses_a_rule_it_cannot_mirror() -> None:
    with pytest.raises(union.UnionTemplateError):
        union.mirrored("INSERT { ?a ?b ?c } WHERE { ?a ?b ?c }")
    with pytest.raises(union.UnionTemplateError):
        union.mirrored("DELETE WHERE { ?a ?b ?c }")
