"""What the resource routers share: hrefs, pages, ETags and conditional GETs, not-found errors."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any, TypeVar

import orjson
from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from api.errors import ApiError
from api.service import GraphService
from api.web.render import CODE_VERSION, HTML, wants_html
from api.web.render import page as html_page
from kg import bounds, catalog, ids

Model = TypeVar("Model", bound=BaseModel)

ROUTES = {"chip": "/chips", "organization": "/companies", "country": "/countries", "act": "/regulations"}


def href(entity_id: str) -> str:
    """The URL of an entity: its resource where it has one, else /entities/{kind}/{slug}."""
    kind, _, slug = entity_id.partition("/")
    return f"{ROUTES[kind]}/{slug}" if kind in ROUTES else f"/entities/{entity_id}"


def linked(value: Any) -> Any:
    """Add an href to every {"id", "label"} reference in a catalog result, in place; return it.

    Walks dicts and lists only (no copy): catalog results are built afresh for each request.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            ident = item.get("id")
            if isinstance(ident, str) and "/" in ident and "label" in item and "href" not in item:
                item["href"] = href(ident)
            pending.extend(child for child in item.values() if isinstance(child, dict | list))
        elif isinstance(item, list):
            pending.extend(child for child in item if isinstance(child, dict | list))
    return value


def link_facts(entity: dict[str, Any]) -> dict[str, Any]:
    """Add hrefs to an entity from kg.catalog.facts and to the entities its facts name, in place.

    The same result as ``linked`` for that shape, without walking every value (a chip has dozens).
    """
    entity["href"] = href(entity["id"])
    for values in entity["facts"].values():
        for value in values:
            if value["ref"] is not None:
                value["ref"]["href"] = href(value["ref"]["id"])
    return entity


class Paging:
    """The offset and limit of a list request."""

    def __init__(self, offset: int, limit: int) -> None:
        self.offset, self.limit = offset, limit


MAX_OFFSET = 10_000_000  # far beyond any list (a graph of 1 M triples has some 100 000 entities)
MAX_LIMIT = 500


async def paging(offset: int = Query(0, ge=0, le=MAX_OFFSET), limit: int = Query(50, ge=1, le=MAX_LIMIT)) -> Paging:
    """The paging of a list request (async: FastAPI would run a class or plain function in a thread).

    Both are bounded: a number past 64 bits cannot even be written as JSON by orjson.
    """
    return Paging(offset, limit)


def conditional(
    request: Request,
    graph: GraphService,
    payload: Any,
    media_type: str = "application/json",
    *,
    day: date | None = None,
) -> Response:
    """The payload with an ETag (graph version, URL, media type); 304 when If-None-Match already has it.

    ``day`` is the date the answer was computed for when the URL does not fix it (a route whose
    date defaults to today): it goes into the ETag, so yesterday's tag is no 304 today.

    A JSON payload asked for by a browser (Accept prefers text/html) is answered as the route's
    HTML page, filled with that payload (api.web).
    """
    as_page = not isinstance(payload, bytes | str) and wants_html(request)
    if as_page:
        media_type = HTML
    target = f"{request.scope['path']}?{request.scope['query_string'].decode('latin-1')}"  # cheaper than request.url
    variant = f"{graph.version}|{CODE_VERSION}|{target}|{media_type}|{day.isoformat() if day else ''}"
    tag = '"' + hashlib.sha256(variant.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": tag, "Vary": "Accept"}
    if tag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    if as_page:
        return HTMLResponse(html_page(request, payload), headers=headers)
    if isinstance(payload, bytes | str):
        return Response(payload, media_type=media_type, headers=headers)
    return Response(orjson.dumps(payload), media_type="application/json", headers=headers)


def entity(graph: GraphService, kind: str, slug: str) -> dict[str, Any]:
    """The facts of an entity, linked; raises ApiError for a malformed or unknown id."""
    try:
        iri = resolve_id(graph, kind, slug)
        confidence = graph.rulebook().confidence
        return link_facts(catalog.facts(graph.store, iri, graph.source_index(), graph.label_index(), confidence))
    except catalog.InvalidFilterError as error:
        raise ApiError("invalid-parameter", str(error)) from error
    except catalog.NotFoundError as error:
        raise ApiError("entity-not-found", f"no {kind} with id {slug[:80]!r}", {"id": f"{kind}/{slug[:80]}"}) from error


def resolve_id(graph: GraphService, kind: str, text: str) -> str:
    """The IRI that ``text`` names (slug, kind/slug, IRI or label); ApiError 400 or 404 with suggestions."""
    try:
        return ids.resolve(graph.store, kind, text, graph.search_index())
    except catalog.InvalidFilterError as error:
        raise ApiError("invalid-parameter", str(error)) from error
    except ids.UnknownIdError as error:
        raise not_found(error) from error


def not_found(error: ids.UnknownIdError) -> ApiError:
    """The 404 of an unknown id: the message and context name the close ids."""
    hint = f"; did you mean {', '.join(error.suggestions)}" if error.suggestions else ""
    return ApiError(
        "entity-not-found",
        f"no {error.kind} with id {error.text[:80]!r}{hint}",
        {"id": f"{error.kind}/{error.text[:80]}", "suggestions": error.suggestions},
    )


def page(result: catalog.Page, paging: Paging) -> dict[str, Any]:
    """A catalog page as the JSON of a list resource."""
    return {"total": result.total, "offset": paging.offset, "limit": paging.limit, "items": linked(result.items)}


async def read_json(request: Request, code: str, what: str) -> Any:
    """The JSON body of a request, measured (kg.bounds.check_json) before it is parsed.

    Raises ApiError ``code`` for a body that is too deep or not JSON, unsupported-media-type
    for a body that does not say it is JSON.
    """
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise ApiError("unsupported-media-type", f"send {what} as JSON (application/json)")
    try:
        return json.loads(bounds.check_json(await request.body(), "the body"))
    except bounds.BoundsError as error:
        raise ApiError(code, str(error)) from error
    except ValueError as error:  # JSONDecodeError, or a number of more than 4300 digits
        raise ApiError(code, f"the body is not JSON: {error}") from error


def validated(model: type[Model], document: Any) -> Model:
    """``document`` (a request body) as ``model``; ApiError invalid-parameter naming the first problem."""
    try:
        return model.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in ("body", *first["loc"]))
        raise ApiError("invalid-parameter", f"{where}: {first['msg']}") from error
