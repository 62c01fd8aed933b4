"""Derived figures: metrics computed from stated facts (kg/derivations/*.ru) into their own graph.

Unlike inference (kg/inference.py), a derivation computes new values (a chip's total processing
performance, its performance density) and records, as PROV-O, the stated facts each was computed
from. The derived graph is dropped and recomputed whole by every merge, inside its transaction
(kg/merge.py), after the inferences; the rules run once, in file order, and need no fixpoint.
"""

from __future__ import annotations

from pathlib import Path

from kg.namespaces import DERIVED_GRAPH
from kg.store import OxigraphStore

DERIVATIONS_DIR = Path(__file__).resolve().parent / "derivations"


def derivation_files() -> list[Path]:
    """The derivation rules, in the order they run (a later one may read an earlier one's output)."""
    return sorted(DERIVATIONS_DIR.glob("*.ru"))


def operations() -> list[str]:
    """The update operations that recompute the derived graph, each a whole update with its prefixes."""
    return [f"DROP SILENT GRAPH <{DERIVED_GRAPH}>"] + [path.read_text(encoding="utf-8") for path in derivation_files()]


def recompute(store: OxigraphStore) -> int:
    """Drop and recompute the derived graph; return how many triples it holds."""
    for operation in operations():
        store.update(operation)
    return store.quad_count(DERIVED_GRAPH)
