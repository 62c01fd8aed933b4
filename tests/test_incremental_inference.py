"""A merge keeps the inferred graph up to date by what changed (docs/adr/0015), equal to a full recompute.

Real merges (kg.gate.merge.merge: validated, one transaction) on a copy of the curated build; after
each, the inferred graph is compared with the rules run from nothing on the stated graphs.
"""

from __future__ import annotations

import contextlib
import itertools

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.gate import incremental_inference, inference
from kg.gate.changes import Changeset, now
from kg.gate.merge import MergeRefusedError, merge, merge_update, next_sequence, write
from kg.namespaces import GRAPH_BASE, ID_BASE, INFERRED_GRAPH, ONTOLOGY_NS
from kg.store import OxigraphStore

CG, ID = ONTOLOGY_NS, ID_BASE
EPOCH, TWEAKERS = GRAPH_BASE + "epoch-ml-hardware", GRAPH_BASE + "tweakers-2022-nvidia-a800"
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
DECIMAL = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
A, B, C, D = (ox.NamedNode(f"{ID}organization/inc-{name}") for name in "abcd")
NVIDIA = ox.NamedNode(ID + "organization/nvidia")
CHIP = ox.NamedNode(ID + "chip/inc-x")


def cg(name: str) -> ox.NamedNode:
    return ox.NamedNode(CG + name)


BASE = frozenset(
    {ox.Triple(org, TYPE, cg("Organization")) for org in (A, B, C, D)}
    | {ox.Triple(org, LABEL, ox.Literal(f"Inc {org.value[-1]}")) for org in (A, B, C, D)}
    | {ox.Triple(CHIP, TYPE, cg("GPU")), ox.Triple(CHIP, LABEL, ox.Literal("X"))}
    | {ox.Triple(CHIP, cg("designedBy"), NVIDIA)}
)
# Ownership edges (transitive, both directions inverse), subclass types, a super-property, the
# derived figures' inputs, and a stated inverse of an inferred triple.
POOL = [
    ox.Triple(A, cg("subsidiaryOf"), B),
    ox.Triple(B, cg("subsidiaryOf"), C),
    ox.Triple(C, cg("subsidiaryOf"), D),
    ox.Triple(A, cg("subsidiaryOf"), D),
    ox.Triple(D, cg("hasSubsidiary"), B),
    ox.Triple(C, cg("hasSubsidiary"), A),
    ox.Triple(A, TYPE, cg("ChipDesigner")),
    ox.Triple(A, TYPE, cg("Company")),
    ox.Triple(B, TYPE, cg("Foundry")),
    ox.Triple(CHIP, cg("denseFP16TFLOPS"), ox.Literal("300", datatype=DECIMAL)),
    ox.Triple(CHIP, cg("dieAreaMm2"), ox.Literal("400", datatype=DECIMAL)),
    ox.Triple(NVIDIA, cg("designed"), CHIP),
    ox.Triple(CHIP, cg("designedBy"), A),
    ox.Triple(CHIP, TYPE, cg("AIAccelerator")),
]
STEP = st.tuples(
    st.sampled_from([EPOCH, TWEAKERS]),
    st.sets(st.sampled_from(range(len(POOL)))),
    st.sets(st.sampled_from(range(len(POOL)))),
)


def inferred(store: OxigraphStore) -> set[ox.Triple]:
    return set(store.triples(INFERRED_GRAPH))


def recomputed(store: OxigraphStore) -> set[ox.Triple]:
    """The inferred graph the rules give from nothing, on a copy of the store's stated graphs."""
    copy = OxigraphStore.in_memory()
    copy.add_quads(q for q in store.all_quads() if q.graph_name != ox.NamedNode(INFERRED_GRAPH))
    inference.materialise(copy)
    return inferred(copy)


def assert_as_recomputed(store: OxigraphStore) -> None:
    assert inferred(store) == recomputed(store)
    assert store.union_differences() == (set(), set())


def change(graph: str, add: frozenset[ox.Triple] | set[ox.Triple], remove: set[ox.Triple] | None = None) -> Changeset:
    return Changeset(graph, frozenset(add), frozenset(remove or ()), "tester", "incremental inference test")


class Quads(tuple[ox.Quad, ...]):
    """Quads with a short repr (hypothesis prints its arguments when a case fails)."""

    def __repr__(self) -> str:
        return f"<{len(self)} quads>"


@pytest.fixture(scope="module")
def base_quads(curated: OxigraphStore) -> Quads:
    """The curated build with the test's organisations and chip merged (once)."""
    store = fresh(tuple(curated.all_quads()))
    merge(store, [change(EPOCH, BASE)], allow_warnings=True)
    return Quads(store.all_quads())


def fresh(quads: tuple[ox.Quad, ...]) -> OxigraphStore:
    store = OxigraphStore.in_memory()
    store.add_quads(quads)
    return store


def test_the_incremental_rules_mirror_the_rule_files_and_merges_use_them() -> None:
    assert incremental_inference.covers_rule_files()
    text = merge_update([change(EPOCH, {POOL[0]}).stamped(now(), 1)], 1)
    assert incremental_inference.OVER in text
    assert f"DROP SILENT GRAPH <{INFERRED_GRAPH}>" not in text
    full = merge_update([change(EPOCH, {POOL[0]}).stamped(now(), 1)], 1, incremental=False)
    assert f"DROP SILENT GRAPH <{INFERRED_GRAPH}>" in full


