"""Crash consistency and the merge's own guarantees: one transaction, fixpoint inside it, no pasted text.

The crash loop (bench/crash_loop.py; 100 kills in the nightly-sized run) kills a writer process,
or a server that a client posts merges to, with SIGKILL in the middle of a stream of merges;
here a bounded number of kills of each.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from bench.crash_loop import recomputed, run
from kg.gate.changes import Changeset, ChangesetError, now
from kg.gate.merge import log, merge, next_sequence, revert, write
from kg.namespaces import DERIVED_GRAPH, HISTORY_GRAPH, ID_BASE, INFERRED_GRAPH, ONTOLOGY_NS
from kg.store import OxigraphStore

EPOCH = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
SUBSIDIARY_OF = ox.NamedNode(ONTOLOGY_NS + "subsidiaryOf")


def test_kill_minus_nine_during_merges_loses_nothing_and_leaves_nothing_half_done(tmp_path: Path) -> None:
    result = run(tmp_path / "store", kills=6, seed=7, max_delay=5.0)
    assert result.kills == 6 and result.merges_acknowledged > 0
    assert (result.lost, result.partial, result.inference_mismatches) == (0, 0, 0), result.details


def test_kill_minus_nine_of_the_server_during_posted_merges_loses_nothing(tmp_path: Path) -> None:
    """The same for `chipgraph serve` killed while a client posts merges and reverts (201 = acknowledged)."""
    result = run(tmp_path / "store", kills=3, seed=3, max_delay=3.0, target="server")
    assert result.kills == 3 and result.merges_acknowledged > 0
    assert (result.lost, result.partial, result.inference_mismatches) == (0, 0, 0), result.details


@pytest.fixture
def store(fresh_curated: OxigraphStore) -> OxigraphStore:
    return fresh_curated


def org(number: int) -> ox.NamedNode:
    return ox.NamedNode(f"{ID_BASE}organization/chain-{number}")


def test_an_ownership_chain_longer_than_the_first_rounds_reach_is_closed_in_the_same_merge(
    store: OxigraphStore,
) -> None:
    """40 links need more than one round: the write retries with more rounds, all in one update."""
    length = 40
    history = len(log(store))
    triples = {ox.Triple(org(n), TYPE, ox.NamedNode(ONTOLOGY_NS + "Organization")) for n in range(length)}
    triples |= {ox.Triple(org(n), LABEL, ox.Literal(f"Chain {n}")) for n in range(length)}
    triples |= {ox.Triple(org(n), SUBSIDIARY_OF, org(n - 1)) for n in range(1, length)}
    sequence = next_sequence(store)
    change = Changeset(EPOCH, frozenset(triples), frozenset(), "tester", "a long chain").stamped(now(), sequence)
    write(store, [change], sequence, first_rounds=1)
    top = ox.Quad(org(length - 1), SUBSIDIARY_OF, org(0), ox.NamedNode(INFERRED_GRAPH))
    assert store.contains(top)
    assert recomputed(store)[0] == set(store.quads(INFERRED_GRAPH))
    assert "not-at-fixpoint" not in " ".join(store.named_graphs())
    assert len(log(store)) == history + 1  # one merge, written once


def test_after_a_merge_and_its_revert_inferred_and_derived_equal_a_recompute(store: OxigraphStore) -> None:
    """A chip with figures merged then reverted: no inference drawn from its removed figures remains."""
    chip = ox.NamedNode(ID_BASE + "chip/revert-me")
    decimal = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
    triples = {
        ox.Triple(chip, TYPE, ox.NamedNode(ONTOLOGY_NS + "GPU")),
        ox.Triple(chip, LABEL, ox.Literal("Revert me")),
        ox.Triple(chip, ox.NamedNode(ONTOLOGY_NS + "designedBy"), ox.NamedNode(ID_BASE + "organization/nvidia")),
        ox.Triple(chip, ox.NamedNode(ONTOLOGY_NS + "denseFP16TFLOPS"), ox.Literal("300", datatype=decimal)),
        ox.Triple(chip, ox.NamedNode(ONTOLOGY_NS + "dieAreaMm2"), ox.Literal("400", datatype=decimal)),
    }
    (merged,) = merge(store, [Changeset(EPOCH, frozenset(triples), frozenset(), "t", "add")]).merged
    assert recomputed(store) == (set(store.quads(INFERRED_GRAPH)), set(store.quads(DERIVED_GRAPH)))
    revert(store, merged.id, author="t")
    assert recomputed(store) == (set(store.quads(INFERRED_GRAPH)), set(store.quads(DERIVED_GRAPH)))
    assert not [q for q in store.quads(INFERRED_GRAPH) if "revert-me" in q.subject.value]


HOSTILE = [
    "https://w3id.org/chipgraph/id/source/x> } } ; DROP GRAPH <https://w3id.org/chipgraph/graph/history",
    "https://w3id.org/chipgraph/id/source/x>\n<urn:a> <urn:b> <urn:c",
    "https://w3id.org/chipgraph/id/source/a b",
    'https://w3id.org/chipgraph/id/source/"quoted"',
    "no-scheme",
    "",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_a_hostile_source_is_refused_and_writes_nothing(store: OxigraphStore, source: str) -> None:
    """Refused when the changeset is made (kg.gate.changes) or, should one get through, by the merge."""
    before = store.dump_nquads()
    chip = ox.NamedNode(ID_BASE + "chip/nvidia-h100")
    add = frozenset({ox.Triple(chip, LABEL, ox.Literal("H100 again"))})
    if not source:  # no source: the graph's own is used
        merge(store, [Changeset(EPOCH, add, frozenset(), "t", "m", None)])
        assert len(store.quads(HISTORY_GRAPH)) > 0
        return
    with pytest.raises(ChangesetError):
        merge(store, [Changeset(EPOCH, add, frozenset(), "t", "m", source)])
    assert store.dump_nquads() == before
