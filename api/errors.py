"""One error shape for every error: {"code", "message", "context"}, and one table to statuses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from kg.gate.replay import MergeConflictError, MergeNotAppliedError, MergeOutcomeUnknownError
from kg.gate.validation_worker import ValidationWorkerError
from kg.store import StoreError
from kg.store.remote import UpdateTooLargeError
from kg.store.server_lock import StoreBusyError

STATUS: dict[str, int] = {
    "invalid-query": 400,
    "forbidden-query": 400,
    "update-not-allowed": 405,
    "query-failed": 400,
    "invalid-parameter": 400,
    "invalid-changeset": 400,
    "invalid-update": 400,
    "unauthorized": 401,
    "writes-disabled": 403,
    "forbidden-update": 403,
    "not-found": 404,
    "entity-not-found": 404,
    "change-not-found": 404,
    "method-not-allowed": 405,
    "not-acceptable": 406,
    "store-mismatch": 409,
    "merge-conflict": 409,
    "payload-too-large": 413,
    "unsupported-media-type": 415,
    "changeset-refused": 422,
    "source-not-described": 422,
    "query-timeout": 503,
    "update-timeout": 503,
    "not-ready": 503,
    "pool-busy": 503,
    "validation-unavailable": 503,
    "store-busy": 503,
    "store-unavailable": 503,
    "too-many-queries": 429,
    "internal-error": 500,
}
_HTTP_CODES = {
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "payload-too-large",
    415: "unsupported-media-type",
}
log = logging.getLogger("chipgraph.api")


class ApiError(Exception):
    """An error the API reports in its one shape; ``code`` must be a key of STATUS."""

    def __init__(
        self, code: str, message: str, context: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        if code not in STATUS:
            raise ValueError(f"unknown error code {code}")
        self.code, self.message, self.context = code, message, context or {}
        self.headers = headers or {}


def error_response(
    code: str, message: str, context: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON response of an error, with the status from STATUS."""
    return JSONResponse(
        {"code": code, "message": message, "context": context or {}}, status_code=STATUS[code], headers=headers
    )


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(app: FastAPI, request: Request) -> str:
    """The Allow header of a 405: every method some route of ``app`` takes at the request's path.

    Starlette's own header names only the first route that matched the path (GET /sparql and
    POST /sparql are two routes), so each method is tried against the routes here.
    """
    allowed = []
    for method in METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


def store_error_response(error: StoreError) -> JSONResponse:
    """The answer to a store failure no route handled (a SPARQL server's, mostly; docs/adr/0018).

    Another writer holding the server: 503 store-busy (retry); a merge that lost the race to
    another: 409 merge-conflict (nothing written; send it again); a change too large for one
    request: 413; the server unreachable, failing or too slow: 503 store-unavailable, saying whether
    a write happened, never the server's own message (logged).
    """
    if isinstance(error, StoreBusyError):
        return error_response("store-busy", str(error), headers={"Retry-After": "1"})
    if isinstance(error, MergeConflictError):
        return error_response("merge-conflict", str(error))
    if isinstance(error, UpdateTooLargeError):
        return error_response("payload-too-large", str(error))
    log.warning("store failure: %s", error)  # the server's own message (it may quote queries) stays in the log
    retry = {"Retry-After": "5"}
    if isinstance(error, MergeNotAppliedError):
        return error_response("store-unavailable", "the store failed while writing; nothing was written", headers=retry)
    if isinstance(error, MergeOutcomeUnknownError):
        message = "the store failed while writing, and whether the change was written is unknown: see GET /changes"
        return error_response("store-unavailable", message, headers=retry)
    return error_response(
        "store-unavailable", "the store failed or cannot be reached; it has been logged", headers=retry
    )


def install(app: FastAPI) -> None:
    """Make every error of ``app`` use the one shape: ours, FastAPI's, Starlette's and the unexpected."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, error: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer", **error.headers} if error.code == "unauthorized" else error.headers
        return error_response(error.code, error.message, error.context, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            {"where": ".".join(str(part) for part in item["loc"]), "problem": item["msg"]} for item in error.errors()
        ]
        first = problems[0] if problems else {"where": "request", "problem": "invalid"}
        return error_response("invalid-parameter", f"{first['where']}: {first['problem']}", {"problems": problems})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(error.status_code, "invalid-parameter" if error.status_code < 500 else "internal-error")
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = allowed_methods(app, request) or headers.get("Allow", "")
        return error_response(code, str(error.detail), headers=headers)

    @app.exception_handler(ValidationWorkerError)
    async def validation_stopped(_: Request, error: ValidationWorkerError) -> JSONResponse:
        return error_response("validation-unavailable", str(error), headers={"Retry-After": "1"})

    @app.exception_handler(StoreError)
    async def store_failed(_: Request, error: StoreError) -> JSONResponse:
        return store_error_response(error)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response("internal-error", "an unexpected error occurred; it has been logged")
