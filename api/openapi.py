"""The OpenAPI document as a contract: every status a route really answers, errors in the one shape.

FastAPI documents the 200 (or the status a route declares) and a 422 with its own validation
error, which never occurs here (api/errors.py answers 400 in our shape). ``install`` replaces
``app.openapi`` with a generator that takes FastAPI's document and, for every operation, adds
the statuses the app's machinery answers, each error with the ``Error`` schema narrowed to the
codes of that status (api/errors.py STATUS):

- 400 where the operation takes parameters or a body (validation, malformed ids and filters);
- 401 and 403 where the operation needs the bearer token (api.deps.require_writer documents it);
- 404 where the path has a parameter (an unknown id), and on the routes of NOT_FOUND_BY_QUERY;
- 406 where the 200 comes in more than one media type (the route negotiates with Accept);
- 413 on every method with a body (api.middleware.BodyLimit counts it), 415 where the route reads
  its body itself (OWN_BODY) and refuses another Content-Type;
- 429 and 503 (with Retry-After) on the routes that run queries in the worker pool (QUERY_ROUTES);
- 304 on GETs answered by api.resources.conditional (every GET but those of UNCONDITIONAL);
- the few route-specific ones of SPECIAL (409, 422, 503 of /readyz).

A new route gets the rules that fit it without any edit here. tests/http/test_openapi_contract.py
runs Schemathesis over every operation against the live app to hold the document to the truth.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from api.errors import STATUS
from api.models import Error, ValidationReport

COMPONENTS = "#/components/schemas/{model}"
ERROR_REF = {"$ref": "#/components/schemas/Error"}
BODY_METHODS = frozenset({"post", "put", "patch", "delete"})
# Routes that send their query to the worker pool (kg.sparql.pool): a client over its share is 429,
# a busy pool or a query over the time limit 503.
QUERY_ROUTES = frozenset({"/sparql", "/queries/{name}"})
# Routes whose query parameters name entities (destination, buyer, chip): an unknown one is 404 (the
# filters of /chips name entities too, but an unknown filter value is 400: it is not the resource).
NOT_FOUND_BY_QUERY = frozenset(
    {("get", "/export-status"), ("get", "/export-status/check"), ("get", "/rdf-graphs"), ("delete", "/rdf-graphs")}
)
# GET routes that do not answer with api.resources.conditional (no ETag, so never 304).
UNCONDITIONAL = frozenset(
    {
        "/healthz",
        "/readyz",
        "/sparql",
        "/changes",
        "/changes/{change_id}",
        "/queries/{name}",
        "/export-status/check",
        "/rdf-graphs",
        "/rdf-graphs/{slug}",
    }
)
# Routes that read their body themselves and refuse a Content-Type they do not take.
OWN_BODY = frozenset(
    {("post", "/sparql"), ("post", "/changes"), ("post", "/changes/{change_id}/revert"), ("post", "/admin/backup")}
    | {(method, path) for method in ("put", "post") for path in ("/rdf-graphs", "/rdf-graphs/{slug}")}
)
REPORT_REF = {"$ref": "#/components/schemas/ValidationReport"}
SPECIAL: dict[tuple[str, str], dict[int, dict[str, Any]]] = {
    ("get", "/readyz"): {503: {}},
    ("post", "/admin/backup"): {409: {}},
    ("post", "/changes"): {
        422: {
            "description": "changeset-refused (nothing written), or the report of a dry run that does not conform",
            "schema": {"anyOf": [ERROR_REF, REPORT_REF]},
        }
    },
    ("post", "/changes/{change_id}/revert"): {422: {"description": "changeset-refused: nothing was written"}},
    ("get", "/sparql"): {
        405: {"description": "An update (update=) sent with GET: updates are sent with POST (Allow: POST)"}
    },
    ("post", "/sparql"): {  # an update (api/sparql_update.py): the token is checked before anything else
        401: {"description": "An update without the bearer token, or with a wrong one"},
        403: {"description": "Writes are off, or a forbidden update (LOAD, SERVICE, the default or a system graph)"},
        422: {"description": "The update's result refused by the shapes, or a new graph's source not described"},
    },
}
# The Graph Store Protocol's writes (api/graph_store.py): SPARQL Update's graph policy, the default graph read-only.
GRAPH_STORE_WRITE = {
    403: {"description": "Writes are off, or a forbidden update: a system graph, or not a source graph"},
    422: {"description": "The graph refused by the shapes (nothing written), or a new graph's source not described"},
}
for _method in ("put", "post", "delete"):
    SPECIAL[(_method, "/rdf-graphs/{slug}")] = GRAPH_STORE_WRITE
    SPECIAL[(_method, "/rdf-graphs")] = {
        **GRAPH_STORE_WRITE,
        405: {"description": "?default: the default graph is the read-only union of the named graphs"},
    }
DESCRIPTIONS = {
    400: "Bad request",
    401: "No bearer token, or a wrong one",
    403: "Writes are off: the server has no write token",
    404: "Not found",
    405: "Method not allowed: the Allow header says which are",
    406: "No media type the Accept header admits",
    409: "Conflict",
    413: "The request body is larger than the server takes",
    415: "The request body is not of a media type the route takes",
    422: "Refused",
    429: "Too many queries of this client at a time; retry after Retry-After seconds",
    503: "Not available now",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}}}
BODY_MODELS: dict[str, type[BaseModel]] = {}


def json_body(model: type[BaseModel], description: str = "") -> dict[str, Any]:
    """An OpenAPI requestBody of ``model`` as JSON, its schema a named component (for openapi_extra).

    For routes that read their body themselves (measured before it is parsed).
    """
    BODY_MODELS[model.__name__] = model
    schema = {"$ref": COMPONENTS.format(model=model.__name__)}
    return {"required": True, "description": description, "content": {"application/json": {"schema": schema}}}


def codes_of(status: int) -> list[str]:
    """The error codes that answer ``status``."""
    return sorted(code for code, answered in STATUS.items() if answered == status)


def error_response(status: int, description: str = "", schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """The documented response of an error status: the Error shape, its code one of that status's codes."""
    if schema is None:
        schema = {"allOf": [ERROR_REF, {"properties": {"code": {"enum": codes_of(status)}}}]}
    text = description or DESCRIPTIONS.get(status, "Error")
    response: dict[str, Any] = {
        "description": f"{text} (code: {', '.join(codes_of(status))})",
        "content": {"application/json": {"schema": schema}},
    }
    if status in (429, 503):
        response["headers"] = RETRY_AFTER
    if status == 405:
        response["headers"] = {"Allow": {"description": "The methods allowed", "schema": {"type": "string"}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}}
    return response


