"""The benchmark's synthetic ecosystem conforms to the shapes, and its changesets merge."""

from __future__ import annotations

from bench.generate import changeset, ecosystem
from kg import resources
from kg.build import parse_file
from kg.gate.merge import merge
from kg.gate.validate import scratch_store, validate_store
from kg.namespaces import ONTOLOGY_GRAPH


def test_synthetic_ecosystem_conforms_and_its_changesets_merge() -> None:
    quads, eco = ecosystem(3_000)
    assert 2_500 < len(quads) < 4_000
    ontology = {quad for path in resources.ontology_files() for quad in parse_file(path, ONTOLOGY_GRAPH)}
    store = scratch_store(set(quads) | ontology)
    report = validate_store(store)
    assert report.conforms and report.results == []
    change = changeset(eco, 100, seed=1)
    assert 90 <= len(change.add) + len(change.remove) <= 100
    (merged,) = merge(store, [change]).merged
    assert len(merged.add) == len(change.add)
