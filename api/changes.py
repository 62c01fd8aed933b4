"""Guarded writes: changesets validated (dry run) or merged, the history, and reverts.

Browsers get pages at the same URLs (api.web): the history, one changeset with its triples, and
at /changes/new a form that validates (dry run) or merges a pasted changeset with the token.
"""

from __future__ import annotations

from typing import Annotated, Any

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.deps import Graph, require_writer
from api.errors import ApiError
from api.models import MergeAnswer, ValidationReport
from api.openapi import json_body
from api.resources import Paging, conditional, paging, read_json, validated
from api.web.render import wants_html
from kg.gate import merge as merging
from kg.gate.changes import ChangesetError, Envelope, from_envelope, nt_text
from kg.namespaces import CHANGE_BASE

router = APIRouter(prefix="/changes", tags=["changes"])


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


class ChangeRecord(BaseModel):
    """A merged changeset as the history holds it."""

    id: str
    sequence: int
    time: str
    author: str
    message: str
    graph: str
    source: str | None
    reverts: str | None
    added: int
    removed: int
    added_triples: str | None = Field(None, description="N-Triples, in GET /changes/{id} only")
    removed_triples: str | None = Field(None, description="N-Triples, in GET /changes/{id} only")


class ChangeList(BaseModel):
    """A page of the history, newest first."""

    total: int
    offset: int
    limit: int
    items: list[ChangeRecord]


def _record(record: merging.HistoryRecord, with_triples: bool) -> ChangeRecord:
    return ChangeRecord(
        id=record.id,
        sequence=record.sequence,
        time=record.time,
        author=record.author,
        message=record.message,
        graph=record.graph,
        source=record.source,
        reverts=record.reverts,
        added=record.added,
        removed=record.removed,
        added_triples=nt_text(record.added_triples) if with_triples else None,
        removed_triples=nt_text(record.removed_triples) if with_triples else None,
    )


def _merged(result: merging.MergeResult) -> JSONResponse:
    ids = [change.id for change in result.merged]
    body = {"merged": ids, **result.report.to_json()}
    if not ids:
        return JSONResponse(body, status_code=200)
    return JSONResponse(body, status_code=201, headers={"Location": f"/changes/{ids[-1]}"})


MERGED = {
    "model": MergeAnswer,
    "description": "Merged: the ids of the new changesets, and the report",
    "headers": {"Location": {"description": "The newest changeset merged", "schema": {"type": "string"}}},
}
CHANGE_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A dry run's report (it conforms), or a merge that changed nothing (merged: [])",
        "content": {"application/json": {"schema": {"anyOf": [_ref(MergeAnswer), _ref(ValidationReport)]}}},
    },
    201: MERGED,
}
ENVELOPE = json_body(Envelope, "A changeset: triples to add and to remove, in one named graph, with author and message")


@router.post(
    "",
    dependencies=[Depends(require_writer)],
    response_model=None,
    responses=CHANGE_ANSWERS,
    openapi_extra={"requestBody": ENVELOPE},
)
async def post_change(
    request: Request,
    graph: Graph,
    dry_run: bool = Query(False, description="Validate only, write nothing"),
    allow_warnings: bool = Query(False, description="Merge despite warnings (never violations)"),
) -> JSONResponse:
    """Validate a changeset (dry_run=true) or merge it: 201 with Location, or 422 with the report."""
    document = await read_json(request, "invalid-changeset", "the changeset envelope")
    if not isinstance(document, dict):
        raise ApiError("invalid-changeset", "send one changeset envelope (a JSON object)")
    try:
        change = from_envelope(document, "body")
    except ChangesetError as error:
        raise ApiError("invalid-changeset", str(error)) from error
    if dry_run:
        report = await run_in_threadpool(lambda: graph.validate([change], allow_warnings=allow_warnings))
        return JSONResponse(report.to_json(), status_code=200 if report.conforms else 422)
    merge = lambda: graph.merge([change], allow_warnings=allow_warnings)  # noqa: E731
    return await run_in_threadpool(_merge_or_refuse, merge, "the query parameter allow_warnings=true")