def statuses(path: str, method: str, operation: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The statuses ``operation`` answers besides its successes, with what SPECIAL says of them."""
    found: dict[int, dict[str, Any]] = {}
    if operation.get("parameters") or "requestBody" in operation or path in QUERY_ROUTES:
        found[400] = {}
    if operation.get("security"):  # api.deps.require_writer (through api.deps.BEARER)
        found[401], found[403] = {}, {}
    if "{" in path or (method, path) in NOT_FOUND_BY_QUERY:
        found[404] = {}
    success = operation.get("responses", {}).get("200") or operation.get("responses", {}).get("201") or {}
    if len(success.get("content", {})) > 1:
        found[406] = {}
    if method in BODY_METHODS:
        found[413] = {}
    if (method, path) in OWN_BODY:
        found[415] = {}
    if path in QUERY_ROUTES:
        found[429], found[503] = {}, {}
    found.update(SPECIAL.get((method, path), {}))
    return dict(sorted(found.items()))


def contract(document: dict[str, Any]) -> dict[str, Any]:
    """Make FastAPI's ``document`` the contract, in place: statuses, the error shape; return it."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    models: list[type[BaseModel]] = [Error, ValidationReport, *BODY_MODELS.values()]
    _, extra = models_json_schema([(model, "validation") for model in models], ref_template=COMPONENTS)
    schemas.update(extra.get("$defs", {}))
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if "HTTPValidationError" in str(responses.get("422")):
                del responses["422"]  # FastAPI's validation error: the app answers 400 in our shape instead
            for status, special in statuses(path, method, operation).items():
                responses[str(status)] = error_response(status, special.get("description", ""), special.get("schema"))
            if method == "get" and path not in UNCONDITIONAL:
                responses["304"] = {"description": "Not modified: If-None-Match names the current ETag"}
            operation["responses"] = dict(sorted(responses.items()))
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    return document


def install(app: FastAPI) -> None:
    """Make ``app.openapi`` (GET /openapi.json, /docs) answer FastAPI's document made the contract."""
    generate = app.openapi
    made: list[dict[str, Any]] = []  # the document made the contract (FastAPI keeps it until routes change)

    def openapi() -> dict[str, Any]:
        document = generate()
        if not made or made[0] is not document:
            made[:] = [contract(document)]
        return document

    method: Callable[[], dict[str, Any]] = openapi
    app.openapi = method  # type: ignore[method-assign]
