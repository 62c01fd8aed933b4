"""The SPARQL 1.1 Protocol query operation at /sparql: one router, mountable in any app.

Updates (POST only, with the write token) go through the validation gate: api/sparql_update.py.
Each query runs in a sandboxed, killable worker (kg.sparql.pool) with a time limit: SERVICE
reaches nothing, FROM and FROM NAMED only name graphs of the store, results stream and are
capped, a busy pool answers 503 with Retry-After at once and one client runs a bounded number
of queries at a time. A GET without a query returns the service description.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import Graph
from api.errors import ApiError
from api.negotiation import acceptable
from api.service import GraphService
from api.sparql_update import UPDATE_MEDIA, run_update
from kg.service_description import describe
from kg.sparql.pool import QueryAnswer, QueryBusyError, QueryError, QueryJob
from kg.sparql.results import ASK_TYPES, GRAPH_TYPES, SELECT_TYPES

router = APIRouter(tags=["sparql"])
OFFERED = list(dict.fromkeys([*SELECT_TYPES, *ASK_TYPES, *GRAPH_TYPES, "application/json", "application/xml"]))
ALIASES = {"application/json": "application/sparql-results+json", "application/xml": "application/sparql-results+xml"}
FORM = "application/x-www-form-urlencoded"
PASSED_ON = ("invalid-query", "not-acceptable", "query-timeout", "forbidden-query")


async def _run(request: Request, graph: GraphService, params: dict[str, list[str]]) -> Response:
    if "update" in params:
        raise ApiError("update-not-allowed", "updates are sent with POST (SPARQL 1.1 Protocol, section 2.2)")
    queries = params.get("query", [])
    if len(queries) != 1 or not queries[0].strip():
        raise ApiError("invalid-query", "give exactly one non-empty query parameter")
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
    client = request.client.host if request.client else "unknown"
    try:
        answer = await graph.pool.run_async(job, client)
    except QueryBusyError as error:
        raise ApiError(error.code, str(error), headers={"Retry-After": str(error.retry_after)}) from error
    except QueryError as error:
        raise ApiError(error.code if error.code in PASSED_ON else "query-failed", str(error)) from error
    headers = {"X-Result-Row-Limit": str(job.max_rows), "Vary": "Accept"}
    if answer.rest is None:
        return Response(answer.first, media_type=answer.media_type, headers=headers)
    return StreamingResponse(_chain(answer), media_type=answer.media_type, headers=headers)


async def _chain(answer: QueryAnswer) -> AsyncIterator[bytes]:
    """The whole result; a reader that leaves (cancellation, closed generator) frees the worker at once."""
    try:
        yield answer.first
        async for chunk in answer.rest_async():
            yield chunk
    finally:
        answer.close()


@router.get("/sparql", response_model=None)
async def sparql_get(request: Request, graph: Graph) -> Response:
    """A query in the URL; without one, the service description (Turtle or another RDF format)."""
    params = parse_qs(request.url.query, keep_blank_values=True)
    if "query" not in params and "update" not in params:
        return await run_in_threadpool(_description, request, graph)
    return await _run(request, graph, params)


@router.post("/sparql", response_model=None)
async def sparql_post(request: Request, graph: Graph) -> Response:
    """A query as a form field (query=...) or as the body (application/sparql-query); or an update (update=...)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    params = parse_qs(request.url.query, keep_blank_values=True)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError("invalid-query", "the request body is not UTF-8") from error
    if media == FORM:
        params.update(parse_qs(text, keep_blank_values=True))
        if "update" in params:
            return await run_update(request, graph, None, params)
    elif media == "application/sparql-query":
        params["query"] = [text]
    elif media == UPDATE_MEDIA:
        return await run_update(request, graph, text, params)
    else:
        raise ApiError("unsupported-media-type", f"send {FORM} or application/sparql-query, not {media or 'nothing'}")
    return await _run(request, graph, params)


def _description(request: Request, graph: GraphService) -> Response:
    formats = acceptable(request.headers.get("accept"), list(GRAPH_TYPES))
    if not formats:
        raise ApiError("not-acceptable", "the service description comes as RDF", {"offered": list(GRAPH_TYPES)})
    endpoint = str(request.url.replace(query="", fragment=""))
    return Response(describe(graph.store, endpoint, GRAPH_TYPES[formats[0]]), media_type=formats[0])
