"""/companies and /foundries: organisations, and those that manufacture chips."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.deps import Graph
from api.models import Entity, Page
from api.resources import Paging, conditional, entity, page, paging
from kg import catalog

router = APIRouter(tags=["companies"])


@router.get("/companies", response_model=Page)
async def list_companies(request: Request, graph: Graph, paging: Annotated[Paging, Depends(paging)]) -> Response:
    """Organisations (companies and agencies) sorted by name."""
    return conditional(
        request, graph, page(catalog.list_members(graph.store, "Organization", paging.offset, paging.limit), paging)
    )


@router.get("/companies/{company_id}", response_model=Entity)
async def get_company(company_id: str, request: Request, graph: Graph) -> Response:
    """One organisation with its facts and their sources."""
    return conditional(request, graph, entity(graph, "organization", company_id))


@router.get("/foundries", response_model=Page)
async def list_foundries(request: Request, graph: Graph, paging: Annotated[Paging, Depends(paging)]) -> Response:
    """Companies known as foundries, sorted by name."""
    return conditional(
        request, graph, page(catalog.list_members(graph.store, "Foundry", paging.offset, paging.limit), paging)
    )
