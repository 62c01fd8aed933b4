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
from kg.filters import UnknownFilterValueError, resolve_chip_filter

router = APIRouter(prefix="/chips", tags=["chips"])
MAX_TPP = 1e9  # TPP of the largest chips today: some 10^5
_NAMES = "; any case and format. A value that names nothing is a 400 listing close values"
DESIGNER = "Designer: id, kind/id, IRI or name, e.g. nvidia, Nvidia, NVIDIA" + _NAMES
FOUNDRY = "Foundry: id, kind/id, IRI or name, e.g. tsmc, TSMC" + _NAMES
COUNTRY = "Country of the designer's headquarters: ISO 3166-1 alpha-2 code in any case (CN, cn) or name (China)"
WORKLOAD = "training or inference, in any case"
PROCESS_NODE = (
    "Process node: id or name (tsmc-5nm, TSMC 5 nm), a foundry's own name for it without the foundry (N7+, 4N), "
    "or a size (5nm, 5 nm, 7) that selects every node of that nominal size whichever foundry offers it; "
    "a name several nodes share selects them all" + _NAMES
)


@router.get("", response_model=ChipPage)
async def list_chips(
    request: Request,
    graph: Graph,
    paging: Annotated[Paging, Depends(paging)],
    designer: str | None = Query(None, max_length=300, description=DESIGNER),
    foundry: str | None = Query(None, max_length=300, description=FOUNDRY),
    country: str | None = Query(None, max_length=300, description=COUNTRY),
    workload: str | None = Query(None, max_length=300, description=WORKLOAD),
    process_node: str | None = Query(None, max_length=300, description=PROCESS_NODE),
    year_from: int | None = Query(None, ge=1990, le=2100, description="First release year"),
    year_to: int | None = Query(None, ge=1990, le=2100, description="Last release year"),
    min_tpp: float | None = Query(
        None, ge=0, le=MAX_TPP, allow_inf_nan=False, description="Minimum TPP (TOPS x bit length)"
    ),
) -> Response:
    """Chips sorted by name then id, with the total that match.

    Filters by name match in any case and format; a value that names nothing is a 400
    invalid-parameter whose message and ``context.suggestions`` name close values.
    """
    filters = catalog.ChipFilter(designer, foundry, country, workload, process_node, year_from, year_to, min_tpp)
    try:
        filters = resolve_chip_filter(graph.store, filters, graph.search_index())
        result = catalog.list_chips(graph.store, filters, paging.offset, paging.limit)
    except catalog.InvalidFilterError as error:
        raise filter_error(error) from error
    return conditional(request, graph, page(result, paging))


def filter_error(error: catalog.InvalidFilterError) -> ApiError:
    """The 400 of a filter value that is malformed or names nothing, with the close values if any."""
    if isinstance(error, UnknownFilterValueError):
        context = {"parameter": error.parameter, "value": error.value, "suggestions": error.suggestions}
        return ApiError("invalid-parameter", str(error), context)
    return ApiError("invalid-parameter", str(error))


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
    day = on or date.today()
    try:
        status = export_status(graph.store, chip, destination, day, buyer=buyer, book=graph.rulebook())
    except catalog.InvalidFilterError as error:
        raise ApiError("invalid-parameter", str(error)) from error
    except ids.UnknownIdError as error:
        raise not_found(error) from error
    except catalog.NotFoundError as error:
        raise ApiError("entity-not-found", f"no such entity: {catalog.entity_id(str(error))}") from error
    return conditional(request, graph, status.to_json(), day=day)


@router.get("/{chip_id:path}", response_model=Chip)
async def get_chip(
    chip_id: str,
    request: Request,
    graph: Graph,
    on: date | None = Query(None, alias="date", description="The classification on this date (default: today)"),
) -> Response:
    """One chip: facts with sources, linked entities, export-control facts, classification today (or on ``date``).

    The classification tests each criterion in force on the day against the chip's figures.
    """
    day = on or date.today()
    return conditional(request, graph, chip_details(graph, entity(graph, "chip", chip_id), day), day=day)


def chip_details(graph: GraphService, chip: dict[str, Any], day: date | None = None) -> dict[str, Any]:
    """Add the export-control facts and the classification on ``day`` (default today) to a chip's facts, in place."""
    known = chip["iri"] in graph.export_control_chips()
    chip["export_control"] = linked(catalog.export_control(graph.store, chip["iri"])) if known else []
    day = day or date.today()
    figures = exportcontrol.figures_from_facts(chip["facts"])
    segments = exportcontrol.segments_from_facts(chip["iri"], chip["facts"])
    results = exportcontrol.classify(graph.rulebook(), figures, day, segments)
    chip["classification"] = linked(exportcontrol.classification_summary(results, day))
    return chip
