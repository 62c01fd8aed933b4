"""Conflicts: figures of one chip that sources (or rows of one source) give differently.

Both statements stay in the graph, each in the graph of its source; this lists them for a
curator, grouped by chip and property, each value with the graphs that state it and how sure each
is (docs/adr/0014).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.catalog import entity_id
from kg.confidence import ConfidenceIndex
from kg.namespaces import ONTOLOGY_NS
from kg.store import AnyStore, term_text

QUERY = Path(__file__).resolve().parent / "queries" / "curation" / "conflicts.rq"


@dataclass
class Conflict:
    """One chip property with more than one value: each value and the graphs stating it."""

    entity: str
    prop: str
    values: dict[str, list[str]] = field(default_factory=dict)
    levels: dict[tuple[str, str], str] = field(default_factory=dict)  # (value, graph) -> confidence level

    def to_json(self) -> dict[str, Any]:
        """The conflict as plain JSON values."""
        return {
            "entity": entity_id(self.entity),
            "property": "cg:" + self.prop.removeprefix(ONTOLOGY_NS),
            "values": [
                {
                    "value": value,
                    "graphs": sorted(graphs),
                    "confidence": [self.levels.get((value, graph), "unknown") for graph in sorted(graphs)],
                }
                for value, graphs in sorted(self.values.items())
            ],
        }


def conflicts(store: AnyStore) -> list[Conflict]:
    """Every conflicting chip figure, sorted by chip then property."""
    found: dict[tuple[str, str], Conflict] = {}
    index = ConfidenceIndex.read(store)
    for row in store.select(QUERY.read_text(encoding="utf-8")):
        key = (term_text(row["s"]), term_text(row["p"]))
        conflict = found.setdefault(key, Conflict(*key))
        value, graph = term_text(row["o"]), term_text(row["g"])
        conflict.values.setdefault(value, []).append(graph)
        conflict.levels[(value, graph)] = index.level(key[0], key[1], value, graph)
    return [found[key] for key in sorted(found)]
