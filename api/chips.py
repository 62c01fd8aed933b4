"""/chips: the chip list with filters, and one chip with its sources and export-control facts."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.deps import Graph
from api.errors import ApiError
from api.models import Chip, ChipPage, ExportStatusModel
from api.resources import Paging, conditional, entity, linked, not_found, page, paging, resolve_id
from api.service import GraphService
from kg import catalog, exportcontrol, ids
from kg.export_status import export_status

router = APIRouter(prefix="/chips", tags=["chips"])
MAX_TPP = 1e9  # TPP of the largest chips today: some 10^5


@router.get("", response_model=ChipPage)
async def list_chips(
    request: Request,
    graph: Graph,
    paging: Annotated[Paging, Depends(paging)],
    designer: str | None = Query(None, description="Designer id, e.g. nvidia"),
    foundry: str | None = Query(None, description="Foundry id, e.g. tsmc"),
    country: str | None = Query(None, description="ISO 3166-1 alpha-2 code of the designer's headquarters"),
    workload: str | None = Query(None, description="training or inference"),
    process_node: str | None = Query(None, description="Process node id, e.g. tsmc-7nm"),
    year_from: int | None = Query(None, ge=1990, le=2100, description="First release year"),
    year_to: int | None = Query(None, ge=1990, le=2100, description="Last release year"),
    min_tpp: float | None = Query(
        None, ge=0, le=MAX_TPP, allow_inf_nan=False, description="Minimum TPP (TOPS x bit length)"
    ),
) -> Response:
    """Chips sorted by name then id, with the total that match."""
    designer, foundry = _slug(graph, "organization", designer), _slug(graph, "organization", foundry)
    process_node = _slug(graph, "process-node", process_node)
    filters = catalog.ChipFilter(designer, foundry, country, workload, process_node, year_from, year_to, min_tpp)
    try:
        result = catalog.list_chips(graph.store, filters, paging.offset, paging.limit)
    except catalog.InvalidFilterError as error:
        raise ApiError("invalid-parameter", str(error)) from error
    return conditional(request, graph, page(result, paging))


def _slug(graph: Graph, kind: str, text: str | None) -> str | None:
    """The slug of the entity a filter names (slug, kind/slug, IRI or label); None when not given."""
    return None if text is None else ids.slug_of(resolve_id(graph, kind, text))


@router.get("/{chip_id:path}/export-status", response_model=ExportStatusModel)
async def get_export_status(
    chip_id: str,
    request: Request,
    graph: Graph,
    destination: str = Query(..., description="ISO 3166-1 alpha-2 code of the destination, e.g. CN"),
    on: date | None = Query(None, alias="date", description="The date, YYYY-MM-DD (default: today)"),
    buyer: str | None = Query(None, description="Buyer organisation id, e.g. huawei"),
) -> Response:
    """May the chip go to the destination on the date: verdict, what is missing, findings.

    Each finding names its rule and the source of every fact it used.
    """
    chip = ids.slug_of(resolve_id(graph, "chip", chip_id))
    try:
        status = export_status(graph.store, chip, destination, on or date.today(), buyer=buyer, book=graph.rulebook())
    except catalog.InvalidFilterError as error:
        raise ApiError("invalid-parameter", str(error)) from error
    except ids.UnknownIdError as error:
        raise not_found(error) from error
    except catalog.NotFoundError as error:
        raise ApiError("entity-not-found", f"no such entity: {catalog.entity_id(str(error))}") from error
    return conditional(request, graph, status.to_json())


@router.get("/{chip_id:path}", response_model=Chip)
async def get_chip(chip_id: str, request: Request, graph: Graph) -> Response:
    """One chip: facts with sources, linked entities, export-control facts, classification today.

    The classification tests each criterion in force today against the chip's figures.
    """
    return conditional(request, graph, chip_details(graph, entity(graph, "chip", chip_id)))


def chip_details(graph: GraphService, chip: dict[str, Any]) -> dict[str, Any]:
    """Add the export-control facts and today's classification to a chip's facts, in place."""
    known = chip["iri"] in graph.export_control_chips()
    chip["export_control"] = linked(catalog.export_control(graph.store, chip["iri"])) if known else []
    today = date.today()
    figures = exportcontrol.figures_from_facts(chip["facts"])
    segments = exportcontrol.segments_from_facts(chip["iri"], chip["facts"])
    results = exportcontrol.classify(graph.rulebook(), figures, today, segments)
    chip["classification"] = linked(exportcontrol.classification_summary(results, today))
    return chip
