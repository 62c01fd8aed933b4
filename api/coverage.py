"""/coverage: for each class, the share of entities with each key property, and those that lack it."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import Graph
from api.errors import ApiError
from api.resources import conditional
from kg.coverage import UnknownSectionError, coverage

router = APIRouter(tags=["coverage"])


class KeyCoverage(BaseModel):
    """How many entities of a section have one key property, and the ids of those that lack it."""

    key: str = Field(examples=["release date"])
    path: str = Field(description="The SPARQL property path of the key", examples=["cg:releaseDate"])
    have: int
    missing_count: int
    share: float | None = Field(description="have / total, 4 decimals; null when the section is empty")
    missing: list[str] = Field(description="Every entity id (kind/slug) without the key, sorted")


class SectionCoverage(BaseModel):
    """A set of entities (a class, or chips of Chinese designers...) and the coverage of its keys."""

    id: str = Field(examples=["chips"])
    title: str
    total: int
    keys: list[KeyCoverage]


class Coverage(BaseModel):
    """The coverage of every section (kg/queries/coverage/key-properties.toml)."""

    sections: list[SectionCoverage]


@router.get("/coverage", response_model=Coverage)
async def get_coverage(
    request: Request,
    graph: Graph,
    section: str | None = Query(None, max_length=64, description="Only this section, e.g. chips-chinese-designers"),
) -> Response:
    """The share of entities of each section that have each key property, with the ids that lack it.

    An unknown section is an invalid-parameter error that lists the sections.
    """
    try:
        result = coverage(graph.store, section)
    except UnknownSectionError as error:
        raise ApiError("invalid-parameter", str(error)) from error
    return conditional(request, graph, result)
