"""/: what the graph holds (entities per class, sources, the last merge) and where to go next."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import Graph
from api.resources import conditional
from api.service import GraphService
from kg.gate import merge as merging
from kg.namespaces import ONTOLOGY_NS
from kg.store import term_text

router = APIRouter(tags=["graph"])
CLASS_COUNTS = f"""
SELECT ?class (COUNT(DISTINCT ?entity) AS ?count) WHERE {{
  ?entity a ?class .
  FILTER(STRSTARTS(STR(?class), "{ONTOLOGY_NS}"))
}} GROUP BY ?class ORDER BY DESC(?count) ?class
"""
LINKS = {
    "chips": "/chips",
    "companies": "/companies",
    "regulations": "/regulations",
    "entity_list": "/entity-list",
    "export_status": "/export-status",
    "charts": "/charts",
    "sparql": "/sparql",
    "queries": "/queries",
    "changes": "/changes",
    "coverage": "/coverage",
    "api_docs": "/docs",
}


class ClassCount(BaseModel):
    """How many entities have a class of the ontology (stated or inferred)."""

    class_: str = Field(alias="class", examples=["cg:Chip"])
    count: int


class LastMerge(BaseModel):
    """The newest merged changeset."""

    id: str
    time: str
    author: str
    message: str


class Summary(BaseModel):
    """What the graph holds, and the resources to read it by."""

    version: str = Field(description="The id of the newest merged changeset (the graph's version)")
    triples: int = Field(description="Distinct triples in the graph (stated, inferred and derived)")
    classes: list[ClassCount]
    sources: int = Field(description="Described sources of the data graphs")
    last_merge: LastMerge | None
    links: dict[str, str]


@router.get("/", response_model=Summary)
async def home(request: Request, graph: Graph) -> Response:
    """Entities per class, the number of sources, the last merge, and links to every resource."""
    return conditional(request, graph, summary(graph))


def summary(graph: GraphService) -> dict[str, Any]:
    """The summary of the graph's current version."""
    classes = [
        {"class": "cg:" + term_text(row["class"]).removeprefix(ONTOLOGY_NS), "count": int(term_text(row["count"]))}
        for row in graph.store.select(CLASS_COUNTS)
    ]
    newest = merging.log(graph.store, limit=1)
    last = newest[0] if newest else None
    return {
        "version": graph.version,
        "triples": graph.store.triple_count(),
        "classes": classes,
        "sources": len({source["iri"] for source in graph.source_index().values()}),
        "last_merge": None
        if last is None
        else {"id": last.id, "time": last.time, "author": last.author, "message": last.message},
        "links": LINKS,
    }
