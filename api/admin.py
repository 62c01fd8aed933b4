"""/admin: operations on the store as a whole, for whoever holds the write token."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import Graph, require_writer
from api.errors import ApiError

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


@router.post("/backup", status_code=201, dependencies=[Depends(require_writer)])
def take_backup(graph: Graph, body: BackupRequest | None = None) -> BackupTaken:
    """Write a consistent backup of the store, between merges, into STORE.backups/NAME (201).

    The server writes only into that folder, under a name it chooses; `chipgraph backup` moves
    the backup on to where its user asked. 409 store-mismatch if ``store`` names another store.
    """
    if body is not None and body.store is not None and not _same_store(body.store, graph.settings.store):
        raise ApiError("store-mismatch", "this server serves another store; nothing was written")
    name, manifest = graph.backup()
    return BackupTaken(name=name, **asdict(manifest))
