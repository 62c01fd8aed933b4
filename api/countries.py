"""/countries: countries and territories by ISO 3166-1 alpha-2 code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.deps import Graph
from api.models import Entity, Page
from api.resources import Paging, conditional, entity, page, paging
from kg import catalog

router = APIRouter(prefix="/countries", tags=["countries"])


@router.get("", response_model=Page)
async def list_countries(request: Request, graph: Graph, paging: Annotated[Paging, Depends(paging)]) -> Response:
    """Countries sorted by name."""
    return conditional(
        request, graph, page(catalog.list_members(graph.store, "Country", paging.offset, paging.limit), paging)
    )


@router.get("/{code}", response_model=Entity)
async def get_country(code: str, request: Request, graph: Graph) -> Response:
    """One country (its code, e.g. CN) with its facts."""
    return conditional(request, graph, entity(graph, "country", code.upper()))