def test_an_inference_stays_while_one_support_is_left_and_goes_with_the_last(base_quads: tuple[ox.Quad, ...]) -> None:
    store = fresh(base_quads)
    a_to_b, b_to_c, a_to_d, d_to_c = (
        ox.Triple(A, cg("subsidiaryOf"), B),
        ox.Triple(B, cg("subsidiaryOf"), C),
        ox.Triple(A, cg("subsidiaryOf"), D),
        ox.Triple(D, cg("subsidiaryOf"), C),
    )
    a_to_c, c_owns_a = ox.Triple(A, cg("subsidiaryOf"), C), ox.Triple(C, cg("hasSubsidiary"), A)
    merge(store, [change(EPOCH, {a_to_b, b_to_c, a_to_d, d_to_c})])
    assert {a_to_c, c_owns_a} <= inferred(store)
    merge(store, [change(EPOCH, set(), {a_to_b})])  # the path through D is left
    assert {a_to_c, c_owns_a} <= inferred(store)
    assert_as_recomputed(store)
    merge(store, [change(EPOCH, set(), {a_to_d})])  # no path left
    assert not {a_to_c, c_owns_a} & inferred(store)
    assert_as_recomputed(store)


def test_removing_both_links_of_a_chain_at_once_removes_what_only_they_supported(
    base_quads: tuple[ox.Quad, ...],
) -> None:
    """Both inverses stated too: the over-deletion must join two removed triples with each other."""
    store = fresh(base_quads)
    links = {
        ox.Triple(A, cg("subsidiaryOf"), B),
        ox.Triple(B, cg("subsidiaryOf"), C),
        ox.Triple(B, cg("hasSubsidiary"), A),
        ox.Triple(C, cg("hasSubsidiary"), B),
    }
    merge(store, [change(EPOCH, links)])
    assert ox.Triple(A, cg("subsidiaryOf"), C) in inferred(store)
    merge(store, [change(EPOCH, set(), links)])
    assert ox.Triple(A, cg("subsidiaryOf"), C) not in inferred(store)
    assert_as_recomputed(store)


def test_a_triple_removed_from_one_source_keeps_its_consequences_while_another_states_it(
    base_quads: tuple[ox.Quad, ...],
) -> None:
    store = fresh(base_quads)
    owned, owner = ox.Triple(A, cg("subsidiaryOf"), B), ox.Triple(B, cg("hasSubsidiary"), A)
    merge(store, [change(EPOCH, {owned}), change(TWEAKERS, {owned})])
    merge(store, [change(EPOCH, set(), {owned})])
    assert owner in inferred(store)
    merge(store, [change(TWEAKERS, set(), {owned})])
    assert owner not in inferred(store)
    assert_as_recomputed(store)


def test_a_stated_triple_that_was_inferred_leaves_the_inferred_graph_and_returns_when_unstated(
    base_quads: tuple[ox.Quad, ...],
) -> None:
    store = fresh(base_quads)
    designed = ox.Triple(NVIDIA, cg("designed"), CHIP)
    assert designed in inferred(store)
    merge(store, [change(EPOCH, {designed})])
    assert designed not in inferred(store)
    merge(store, [change(EPOCH, set(), {designed})])
    assert designed in inferred(store)
    assert_as_recomputed(store)


def test_a_long_chain_needs_more_rounds_than_the_first_try_and_gets_them(base_quads: tuple[ox.Quad, ...]) -> None:
    """With one round the proof fails, the update is rolled back and sent again with more rounds."""
    store = fresh(base_quads)
    orgs = [ox.NamedNode(f"{ID}organization/inc-chain-{n}") for n in range(12)]
    chain = {ox.Triple(org, TYPE, cg("Company")) for org in orgs} | {
        ox.Triple(low, cg("subsidiaryOf"), high) for low, high in itertools.pairwise(orgs)
    }
    sequence = next_sequence(store)
    write(store, [change(EPOCH, chain).stamped(now(), sequence)], sequence, first_rounds=1)
    assert ox.Triple(orgs[0], cg("subsidiaryOf"), orgs[-1]) in inferred(store)
    assert_as_recomputed(store)
    sequence = next_sequence(store)
    middle = {ox.Triple(orgs[5], cg("subsidiaryOf"), orgs[6])}
    write(store, [change(EPOCH, set(), middle).stamped(now(), sequence)], sequence, first_rounds=1)
    assert ox.Triple(orgs[0], cg("subsidiaryOf"), orgs[-1]) not in inferred(store)
    assert_as_recomputed(store)


@settings(derandomize=True, max_examples=20, deadline=None)
@given(steps=st.lists(STEP, min_size=1, max_size=5))
def test_random_adds_and_removes_leave_the_inferred_graph_as_a_full_recompute(
    base_quads: tuple[ox.Quad, ...], steps: list[tuple[str, set[int], set[int]]]
) -> None:
    store = fresh(base_quads)
    for graph, added, removed in steps:
        if not added | removed:
            continue
        step = change(graph, {POOL[i] for i in added}, {POOL[i] for i in removed - added})
        with contextlib.suppress(MergeRefusedError):  # e.g. a chip designed by a non-designer: nothing written
            merge(store, [step], allow_warnings=True)
        assert_as_recomputed(store)
