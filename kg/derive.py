"""Derived figures: metrics computed from stated facts (kg/derivations/*.ru) into their own graph.

Unlike inference (kg/inference.py), a derivation computes new values (a chip's total processing
performance, its performance density) and records, as PROV-O, the stated facts each was computed
from. A chip's figures depend only on its own stated facts, so a merge recomputes them only for
the chips it changes, inside its transaction (kg/merge.py); the rules run once, in file order.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kg.namespaces import DERIVED_GRAPH, ID_BASE, ONTOLOGY_NS
from kg.store import OxigraphStore

DERIVATIONS_DIR = Path(__file__).resolve().parent / "derivations"
CHIP_BASE = ID_BASE + "chip/"
PROV = "http://www.w3.org/ns/prov#"
MARKER = "#CHIPS#"
# Above this many changed chips, recomputing everything is simpler than naming each.
FULL_ABOVE = 2000


def derivation_files() -> list[Path]:
    """The derivation rules, in the order they run (a later one may read an earlier one's output)."""
    return sorted(DERIVATIONS_DIR.glob("*.ru"))


def changed_chips(subjects: Iterable[str]) -> set[str] | None:
    """The chips among ``subjects`` (IRIs), or None when there are too many to name (recompute all)."""
    chips = {subject for subject in subjects if subject.startswith(CHIP_BASE)}
    return None if len(chips) > FULL_ABOVE else chips


def clear(chips: set[str] | None) -> str:
    """The update operation removing the derived facts of ``chips`` (all of them when None)."""
    if chips is None:
        return f"DROP SILENT GRAPH <{DERIVED_GRAPH}>"
    values = " ".join(f"<{chip}>" for chip in sorted(chips))
    return (
        f"DELETE {{ GRAPH <{DERIVED_GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ VALUES ?chip {{ {values} }} "
        f"GRAPH <{DERIVED_GRAPH}> {{ {{ ?chip ?p ?o BIND(?chip AS ?s) }} "
        f"UNION {{ ?s <{ONTOLOGY_NS}derivedFor> ?chip ; ?p ?o }} "
        f"UNION {{ ?d <{ONTOLOGY_NS}derivedFor> ?chip ; <{PROV}wasDerivedFrom> ?s . "
        f"?s a <{ONTOLOGY_NS}FactReference> ; ?p ?o }} }} }}"
    )


def restrict(rule: str, chips: set[str] | None) -> str:
    """A derivation rule limited to ``chips`` (every chip when None)."""
    if chips is None:
        return rule
    return rule.replace(MARKER, "VALUES ?chip { " + " ".join(f"<{chip}>" for chip in sorted(chips)) + " }")


def recompute(store: OxigraphStore, chips: set[str] | None = None) -> int:
    """Recompute the derived facts of ``chips`` (all when None); return the derived graph's size."""
    if chips is not None and not chips:
        return store.quad_count(DERIVED_GRAPH)
    store.update(clear(chips))
    for path in derivation_files():
        store.update(restrict(path.read_text(encoding="utf-8"), chips))
    return store.quad_count(DERIVED_GRAPH)
