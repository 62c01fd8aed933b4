"""Merges on Virtuoso (kg/gate/replay.py): the same effect as on the embedded store, one fenced operation, one writer.

The curated build is copied into the test server and into an embedded store; the same changes are
merged into both (transitive chains, types, derived figures, a triple stated by two sources), and
after each the two hold the same quads in every graph but the history, whose records must say the
same. Then: a refused merge writes nothing, a stale write is fenced off, the write lock admits one
writer at a time (and breaks a dead holder's claim), and merges from two threads both land.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from kg.gate.changes import Changeset, now
from kg.gate.merge import MergeRefusedError, log, merge, next_sequence, revert
from kg.gate.replay import MergeConflictError, fence, write_remote
from kg.namespaces import DERIVED_GRAPH, GRAPH_BASE, ID_BASE, ONTOLOGY_NS
from kg.store import OxigraphStore, RemoteStore
from kg.store.remote import UpdateTooLargeError
from kg.store.server_lock import LOCK_GRAPH, StoreBusyError
from kg.store.virtuoso_launcher import Virtuoso
from tests.store.conftest import by_value, comparable_data, remote_store

CG = ONTOLOGY_NS
EPOCH, TWEAKERS = GRAPH_BASE + "epoch-ml-hardware", GRAPH_BASE + "tweakers-2022-nvidia-a800"  # two described sources
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
DECIMAL = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
A, B, C, D = (ox.NamedNode(f"{ID_BASE}organization/remote-{name}") for name in "abcd")
NVIDIA = ox.NamedNode(ID_BASE + "organization/nvidia")
CHIP = ox.NamedNode(ID_BASE + "chip/remote-x")


def cg(name: str) -> ox.NamedNode:
    return ox.NamedNode(CG + name)


def change(graph: str, add: set[ox.Triple], remove: set[ox.Triple] | None = None) -> Changeset:
    return Changeset(graph, frozenset(add), frozenset(remove or ()), "tester", "remote merge test")


BASE = {ox.Triple(org, TYPE, cg("Organization")) for org in (A, B, C, D)} | {
    ox.Triple(org, LABEL, ox.Literal(f"Remote {org.value[-1]}")) for org in (A, B, C, D)
}
BASE |= {ox.Triple(CHIP, TYPE, cg("GPU")), ox.Triple(CHIP, LABEL, ox.Literal("Remote X"))}
BASE |= {ox.Triple(CHIP, cg("designedBy"), NVIDIA)}
CHAIN = {ox.Triple(A, cg("subsidiaryOf"), B), ox.Triple(B, cg("subsidiaryOf"), C), ox.Triple(C, cg("subsidiaryOf"), D)}
AREA = ox.Triple(CHIP, cg("dieAreaMm2"), ox.Literal("400", datatype=DECIMAL))
TFLOPS = ox.Triple(CHIP, cg("denseFP16TFLOPS"), ox.Literal("300", datatype=DECIMAL))
FIGURES = {TFLOPS, AREA}
# Each step: (graph, added, removed). Chains built and cut, a type with super-classes, figures that
# derive TPP and density, a stated inverse, the same triple stated by a second source then unstated.
STEPS = [
    (EPOCH, BASE, set()),
    (EPOCH, CHAIN | FIGURES, set()),
    (TWEAKERS, {ox.Triple(B, cg("subsidiaryOf"), C), ox.Triple(D, cg("hasSubsidiary"), A)}, set()),
    (EPOCH, {ox.Triple(A, TYPE, cg("ChipDesigner"))}, {ox.Triple(B, cg("subsidiaryOf"), C)}),
    (EPOCH, {ox.Triple(CHIP, cg("dieAreaMm2"), ox.Literal("800", datatype=DECIMAL))}, {AREA}),
    (TWEAKERS, set(), {ox.Triple(B, cg("subsidiaryOf"), C), ox.Triple(D, cg("hasSubsidiary"), A)}),
    # The derived figures go, their fact references with them: xsd:anyURI literals removed from two graphs.
    (EPOCH, set(), {TFLOPS}),
    (EPOCH, {TFLOPS}, set()),
]


def _history(store: OxigraphStore | RemoteStore) -> list[tuple[str, int, frozenset[ox.Triple], frozenset[ox.Triple]]]:
    return [(r.graph, r.sequence, r.added_triples, r.removed_triples) for r in log(store)]


@pytest.fixture(scope="module")
def pair(
    virtuoso: Virtuoso, curated_build: tuple[OxigraphStore, tuple[ox.Quad, ...]]
) -> Iterator[tuple[OxigraphStore, RemoteStore]]:
    """The curated build in an embedded store and in the test Virtuoso (emptied afterwards)."""
    embedded = OxigraphStore.in_memory()
    embedded.add_quads(curated_build[1])
    remote = remote_store(virtuoso, update_timeout=300.0)
    remote.clear()
    remote.add_quads(curated_build[1])
    try:
        yield embedded, remote
    finally:
        remote.clear()
        remote.close()


def test_merges_and_a_revert_write_on_the_server_what_they_write_in_the_embedded_store(
    pair: tuple[OxigraphStore, RemoteStore],
) -> None:
    embedded, remote = pair
    assert comparable_data(remote) == comparable_data(embedded)
    for graph, added, removed in STEPS:
        done = [merge(store, [change(graph, added, removed)], allow_warnings=True) for store in (embedded, remote)]
        assert [len(result.merged) for result in done] == [1, 1]
        there, here = comparable_data(remote), comparable_data(embedded)
        assert (there - here, here - there) == (Counter(), Counter()), f"after adding {added} and removing {removed}"
    assert _history(remote) == _history(embedded)
    derived = remote.quads_matching(CHIP, cg("computedTPP"), None, ox.NamedNode(DERIVED_GRAPH))
    assert [by_value(q.object) for q in derived] == ["decimal 4800"]  # 300 TFLOPS x 16 bits
    inferred = ox.NamedNode("https://w3id.org/chipgraph/graph/inferred")
    assert remote.has_quads(B, cg("hasSubsidiary"), A, inferred)  # the inverse of a stated link
    assert not remote.has_quads(A, cg("subsidiaryOf"), D, inferred)  # the chain through B and C was cut
    newest = log(remote, limit=1)[0]
    for store in (embedded, remote):
        revert(store, log(store, limit=1)[0].id, author="tester", allow_warnings=True)
    assert comparable_data(remote) == comparable_data(embedded)
    assert log(remote, limit=1)[0].reverts == newest.id


def test_a_refused_merge_writes_nothing_on_the_server(pair: tuple[OxigraphStore, RemoteStore]) -> None:
    _, remote = pair
    before, history = comparable_data(remote), _history(remote)
    bad = change(EPOCH, {ox.Triple(CHIP, cg("dieAreaMm2"), ox.Literal("-5", datatype=DECIMAL))})
    with pytest.raises(MergeRefusedError):
        merge(remote, [bad])
    assert comparable_data(remote) == before
    assert _history(remote) == history


def test_a_write_computed_before_another_merge_landed_is_fenced_off(pair: tuple[OxigraphStore, RemoteStore]) -> None:
    _, remote = pair
    before, history = comparable_data(remote), _history(remote)
    stale = next_sequence(remote) - 1  # as if read before the newest merge
    late = change(EPOCH, {ox.Triple(A, LABEL, ox.Literal("too late"))}).stamped(now(), stale)
    with pytest.raises(MergeConflictError):
        write_remote(remote, [late], stale, incremental=True)
    assert comparable_data(remote) == before
    assert _history(remote) == history


def test_the_fence_has_a_solution_only_before_the_sequence_is_taken(pair: tuple[OxigraphStore, RemoteStore]) -> None:
    _, remote = pair
    taken = next_sequence(remote) - 1
    assert taken >= 1
    assert remote.select_unscoped(f"SELECT * WHERE {{ {fence(taken + 1)} }}")
    assert not remote.select_unscoped(f"SELECT * WHERE {{ {fence(taken)} }}")


def test_the_write_lock_admits_one_writer_and_breaks_a_dead_holders_claim(virtuoso: Virtuoso) -> None:
    first = remote_store(virtuoso, lock_wait=0.5)
    second = remote_store(virtuoso, lock_wait=0.5)
    with first.writing():
        with first.writing():  # re-entrant in the holding thread
            pass
        with pytest.raises(StoreBusyError, match="another chipgraph process is writing"), second.writing():
            pass
    with second.writing():
        pass
    assert not second.select_unscoped(f"SELECT * WHERE {{ GRAPH <{LOCK_GRAPH}> {{ ?s ?p ?o }} }}")
    dead = remote_store(virtuoso, lock_wait=0.5, lock_ttl=1.0)
    dead.update(
        f"INSERT {{ GRAPH <{LOCK_GRAPH}> {{ <urn:chipgraph:lock:dead> <urn:chipgraph:lock#since> ?t }} }} "
        "WHERE { SELECT * { BIND(NOW() AS ?t) } }"
    )
    with pytest.raises(StoreBusyError), second.writing():
        pass
    threading.Event().wait(1.2)
    with dead.writing():  # the claim is older than the time to live: stale, deleted
        pass
    assert not dead.select_unscoped(f"SELECT * WHERE {{ GRAPH <{LOCK_GRAPH}> {{ ?s ?p ?o }} }}")
    for store in (first, second, dead):
        store.close()


def test_merges_from_two_writers_at_once_both_land_one_after_the_other(
    virtuoso: Virtuoso, pair: tuple[OxigraphStore, RemoteStore]
) -> None:
    _, remote = pair
    writers = [remote_store(virtuoso, update_timeout=300.0, lock_wait=120.0) for _ in range(2)]
    start = next_sequence(remote)
    errors: list[BaseException] = []

    def write(store: RemoteStore, name: str) -> None:
        try:
            merge(store, [change(EPOCH, {ox.Triple(C, LABEL, ox.Literal(name))})], allow_warnings=True)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(store, f"writer {n}")) for n, store in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    newest = log(remote, limit=2)
    assert sorted(record.sequence for record in newest) == [start, start + 1]
    labels = {q.object.value for q in remote.quads_matching(C, LABEL, None, ox.NamedNode(EPOCH))}
    assert {"writer 0", "writer 1"} <= labels
    for store in writers:
        store.close()


def test_a_removal_written_in_another_form_of_the_value_removes_it_on_the_server(
    pair: tuple[OxigraphStore, RemoteStore],
) -> None:
    """Virtuoso holds "1.50"^^xsd:decimal as 1.5: removing "1.50" removes it, and the history says what went."""
    _, remote = pair
    written = ox.Triple(D, cg("foundedYear"), ox.Literal("1.50", datatype=DECIMAL))
    held = ox.Triple(D, cg("foundedYear"), ox.Literal("1.5", datatype=DECIMAL))
    graph = ox.NamedNode(EPOCH)
    remote.add_quads([ox.Quad(written.subject, written.predicate, written.object, graph)])
    assert remote.present(EPOCH, [written]) == {written: held}
    (merged,) = merge(remote, [change(EPOCH, set(), {written})], allow_warnings=True).merged
    assert merged.remove == frozenset({held})
    assert not remote.has_quads(D, cg("foundedYear"), None, graph)
    assert not remote.has_quads(D, cg("foundedYear"), None, remote.mirror_graph)


def test_hostile_text_in_a_changeset_is_data_on_the_server(pair: tuple[OxigraphStore, RemoteStore]) -> None:
    """Quotes, braces, a would-be second operation, newlines and escapes are written and removed as literals."""
    _, remote = pair
    before = comparable_data(remote)
    hostile = [
        '" } } ; DROP ALL ; INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> "c',
        'line\nbreak\r\tand \\u0022 escaped \\" quote',
        "} WHERE { SELECT * { } } #",
        "蓝色 ✓ \U0001f600",
    ]
    added = {ox.Triple(D, LABEL, ox.Literal(text)) for text in hostile}
    merge(remote, [change(EPOCH, added)], allow_warnings=True)
    held = {q.object.value for q in remote.quads_matching(D, LABEL, None, ox.NamedNode(EPOCH))}
    assert set(hostile) <= held
    assert "urn:x" not in remote.named_graphs()
    assert remote.present(EPOCH, added) == {triple: triple for triple in added}
    merge(remote, [change(EPOCH, set(), added)], allow_warnings=True)
    assert comparable_data(remote) == before


def test_a_change_too_large_for_one_request_is_refused_before_anything_is_sent(
    pair: tuple[OxigraphStore, RemoteStore],
) -> None:
    _, remote = pair
    before, history = comparable_data(remote), log(remote)
    huge = ox.Triple(D, cg("description"), ox.Literal("x" * 10_000_000))
    with pytest.raises(UpdateTooLargeError, match="split the change into smaller changesets"):
        merge(remote, [change(EPOCH, {huge})], allow_warnings=True)
    assert comparable_data(remote) == before
    assert log(remote) == history
