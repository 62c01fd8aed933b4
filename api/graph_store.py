"""The SPARQL 1.1 Graph Store HTTP Protocol at /rdf-graphs, writes through the validation gate.

Graphs are named two ways (the Recommendation's §4.1 and §4.2):
- direct: ``/rdf-graphs/SLUG`` is the graph ``https://w3id.org/chipgraph/graph/SLUG`` (we mint
  graph IRIs under w3id.org, so the request URL maps to that IRI rather than being it);
- indirect: ``/rdf-graphs?graph=IRI`` names any graph, ``/rdf-graphs?default`` the default graph.

GET and HEAD answer a graph in Turtle, N-Triples, RDF/XML or JSON-LD (Accept; 406 otherwise),
404 for a graph without a triple. Every graph may be read, the system graphs and the default
graph (the read-only merge of the named graphs, docs/adr/0010) included.

PUT (replace), POST (merge into) and DELETE (drop) need the bearer token, checked before
anything is read. The graph policy is SPARQL Update's (kg.update.plan.check_writable and
kg.update.gate): the default graph is read-only (405, ``Allow: GET, HEAD``), system graphs are
refused (403 forbidden-update), and a new source graph's source must be described in the
metadata graph (422 source-not-described): a graph GRAPH_BASE + SLUG speaks for the source
SOURCE_BASE + SLUG, any other graph for the source its ``prov:hadPrimarySource`` names
(kg.gate.graph_sources). The body (Turtle, TriG, N-Triples, N-Quads or JSON-LD, UTF-8; or
``multipart/form-data`` whose file parts are such documents, merged) is measured before it is
parsed (kg.bounds); its blank nodes become ``.well-known/genid`` IRIs. ``POST /rdf-graphs``
without ``?graph`` creates a graph under a name the server chooses (GRAPH_BASE + ``posted-``
+ UUID), linked in the same merge to ``?source=IRI`` (a described source); 201 with the new
graph's IRI as ``Location``. The difference against the graph as it is becomes one changeset,
computed and merged under the service's write lock (validated, written with history,
revertible); a refusal by the shapes is 422 with the report, and nothing is written.
Answers: 201 (the graph is new) or 200, with the merged change ids (MergeAnswer).
Optional query parameters: ``author``, ``message``, ``allow_warnings=true``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import Graph, require_writer
from api.errors import ApiError
from api.models import MergeAnswer
from api.negotiation import acceptable
from api.service import GraphService
from kg import update as updates
from kg.gate import merge as merging
from kg.gate.changes import MEDIA_TYPES, Changeset, ChangesetError, parse_rdf
from kg.namespaces import GRAPH_BASE, META_GRAPH, PREFIXES
from kg.sparql.results import GRAPH_TYPES
from kg.store import AnyStore
from kg.update.evaluate import GraphDiff, skolemised
from kg.update.plan import check_writable

router = APIRouter(prefix="/rdf-graphs", tags=["graph store"])

OFFERED = list(GRAPH_TYPES)  # Turtle first: the answer when Accept admits anything
READ_ONLY = "GET, HEAD"
DEFAULT_AUTHOR = "graph-store"
MULTIPART = "multipart/form-data"
POSTED = "posted-"  # the slug prefix of a graph created by POST /rdf-graphs
PRIMARY_SOURCE = ox.NamedNode("http://www.w3.org/ns/prov#hadPrimarySource")
MAX_PARTS = 100
DEFAULT_IS_READ_ONLY = (
    "the default graph is the read-only union of the named graphs (docs/adr/0010): "
    f"write a named graph instead, e.g. PUT /rdf-graphs/SLUG for {GRAPH_BASE}SLUG"
)


GRAPH_CONTENT = {media: {"schema": {"type": "string"}} for media in OFFERED}
READ_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "The graph's triples", "content": GRAPH_CONTENT},
}
MERGED = {"model": MergeAnswer, "description": "Merged: the ids of the new changesets (none if nothing changed)"}
WRITE_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: MERGED,
    201: {
        **MERGED,
        "description": "The graph was created: the ids of the new changesets",
        "headers": {"Location": {"description": "The graph, in the graph store", "schema": {"type": "string"}}},
    },
}
DELETE_ANSWERS: dict[int | str, dict[str, Any]] = {200: MERGED}
RDF_BODY = {
    "requestBody": {
        "required": True,
        "description": "The graph's triples (UTF-8); blank nodes become .well-known/genid IRIs",
        "content": {media: {"schema": {"type": "string"}} for media in MEDIA_TYPES},
    }
}


def _slug_graph(slug: str) -> str:
    """The graph IRI of a direct request /rdf-graphs/SLUG; ApiError if it cannot be an IRI."""
    return _iri(GRAPH_BASE + slug)


def _iri(value: str) -> str:
    try:
        ox.NamedNode(value)
    except ValueError as error:
        raise ApiError("invalid-parameter", f"not an absolute IRI: {value[:200]!r}") from error
    return value


def _indirect(graph: str | None, default: str | None) -> str | None:
    """The graph named by ?graph=IRI, or None for ?default; ApiError unless exactly one is given."""
    if (graph is None) == (default is None):
        raise ApiError("invalid-parameter", "name one graph: ?graph=IRI, or ?default for the default graph")
    if default is not None and default != "":
        raise ApiError("invalid-parameter", "?default takes no value")
    return None if graph is None else _iri(graph)


GraphIri = Annotated[str | None, Query(description="Indirect identification: the IRI of the graph")]
Default = Annotated[str | None, Query(description="Indirect identification of the default graph: ?default")]
Author = Annotated[str | None, Query(description="Who makes the change (the change log's author)")]
Message = Annotated[str | None, Query(description="Why (the change log's message)")]
Warnings = Annotated[bool, Query(description="Merge despite warnings (never violations)")]
Source = Annotated[
    str | None, Query(description="POST /rdf-graphs without ?graph: the IRI of the described source of the new graph")
]


@dataclass(frozen=True)
class WriteOptions:
    """What the change log records of a write, and whether warnings may pass."""

    author: str | None
    message: str | None
    allow_warnings: bool


async def write_options(
    author: Author = None, message: Message = None, allow_warnings: Warnings = False
) -> WriteOptions:
    """The optional query parameters of every write (async: FastAPI would run a plain function in a thread)."""
    return WriteOptions(author, message, allow_warnings)


Options = Annotated[WriteOptions, Depends(write_options)]


def _location(graph: str) -> str:
    """The graph's URL in the graph store (direct for GRAPH_BASE + SLUG, else indirect)."""
    slug = graph[len(GRAPH_BASE) :]
    if graph.startswith(GRAPH_BASE) and slug and "/" not in slug:
        return f"/rdf-graphs/{quote(slug, safe='')}"
    return f"/rdf-graphs?graph={quote(graph, safe='')}"


