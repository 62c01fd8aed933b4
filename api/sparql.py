"""The SPARQL 1.1 Protocol query operation at /sparql: one router, mountable in any app.

Read-only: updates are refused (writes go through /changes). SERVICE is refused, FROM and FROM
NAMED only name graphs of the store, each query runs in a killable worker with a time limit,
results stream and are capped. A GET without a query returns the service description.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from api.deps import Graph
from api.errors import ApiError
from api.negotiation import acceptable
from api.service import GraphService
from kg.query_pool import QueryError, QueryJob
from kg.service_description import describe
from kg.sparql_results import ASK_TYPES, GRAPH_TYPES, SELECT_TYPES
from kg.sparql_safety import ForbiddenQueryError, check_query

router = APIRouter(tags=["sparql"])
OFFERED = list(dict.fromkeys([*SELECT_TYPES, *ASK_TYPES, *GRAPH_TYPES, "application/json", "application/xml"]))
ALIASES = {"application/json": "application/sparql-results+json", "application/xml": "application/sparql-results+xml"}
FORM = "application/x-www-form-urlencoded"


async def _run(request: Request, graph: GraphService, params: dict[str, list[str]]) -> Response:
    if "update" in params:
        raise ApiError("update-not-allowed", "this endpoint answers queries only; changes go to POST /changes")
    queries = params.get("query", [])
    if len(queries) != 1 or not queries[0].strip():
        raise ApiError("invalid-query", "give exactly one non-empty query parameter")
    try:
        check_query(queries[0])
    except ForbiddenQueryError as error:
        raise ApiError("forbidden-query", str(error)) from error
    wanted = [ALIASES.get(media, media) for media in acceptable(request.headers.get("accept"), OFFERED)]
    if not wanted:
        raise ApiError("not-acceptable", "no result format the Accept header admits", {"offered": OFFERED})
    job = QueryJob(
        query=queries[0],
        media_types=tuple(dict.fromkeys(wanted)),
        default_graphs=tuple(params.get("default-graph-uri", [])),
        named_graphs=tuple(params.get("named-graph-uri", [])),
        max_rows=graph.settings.max_result_rows,
    )
    try:
        answer = await graph.pool.run_async(job)
    except QueryError as error:
        raise ApiError(
            error.code if error.code in ("invalid-query", "not-acceptable", "query-timeout") else "query-failed",
            str(error),
        ) from error
    headers = {"X-Result-Row-Limit": str(job.max_rows), "Vary": "Accept"}
    if answer.rest is None:
        return Response(answer.first, media_type=answer.media_type, headers=headers)
    return StreamingResponse(_chain(answer.first, answer.rest), media_type=answer.media_type, headers=headers)


async def _chain(first: bytes, rest: Iterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in iterate_in_threadpool(rest):
        yield chunk


@router.get("/sparql", response_model=None)
async def sparql_get(request: Request, graph: Graph) -> Response:
    """A query in the URL; without one, the service description (Turtle or another RDF format)."""
    params = parse_qs(request.url.query, keep_blank_values=True)
    if "query" not in params and "update" not in params:
        return await run_in_threadpool(_description, request, graph)
    return await _run(request, graph, params)


@router.post("/sparql", response_model=None)
async def sparql_post(request: Request, graph: Graph) -> Response:
    """A query as a form field (query=...) or as the body (application/sparql-query)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    params = parse_qs(request.url.query, keep_blank_values=True)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError("invalid-query", "the request body is not UTF-8") from error
    if media == FORM:
        params.update(parse_qs(text, keep_blank_values=True))
    elif media == "application/sparql-query":
        params["query"] = [text]
    elif media == "application/sparql-update":
        raise ApiError("update-not-allowed", "this endpoint answers queries only; changes go to POST /changes")
    else:
        raise ApiError("unsupported-media-type", f"send {FORM} or application/sparql-query, not {media or 'nothing'}")
    return await _run(request, graph, params)


def _description(request: Request, graph: GraphService) -> Response:
    formats = acceptable(request.headers.get("accept"), list(GRAPH_TYPES))
    if not formats:
        raise ApiError("not-acceptable", "the service description comes as RDF", {"offered": list(GRAPH_TYPES)})
    endpoint = str(request.url.replace(query="", fragment=""))
    return Response(describe(graph.store, endpoint, GRAPH_TYPES[formats[0]]), media_type=formats[0])
