"""`chipgraph mcp`: the Model Context Protocol server over stdio (kg/mcp_server.py), for AI assistants."""

from __future__ import annotations

from kg.cli.common import StoreOption, app, fail, open_store, store_path
from kg.settings import Settings
from kg.sparql.sandbox import SandboxUnavailableError


@app.command()
def mcp(store: StoreOption = None) -> None:
    """Answer an AI assistant's tool calls over stdin/stdout (MCP) from the store, read-only, until stdin closes.

    Exit 2 with one line on stderr, before the protocol starts, when the store or sandbox is missing.
    """
    from kg.mcp_server import GraphTools, build_server  # the MCP SDK loads only for this command
    from kg.sparql.pool import QueryPool

    settings = Settings().model_copy(update={"store": store_path(store)})
    graph = open_store(settings.store)
    try:
        pool = QueryPool(
            size=settings.query_workers,
            timeout=settings.query_timeout,
            queue_wait=settings.query_queue_wait,
            per_client=settings.queries_per_client or settings.query_workers,
            sandboxed=settings.query_sandbox,
        )
    except (SandboxUnavailableError, RuntimeError) as error:
        graph.close()
        fail(str(error))
    pool.use_snapshot(settings.store)  # workers open the store read-only, as this process does
    try:
        build_server(GraphTools(graph, pool, settings)).run("stdio")
    except KeyboardInterrupt:
        pass
    finally:
        pool.close()
        graph.close()