# -- reading ----------------------------------------------------------------------------------------


def _read(request: Request, service: GraphService, target: str | None, head: bool) -> Response:
    """The graph ``target`` (None: the default graph) in the media type Accept prefers."""
    wanted = acceptable(request.headers.get("accept"), OFFERED)
    if not wanted:
        raise ApiError("not-acceptable", f"a graph comes as one of {', '.join(OFFERED)}", {"offered": OFFERED})
    store = service.store
    if target is not None and not store.has_graph(target):
        raise ApiError("not-found", f"no graph {target[:200]} (or it has no triple)", {"graph": target})
    data = ox.serialize(store.triples(target), format=GRAPH_TYPES[wanted[0]], prefixes=PREFIXES) or b""
    headers = {"Vary": "Accept"}
    if head:
        return Response(b"", media_type=wanted[0], headers={**headers, "Content-Length": str(len(data))})
    return Response(data, media_type=wanted[0], headers=headers)


@router.get("/{slug}", response_model=None, responses=READ_ANSWERS)
def get_graph(slug: str, request: Request, service: Graph) -> Response:
    """The graph https://w3id.org/chipgraph/graph/SLUG (direct identification)."""
    return _read(request, service, _slug_graph(slug), head=False)


@router.head("/{slug}", include_in_schema=False)
def head_graph(slug: str, request: Request, service: Graph) -> Response:
    """GET without the body."""
    return _read(request, service, _slug_graph(slug), head=True)


@router.get("", response_model=None, responses=READ_ANSWERS)
def get_graph_indirect(request: Request, service: Graph, graph: GraphIri = None, default: Default = None) -> Response:
    """The graph ?graph=IRI, or the default graph with ?default (indirect identification)."""
    return _read(request, service, _indirect(graph, default), head=False)


@router.head("", include_in_schema=False)
def head_graph_indirect(request: Request, service: Graph, graph: GraphIri = None, default: Default = None) -> Response:
    """GET without the body."""
    return _read(request, service, _indirect(graph, default), head=True)


# -- writing ----------------------------------------------------------------------------------------


def _writable(target: str | None) -> str:
    """The graph a write may change; else 405 (the default graph) or 403 (a system graph, not a source graph)."""
    if target is None:
        raise ApiError("method-not-allowed", DEFAULT_IS_READ_ONLY, {"graph": "default"}, headers={"Allow": READ_ONLY})
    try:
        check_writable(target)
    except updates.UpdateError as error:
        raise ApiError(error.code, str(error), error.context) from error
    return target


