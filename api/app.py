"""create_app(settings): the FastAPI application. Nothing happens at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import (
    admin,
    changes,
    charts,
    chips,
    companies,
    countries,
    coverage,
    entities,
    entity_list,
    errors,
    export_check,
    export_status_all,
    graph_store,
    health,
    home,
    named_queries,
    openapi,
    regulations,
    search,
    sparql,
)
from api.middleware import BodyLimit, RequestLog
from api.service import GraphService
from api.web import install as install_pages
from kg.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: from CHIPGRAPH_* variables).

    The store is opened, and the query workers started, when the app starts (lifespan), and
    released when it stops.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.graph = GraphService(settings)
        try:
            yield
        finally:
            app.state.graph.close()

    app = FastAPI(
        title="chipgraph",
        summary="A knowledge graph of AI chips, their makers and export controls: SPARQL and REST.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # api.web serves /docs with the vendored Swagger UI: no CDN
        redoc_url=None,
    )
    app.state.settings = settings
    errors.install(app)
    openapi.install(app)
    install_pages(app)
    routers = (
        home,
        health,
        sparql,
        graph_store,
        changes,
        charts,
        chips,
        companies,
        regulations,
        countries,
        search,
        entities,
        entity_list,
        export_check,
        export_status_all,
        coverage,
        named_queries,
        admin,
    )
    for module in routers:
        router = module.router
        app.include_router(router)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE"],  # PUT and DELETE: the graph store
            allow_headers=["Authorization", "Content-Type", "Accept"],
            expose_headers=list(sparql.EXPOSED_HEADERS),
        )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(RequestLog)
    logging.getLogger("chipgraph.requests").setLevel(logging.INFO)
    return app
