"""What every `chipgraph` command shares: the app, the consoles, the --store and --wait options, errors.

See kg/cli/__init__.py for the exit codes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from kg.catalog import InvalidFilterError, NotFoundError
from kg.settings import Settings
from kg.store import OxigraphStore, StoreError, StoreLockedError

IN_USE = 3  # the exit code of a command that found the store held by another process


class ChipgraphGroup(TyperGroup):
    """The command group: a store held by another process ends any command with one message and exit 3."""

    def invoke(self, ctx: Any) -> Any:  # a click Context (vendored by recent typer versions)
        """Run the command; turn StoreLockedError, wherever it is raised, into the message and exit 3."""
        try:
            return super().invoke(ctx)
        except StoreLockedError as error:
            fail(f"{error}; nothing was written", IN_USE)


app = typer.Typer(
    help="chipgraph: a knowledge graph of AI chips, their makers and export controls.",
    no_args_is_help=True,
    cls=ChipgraphGroup,
)
out = Console()
err = Console(stderr=True)

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="Store folder (default: $CHIPGRAPH_STORE, else the user data folder)."),
]
WaitOption = Annotated[
    float | None,
    typer.Option(
        "--wait",
        min=0,
        help="Seconds to wait while another chipgraph process holds the store (default: $CHIPGRAPH_LOCK_WAIT, else 5).",
    ),
]


def store_path(store: Path | None) -> Path:
    """The store folder: the --store option, else the settings (CHIPGRAPH_STORE or default)."""
    return store if store is not None else Settings().store


def lock_wait(wait: float | None) -> float:
    """Seconds to wait for a held store: the --wait option, else the settings (CHIPGRAPH_LOCK_WAIT or 5)."""
    return wait if wait is not None else Settings().lock_wait


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error to stderr as one line (``message`` is plain text, not markup) and exit with ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def reading(store: Path | None) -> Iterator[OxigraphStore]:
    """The store opened for reading, closed afterwards; an unknown entity or a malformed argument exits 2."""
    graph = open_store(store)
    try:
        yield graph
    except NotFoundError as error:
        fail(f"no such entity: {error}")
    except InvalidFilterError as error:
        fail(str(error))
    finally:
        graph.close()


def open_store(store: Path | None, *, write: bool = False, wait: float | None = None) -> OxigraphStore:
    """Open the store (read-only unless ``write``), or exit with a clear message.

    A store that is missing or broken exits 2; one held by another process for longer than
    ``wait`` seconds (writing only: reading takes no lock) exits 3 through ChipgraphGroup.
    """
    try:
        return OxigraphStore.open(store_path(store), read_only=not write, wait=lock_wait(wait) if write else 0.0)
    except StoreLockedError:
        raise
    except StoreError as error:
        fail(str(error))
