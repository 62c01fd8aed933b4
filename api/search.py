"""/search: entities by name or alias, case- and accent-insensitive, prefix matches first."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import Graph
from api.models import SearchHit
from api.resources import conditional, linked

router = APIRouter(tags=["search"])


@router.get("/search", response_model=list[SearchHit])
async def search(
    request: Request,
    graph: Graph,
    q: str = Query(
        min_length=1, max_length=200, description="Text in names, aliases, citations (88 FR 73458, 2023-23055)"
    ),
    limit: int = Query(20, ge=1, le=100),
) -> Response:
    """Up to ``limit`` entities whose name, alias or citation contains ``q``, best matches first."""
    return conditional(request, graph, linked(graph.search_index().search(q, limit)))
