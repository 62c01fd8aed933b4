"""/export-status: the export status of every chip the /chips filters select, one row per chip."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.chips import MAX_TPP
from api.deps import Graph
from api.errors import ApiError
from api.models import RuleRef, Verdict
from api.resources import Paging, conditional, linked, paging
from kg import catalog
from kg.export_status_all import export_statuses

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
    designer: str | None = Query(None, max_length=128, description="Designer id, e.g. nvidia"),
    foundry: str | None = Query(None, max_length=128, description="Foundry id, e.g. tsmc"),
    country: str | None = Query(None, max_length=2, description="ISO 3166-1 alpha-2 code of the designer's country"),
    workload: str | None = Query(None, max_length=16, description="training or inference"),
    process_node: str | None = Query(None, max_length=128, description="Process node id, e.g. tsmc-7nm"),
    year_from: int | None = Query(None, ge=1990, le=2100, description="First release year"),
    year_to: int | None = Query(None, ge=1990, le=2100, description="Last release year"),
    min_tpp: float | None = Query(None, ge=0, le=MAX_TPP, allow_inf_nan=False, description="Minimum TPP"),
) -> Response:
    """May each selected chip go to the destination on the date: verdict and the rules behind it.

    The filters are those of /chips. An unknown destination or buyer is entity-not-found; a
    malformed one, or a malformed filter, is invalid-parameter.
    """
    filters = catalog.ChipFilter(designer, foundry, country, workload, process_node, year_from, year_to, min_tpp)
    day = on or date.today()
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
    return conditional(request, graph, body)
