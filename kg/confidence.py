"""How sure the graph is of a statement: official, reported, estimated or rumoured (docs/adr/0014).

A source's level (``cg:confidence`` on the source, in the metadata graph) is the level of every
statement of its graph; a ``cg:StatementQualification`` in the metadata graph gives one statement
(subject, property, value, graph) a level of its own, with who estimated it and from what, or
who denied it. A conclusion is as sure as the weakest fact it rests on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from kg.catalog import entity_id
from kg.namespaces import GRAPH_BASE, META_GRAPH, ONTOLOGY_NS, SOURCE_BASE
from kg.store import AnyStore, term_text

# Level local name -> (JSON id, rank): the higher, the surer.
LEVELS: dict[str, tuple[str, int]] = {
    "Official": ("official", 4),
    "Reported": ("reported", 3),
    "Estimated": ("estimated", 2),
    "Rumoured": ("rumoured", 1),
}
RANK = {name: rank for name, rank in LEVELS.values()}
UNKNOWN = "unknown"

# A source's graph: by prov:hadPrimarySource where recorded, else by the naming convention
# (docs/adr/0002: the facts of id/source/SLUG lie in graph/SLUG).
SOURCE_LEVELS = f"""PREFIX cg: <{ONTOLOGY_NS}>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?source ?graph ?level WHERE {{ GRAPH <{META_GRAPH}> {{
  ?source cg:confidence ?level .
  OPTIONAL {{ ?graph prov:hadPrimarySource ?source }}
  FILTER(STRSTARTS(STR(?source), "{SOURCE_BASE}"))
}} }}"""

QUALIFICATIONS = f"""PREFIX cg: <{ONTOLOGY_NS}>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?q ?s ?p ?v ?g ?level ?by ?from ?denied ?comment WHERE {{ GRAPH <{META_GRAPH}> {{
  ?q a cg:StatementQualification ; cg:qualifiedSubject ?s ; cg:qualifiedProperty ?p ;
     cg:qualifiedValue ?v ; cg:qualifiedGraph ?g ; cg:confidence ?level .
  OPTIONAL {{ ?q cg:estimatedBy ?by }}
  OPTIONAL {{ ?q prov:wasDerivedFrom ?from }}
  OPTIONAL {{ ?q cg:deniedIn ?denied }}
  OPTIONAL {{ ?q rdfs:comment ?comment }}
}} }}"""


def level_id(iri: str) -> str:
    """The JSON id of a level IRI (cg:Estimated -> "estimated"); "unknown" for anything else."""
    return LEVELS.get(iri.removeprefix(ONTOLOGY_NS), (UNKNOWN, 0))[0]


def weakest(levels: Iterable[str]) -> str:
    """The weakest of some level ids ("unknown" counts as weakest; none at all is "unknown")."""
    found = list(levels)
    if not found:
        return UNKNOWN
    return min(found, key=lambda level: RANK.get(level, 0))


def same_value(a: str, b: str) -> bool:
    """Whether two values are the same: equal texts, or equal numbers (814 and 814.0)."""
    if a == b:
        return True
    try:
        return Decimal(a) == Decimal(b)
    except InvalidOperation:
        return False


@dataclass
class Qualification:
    """One statement's own confidence: its level and why."""

    iri: str
    value: str
    level: str
    estimated_by: str | None = None
    derived_from: list[str] = field(default_factory=list)
    denied_in: list[str] = field(default_factory=list)
    comment: str | None = None


@dataclass
class ConfidenceIndex:
    """The levels of the sources' graphs and the qualified statements, read once from a store."""

    graphs: dict[str, str] = field(default_factory=dict)
    statements: dict[tuple[str, str, str], list[Qualification]] = field(default_factory=dict)

    @classmethod
    def read(cls, store: AnyStore) -> ConfidenceIndex:
        """Read the levels from the metadata graph of ``store``."""
        index = cls()
        for row in store.select(SOURCE_LEVELS):
            level = level_id(term_text(row["level"]))
            index.graphs[GRAPH_BASE + term_text(row["source"]).removeprefix(SOURCE_BASE)] = level
            if "graph" in row:
                index.graphs[term_text(row["graph"])] = level
        found: dict[str, Qualification] = {}
        for row in store.select(QUALIFICATIONS):
            iri = term_text(row["q"])
            if iri not in found:
                found[iri] = Qualification(
                    iri,
                    term_text(row["v"]),
                    level_id(term_text(row["level"])),
                    term_text(row["by"]) if "by" in row else None,
                    comment=term_text(row["comment"]) if "comment" in row else None,
                )
                key = (term_text(row["s"]), term_text(row["p"]), term_text(row["g"]))
                index.statements.setdefault(key, []).append(found[iri])
            qualification = found[iri]
            for name, target in (("from", qualification.derived_from), ("denied", qualification.denied_in)):
                if name in row and entity_id(term_text(row[name])) not in target:
                    target.append(entity_id(term_text(row[name])))
        return index

    def qualification(self, subject: str, prop: str, value: str, graph: str) -> Qualification | None:
        """The qualification of one statement, or None."""
        for qualification in self.statements.get((subject, prop, graph), []):
            if same_value(qualification.value, value):
                return qualification
        return None

    def level(self, subject: str, prop: str, value: str, graph: str) -> str:
        """The level id of one statement: its own, else its graph's, else "unknown"."""
        qualification = self.qualification(subject, prop, value, graph)
        if qualification is not None:
            return qualification.level
        return self.graphs.get(graph, UNKNOWN)

    def describe(self, subject: str, prop: str, value: str, graph: str) -> dict[str, Any]:
        """The confidence of one statement as the API shows it: level, basis and, if any, why."""
        qualification = self.qualification(subject, prop, value, graph)
        if qualification is None:
            level = self.graphs.get(graph, UNKNOWN)
            return {"level": level, "basis": "source" if level != UNKNOWN else "none"}
        described: dict[str, Any] = {"level": qualification.level, "basis": "statement"}
        if qualification.estimated_by:
            described["estimated_by"] = qualification.estimated_by
        if qualification.derived_from:
            described["derived_from"] = qualification.derived_from
        if qualification.denied_in:
            described["denied_in"] = qualification.denied_in
        if qualification.comment:
            described["note"] = qualification.comment
        return described


def rests_on(facts: list[dict[str, Any]]) -> tuple[str, str]:
    """The weakest level of some API facts (each with "confidence") and a sentence saying so."""
    levels = [fact.get("confidence", {}).get("level", UNKNOWN) for fact in facts]
    if not levels:
        return UNKNOWN, "No stated fact: the confidence is not known."
    level = weakest(levels)
    weak = [fact for fact in facts if fact.get("confidence", {}).get("level", UNKNOWN) == level]
    names = "; ".join(
        f"{fact['subject']} {fact['property']} {fact['value']} ({_source_name(fact)})" for fact in weak[:3]
    )
    more = f" and {len(weak) - 3} more" if len(weak) > 3 else ""
    if level == "official":
        return level, f"Rests only on official facts ({len(facts)})."
    return level, f"As sure as the weakest of the {len(facts)} facts it rests on: {level}: {names}{more}."


def _source_name(fact: dict[str, Any]) -> str:
    """The id of a fact's source, else its graph."""
    return str((fact.get("source") or {}).get("id") or fact["graph"])
