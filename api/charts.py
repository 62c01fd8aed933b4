"""/charts: chips by TPP against performance density with the thresholds in force, and over time."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import Graph
from api.resources import conditional, linked
from kg import charts

router = APIRouter(tags=["charts"])


class ChartChip(BaseModel):
    """A chip as the charts draw it."""

    id: str
    label: str
    href: str
    tpp: float
    performance_density: float | None
    date: str | None = Field(description="Its release date, or its announcement date")
    designer: dict[str, str] | None
    country: dict[str, str] | None = Field(description="The designer's headquarters")


class Region(BaseModel):
    """A classification criterion as a region of the TPP x density plane, with its dates."""

    id: str
    label: str
    eccn: str | None
    bounds: dict[str, float] = Field(description="minTPP, maxTPP, minPerformanceDensity, maxPerformanceDensity")
    valid_from: str | None
    valid_until: str | None
    only_for_segment: list[str]


class ChartData(BaseModel):
    """What the charts draw, for one date."""

    date: str
    chips: list[ChartChip]
    in_force: list[Region] = Field(description="The regions in force on the date")
    regions: list[Region] = Field(description="Every region, whatever its dates (for the time chart)")


@router.get("/charts", response_model=ChartData)
async def chart_data(
    request: Request,
    graph: Graph,
    on: date | None = Query(None, alias="date", description="The thresholds in force on this date (default: today)"),
) -> Response:
    """Chips with a computed TPP (density, date, designer's country) and the 3A090-style regions."""
    day = on or date.today()
    regions = charts.thresholds(graph.rulebook())
    body = {
        "date": day.isoformat(),
        "chips": linked(charts.chart_chips(graph.store)),
        "in_force": charts.in_force(regions, day),
        "regions": regions,
    }
    return conditional(request, graph, body, day=day)