async def _body(request: Request, target: str) -> frozenset[ox.Triple]:
    """The triples of the request body, bounded before parsing, blank nodes skolemised; 415 or 400.

    A ``multipart/form-data`` body is several RDF documents, one per part, each with its own
    Content-Type; their triples are merged (the Graph Store Protocol's §5.5).
    """
    content_type = request.headers.get("content-type", "")
    if _media(content_type) != MULTIPART:
        return _document(await request.body(), content_type, target, "the request body")
    try:
        form = await request.form(max_files=MAX_PARTS, max_fields=MAX_PARTS)
    except StarletteHTTPException as error:
        raise ApiError("invalid-changeset", f"the multipart body cannot be read: {error.detail}") from error
    try:
        return await _parts(form, target)
    finally:
        await form.close()  # the parts' spooled files


async def _parts(form: FormData, target: str) -> frozenset[ox.Triple]:
    """The merged triples of a multipart body's parts, each a file with its Content-Type; 415 or 400."""
    triples: frozenset[ox.Triple] = frozenset()
    for name, part in form.multi_items():
        if not isinstance(part, UploadFile):
            raise ApiError(
                "unsupported-media-type",
                f"part {name[:80]!r} is no RDF document: send each part as a file with its Content-Type",
                {"accepted": list(MEDIA_TYPES)},
            )
        data = await part.read()
        triples |= _document(data, part.content_type or "", target, f"part {name[:80]!r}")
    return triples


def _media(content_type: str) -> str:
    return content_type.partition(";")[0].strip().lower()


def _document(data: bytes, content_type: str, target: str, where: str) -> frozenset[ox.Triple]:
    """The triples of one RDF document in UTF-8 and a media type we read, blank nodes skolemised; 415 or 400."""
    media = _media(content_type)
    if media not in MEDIA_TYPES:
        raise ApiError(
            "unsupported-media-type",
            f"send the graph as one of {', '.join(MEDIA_TYPES)} (or {MULTIPART} parts), not {media[:80] or 'nothing'}",
            {"accepted": list(MEDIA_TYPES)},
        )
    for field in content_type.split(";")[1:]:
        name, _, value = field.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise ApiError("unsupported-media-type", f"send UTF-8 text, not charset {value.strip()[:40]}")
    try:
        _, triples = parse_rdf(data, MEDIA_TYPES[media], where, target)
    except ChangesetError as error:
        raise ApiError("invalid-changeset", str(error)) from error
    skolem: dict[ox.BlankNode, ox.NamedNode] = {}
    return frozenset(skolemised(triple, skolem) for triple in triples)


async def _write(
    service: GraphService,
    target: str,
    body: frozenset[ox.Triple] | None,
    *,
    replace: bool,
    options: WriteOptions,
    link: ox.Triple | None = None,
) -> JSONResponse:
    """Merge the difference ``body`` makes to ``target`` (None: drop it) as one changeset, under the write lock.

    ``link`` (a new graph's ``prov:hadPrimarySource``) goes into the metadata graph in the same
    merge; the answer's ``Location`` is then the new graph's IRI.
    """
    verb = "drop" if body is None else "replace" if replace else "merge into"
    who = (options.author or "").strip() or DEFAULT_AUTHOR
    why = (options.message or "").strip() or f"Graph Store Protocol: {verb} {target}"
    existed: list[bool] = []

    def changes(store: AnyStore) -> list[Changeset]:
        current = set(store.triples(target))
        added: frozenset[ox.Triple]
        removed: frozenset[ox.Triple]
        existed.append(bool(current))
        if body is None:
            if not current:
                raise ApiError("not-found", f"no graph {target[:200]} (or it has no triple)", {"graph": target})
            added, removed = frozenset(), frozenset(current)
        else:
            added = frozenset(body - current)
            removed = frozenset(current - body) if replace else frozenset()
        if not added and not removed:
            return []
        diffs = [GraphDiff(target, added, removed)]
        if link is not None:
            diffs.append(GraphDiff(META_GRAPH, frozenset({link}), frozenset()))
        return updates.changesets(store, diffs, author=who, message=why)

    try:
        result = await run_in_threadpool(lambda: service.merge_from(changes, allow_warnings=options.allow_warnings))
    except updates.UpdateError as error:
        text = str(error)
        if error.code == "source-not-described":
            text += f" (or POST the description, as Turtle, to {_location(META_GRAPH)})"
        raise ApiError(error.code, text, error.context) from error
    except merging.MergeRefusedError as error:
        report = error.report
        text = "the graph would not conform to the shapes; nothing was written"
        if report.warnings_only:
            text = (
                f"the graph has {len(report.results)} warning(s) and no violation, and warnings were not allowed; "
                "nothing was written. To write it despite the warnings, send it again with ?allow_warnings=true"
            )
        raise ApiError("changeset-refused", text, report.to_json()) from error
    except ChangesetError as error:
        raise ApiError("invalid-changeset", str(error)) from error
    ids = [change.id for change in result.merged]
    answer = {"merged": ids, **result.report.to_json()}
    if ids and not existed[-1]:
        location = target if link is not None else _location(target)
        return JSONResponse(answer, status_code=201, headers={"Location": location})
    return JSONResponse(answer, status_code=200)


