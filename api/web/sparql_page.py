"""The query editor at GET /sparql for browsers: Yasqe (vendored) over a plain form.

Without JavaScript the form is a GET of /sparql?query=..., answered with this page again, the
query in the editor and its result as a table (run here, by the same query workers and limits as
the protocol). With JavaScript, Yasqe edits the query and api/web/static/sparql.js runs it with
fetch (POST /sparql, Accept: SPARQL JSON results) and draws the same table into #results.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse

from api.errors import STATUS, ApiError
from api.service import GraphService
from api.web.render import local_href, render
from kg.namespaces import PREFIXES, shorten
from kg.queries import named_queries

PAGE_ROWS = 1000  # rows drawn in the page; the protocol's own cap (X-Result-Row-Limit) still applies
WANTED = ["application/sparql-results+json", "text/turtle"]  # SELECT and ASK as rows, graphs as Turtle
EXAMPLE = "SELECT ?chip ?label ?designer WHERE {\n  ?chip a cg:Chip ; rdfs:label ?label .\n"
EXAMPLE += "  OPTIONAL { ?chip cg:designedBy/rdfs:label ?designer }\n}\nORDER BY ?label\nLIMIT 25\n"


def default_query() -> str:
    """The editor's first query: every prefix the graph uses, then a small SELECT."""
    width = max(len(prefix) for prefix in PREFIXES) + 1
    lines = [f"PREFIX {(prefix + ':').ljust(width)} <{namespace}>" for prefix, namespace in PREFIXES.items()]
    return "\n".join(lines) + "\n\n" + EXAMPLE


def examples() -> list[dict[str, str]]:
    """The named queries (kg/queries/*.rq) with their default parameters, to load into the editor."""
    return [
        {"name": query.name, "question": query.question, "text": query.bind({}), "href": f"/queries/{query.name}"}
        for query in named_queries().values()
    ]


def cell(term: dict[str, Any] | None) -> dict[str, Any]:
    """A SPARQL JSON term as a table cell: text (IRIs shortened), a local link for our entities."""
    if term is None:
        return {"text": "", "href": None, "kind": "unbound"}
    value = str(term.get("value", ""))
    if term.get("type") == "uri":
        return {"text": shorten(value), "href": local_href(value), "kind": "iri", "title": value}
    if term.get("type") == "bnode":
        return {"text": f"_:{value}", "href": None, "kind": "bnode"}
    return {"text": value, "href": None, "kind": "literal", "title": term.get("datatype") or term.get("xml:lang")}


def table(body: bytes) -> dict[str, Any]:
    """SPARQL JSON results as the page's result: a boolean, or variables and rows of cells."""
    result = orjson.loads(body)
    if "boolean" in result:
        return {"boolean": bool(result["boolean"])}
    variables = result["head"].get("vars", [])
    bindings = result["results"]["bindings"]
    rows = [[cell(binding.get(var)) for var in variables] for binding in bindings[:PAGE_ROWS]]
    return {"variables": variables, "rows": rows, "total": len(bindings), "shown": len(rows)}


async def editor(request: Request, graph: GraphService, params: dict[str, list[str]]) -> HTMLResponse:
    """The editor page; with a query in ``params``, also its result (or its error, with its status)."""
    from api.sparql import whole  # late: api.sparql imports this module's package

    queries = params.get("query", [])
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    status, headers = 200, {"Vary": "Accept"}
    if queries:
        try:
            if len(queries) != 1 or not queries[0].strip():
                raise ApiError("invalid-query", "give exactly one non-empty query parameter")
            media, body = await whole(request, graph, params, WANTED)
            result = table(body) if media == WANTED[0] else {"graph": body.decode("utf-8", "replace")}
        except ApiError as failure:
            error, status = {"code": failure.code, "message": failure.message}, STATUS[failure.code]
            headers |= failure.headers  # Retry-After of a busy pool
    context = {
        "query": queries[0] if queries else default_query(),
        "result": result,
        "error": error,
        "examples": examples(),
        "prefixes": PREFIXES,
        "row_limit": graph.settings.max_result_rows,
        "page_rows": PAGE_ROWS,
    }
    return HTMLResponse(render("sparql.html", request, None, **context), status, headers=headers)
