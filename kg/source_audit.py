"""`chipgraph sources --check`: whether every fact can be followed to its document, and how sure it is.

Four lists (docs/adr/0014): sources without a document URL (none, a site root, or a listing page,
by the same structural tests as shapes/sources.ttl), Federal Register documents without their
citation (volume FR page) or document number, statements without a confidence level (counted per
graph: their graph's source has none and no qualification gives one), and facts whose only
sources are of the weakest level (rumoured).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kg.catalog import entity_id
from kg.confidence import UNKNOWN, ConfidenceIndex, same_value
from kg.namespaces import GRAPH_BASE, META_GRAPH, ONTOLOGY_NS, SOURCE_BASE, SYSTEM_GRAPHS
from kg.rdf import sparql_iri
from kg.store import AnyStore, term_text

SITE_ROOT = re.compile(r"^https?://[^/?#]+/?(#.*)?$")
LISTING = re.compile(
    r"(/([a-z0-9]+-)?(tag|tags|category|categories|topic|topics|search)(/|$|[?]))|(/page/[0-9]+)"
    r"|([?&](page|paged|start|offset)=)|(/cgi-bin/browse-edgar)|(-index[.]html?$)",
    re.IGNORECASE,
)
WEAKEST = "rumoured"

SOURCES = f"""PREFIX cg: <{ONTOLOGY_NS}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?source (SAMPLE(?t) AS ?type) (SAMPLE(?u) AS ?url) (SAMPLE(?n) AS ?note) (SAMPLE(?c) AS ?fr)
       (SAMPLE(?d) AS ?number) WHERE {{ GRAPH <{META_GRAPH}> {{
  ?source a ?t . FILTER(STRSTARTS(STR(?source), "{SOURCE_BASE}"))
  OPTIONAL {{ ?source cg:url ?u }} OPTIONAL {{ ?source cg:locationNote ?n }}
  OPTIONAL {{ ?source cg:frCitation ?c }} OPTIONAL {{ ?source cg:frDocumentNumber ?d }}
}} }} GROUP BY ?source ORDER BY ?source"""

FR_TYPED = f"""PREFIX cg: <{ONTOLOGY_NS}>
SELECT ?source WHERE {{ GRAPH <{META_GRAPH}> {{ ?source a cg:FederalRegisterDocument }} }}"""

GRAPH_SIZES = """SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"""


@dataclass
class SourceAudit:
    """The four lists of the audit; ``problems`` is how many entries they hold together."""

    without_document_url: list[dict[str, Any]] = field(default_factory=list)
    fr_without_citation: list[dict[str, Any]] = field(default_factory=list)
    statements_without_confidence: list[dict[str, Any]] = field(default_factory=list)
    weakest_only_facts: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many of each: sources, FR documents, statements (not graphs), facts."""
        return {
            "sources without a document URL": len(self.without_document_url),
            "Federal Register documents without citation or number": len(self.fr_without_citation),
            "statements without a confidence level": sum(
                item["statements"] for item in self.statements_without_confidence
            ),
            "facts whose only sources are rumoured": len(self.weakest_only_facts),
        }

    @property
    def problems(self) -> int:
        """The number of entries of the four lists (statements counted one by one)."""
        return sum(self.counts().values())

    def to_json(self) -> dict[str, Any]:
        """The audit as plain JSON values."""
        return {
            "counts": self.counts(),
            "without_document_url": self.without_document_url,
            "fr_without_citation": self.fr_without_citation,
            "statements_without_confidence": self.statements_without_confidence,
            "weakest_only_facts": self.weakest_only_facts,
        }


def _url_problem(url: str | None) -> str | None:
    if url is None:
        return "no URL"
    if SITE_ROOT.match(url):
        return "a site root, not the document"
    if LISTING.search(url):
        return "a listing page, not the document"
    return None


def audit(store: AnyStore) -> SourceAudit:
    """Run the four checks on ``store``."""
    result = SourceAudit()
    fr_typed = {term_text(row["source"]) for row in store.select(FR_TYPED)}
    for row in store.select(SOURCES):
        source = term_text(row["source"])
        url = term_text(row["url"]) if "url" in row else None
        note = term_text(row["note"]) if "note" in row else None
        problem = _url_problem(url)
        if problem is not None:
            result.without_document_url.append(
                {"source": entity_id(source), "url": url, "problem": problem, "note": note}
            )
        if source in fr_typed and ("fr" not in row or "number" not in row):
            lacks = [
                name for key, name in (("fr", "citation (NN FR PPPP)"), ("number", "document number")) if key not in row
            ]
            result.fr_without_citation.append({"source": entity_id(source), "lacks": lacks})
    index = ConfidenceIndex.read(store)
    for row in store.select(GRAPH_SIZES):
        graph = term_text(row["g"])
        if graph in SYSTEM_GRAPHS or not graph.startswith(GRAPH_BASE):
            continue
        if index.graphs.get(graph, UNKNOWN) == UNKNOWN:
            qualified = sum(len(found) for (_, _, g), found in index.statements.items() if g == graph)
            count = int(term_text(row["n"])) - qualified
            if count > 0:
                result.statements_without_confidence.append({"graph": graph, "statements": count})
    result.statements_without_confidence.sort(key=lambda item: item["graph"])
    result.weakest_only_facts = _weakest_only(store, index)
    return result


def _weakest_only(store: AnyStore, index: ConfidenceIndex) -> list[dict[str, Any]]:
    """Facts (subject, property, value) every statement of which is rumoured."""
    candidates: set[tuple[str, str, str]] = set()
    for (subject, prop, _graph), found in index.statements.items():
        candidates |= {(subject, prop, q.value) for q in found if q.level == WEAKEST}
    for graph, level in index.graphs.items():
        if level == WEAKEST:
            for row in store.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH {sparql_iri(graph)} {{ ?s ?p ?o }} }}"):
                candidates.add((term_text(row["s"]), term_text(row["p"]), term_text(row["o"])))
    facts = []
    for subject, prop, value in sorted(candidates):
        rows = store.select(f"SELECT ?g ?o WHERE {{ GRAPH ?g {{ {sparql_iri(subject)} {sparql_iri(prop)} ?o }} }}")
        graphs = [
            term_text(row["g"])
            for row in rows
            if term_text(row["g"]) not in SYSTEM_GRAPHS and same_value(term_text(row["o"]), value)
        ]
        levels = [index.level(subject, prop, value, graph) for graph in graphs]
        if graphs and all(level == WEAKEST for level in levels):
            facts.append({"subject": entity_id(subject), "property": prop, "value": value, "graphs": sorted(graphs)})
    return facts
