"""/export-status/check: the export-status form, and the redirect from its answers to the chip's status."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import Graph
from api.errors import ApiError
from api.resources import resolve_id
from api.web.render import render, wants_html
from kg import ids

router = APIRouter(tags=["export control"])


@router.get("/export-status/check", status_code=303, response_class=RedirectResponse)
async def check_export(
    request: Request,
    graph: Graph,
    chip: str | None = Query(None, max_length=300, description="Chip: id, kind/id, IRI or exact name"),
    destination: str | None = Query(None, max_length=2, description="ISO 3166-1 alpha-2 code, e.g. CN"),
    on: str | None = Query(None, alias="date", max_length=10, description="YYYY-MM-DD (default: today)"),
    buyer: str | None = Query(None, max_length=300, description="Buyer organisation id"),
) -> Response:
    """Redirect (303) to /chips/{id}/export-status with the chip's canonical id and the other answers.

    A browser that sends no chip gets the form. An unknown chip is a 404 with suggestions.
    """
    if not chip:
        if wants_html(request):
            return HTMLResponse(render("export_check.html", request, None))
        raise ApiError("invalid-parameter", "chip: a chip id or name is required")
    slug = ids.slug_of(resolve_id(graph, "chip", chip))
    answers = {"destination": destination, "date": on, "buyer": buyer}
    query = urlencode({key: value for key, value in answers.items() if value})
    return RedirectResponse(f"/chips/{quote(slug)}/export-status?{query}", status_code=303)
