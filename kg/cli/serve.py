"""`chipgraph serve`: the HTTP service (SPARQL endpoint and REST API) on the built store."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
import uvicorn

from kg import serving
from kg.cli.common import StoreOption, app, fail, out, store_path
from kg.settings import Settings
from kg.store import ensure_free, is_store


@app.command()
def serve(
    store: StoreOption = None,
    host: Annotated[str | None, typer.Option("--host", help="Address (default $CHIPGRAPH_HOST or 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default $CHIPGRAPH_PORT or 8000).")] = None,
) -> None:
    """Serve the store over HTTP until interrupted; one JSON log line per request.

    While it runs, STORE.server.json beside the store records its address, so that a command
    that finds the store held can say where to send a change (POST /changes).

    With CHIPGRAPH_STORE_URL set and no --store, it serves that SPARQL server instead (docs/adr/0018);
    several processes may serve one server, reads and writes (serialised by the server's write lock).
    """
    from api import create_app  # the HTTP stack loads only for this command

    settings = Settings()
    if store is None and settings.store_url is not None:
        serve_remote(settings, host, port)
        return
    overrides: dict[str, object] = {"store": store_path(store), "store_url": None}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = settings.model_copy(update=overrides)
    if not is_store(settings.store):
        fail(f"no chipgraph store at {settings.store}: run `chipgraph build` first")
    ensure_free(settings.store, wait=settings.lock_wait)  # held by another process: exit 3, not a traceback
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out.print(banner(settings), highlight=False, soft_wrap=True)
    serving.record(settings.store, serving.client_url(settings.host, settings.port))  # where writers send changes
    try:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
    finally:
        serving.forget(settings.store)


def serve_remote(settings: Settings, host: str | None, port: int | None) -> None:
    """Serve the SPARQL server of CHIPGRAPH_STORE_URL (no store folder, no lock, no STORE.server.json)."""
    from api import create_app

    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = settings.model_copy(update=overrides)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out.print(
        banner(settings, f"the SPARQL server {settings.store_url}"),
        highlight=False,
        soft_wrap=True,
    )
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")


def banner(settings: Settings, served: str | None = None) -> str:
    """What the server is about to serve: its address, the store (``served``, else the folder), writes on or off."""
    url = f"http://{settings.host}:{settings.port}/"
    writes = (
        "on (POST /changes with the bearer token)"
        if settings.write_token
        else "off (set CHIPGRAPH_WRITE_TOKEN to allow POST /changes)"
    )
    where = served or settings.store
    return f"chipgraph serving {where} at {url} (API docs {url}docs, SPARQL {url}sparql); writes {writes}"
