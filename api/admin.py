"""/admin: operations on the store as a whole, for whoever holds the write token."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.deps import Graph, require_writer
from api.errors import ApiError
from api.openapi import json_body
from api.resources import read_json, validated

router = APIRouter(prefix="/admin", tags=["admin"])


class BackupRequest(BaseModel):
    """Which store the client means to back up (optional; a safeguard against asking the wrong server)."""

    store: str | None = Field(None, max_length=4096, description="The store folder; 409 if this server serves another")


class BackupTaken(BaseModel):
    """A backup the server wrote into the folder beside its store (STORE.backups/NAME)."""

    name: str
    created: str
    quads: int
    newest_change: str


def _same_store(given: str, served: Path) -> bool:
    """Whether the folder named by the client is the one the server serves (after resolving links)."""
    try:
        return Path(given).resolve() == served.resolve()
    except (OSError, ValueError):
        return False


BACKUP_BODY = {**json_body(BackupRequest, "Optional: the store the client means to back up"), "required": False}


@router.post(
    "/backup",
    status_code=201,
    dependencies=[Depends(require_writer)],
    openapi_extra={"requestBody": BACKUP_BODY},
)
async def take_backup(request: Request, graph: Graph) -> BackupTaken:
    """Write a consistent backup of the store, between merges, into STORE.backups/NAME (201).

    The server writes only into that folder, under a name it chooses; `chipgraph backup` moves
    the backup on to where its user asked. 409 store-mismatch if ``store`` names another store.
    The body (BackupRequest, optional) is read here, once the token is checked. A server on a
    SPARQL server answers 409 store-mismatch too: back that server up with its own tools.
    """
    if graph.remote is not None:
        raise ApiError("store-mismatch", "this server serves a SPARQL server: back it up with that server's own tools")
    store = None
    if await request.body():
        store = validated(BackupRequest, await read_json(request, "invalid-parameter", "the backup request")).store
    if store is not None and not _same_store(store, graph.settings.store):
        raise ApiError("store-mismatch", "this server serves another store; nothing was written")
    name, manifest = await run_in_threadpool(graph.backup)
    return BackupTaken(name=name, **asdict(manifest))
