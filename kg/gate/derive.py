"""Derived figures: metrics computed from stated facts (kg/gate/derivations/*.ru) into their own graph.

Unlike inference (kg/gate/inference.py), a derivation computes new values (a chip's total processing
performance, its performance density) and records, as PROV-O, the stated facts each was computed
from. A chip's figures depend only on its own stated facts, so a merge recomputes them only for
the chips it changes, inside its transaction (kg/gate/merge.py); the rules run once, in file order.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kg import union
from kg.namespaces import DERIVED_GRAPH, ID_BASE
from kg.rdf import sparql_iri, sparql_iris
from kg.store import OxigraphStore

DERIVATIONS_DIR = Path(__file__).resolve().parent / "derivations"
CHIP_BASE = ID_BASE + "chip/"
DERIVATION_BASE = ID_BASE + "derivation/"
METRICS = ("tpp", "performance-density")  # the last path segment of the derivation IRIs the rules mint
PROV = "http://www.w3.org/ns/prov#"
MARKER = "#CHIPS#"
# Above this many changed chips, recomputing everything is simpler than naming each.
FULL_ABOVE = 500


def derivation_files() -> list[Path]:
    """The derivation rules, in the order they run (a later one may read an earlier one's output)."""
    return sorted(DERIVATIONS_DIR.glob("*.ru"))


def changed_chips(subjects: Iterable[str]) -> set[str] | None:
    """The chips among ``subjects`` (IRIs), or None when there are too many to name (recompute all)."""
    chips = {subject for subject in subjects if subject.startswith(CHIP_BASE)}
    return None if len(chips) > FULL_ABOVE else chips


def clear(chips: set[str] | None) -> list[str]:
    """The update operations removing the derived facts of ``chips`` (all of them when None).

    Every pattern has a constant subject (derivation IRIs are minted from the chip's IRI): with
    VALUES instead, Oxigraph scans the whole derived graph. The chips come from changesets, so
    each IRI is written by pyoxigraph (kg.rdf.sparql_iri), which refuses what is not an IRI.
    The default graph is kept the merge of the named graphs (kg/union.py).
    """
    graph = sparql_iri(DERIVED_GRAPH)
    if chips is None:
        return union.drop_graph(graph)
    return [operation for patterns in clear_patterns(chips) for operation in union.delete_where(graph, patterns)]


def clear_patterns(chips: set[str]) -> list[list[str]]:
    """The triple patterns (each list one ``DELETE WHERE``) that match the derived facts of ``chips``.

    Raises ValueError (from kg.rdf.sparql_iri) for a chip that is not an IRI.
    """
    derived_from = sparql_iri(PROV + "wasDerivedFrom")
    patterns = []
    for chip in sorted(chips):
        derivations = [sparql_iri(f"{DERIVATION_BASE}{chip[len(CHIP_BASE) :]}/{metric}") for metric in METRICS]
        patterns += [[f"{derivation} {derived_from} ?s", "?s ?p ?o"] for derivation in derivations]
        patterns += [[f"{node} ?p ?o"] for node in [sparql_iri(chip), *derivations]]
    return patterns


def restrict(rule: str, chips: set[str] | None) -> str:
    """A derivation rule limited to ``chips`` (every chip when None)."""
    if chips is None:
        return rule
    values = "VALUES ?chip { " + sparql_iris(sorted(chips)) + " }"
    return rule.replace(MARKER, values)


def recompute(store: OxigraphStore, chips: set[str] | None = None) -> None:
    """Recompute the derived facts of ``chips`` (all when None)."""
    if chips is not None and not chips:
        return
    for operation in clear(chips):
        store.update(operation)
    for path in derivation_files():
        store.update(union.mirrored(restrict(path.read_text(encoding="utf-8"), chips)))
