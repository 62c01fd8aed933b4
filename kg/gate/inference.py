"""Materialised inference: SPARQL update rules (kg/gate/rules/*.ru) run by the store to a fixpoint.

The rules write only into the inferred-facts graph, so a query can tell stated facts from
inferred ones, and a rebuild recomputes them from scratch. See docs/adr/0003 for which rules
there are and why domain and range entailments are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kg import union
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


def rules_without_prologue(files: list[Path] | None = None) -> tuple[str, list[str]]:
    """The rules' PREFIX declarations (merged) and their bodies, for one multi-operation update.

    ``files`` defaults to the inference rules. Oxigraph accepts a prologue only at the start of
    an update request. Raises InferenceError when one prefix means two things across the files.
    """
    prefixes: dict[str, str] = {}
    bodies = []
    for path in rule_files() if files is None else files:
        lines = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("PREFIX"):
                name, iri = line.split()[1:3]
                if prefixes.setdefault(name, iri) != iri:
                    raise InferenceError(f"{path.name}: prefix {name} means two things across the rules")
            elif not line.startswith("#"):
                lines.append(line)
        bodies.append("\n".join(lines))
    prologue = "\n".join(f"PREFIX {name} {iri}" for name, iri in sorted(prefixes.items()))
    return prologue, bodies


def fixpoint_check(rule: str, graph: str) -> str:
    """The rule made into a check: it writes one triple into ``graph`` if it would infer anything.

    Each rule has one ``INSERT { GRAPH <inferred> { ... } }`` line (kg/gate/rules/*.ru); raises
    InferenceError for a rule without it.
    """
    lines = rule.splitlines()
    heads = [index for index, line in enumerate(lines) if line.startswith("INSERT {")]
    if len(heads) != 1 or f"<{INFERRED_GRAPH}>" not in lines[heads[0]]:
        raise InferenceError(f"a rule must start with one INSERT {{ GRAPH <{INFERRED_GRAPH}> {{ ... }} }} line")
    lines[heads[0]] = f"INSERT {{ GRAPH <{graph}> {{ <{graph}> <{graph}> true }} }}"
    return "\n".join(lines)


def materialise(store: Store) -> InferenceSummary:
    """Run every rule until a whole round adds nothing; return the rounds and triple count.

    The inferred triples go into the default graph too (it stays the merge of the named graphs).

    Raises InferenceError if the fixpoint is not reached within MAX_ROUNDS rounds.
    """
    rules = [union.mirrored(path.read_text(encoding="utf-8")) for path in rule_files()]
    count = store.quad_count(INFERRED_GRAPH)
    for round_number in range(1, MAX_ROUNDS + 1):
        for rule in rules:
            store.update(rule)
        new_count = store.quad_count(INFERRED_GRAPH)
        if new_count == count:
            return InferenceSummary(rounds=round_number, inferred_triples=new_count)
        count = new_count
    raise InferenceError(f"inference did not reach a fixpoint in {MAX_ROUNDS} rounds")
