"""The web interface: HTML pages at the API's URLs (content negotiation), and its static assets."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from api.web.render import STATIC, error_page, wants_html

SWAGGER = "/static/vendor/swagger-ui"


def install(app: FastAPI) -> None:
    """Serve /static and /docs, and answer errors as HTML pages to browsers (call after errors.install).

    /docs is Swagger UI from /static/vendor/swagger-ui (create_app turns FastAPI's own off: it
    loads from a CDN), so the API's documentation works offline; the validator badge is off too.

    Every error handler already installed keeps its status, headers and body for programs; a
    request that prefers HTML gets the same status with an HTML page of that body.
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