def _merge_or_refuse(action: Any, allow: str) -> JSONResponse:
    """Run a merge or revert: 201, or the refusal; ``allow`` says how this request allows warnings."""
    try:
        return _merged(action())
    except merging.MergeRefusedError as error:
        report = error.report
        message = "the changeset does not conform to the shapes; nothing was written"
        if report.warnings_only:
            message = (
                f"the changeset has {len(report.results)} warning(s) and no violation, and warnings were not "
                f"allowed; nothing was written. To merge it despite the warnings, send it again with {allow}"
            )
        raise ApiError("changeset-refused", message, report.to_json()) from error
    except merging.UnknownChangeError as error:
        raise ApiError("change-not-found", str(error)) from error
    except ChangesetError as error:
        raise ApiError("invalid-changeset", str(error)) from error


@router.get("", response_model=ChangeList)
def list_changes(request: Request, graph: Graph, paging: Annotated[Paging, Depends(paging)]) -> ChangeList | Response:
    """The merged changesets, newest first, a page at a time."""
    records = merging.log(graph.store)
    page = records[paging.offset : paging.offset + paging.limit]
    items = [_record(r, False) for r in page]
    listing = ChangeList(total=len(records), offset=paging.offset, limit=paging.limit, items=items)
    return conditional(request, graph, listing.model_dump(mode="json")) if wants_html(request) else listing


EXAMPLE = {
    "graph": "https://w3id.org/chipgraph/graph/epoch-ml-hardware",
    "author": "your name",
    "message": "what this change does, and why",
    "add": {
        "format": "text/turtle",
        "data": "@prefix cg: <https://w3id.org/chipgraph/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://w3id.org/chipgraph/id/chip/example-chip> a cg:GPU ;\n"
        '    rdfs:label "Example chip" ;\n'
        "    cg:designedBy <https://w3id.org/chipgraph/id/organization/nvidia> .\n",
    },
}


@router.get("/new", include_in_schema=False)
def changeset_form(request: Request, graph: Graph) -> Response:
    """How to submit a changeset; to a browser, the form that validates (dry run) or merges one."""
    payload = {
        "validate": "POST /changes?dry_run=true",
        "merge": "POST /changes",
        "authorization": "Bearer <token>",
        "example": EXAMPLE,
    }
    return conditional(request, graph, payload)


def _change_id(change_id: str) -> str:
    """``change_id``, if it can name a changeset (CHANGE_BASE + id is an IRI); else ApiError."""
    try:
        ox.NamedNode(CHANGE_BASE + change_id)
    except ValueError as error:
        raise ApiError("invalid-parameter", f"malformed changeset id {change_id[:80]!r}") from error
    return change_id


@router.get("/{change_id}", response_model=ChangeRecord)
def get_change(change_id: str, request: Request, graph: Graph) -> ChangeRecord | Response:
    """One merged changeset with the exact triples it added and removed."""
    try:
        record = _record(merging.show(graph.store, _change_id(change_id)), True)
    except merging.UnknownChangeError as error:
        raise ApiError("change-not-found", str(error), {"id": change_id}) from error
    return conditional(request, graph, record.model_dump(mode="json")) if wants_html(request) else record


class RevertRequest(BaseModel):
    """Who reverts, and whether warnings may pass."""

    author: str = Field(min_length=1)
    allow_warnings: bool = False


REVERT_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"model": MergeAnswer, "description": "Nothing to undo any more (merged: [])"},
    201: MERGED,
}


@router.post(
    "/{change_id}/revert",
    dependencies=[Depends(require_writer)],
    response_model=None,
    responses=REVERT_ANSWERS,
    openapi_extra={"requestBody": json_body(RevertRequest, "Who reverts, and whether warnings may pass")},
)
async def revert_change(change_id: str, request: Request, graph: Graph) -> JSONResponse:
    """Undo a merged changeset with a new, validated changeset (201), or refuse (422).

    The body is RevertRequest, read here so that it is measured before it is parsed.
    """
    body = validated(RevertRequest, await read_json(request, "invalid-parameter", "the revert request"))
    target = _change_id(change_id)
    return await run_in_threadpool(
        _merge_or_refuse,
        lambda: graph.revert(target, author=body.author, allow_warnings=body.allow_warnings),
        '"allow_warnings": true in the body',
    )
