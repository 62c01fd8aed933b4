"""The export-control rules as the graph states them, each fact with the graph stating it.

Criteria, classifications, licence requirements, Entity List entries and acts.
Nothing here is a constant of the law: thresholds, dates and destinations are read from the
store (data/regulations-us.trig and any later changeset), so a new rule is a changeset.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from kg.catalog import SourceIndex, entity_id, source_index
from kg.confidence import ConfidenceIndex
from kg.namespaces import ONTOLOGY_NS
from kg.rdf import fill, sparql_iri
from kg.store import AnyStore, term_text

QUERIES = Path(__file__).resolve().parent / "queries" / "exportcontrol"
CG = ONTOLOGY_NS
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
BROADER = "http://www.w3.org/2004/02/skos/core#broader"


@cache
def query(name: str) -> str:
    """The text of kg/queries/exportcontrol/<name>.rq."""
    return (QUERIES / f"{name}.rq").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Stated:
    """One stated value (an IRI or a literal's lexical form) and the graph that states it."""

    value: str
    graph: str


@dataclass
class Node:
    """A node of the graph with its stated facts, by property IRI."""

    iri: str
    facts: dict[str, list[Stated]] = field(default_factory=dict)

    def values(self, prop: str) -> list[str]:
        """Every value stated for ``prop`` (CG-local names may be given without the namespace)."""
        return sorted({stated.value for stated in self.facts.get(_full(prop), [])})

    def value(self, prop: str) -> str | None:
        """The one value of ``prop`` (the smallest if several are stated), or None."""
        values = self.values(prop)
        return values[0] if values else None

    def stated(self, prop: str, value: str | None = None) -> list[Stated]:
        """The statements of ``prop`` (of one value only, if given)."""
        return [s for s in self.facts.get(_full(prop), []) if value is None or s.value == value]

    def date(self, prop: str) -> datetime.date | None:
        """A date-valued property as a date, or None."""
        text = self.value(prop)
        return datetime.date.fromisoformat(text) if text else None

    @property
    def label(self) -> str:
        """The node's name, or its id when it has none."""
        return self.value(LABEL) or entity_id(self.iri)

    def valid_on(self, day: datetime.date) -> bool:
        """Whether ``day`` lies within validFrom .. validUntil (both inclusive; open ends allowed)."""
        start, end = self.date("validFrom"), self.date("validUntil")
        return (start is None or start <= day) and (end is None or day <= end)


def _full(prop: str) -> str:
    return prop if ":" in prop else CG + prop


def nodes_of(store: AnyStore, class_name: str) -> dict[str, Node]:
    """Every node of a chipgraph class with its stated facts (inferred and derived ones left out)."""
    nodes: dict[str, Node] = {}
    for row in store.select(fill(query("nodes"), {"CLASS": sparql_iri(CG + class_name)})):
        node = nodes.setdefault(term_text(row["node"]), Node(term_text(row["node"])))
        node.facts.setdefault(term_text(row["p"]), []).append(Stated(term_text(row["o"]), term_text(row["g"])))
    return nodes


@dataclass(frozen=True)
class Rulebook:
    """Everything the export-control reasoning reads about the rules, read once from a store.

    ``policies`` are the chip-specific licensing policies (how licences for named chips are decided),
    ``exceptions`` the licence exceptions (who may export without a licence, and on what condition).
    """

    criteria: dict[str, Node]
    classifications: dict[str, Node]
    requirements: dict[str, Node]
    entries: dict[str, Node]
    acts: dict[str, Node]
    sources: SourceIndex
    policies: dict[str, Node] = field(default_factory=dict)
    exceptions: dict[str, Node] = field(default_factory=dict)
    confidence: ConfidenceIndex = field(default_factory=ConfidenceIndex)

    @classmethod
    def read(cls, store: AnyStore, sources: SourceIndex | None = None) -> Rulebook:
        """Read the rules from ``store`` (``sources``: its source_index(), to reuse)."""
        return cls(
            criteria=nodes_of(store, "ClassificationCriterion"),
            classifications=nodes_of(store, "ExportControlClassification"),
            requirements=nodes_of(store, "LicenceRequirement"),
            entries=nodes_of(store, "EntityListEntry"),
            acts=nodes_of(store, "LegalAct"),
            sources=source_index(store) if sources is None else sources,
            policies=nodes_of(store, "LicensingPolicy"),
            exceptions=nodes_of(store, "LicenceException"),
            confidence=ConfidenceIndex.read(store),
        )

    def classification_of(self, criterion: Node) -> Node | None:
        """The classification that has ``criterion``."""
        return next((c for c in self.classifications.values() if criterion.iri in c.values("hasCriterion")), None)

    def covered(self, classification: str) -> set[str]:
        """A classification and every narrower one (skos:broader, transitively)."""
        found = {classification}
        while True:
            more = {iri for iri, node in self.classifications.items() if set(node.values(BROADER)) & found} - found
            if not more:
                return found
            found |= more

    def rule(self, act_iri: str | None) -> dict[str, str | None]:
        """An act as a finding names it: id, label and citation."""
        if act_iri is None:
            return {"id": None, "label": "no act recorded", "citation": None}
        act = self.acts.get(act_iri, Node(act_iri))
        citations = act.values("citation")
        return {"id": entity_id(act_iri), "label": act.label, "citation": "; ".join(citations) or None}

    def source_of(self, graph: str) -> dict[str, str | None]:
        """The source of a graph: id, title, URL and citation (the graph itself when undescribed)."""
        known = self.sources.get(graph)
        if known is None:
            return {"id": None, "title": graph, "url": None, "citation": None}
        return {
            "id": entity_id(known["iri"]),
            "title": known["title"],
            "url": known["url"],
            "citation": known["citation"],
        }
