"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Graph
from api.errors import ApiError

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(graph: Graph) -> dict[str, object]:
    """The store answers a query and the query workers are alive.

    On a SPARQL server (CHIPGRAPH_STORE_URL) the quads are not counted (a count of a large store
    on every probe of a load balancer): ``triples`` is null and ``store`` is "remote".
    """
    if not graph.store.query("ASK { ?s ?p ?o }"):
        raise ApiError("not-ready", "the store is empty: run `chipgraph build`")
    pool = graph.pool.health()
    workers = {"size": pool.size, "running": pool.running, "idle": pool.idle, "starting": pool.starting}
    if not pool.ready:
        raise ApiError("not-ready", "query workers are not running", {"workers": workers})
    remote = graph.remote is not None
    triples = None if remote else graph.store.quad_count()
    store = "remote" if remote else "embedded"
    return {"status": "ready", "version": graph.version, "triples": triples, "store": store, "workers": workers}
