"""/companies and /foundries: organisations, and those that manufacture chips."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import Graph
from api.entity_list import EntityListEntry
from api.errors import ApiError
from api.models import Entity, Page, Ref
from api.resources import Paging, conditional, entity, linked, page, paging
from api.service import GraphService
from kg import catalog, company
from kg.entity_list import EntryFilter, entries

router = APIRouter(tags=["companies"])


class FoundryUse(Ref):
    """A foundry that makes chips of the company, and which of them (chip ids)."""

    chips: list[str]


class MarketShare(BaseModel):
    """A supply-chain input the company provides (ETO data), its world market share and year."""

    provision: str = Field(examples=["provision/eto-p88-n21-2025"])
    input: Ref
    share_percent: float | None
    year: int | None
    graph: str | None = Field(description="The named graph stating the provision")
    source: str | None = Field(description="The title of that graph's source")


class Company(Entity):
    """An organisation: its facts with sources, and what an analyst asks about it next."""

    href: str
    chips: list[Ref] = Field(description="Chips it designed, by name")
    foundries: list[FoundryUse] = Field(description="Foundries that manufacture its chips")
    market_shares: list[MarketShare]
    entity_list: list[EntityListEntry] = Field(description="Its own Entity List entries, by start date")
    parents: list[Ref] = Field(description="Organisations it belongs to, transitively")
    subsidiaries: list[Ref] = Field(description="Organisations that belong to it, transitively")


@router.get("/companies", response_model=Page)
async def list_companies(
    request: Request,
    graph: Graph,
    paging: Annotated[Paging, Depends(paging)],
    role: str | None = Query(None, max_length=32, description=f"One of {', '.join(catalog.ROLES)}"),
    country: str | None = Query(None, max_length=2, description="ISO 3166-1 alpha-2 code of its headquarters"),
) -> Response:
    """Organisations (companies and agencies) sorted by name, of a role and a country if given."""
    try:
        result = catalog.list_organisations(graph.store, paging.offset, paging.limit, role=role, country=country)
    except catalog.InvalidFilterError as error:
        raise ApiError("invalid-parameter", str(error)) from error
    return conditional(request, graph, page(result, paging))


@router.get("/companies/{company_id:path}", response_model=Company)
async def get_company(company_id: str, request: Request, graph: Graph) -> Response:
    """One organisation: facts and sources, chips, foundries, market shares, Entity List entries, relatives."""
    body = entity(graph, "organization", company_id)
    return conditional(request, graph, company_details(graph, body))


def company_details(graph: GraphService, body: dict[str, Any]) -> dict[str, Any]:
    """Add chips, foundries, market shares, Entity List entries, parents and subsidiaries to ``body``."""
    iri = body["iri"]
    body["chips"], body["foundries"] = company.chips_and_foundries(graph.store, iri)
    body["market_shares"] = company.market_shares(graph.store, iri, graph.source_index())
    filters = EntryFilter(organisation=catalog.entity_id(iri).removeprefix("organization/"))
    body["entity_list"] = entries(graph.store, graph.rulebook(), filters, graph.label_index())
    body |= company.relatives(graph.store, iri)
    linked(body)
    return body


@router.get("/foundries", response_model=Page)
async def list_foundries(request: Request, graph: Graph, paging: Annotated[Paging, Depends(paging)]) -> Response:
    """Companies known as foundries, sorted by name."""
    return conditional(
        request, graph, page(catalog.list_members(graph.store, "Foundry", paging.offset, paging.limit), paging)
    )