WRITER = [Depends(require_writer)]


@router.put("/{slug}", dependencies=WRITER, response_model=None, responses=WRITE_ANSWERS, openapi_extra=RDF_BODY)
async def put_graph(
    slug: str,
    request: Request,
    service: Graph,
    options: Options,
) -> JSONResponse:
    """Replace the graph SLUG with the body (201 when it is new), through the validation gate."""
    target = _writable(_slug_graph(slug))
    body = await _body(request, target)
    return await _write(service, target, body, replace=True, options=options)


@router.post("/{slug}", dependencies=WRITER, response_model=None, responses=WRITE_ANSWERS, openapi_extra=RDF_BODY)
async def post_graph(
    slug: str,
    request: Request,
    service: Graph,
    options: Options,
) -> JSONResponse:
    """Add the body's triples to the graph SLUG (201 when it is new), through the validation gate."""
    target = _writable(_slug_graph(slug))
    body = await _body(request, target)
    return await _write(service, target, body, replace=False, options=options)


@router.delete("/{slug}", dependencies=WRITER, response_model=None, responses=DELETE_ANSWERS)
async def delete_graph(
    slug: str,
    service: Graph,
    options: Options,
) -> JSONResponse:
    """Drop the graph SLUG (a changeset removing all its triples: revertible); 404 when it has none."""
    target = _writable(_slug_graph(slug))
    return await _write(service, target, None, replace=True, options=options)


@router.put("", dependencies=WRITER, response_model=None, responses=WRITE_ANSWERS, openapi_extra=RDF_BODY)
async def put_graph_indirect(
    request: Request,
    service: Graph,
    options: Options,
    graph: GraphIri = None,
    default: Default = None,
) -> JSONResponse:
    """Replace the graph ?graph=IRI with the body; the default graph (?default) is read-only (405)."""
    target = _writable(_indirect(graph, default))
    body = await _body(request, target)
    return await _write(service, target, body, replace=True, options=options)


@router.post("", dependencies=WRITER, response_model=None, responses=WRITE_ANSWERS, openapi_extra=RDF_BODY)
async def post_graph_indirect(
    request: Request,
    service: Graph,
    options: Options,
    graph: GraphIri = None,
    default: Default = None,
    source: Source = None,
) -> JSONResponse:
    """Add the body's triples to the graph ?graph=IRI; the default graph (?default) is read-only (405).

    Without ?graph and ?default, a new graph is created under a name the server chooses (§5.5),
    linked to ?source=IRI (a source described in the metadata graph); ``Location`` is its IRI.
    """
    if graph is None and default is None:
        if source is None:
            raise ApiError(
                "source-not-described",
                "a new graph needs its source: POST /rdf-graphs?source=IRI, the IRI of a source described in "
                f"the metadata graph {META_GRAPH}",
            )
        target = GRAPH_BASE + f"{POSTED}{uuid.uuid4().hex}"
        body = await _body(request, target)
        link = ox.Triple(ox.NamedNode(target), PRIMARY_SOURCE, ox.NamedNode(_iri(source)))
        return await _write(service, target, body, replace=False, options=options, link=link)
    target = _writable(_indirect(graph, default))
    body = await _body(request, target)
    return await _write(service, target, body, replace=False, options=options)


@router.delete("", dependencies=WRITER, response_model=None, responses=DELETE_ANSWERS)
async def delete_graph_indirect(
    service: Graph,
    options: Options,
    graph: GraphIri = None,
    default: Default = None,
) -> JSONResponse:
    """Drop the graph ?graph=IRI (revertible); 404 when it has none; the default graph is read-only (405)."""
    target = _writable(_indirect(graph, default))
    return await _write(service, target, None, replace=True, options=options)
