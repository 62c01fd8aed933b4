"""/queries: the named queries of kg/queries/*.rq over HTTP, listed and run with their parameters.

A run binds the parameters with ``NamedQuery.bind`` (typed literals, never pasted text) and sends
the query to the same sandboxed, time-limited query workers as /sparql. JSON answers
``{"name", "total", "items"}``: one item per result row, ``values`` by variable (an IRI, or a
literal's lexical form; unbound variables left out) and ``id``, the kind/slug of the row's first
variable when that is one of our entities (as in the other lists). ``Accept: text/csv`` answers
the SPARQL CSV results instead.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Graph
from api.errors import ApiError
from api.models import NamedQueryInfo, NamedQueryResult
from api.negotiation import acceptable
from api.resources import conditional
from api.sparql import collect, start
from api.web.render import wants_html
from kg import catalog
from kg.namespaces import ID_BASE
from kg.queries import QueryParameterError, UnknownQueryError, named_queries, named_query
from kg.sparql.pool import QueryJob

router = APIRouter(prefix="/queries", tags=["queries"])
JSON_RESULTS = "application/sparql-results+json"
OFFERED = ["application/json", "text/csv"]
PASSED_ON = ("query-timeout",)


@router.get("", response_model=list[NamedQueryInfo])
async def list_named_queries(request: Request, graph: Graph) -> Response:
    """Every named query: its name, the question it answers, and its parameters."""
    return conditional(request, graph, named_query_list())


def named_query_list() -> list[dict[str, Any]]:
    """The JSON of GET /queries."""
    return [
        {
            "name": query.name,
            "question": query.question,
            "parameters": [{"name": p, "type": kind, "default": value} for p, (kind, value) in query.params.items()],
            "href": f"/queries/{query.name}",
        }
        for query in named_queries().values()
    ]


@router.get(
    "/{name}",
    response_model=NamedQueryResult,
    responses={200: {"content": {"text/csv": {}}, "description": "The rows (JSON), or SPARQL CSV results"}},
)
async def run_named_query(name: str, request: Request, graph: Graph) -> Response:
    """Run one named query; its parameters are query-string fields (defaults for those not given)."""
    try:
        query = named_query(name)
    except UnknownQueryError as error:
        known = sorted(named_queries())
        raise ApiError("not-found", f"no named query {name!r}", {"known": known}) from error
    params: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key in params:
            raise ApiError("invalid-parameter", f"parameter {key} is given more than once")
        params[key] = value
    try:
        text = query.bind(params)
    except QueryParameterError as error:
        raise ApiError("invalid-parameter", str(error), {"parameters": sorted(query.params)}) from error
    if wants_html(request):  # the page: a form of the parameters, and the rows as a table
        return conditional(request, graph, _rows(name, await _answer(request, graph, text, JSON_RESULTS)))
    wanted = acceptable(request.headers.get("accept"), OFFERED)
    if not wanted:
        raise ApiError("not-acceptable", "no result format the Accept header admits", {"offered": OFFERED})
    media = "text/csv" if wanted[0] == "text/csv" else JSON_RESULTS
    body = await _answer(request, graph, text, media)
    headers = {"Vary": "Accept", "X-Result-Row-Limit": str(graph.settings.max_result_rows)}
    if media == "text/csv":
        return Response(body, media_type="text/csv", headers=headers)
    return Response(orjson.dumps(_rows(name, body)), media_type="application/json", headers=headers)


async def _answer(request: Request, graph: Graph, text: str, media: str) -> bytes:
    """The whole result of ``text`` in ``media``, from a query worker (time limit as /sparql)."""
    job = QueryJob(query=text, media_types=(media,), max_rows=graph.settings.max_result_rows)
    return await collect(await start(request, graph, job, PASSED_ON))


def _rows(name: str, body: bytes) -> dict[str, Any]:
    """SPARQL JSON results as our rows."""
    result = orjson.loads(body)
    variables = result["head"].get("vars", [])
    items = []
    for binding in result["results"]["bindings"]:
        values = {var: binding[var]["value"] for var in variables if var in binding}
        first = binding.get(variables[0]) if variables else None
        is_ours = first is not None and first["type"] == "uri" and first["value"].startswith(ID_BASE)
        items.append({"id": catalog.entity_id(first["value"]) if is_ours and first else None, "values": values})
    return {"name": name, "variables": variables, "total": len(items), "items": items}
