"""What every `chipgraph` command shares: the app, the consoles, the --store and --wait options, errors.

See kg/cli/__init__.py for the exit codes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from kg import serving
from kg.catalog import InvalidFilterError, NotFoundError
from kg.output import OutputFormat, print_table
from kg.settings import Settings
from kg.store import AnyStore, OxigraphStore, RemoteStore, StoreError, StoreLockedError
from kg.store.server_lock import StoreBusyError

IN_USE = 3  # the exit code of a command that found the store held by another process


class ChipgraphGroup(TyperGroup):
    """The command group: store errors end any command with one message.

    A store held by another process (a folder, or a SPARQL server's write lock) exits 3; a store
    that fails (a server unreachable, failing, too slow) exits 2.
    """

    def invoke(self, ctx: Any) -> Any:  # a click Context (vendored by recent typer versions)
        """Run the command; turn StoreLockedError, StoreBusyError and StoreError, wherever raised, into one line."""
        try:
            return super().invoke(ctx)
        except StoreLockedError as error:
            fail(in_use_message(error), IN_USE)
        except StoreBusyError as error:
            fail(str(error), IN_USE)
        except StoreError as error:
            fail(str(error))

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command line; a usage error (unknown option, bad value) is one ``error:`` line and exit 2.

        Click's own output would be a usage box; every chipgraph error is one line on stderr.
        """
        standalone = kwargs.get("standalone_mode", True)
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except NoArgsIsHelpError as error:  # `chipgraph` alone: the help, as before
            typer.echo(error.ctx.get_help() if error.ctx else "")
            code = error.exit_code
        except UsageError as error:
            command = error.ctx.info_name if error.ctx is not None and error.ctx.parent is not None else None
            where = f"chipgraph {command} --help" if command else "chipgraph --help"
            code = say(f"{error.format_message()} (see `{where}`)", error.exit_code)
        except ClickException as error:
            code = say(error.format_message(), error.exit_code)
        except typer.Abort:
            code = say("aborted", 1)
        if not standalone:
            return code
        raise SystemExit(code if isinstance(code, int) else 0)


def in_use_message(error: StoreLockedError) -> str:
    """The message of a store held by another process: what to do instead, and where the server is if one serves it.

    ``chipgraph serve`` records its address beside the store (kg/serving.py); a change then goes
    to that server as ``POST /changes``.
    """
    url = serving.running_server(error.path)
    if url is not None:
        return (
            f"{error}; nothing was written. A chipgraph server at {url} serves this store: "
            f"send the change to it with POST {url.rstrip('/')}/changes (see {url.rstrip('/')}/docs)"
        )
    return f"{error}; nothing was written. If a chipgraph server serves it, send the change with POST /changes"


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


def _version(value: bool) -> None:
    if value:
        try:
            typer.echo(f"chipgraph {version('chipgraph')}")
        except PackageNotFoundError:  # run from a source tree that was never installed
            typer.echo("chipgraph (version unknown: not installed)")
        raise typer.Exit()


@app.callback()
def main_options(
    show_version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """chipgraph: a knowledge graph of AI chips, their makers and export controls."""


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="table, json (the same data) or csv (with a header row).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="The same as --format json.")]


def chosen(output_format: OutputFormat, as_json: bool) -> OutputFormat:
    """The output format a command was given: --json is --format json."""
    return OutputFormat.json if as_json else output_format


def emit(
    output_format: OutputFormat,
    *,
    tables: Callable[[], Table | Sequence[Table]],
    data: Any,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    console: Console | None = None,
) -> None:
    """Print a command's result as tables, JSON (``data``) or CSV (``header`` then ``rows``), one shared way.

    Tables are printed whole (kg.output.print_table: no id or name cut, whatever the width);
    JSON is indented, UTF-8; CSV cells that are lists are joined by a space. ``console`` is
    stdout unless given.
    """
    if output_format is OutputFormat.json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif output_format is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([" ".join(map(str, cell)) if isinstance(cell, list | tuple) else cell for cell in row])
        typer.echo(buffer.getvalue(), nl=False)
    else:
        made = tables()
        for table in [made] if isinstance(made, Table) else made:
            print_table(table, console or out)


def say(message: str, code: int) -> int:
    """Print an error to stderr as one ``error: ...`` line (``message`` is plain text, not markup); return ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return code


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error to stderr as one line (``message`` is plain text, not markup) and exit with ``code``."""
    raise typer.Exit(say(message, code))


@contextmanager
def reading(store: Path | None) -> Iterator[AnyStore]:
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


def server_configured(store: Path | None) -> bool:
    """Whether a command works on the SPARQL server of CHIPGRAPH_STORE_URL: it is set and no --store is given."""
    return store is None and Settings().store_url is not None


def open_store(store: Path | None, *, write: bool = False, wait: float | None = None) -> AnyStore:
    """Open the store (read-only unless ``write``), or exit with a clear message.

    The SPARQL server of CHIPGRAPH_STORE_URL when it is set and no --store is given (docs/adr/0018;
    writers there take the server's write lock as they write). Else the Oxigraph folder: a store
    that is missing or broken exits 2; one held by another process for longer than ``wait``
    seconds (writing only: reading takes no lock) exits 3 through ChipgraphGroup.
    """
    if server_configured(store):
        return RemoteStore.from_settings(Settings())
    try:
        waited = lock_wait(wait) if write else 0.0
        path = store_path(store)
        told = lambda: err.print(  # noqa: E731
            f"the store at {path} is in use; waiting up to {waited:g} s", markup=False, highlight=False, soft_wrap=True
        )
        return OxigraphStore.open(path, read_only=not write, wait=waited, on_wait=told)
    except StoreLockedError:
        raise
    except StoreError as error:
        fail(str(error))
