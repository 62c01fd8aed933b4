"""The `chipgraph` command line.

Every error is one ``error: ...`` line on stderr (kg.cli.common.fail; usage errors too, through
ChipgraphGroup). Exit codes: 0 success, 1 a check found problems or a change was refused, 2 bad
input (invalid SPARQL, unknown query or changeset, an unknown option or filter value, missing
store, a file that does not parse), 3 the store is in use by another chipgraph process (a running
server or another command) and nothing was written; the message names the server's URL when
`chipgraph serve` recorded it (kg/serving.py).
"""

from kg.cli import (  # noqa: F401  (registers the commands)
    backup,
    bulk,
    changes,
    coverage,
    export_status_all,
    exportcontrol,
    graph,
    imports,
    mcp,
    serve,
    sources,
)
from kg.cli.common import app


def main() -> None:
    """Entry point of the console script."""
    app()


__all__ = ["app", "main"]
