"""The web interface: HTML pages at the API's URLs (content negotiation), and its static assets."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from api.negotiation import acceptable
from api.web.render import HTML, STATIC, error_page, wants_html

SWAGGER = "/static/vendor/swagger-ui"


def install(app: FastAPI) -> None:
    """Serve /static and /docs, and answer errors as HTML pages to browsers (call after errors.install).

    /docs is Swagger UI from /static/vendor/swagger-ui (create_app turns FastAPI's own off: it
    loads from a CDN), so the API's documentation works offline; the validator badge is off too.

    Every error handler already installed keeps its status, headers and body for programs; a
    request that prefers HTML gets the same status with an HTML page of that body. A browser's
    form leaves its empty fields out (``EmptyFormFields``).
    """
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    app.add_middleware(EmptyFormFields)
    for kind, handler in list(app.exception_handlers.items()):
        app.exception_handlers[kind] = _html_aware(handler)


def _html_aware(handler: Any) -> Any:
    async def handle(request: Request, error: Exception) -> Response:
        response: Response = await handler(request, error)
        if not wants_html(request) or response.media_type != "application/json":
            return response
        body = orjson.loads(bytes(response.body))
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
        return HTMLResponse(error_page(request, response.status_code, body), response.status_code, headers)

    return handle


class EmptyFormFields:
    """A GET that prefers HTML loses its empty query fields (``year_from=``): an empty form field is no filter.

    A browser submits every field of a GET form, the empty ones as ``name=``; the API rightly
    refuses ``year_from=`` as a number (400), so the /chips filters failed whenever a number was
    left blank. For a request that prefers HTML only, such fields are dropped before routing;
    every other byte of the query is kept as sent. Programs (JSON) still get the 400.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, without its empty query fields if it is a browser's GET."""
        query: bytes = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if query and scope["method"] in ("GET", "HEAD") and _prefers_html(scope):
            fields = query.split(b"&")
            kept = [field for field in fields if field.partition(b"=")[2]]
            if len(kept) != len(fields):
                scope = {**scope, "query_string": b"&".join(kept)}
        await self.app(scope, receive, send)


def _prefers_html(scope: Scope) -> bool:
    accept = b", ".join(value for name, value in scope["headers"] if name == b"accept").decode("latin-1")
    offered = acceptable(accept or None, ["application/json", HTML])
    return bool(offered) and offered[0] == HTML
