"""/export-status: the export status of every chip the /chips filters select, one row per chip."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.chips import COUNTRY, DESIGNER, FOUNDRY, MAX_TPP, PROCESS_NODE, WORKLOAD, filter_error
from api.deps import Graph
from api.errors import ApiError
from api.models import RuleRef, Verdict
from api.resources import Paging, conditional, linked, paging
from kg import catalog
from kg.export_status_all import export_statuses
from kg.filters import resolve_chip_filter

router = APIRouter(tags=["export control"])


class ChipRef(BaseModel):
    """A chip: id, name, and where to read it."""

    id: str = Field(examples=["chip/nvidia-h20"])
    label: str
    href: str


class Reason(BaseModel):
    """A finding behind a verdict: what it is, its outcome, and the rule it rests on."""

    kind: str = Field(examples=["licence-requirement", "buyer-entity-list", "unrecorded-requirement"])
    outcome: str = Field(examples=["applies", "undetermined"])
    subject: dict[str, str]
    rule: RuleRef


class ExportStatusRow(BaseModel):
    """One chip's verdict, what is missing to decide it, and the findings behind it.

    The whole trail of one chip is /chips/{id}/export-status.
    """

    chip: ChipRef
    verdict: Verdict
    confidence: str = Field(
        "unknown", description="The weakest confidence level of the findings behind the verdict (docs/adr/0014)"
    )
    missing: list[str]
    reasons: list[Reason]


class ExportStatusPage(BaseModel):
    """A page of chips (sorted as /chips) with their export status, and the total that match."""

    destination: str
    date: str
    buyer: str | None
    total: int
    offset: int
    limit: int
    items: list[ExportStatusRow]


@router.get("/export-status", response_model=ExportStatusPage)
async def list_export_status(
    request: Request,
    graph: Graph,
    paging: Annotated[Paging, Depends(paging)],
    destination: str = Query(..., max_length=2, description="ISO 3166-1 alpha-2 code of the destination, e.g. CN"),
    on: date | None = Query(None, alias="date", description="The date, YYYY-MM-DD (default: today)"),
    buyer: str | None = Query(None, max_length=128, description="Buyer organisation id, e.g. huawei"),
    designer: str | None = Query(None, max_length=300, description=DESIGNER),
    foundry: str | None = Query(None, max_length=300, description=FOUNDRY),
    country: str | None = Query(None, max_length=300, description=COUNTRY),
    workload: str | None = Query(None, max_length=300, description=WORKLOAD),
    process_node: str | None = Query(None, max_length=300, description=PROCESS_NODE),
    year_from: int | None = Query(None, ge=1990, le=2100, description="First release year"),
    year_to: int | None = Query(None, ge=1990, le=2100, description="Last release year"),
    min_tpp: float | None = Query(None, ge=0, le=MAX_TPP, allow_inf_nan=False, description="Minimum TPP"),
) -> Response:
    """May each selected chip go to the destination on the date: verdict and the rules behind it.

    The filters are those of /chips, matched the same way (a value that names nothing is a 400
    listing close values). An unknown destination or buyer is entity-not-found; a
    malformed one, or a malformed filter, is invalid-parameter.
    """
    filters = catalog.ChipFilter(designer, foundry, country, workload, process_node, year_from, year_to, min_tpp)
    day = on or date.today()
    try:
        filters = resolve_chip_filter(graph.store, filters, graph.search_index())
    except catalog.InvalidFilterError as error:
        raise filter_error(error) from error
    try:
        result = await run_in_threadpool(
            export_statuses,
            graph.store,
            filters,
            destination,
            day,
            paging.offset,
            paging.limit,
            buyer=buyer,
            book=graph.rulebook(),
        )
    except catalog.InvalidFilterError as error:
        raise ApiError("invalid-parameter", str(error)) from error
    except catalog.NotFoundError as error:
        raise ApiError("entity-not-found", f"no such entity: {catalog.entity_id(str(error))}") from error
    body = {"destination": destination, "date": day.isoformat(), "buyer": buyer, "total": result.total}
    body |= {"offset": paging.offset, "limit": paging.limit, "items": linked(result.items)}
    return conditional(request, graph, body, day=day)
