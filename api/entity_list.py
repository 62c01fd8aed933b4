"""/entity-list: US Entity List entries with their act, dates, review policy and sources."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import Graph
from api.errors import ApiError
from api.models import Ref, RuleRef, UsedFact
from api.resources import Paging, conditional, page, paging
from kg import catalog
from kg.entity_list import EntryFilter, entry_page

router = APIRouter(tags=["entity list"])


class EntityListEntry(BaseModel):
    """An Entity List entry: who is listed, by which act, from when, under which review policy.

    ``facts`` are the entry's stated facts, each with its graph and that graph's source.
    """

    id: str = Field(examples=["entity-list-entry/smic-2020"])
    label: str
    href: str
    organisation: Ref | None
    country: Ref | None = Field(description="The listed organisation's headquarters country, if known")
    act: RuleRef = Field(description="The act that added the entry, with its citation")
    valid_from: str | None
    valid_until: str | None
    review_policy: list[str] = Field(examples=[["PresumptionOfDenial", "CaseByCase"]])
    facts: list[UsedFact]


class EntityListPage(BaseModel):
    """A page of Entity List entries, by start date then id, and the total that match."""

    total: int
    offset: int
    limit: int
    items: list[EntityListEntry]


@router.get("/entity-list", response_model=EntityListPage)
async def list_entries(
    request: Request,
    graph: Graph,
    paging: Annotated[Paging, Depends(paging)],
    organisation: str | None = Query(None, max_length=128, description="Listed organisation id, e.g. smic"),
    country: str | None = Query(None, max_length=2, description="ISO 3166-1 alpha-2 code of its headquarters"),
    rule: str | None = Query(None, max_length=128, description="Id of the act that added the entry"),
    in_force_on: date | None = Query(None, alias="date", description="In force on this date (YYYY-MM-DD)"),
) -> Response:
    """Entries matching every filter given; in force on a date means validFrom <= date <= validUntil."""
    filters = EntryFilter(organisation, country, rule, in_force_on)
    try:
        result = entry_page(graph.store, graph.rulebook(), filters, graph.label_index(), paging.offset, paging.limit)
    except catalog.InvalidFilterError as error:
        raise ApiError("invalid-parameter", str(error)) from error
    return conditional(request, graph, page(result, paging))
