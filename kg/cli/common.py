"""What every `chipgraph` command shares: the app, the consoles, the --store option, errors.

See kg/cli/__init__.py for the exit codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from kg.settings import Settings
from kg.store import OxigraphStore, StoreError

app = typer.Typer(
    help="chipgraph: a knowledge graph of AI chips, their makers and export controls.", no_args_is_help=True
)
out = Console()
err = Console(stderr=True)

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="Store folder (default: $CHIPGRAPH_STORE, else the user data folder)."),
]


def store_path(store: Path | None) -> Path:
    """The store folder: the --store option, else the settings (CHIPGRAPH_STORE or default)."""
    return store if store is not None else Settings().store


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error to stderr as one line (``message`` is plain text, not markup) and exit with ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def open_store(store: Path | None) -> OxigraphStore:
    """Open the store read-only, or exit 2 with a clear message."""
    try:
        return OxigraphStore.open(store_path(store))
    except StoreError as error:
        fail(str(error))
