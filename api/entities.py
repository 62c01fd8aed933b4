"""Any entity by id, its canonical IRI with content negotiation, and the ontology and shapes files."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Graph
from api.errors import ApiError
from api.models import Entity
from api.negotiation import acceptable
from api.resources import conditional, entity
from kg import catalog, resources
from kg.sparql.results import GRAPH_TYPES

router = APIRouter(tags=["entities"])
LINKED_DATA = ["application/json", "application/ld+json", "text/turtle", "application/n-triples", "text/html"]


@router.get("/entities/{kind}/{slug}", response_model=Entity)
async def get_entity(kind: str, slug: str, request: Request, graph: Graph) -> Response:
    """Any entity (kind: chip, organization, country, act, eccn, source, ...) with its facts."""
    return conditional(request, graph, entity(graph, kind, slug))


@router.get("/id/{kind}/{slug}", response_model=Entity, responses={200: {"content": {m: {} for m in LINKED_DATA}}})
async def resolve(kind: str, slug: str, request: Request, graph: Graph) -> Response:
    """The canonical IRI https://w3id.org/chipgraph/id/{kind}/{slug}: JSON, JSON-LD, Turtle, N-Triples or HTML."""
    wanted = acceptable(request.headers.get("accept"), LINKED_DATA)
    if not wanted:
        raise ApiError(
            "not-acceptable", "entities come as JSON, JSON-LD, Turtle, N-Triples or HTML", {"offered": LINKED_DATA}
        )
    described = entity(graph, kind, slug)
    if wanted[0] in ("application/json", "text/html"):
        return conditional(request, graph, described)
    data = catalog.describe_rdf(graph.store, described["iri"], GRAPH_TYPES[wanted[0]])
    return conditional(request, graph, data, wanted[0])


@router.get("/ontology", response_class=Response, responses={200: {"content": {"text/turtle": {}}}})
async def ontology(request: Request, graph: Graph) -> Response:
    """The ontology file (Turtle)."""
    path = resources.ontology_files()[0]
    return conditional(request, graph, path.read_bytes(), "text/turtle")


@router.get("/shapes", response_class=Response, responses={200: {"content": {"text/turtle": {}}}})
async def shapes(request: Request, graph: Graph) -> Response:
    """The SHACL shapes, all files in one Turtle document."""
    data = b"\n".join(path.read_bytes() for path in resources.shape_files())
    return conditional(request, graph, data, "text/turtle")
