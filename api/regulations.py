"""/regulations: legal acts, optionally those in force on a date."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.deps import Graph
from api.models import Entity, Page
from api.resources import Paging, conditional, entity, page, paging
from kg import catalog

router = APIRouter(prefix="/regulations", tags=["regulations"])


@router.get("", response_model=Page)
async def list_regulations(
    request: Request,
    graph: Graph,
    paging: Annotated[Paging, Depends(paging)],
    in_force_on: date | None = Query(None, description="Only acts in force on this date (YYYY-MM-DD)"),
) -> Response:
    """Legal acts sorted by name; with in_force_on, those effective then and not rescinded by then."""
    result = catalog.list_members(graph.store, "LegalAct", paging.offset, paging.limit, in_force_on=in_force_on)
    return conditional(request, graph, page(result, paging))


@router.get("/{act_id}", response_model=Entity)
async def get_regulation(act_id: str, request: Request, graph: Graph) -> Response:
    """One legal act with its facts and their sources."""
    return conditional(request, graph, entity(graph, "act", act_id))
