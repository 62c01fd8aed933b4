"""What a page shows beyond its route's JSON.

Sources by graph, a chip's or company's details, how derived figures were computed, conflicts
between sources, and the changes that touched the entity.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pyoxigraph as ox
from fastapi import Request

from api.service import GraphService
from api.web.render import iri_cell
from kg.catalog import derivation_inputs
from kg.conflicts import conflicts
from kg.gate import merge as merging
from kg.gate.derive import DERIVATIONS_DIR
from kg.queries import named_query

ENTITY_PAGES = {"get_chip", "get_company", "get_regulation", "get_entity", "resolve"}
DERIVED_GRAPH = "https://w3id.org/chipgraph/graph/derived"
INFERRED_GRAPH = "https://w3id.org/chipgraph/graph/inferred"
HISTORY_SCAN = 200  # at most this many changes that touched an entity are shown, newest first
TRIPLE_ROWS = 2000  # triples a change's page draws as a table (an import adds tens of thousands)


def extra_context(request: Request, route: str, data: Any) -> dict[str, Any]:
    """The names a page of ``route`` uses besides its JSON payload ``data``."""
    graph: GraphService = request.app.state.graph
    context: dict[str, Any] = {"writes_on": request.app.state.settings.write_token is not None}
    if route in ENTITY_PAGES and isinstance(data, dict) and "facts" in data:
        context |= _entity_context(graph, data)
    if route == "run_named_query" and isinstance(data, dict):
        context["query"] = query = named_query(data["name"])
        context["bound"] = query.bind(dict(request.query_params))  # the route has bound them already
    if route == "get_change" and isinstance(data, dict):
        context["added"] = triple_rows(data.get("added_triples") or "")
        context["removed"] = triple_rows(data.get("removed_triples") or "")
    return context


def triple_rows(ntriples: str) -> list[dict[str, Any]]:
    """N-Triples as table rows: subject, predicate and object as cells (IRIs shortened, ours linked).

    The first TRIPLE_ROWS only (the JSON of the change has them all).
    """
    rows: list[dict[str, Any]] = []
    for triple in ox.parse(ntriples.encode(), ox.RdfFormat.N_TRIPLES):
        if len(rows) == TRIPLE_ROWS:
            break
        rows.append({"subject": _term_cell(triple.subject), "predicate": _term_cell(triple.predicate)})
        rows[-1]["object"] = _term_cell(triple.object)
    return sorted(rows, key=lambda row: (row["subject"]["text"], row["predicate"]["text"], row["object"]["text"]))


def _term_cell(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return iri_cell(term.value)
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value if term.language is None else None
        return {"text": term.value, "href": None, "kind": "literal", "title": term.language or datatype}
    return {"text": str(term), "href": None, "kind": "bnode", "title": None}


def _entity_context(graph: GraphService, data: dict[str, Any]) -> dict[str, Any]:
    """Sources by graph, kind details (chip, company), derivations, conflicts and history."""
    kind = data["id"].partition("/")[0]
    if kind == "chip" and "classification" not in data:
        from api.chips import chip_details  # late: the route modules import this package

        chip_details(graph, data)
    if kind == "organization" and "chips" not in data:
        from api.companies import company_details

        company_details(graph, data)
    return {
        "kind": kind,
        "sources_by_graph": {source["graph"]: source for source in data["sources"]},
        "derivations": derivations() if DERIVED_GRAPH in _graphs(data) else {},
        "derivation_inputs": derivation_inputs(graph.store, data["iri"]) if DERIVED_GRAPH in _graphs(data) else {},
        "conflicts": [c.to_json() for c in conflicts(graph.store) if c.entity == data["iri"]] if kind == "chip" else [],
        "changes": changes_touching(graph, data["iri"]),
        "derived_graph": DERIVED_GRAPH,
        "inferred_graph": INFERRED_GRAPH,
    }


def _graphs(data: dict[str, Any]) -> set[str]:
    return {graph for values in data["facts"].values() for value in values for graph in value["graphs"]}


@cache
def derivations() -> dict[str, str]:
    """How each derived property is computed: the comment at the head of its derivation rule.

    Keys are short property names (``cg:computedTPP``); the text is the rule file's own comment.
    """
    explained = {}
    for path in sorted(DERIVATIONS_DIR.glob("*.ru")):
        text = path.read_text(encoding="utf-8")
        comment = " ".join(line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("#"))
        comment = comment.split('"#CHIPS#"')[0].strip()
        for prop in _derived_properties(text):
            explained[prop] = f"{comment} (rule {path.name})"
    return explained


def _derived_properties(rule: str) -> list[str]:
    """The cg: properties a derivation rule inserts (its INSERT block's predicates)."""
    block = rule.partition("INSERT")[2].partition("WHERE")[0]
    return sorted({"cg:" + word.removeprefix("cg:") for word in block.split() if word.startswith("cg:computed")})


def changes_touching(graph: GraphService, iri: str) -> list[dict[str, Any]]:
    """The merged changesets that added or removed a triple about ``iri`` (subject or object).

    Newest first, at most HISTORY_SCAN; each with how many such triples it changed.
    """
    touched = []
    for record in merging.touching(graph.store, iri, limit=HISTORY_SCAN):
        added, removed = _about(record.added_triples, iri), _about(record.removed_triples, iri)
        if added or removed:
            summary: dict[str, Any] = {"id": record.id, "time": record.time, "author": record.author}
            touched.append(summary | {"message": record.message, "added": added, "removed": removed})
    return touched


def _about(triples: frozenset[ox.Triple], iri: str) -> int:
    """How many of ``triples`` have ``iri`` as subject or object."""
    node = ox.NamedNode(iri)
    return len([t for t in triples if node in (t.subject, t.object)])
