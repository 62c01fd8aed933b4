"""The SPARQL 1.1 Protocol update operation at POST /sparql, through the validation gate.

An update (``update=`` in a form, or an ``application/sparql-update`` body) needs the bearer
token, checked before anything else. It is evaluated on a private copy of the store in a child
process without network access (kg.update), turned into one changeset per changed graph, and
merged like any changeset (kg.gate.merge: validated together, written with history in one
transaction, revertible with POST /changes/{id}/revert), all under the service's write lock.

Answers: 201 with the change ids (JSON, ``Location`` of the last one), 200 with ``merged: []``
when the update changes nothing; 400 invalid-update; 401/403 without the token or with writes
off; 403 forbidden-update (LOAD, SERVICE, writes to the default graph or to a system graph);
422 changeset-refused (the shapes' report) or source-not-described; 503 update-timeout. Relative IRIs resolve against
the endpoint's URL (the base IRI).
Optional parameters (URL query or form): ``using-graph-uri`` and ``using-named-graph-uri`` (the
dataset of each DELETE/INSERT ... WHERE, as USING clauses would give it; 400 with an update that
has its own USING or WITH), ``author``, ``message``, ``allow_warnings=true``.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import check_writer
from api.errors import ApiError
from api.service import GraphService
from kg import update as updates
from kg.gate import merge as merging
from kg.gate.changes import Changeset, ChangesetError
from kg.sparql.sandbox import SandboxUnavailableError
from kg.store import AnyStore

UPDATE_MEDIA = "application/sparql-update"
DEFAULT_AUTHOR = "sparql-update"
DEFAULT_MESSAGE = "SPARQL update"


def endpoint_url(request: Request) -> str:
    """The URL of the endpoint the request was sent to (no query, no fragment): the base IRI of its query or update."""
    return str(request.url.replace(query="", fragment=""))


def _one(params: dict[str, list[str]], name: str, default: str) -> str:
    values = [value for value in params.get(name, []) if value.strip()]
    if len(values) > 1:
        raise ApiError("invalid-update", f"give at most one {name} parameter")
    return values[0] if values else default


async def run_update(
    request: Request, graph: GraphService, body: str | None, params: dict[str, list[str]]
) -> JSONResponse:
    """Answer an update: ``body`` is the application/sparql-update body, else ``params`` has update=.

    The token is checked first: without it nothing is read further, let alone evaluated.
    """
    check_writer(request)
    texts = [body] if body is not None else params.get("update", [])
    if len(texts) != 1 or not texts[0].strip():
        raise ApiError("invalid-update", "give exactly one non-empty update")
    if "query" in params:
        raise ApiError("invalid-update", "a request carries a query or an update, not both")
    dataset = updates.UsingDataset(
        tuple(params.get("using-graph-uri", [])), tuple(params.get("using-named-graph-uri", []))
    )
    author = _one(params, "author", DEFAULT_AUTHOR)
    message = _one(params, "message", DEFAULT_MESSAGE)
    allow_warnings = _one(params, "allow_warnings", "false").lower() == "true"
    settings = graph.settings
    text = texts[0]
    base_iri = endpoint_url(request)

    def changes(store: AnyStore) -> list[Changeset]:
        diffs = updates.evaluate(
            store, text, base_iri, dataset=dataset, timeout=settings.update_timeout, sandboxed=settings.query_sandbox
        )
        return updates.changesets(store, diffs, author=author, message=message)

    try:
        result = await run_in_threadpool(lambda: graph.merge_from(changes, allow_warnings=allow_warnings))
    except updates.UpdateError as error:
        raise ApiError(error.code, str(error), error.context) from error
    except merging.MergeRefusedError as error:
        raise ApiError(
            "changeset-refused",
            "the update's result does not conform to the shapes; nothing was written",
            error.report.to_json(),
        ) from error
    except ChangesetError as error:
        raise ApiError("invalid-update", str(error)) from error
    except SandboxUnavailableError as error:
        raise ApiError("not-ready", str(error)) from error
    ids = [change.id for change in result.merged]
    answer = {"merged": ids, **result.report.to_json()}
    if not ids:
        return JSONResponse(answer, status_code=200)
    return JSONResponse(answer, status_code=201, headers={"Location": f"/changes/{ids[-1]}"})
