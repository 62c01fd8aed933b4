"""What the resource routers share: hrefs, pages, ETags and conditional GETs, not-found errors."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from fastapi import Query, Request
from fastapi.responses import Response

from api.errors import ApiError
from api.service import GraphService
from kg import catalog

ROUTES = {"chip": "/chips", "organization": "/companies", "country": "/countries", "act": "/regulations"}


def href(entity_id: str) -> str:
    """The URL of an entity: its resource where it has one, else /entities/{kind}/{slug}."""
    kind, _, slug = entity_id.partition("/")
    return f"{ROUTES[kind]}/{slug}" if kind in ROUTES else f"/entities/{entity_id}"


def linked(value: Any) -> Any:
    """Add hrefs to every {"id", "label"} reference in a catalog result, recursively."""
    if isinstance(value, list):
        return [linked(item) for item in value]
    if isinstance(value, dict):
        result = {key: linked(item) for key, item in value.items()}
        if "id" in result and "label" in result and isinstance(result["id"], str) and "/" in result["id"]:
            result.setdefault("href", href(result["id"]))
        return result
    return value


class Paging:
    """The offset and limit of a list request."""

    def __init__(self, offset: int, limit: int) -> None:
        self.offset, self.limit = offset, limit


async def paging(offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500)) -> Paging:
    """The paging of a list request (async: FastAPI would run a class or plain function in a thread)."""
    return Paging(offset, limit)


def conditional(request: Request, graph: GraphService, payload: Any, media_type: str = "application/json") -> Response:
    """The payload with an ETag (graph version and URL); 304 when If-None-Match already has it."""
    tag = '"' + hashlib.sha256(f"{graph.version}|{request.url}|{media_type}".encode()).hexdigest()[:32] + '"'
    if tag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers={"ETag": tag})
    if isinstance(payload, bytes | str):
        return Response(payload, media_type=media_type, headers={"ETag": tag, "Vary": "Accept"})
    return Response(orjson.dumps(payload), media_type="application/json", headers={"ETag": tag})


def entity(graph: GraphService, kind: str, slug: str) -> dict[str, Any]:
    """The facts of an entity, linked; raises ApiError for a malformed or unknown id."""
    try:
        iri = catalog.entity_iri(kind, slug)
        return dict(linked(catalog.facts(graph.store, iri, graph.source_index())))
    except catalog.InvalidFilterError as error:
        raise ApiError("invalid-parameter", str(error)) from error
    except catalog.NotFoundError as error:
        raise ApiError("entity-not-found", f"no {kind} with id {slug!r}", {"id": f"{kind}/{slug}"}) from error


def page(result: catalog.Page, paging: Paging) -> dict[str, Any]:
    """A catalog page as the JSON of a list resource."""
    return {"total": result.total, "offset": paging.offset, "limit": paging.limit, "items": linked(result.items)}
