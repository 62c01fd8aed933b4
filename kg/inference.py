"""Materialised inference: SPARQL update rules (kg/rules/*.ru) run by the store to a fixpoint.

The rules write only into the inferred-facts graph, so a query can tell stated facts from
inferred ones, and a rebuild recomputes them from scratch. See docs/adr/0003 for which rules
there are and why domain and range entailments are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kg.namespaces import INFERRED_GRAPH
from kg.store import Store

RULES_DIR = Path(__file__).resolve().parent / "rules"
MAX_ROUNDS = 50


class InferenceError(RuntimeError):
    """Raised when the rules do not reach a fixpoint within MAX_ROUNDS rounds."""


@dataclass(frozen=True)
class InferenceSummary:
    """What a run of the rules did."""

    rounds: int
    inferred_triples: int


def rule_files() -> list[Path]:
    """The rule files, in the order they run (by name)."""
    return sorted(RULES_DIR.glob("*.ru"))


def materialise(store: Store) -> InferenceSummary:
    """Run every rule until a whole round adds nothing; return the rounds and triple count.

    Raises InferenceError if the fixpoint is not reached within MAX_ROUNDS rounds.
    """
    rules = [path.read_text(encoding="utf-8") for path in rule_files()]
    count = store.quad_count(INFERRED_GRAPH)
    for round_number in range(1, MAX_ROUNDS + 1):
        for rule in rules:
            store.update(rule)
        new_count = store.quad_count(INFERRED_GRAPH)
        if new_count == count:
            return InferenceSummary(rounds=round_number, inferred_triples=new_count)
        count = new_count
    raise InferenceError(f"inference did not reach a fixpoint in {MAX_ROUNDS} rounds")
