"""The SPARQL 1.1 Protocol query operation at /sparql: one router, mountable in any app.

Updates (POST only, with the write token) go through the validation gate: api/sparql_update.py.
Each query runs in a sandboxed, killable worker (kg.sparql.pool) with a time limit: SERVICE
reaches nothing, FROM and FROM NAMED only name graphs of the store, results stream and are
capped, a busy pool answers 503 with Retry-After at once and one client runs a bounded number
of queries at a time. A GET without a query returns the service description.

Protocol details (README, "Protocol details of /sparql"): relative IRIs resolve against the
endpoint's URL; a query or update body is UTF-8 (another charset is 415), a form is read in its
charset; a result cut at the row cap carries X-Result-Truncated: true and a marker in its body
(kg.sparql.results); an update sent with GET is 405 with Allow: POST.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import Graph
from api.errors import ApiError
from api.models import MergeAnswer
from api.negotiation import acceptable
from api.service import GraphService
from api.sparql_update import UPDATE_MEDIA, endpoint_url, run_update
from api.web.render import wants_html
from api.web.sparql_page import editor
from kg.service_description import describe
from kg.sparql.pool import QueryAnswer, QueryBusyError, QueryError, QueryJob
from kg.sparql.results import ASK_TYPES, GRAPH_TYPES, SELECT_TYPES

router = APIRouter(tags=["sparql"])
OFFERED = list(dict.fromkeys([*SELECT_TYPES, *ASK_TYPES, *GRAPH_TYPES, "application/json", "application/xml"]))
ALIASES = {"application/json": "application/sparql-results+json", "application/xml": "application/sparql-results+xml"}
FORM = "application/x-www-form-urlencoded"
UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
# Sent when the row cap (CHIPGRAPH_MAX_RESULT_ROWS, X-Result-Row-Limit) cut the result: the worker
# knows it before the first byte (kg.sparql.worker.run), so its absence means the result is whole.
TRUNCATED_HEADER = "X-Result-Truncated"
EXPOSED_HEADERS = ("X-Result-Row-Limit", TRUNCATED_HEADER, "Retry-After", "Location")
PASSED_ON = ("invalid-query", "not-acceptable", "query-timeout", "forbidden-query")


async def _run(request: Request, graph: GraphService, params: dict[str, list[str]]) -> Response:
    if "update" in params:
        raise ApiError(
            "update-not-allowed",
            "updates are sent with POST (SPARQL 1.1 Protocol, section 2.2), with the bearer token",
            headers={"Allow": "POST"},
        )
    queries = params.get("query", [])
    if len(queries) != 1 or not queries[0].strip():
        raise ApiError("invalid-query", "give exactly one non-empty query parameter")
    wanted = [ALIASES.get(media, media) for media in acceptable(request.headers.get("accept"), OFFERED)]
    if not wanted:
        raise ApiError("not-acceptable", "no result format the Accept header admits", {"offered": OFFERED})
    job = _job(graph, params, wanted, endpoint_url(request))
    answer = await start(request, graph, job)
    headers = {"X-Result-Row-Limit": str(job.max_rows), "Vary": "Accept"}
    if answer.truncated:
        headers[TRUNCATED_HEADER] = "true"
    if answer.rest is None:
        return Response(answer.first, media_type=answer.media_type, headers=headers)
    return StreamingResponse(_chain(answer), media_type=answer.media_type, headers=headers)


def _job(graph: GraphService, params: dict[str, list[str]], wanted: list[str], base_iri: str | None) -> QueryJob:
    return QueryJob(
        query=params["query"][0],
        media_types=tuple(dict.fromkeys(wanted)),
        default_graphs=tuple(params.get("default-graph-uri", [])),
        named_graphs=tuple(params.get("named-graph-uri", [])),
        max_rows=graph.settings.max_result_rows,
        base_iri=base_iri,
    )


async def start(
    request: Request, graph: GraphService, job: QueryJob, passed_on: tuple[str, ...] = PASSED_ON
) -> QueryAnswer:
    """The answer of ``job`` from a query worker, for the request's client (its share of the pool).

    Raises ApiError: the pool's 429 or 503 with Retry-After when the client or the pool is busy;
    a failed query's own code when it is one of ``passed_on``, else query-failed. /sparql and
    /queries/{name} both run their queries through here.
    """
    client = request.client.host if request.client else "unknown"
    try:
        return await graph.pool.run_async(job, client)
    except QueryBusyError as error:
        raise ApiError(error.code, str(error), headers={"Retry-After": str(error.retry_after)}) from error
    except QueryError as error:
        raise ApiError(error.code if error.code in passed_on else "query-failed", str(error)) from error


async def whole(
    request: Request, graph: GraphService, params: dict[str, list[str]], wanted: list[str]
) -> tuple[str, bytes]:
    """The media type and whole result of the query in ``params``, run as a protocol request would."""
    answer = await start(request, graph, _job(graph, params, wanted, endpoint_url(request)))
    return answer.media_type, await collect(answer)


async def collect(answer: QueryAnswer) -> bytes:
    """The whole result of an answer, read to its end; the worker is freed however reading ends."""
    chunks = [answer.first]
    try:
        if answer.rest is not None:
            chunks.extend([chunk async for chunk in answer.rest_async()])
    finally:
        answer.close()
    return b"".join(chunks)


async def _chain(answer: QueryAnswer) -> AsyncIterator[bytes]:
    """The whole result; a reader that leaves (cancellation, closed generator) frees the worker at once."""
    try:
        yield answer.first
        async for chunk in answer.rest_async():
            yield chunk
    finally:
        answer.close()


GRAPHS = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "array", "items": {"type": "string", "format": "iri"}},
        "style": "form",
        "explode": True,
    }
    for name, description in (
        ("default-graph-uri", "A graph of the store to query as the default graph (repeatable; FROM)"),
        ("named-graph-uri", "A graph of the store to query as a named graph (repeatable; FROM NAMED)"),
    )
]
QUERY = {
    "name": "query",
    "in": "query",
    "required": False,
    "description": "The SPARQL query (SELECT, ASK, CONSTRUCT, DESCRIBE); without it, the service description",
    "schema": {"type": "string"},
    "examples": {"chips": {"value": "SELECT ?chip WHERE { ?chip a <https://w3id.org/chipgraph/ontology#Chip> }"}},
}
FORM_FIELDS = {
    "type": "object",
    "properties": {
        "query": {"type": "string"},
        "update": {"type": "string", "description": "A SPARQL 1.1 update (with the bearer token)"},
        "default-graph-uri": {"type": "array", "items": {"type": "string"}},
        "named-graph-uri": {"type": "array", "items": {"type": "string"}},
    },
    "anyOf": [{"required": ["query"]}, {"required": ["update"]}],
}
RESULTS = {
    media: {"schema": {"type": "object", "required": ["head"]}} if media.endswith("+json") else {}
    for media in dict.fromkeys([*SELECT_TYPES, *ASK_TYPES, *GRAPH_TYPES])
}
OK: dict[int | str, dict[str, Any]] = {
    200: {"description": "SELECT and ASK results, or an RDF graph (CONSTRUCT, DESCRIBE)", "content": RESULTS}
}
POST_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Query results, or an update that changed nothing (merged: [])",
        "content": {**RESULTS, "application/json": {"schema": {"$ref": "#/components/schemas/MergeAnswer"}}},
    },
    201: {
        "description": "An update merged: the ids of its changesets; Location names the last",
        "model": MergeAnswer,
        "headers": {"Location": {"description": "/changes/{id}", "schema": {"type": "string"}}},
    },
}
GET_DOCUMENT = {"parameters": [QUERY, *GRAPHS]}
POST_DOCUMENT = {
    "parameters": GRAPHS,
    "requestBody": {
        "required": True,
        "description": "The query or update as a form field, or the body itself (SPARQL 1.1 Protocol)",
        "content": {
            FORM: {"schema": FORM_FIELDS},
            "application/sparql-query": {"schema": {"type": "string"}},
            UPDATE_MEDIA: {"schema": {"type": "string"}},
        },
    },
}


@router.get("/sparql", response_class=Response, responses=OK, openapi_extra=GET_DOCUMENT)
async def sparql_get(request: Request, graph: Graph) -> Response:
    """A query in the URL; without one, the service description (Turtle or another RDF format)."""
    params = parse_qs(request.url.query, keep_blank_values=True)
    if "update" not in params and wants_html(request):
        return await editor(request, graph, params)
    if "query" not in params and "update" not in params:
        return await run_in_threadpool(_description, request, graph)
    return await _run(request, graph, params)


@router.post("/sparql", response_class=Response, responses=POST_OK, openapi_extra=POST_DOCUMENT)
async def sparql_post(request: Request, graph: Graph) -> Response:
    """A query as a form field (query=...) or as the body (application/sparql-query); or an update (update=...)."""
    media, charset = content_type(request.headers.get("content-type", ""))
    body = await request.body()
    params = parse_qs(request.url.query, keep_blank_values=True)
    if media == FORM:
        params.update(_form(body, charset))
        if "update" in params:
            return await run_update(request, graph, None, params)
    elif media == "application/sparql-query":
        params["query"] = [_utf8_body(body, charset, "invalid-query")]
    elif media == UPDATE_MEDIA:
        return await run_update(request, graph, _utf8_body(body, charset, "invalid-update"), params)
    else:
        raise ApiError("unsupported-media-type", f"send {FORM} or application/sparql-query, not {media or 'nothing'}")
    return await _run(request, graph, params)


def content_type(header: str) -> tuple[str, str | None]:
    """The media type of a Content-Type header (lower case) and its charset parameter (lower case, None if absent)."""
    media, _, rest = header.partition(";")
    charset = None
    for parameter in rest.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').strip().lower() or None
    return media.strip().lower(), charset


def _refused_charset(charset: str, why: str) -> ApiError:
    return ApiError("unsupported-media-type", f"the charset {charset[:40]!r} is not taken here: {why}")


def _utf8_body(body: bytes, charset: str | None, code: str) -> str:
    """A query or update body: UTF-8 only (SPARQL 1.1 Protocol 2.1.3, 2.2.2); another charset is 415."""
    if charset is not None and charset not in UTF8_NAMES:
        raise _refused_charset(charset, "a query or update body is UTF-8 (SPARQL 1.1 Protocol)")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(code, "the request body is not valid UTF-8") from error


def _form(body: bytes, charset: str | None) -> dict[str, list[str]]:
    """The fields of a URL-encoded form, its text and percent-escapes read in ``charset`` (default UTF-8).

    Any text encoding Python knows is honoured (iso-8859-1, windows-1252, utf-16...); an unknown
    one, or a codec that is not a text encoding (base64, zlib), is 415. The body is bounded by
    the body limit (api.middleware.BodyLimit), so is the decoding.
    """
    name = charset or "utf-8"
    try:
        known = codecs.lookup(name)
    except LookupError as error:
        raise _refused_charset(name, "it is not a character encoding this server knows") from error
    if not getattr(known, "_is_text_encoding", True):
        raise _refused_charset(name, "it is not a text encoding")
    try:
        text = body.decode(known.name)
        return parse_qs(text, keep_blank_values=True, encoding=known.name, errors="strict")
    except UnicodeError as error:
        raise ApiError("invalid-parameter", f"the form is not valid {name}") from error


def _description(request: Request, graph: GraphService) -> Response:
    formats = acceptable(request.headers.get("accept"), list(GRAPH_TYPES))
    if not formats:
        raise ApiError("not-acceptable", "the service description comes as RDF", {"offered": list(GRAPH_TYPES)})
    return Response(describe(graph.store, endpoint_url(request), GRAPH_TYPES[formats[0]]), media_type=formats[0])
