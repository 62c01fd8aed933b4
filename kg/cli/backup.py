"""Commands over the store as a whole: backup (also while `chipgraph serve` holds it) and restore."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr

from kg import backup as backups
from kg import serving
from kg.cli.common import IN_USE, StoreOption, WaitOption, app, fail, lock_wait, out, server_configured, store_path
from kg.settings import Settings
from kg.store import OxigraphStore, StoreError, StoreLockedError

ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        help="URL of the `chipgraph serve` holding the store (default: http://$CHIPGRAPH_HOST:$CHIPGRAPH_PORT).",
    ),
]


def refuse_on_server(store: Path | None, action: str) -> None:
    """Exit 2 when the command would address the SPARQL server of CHIPGRAPH_STORE_URL: it works on folders."""
    if server_configured(store):
        fail(
            f"chipgraph cannot {action} a SPARQL server (CHIPGRAPH_STORE_URL={Settings().store_url}): use the "
            "server's own backup (Virtuoso: backup_online), or give --store to work on an embedded store"
        )


@app.command("backup")
def backup_command(
    directory: Annotated[Path, typer.Argument(help="A new (or empty) folder to write the backup to.")],
    store: StoreOption = None,
    wait: WaitOption = None,
    server: ServerOption = None,
) -> None:
    """Write a consistent backup of the store to DIRECTORY, also while `chipgraph serve` holds the store.

    With no server running the command takes the backup itself. When a server holds the store, it
    asks that server to take it (POST /admin/backup with $CHIPGRAPH_WRITE_TOKEN), because only the
    process holding the store can; then it moves the backup to DIRECTORY. Exit 0 done, 2 bad input
    or refused by the server, 3 the store is in use and no server took the backup. With
    CHIPGRAPH_STORE_URL set and no --store: exit 2 (back a SPARQL server up with its own tools).
    """
    refuse_on_server(store, "back up")
    path = store_path(store)
    try:
        backups.check_target(directory)
        manifest, taker = _take(path, directory, server, lock_wait(wait))
    except StoreLockedError:
        raise
    except StoreError as error:
        fail(str(error))
    out.print(
        f"backed up {path} to {directory}{taker}: {manifest.quads} quads, newest change {manifest.newest_change}",
        highlight=False,
    )


def _take(path: Path, target: Path, server: str | None, wait: float) -> tuple[backups.BackupManifest, str]:
    """Take the backup here if the store is free, else through the server holding it, else after waiting.

    Returns the manifest and who took it (empty: this command). Raises StoreLockedError when the
    store stays held and no server took the backup, StoreError when a backup step fails.
    """
    try:
        return _take_here(path, target, 0.0), ""
    except StoreLockedError:
        pass
    settings = Settings()
    url = (server or serving.running_server(path) or _server_url(settings)).rstrip("/")
    if settings.write_token is not None:
        name = _ask_server(url, settings.write_token, path)
        if name is not None:
            backups.place(backups.server_backups_folder(path.resolve()) / name, target)
            return backups.read_manifest(target), f" (taken by the server at {url})"
    try:
        return _take_here(path, target, wait), ""
    except StoreLockedError as error:
        fail(f"{error}; nothing was written. {_server_hint(url, settings.write_token)}", IN_USE)


def _take_here(path: Path, target: Path, wait: float) -> backups.BackupManifest:
    """Open the store for writing (so that no one writes meanwhile) and back it up; raises StoreError."""
    opened = OxigraphStore.open(path, read_only=False, wait=wait)
    try:
        return backups.backup(opened, target)
    finally:
        opened.close()


def _server_url(settings: Settings) -> str:
    """The URL `chipgraph serve` listens on with these settings, as a client on this machine reaches it."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(settings.host, settings.host)
    return f"http://[{host}]:{settings.port}" if ":" in host else f"http://{host}:{settings.port}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: the bearer token goes to the URL given, nowhere else."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        """Follow no redirect (the 3xx answer becomes an HTTPError)."""
        return None


def _ask_server(url: str, token: SecretStr, store: Path) -> str | None:
    """Ask the server at ``url`` to back up ``store`` into its backups folder; return the backup's name.

    Returns None when no server answers there. Exits 2 when a server answers but does not take
    the backup (wrong token, writes off, another store), with the server's message.
    """
    request = urllib.request.Request(
        f"{url}/admin/backup",
        data=json.dumps({"store": str(store.resolve())}).encode(),
        headers={"Authorization": f"Bearer {token.get_secret_value()}", "Content-Type": "application/json"},
        method="POST",
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    try:
        with opener.open(request, timeout=120) as response:
            return str(json.load(response)["name"])
    except urllib.error.HTTPError as error:
        fail(f"the server at {url} did not take the backup: {_message(error)}")
    except (urllib.error.URLError, OSError):
        return None


def _message(error: urllib.error.HTTPError) -> str:
    """The message of an error answer in chipgraph's error shape, else the HTTP status line."""
    try:
        return str(json.load(error)["message"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {error.code} {error.reason}"


def _server_hint(url: str, token: SecretStr | None) -> str:
    """What to do when the store is held and no server took the backup."""
    if token is None:
        return "To back up a store a running server holds, set CHIPGRAPH_WRITE_TOKEN to the server's token"
    return f"No chipgraph server answered at {url}; name the one holding the store with --server URL"


@app.command()
def restore(
    directory: Annotated[Path, typer.Argument(help="A folder written by `chipgraph backup`.")],
    store: StoreOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the store if one exists.")] = False,
    wait: WaitOption = None,
) -> None:
    """Replace the store with the backup in DIRECTORY, whole or not at all (the backup is left as it is).

    Refused while another process (a running server, another command) holds the store: exit 3.
    Exit 2 if DIRECTORY is not a chipgraph backup, or a store exists and --force is not given, or
    CHIPGRAPH_STORE_URL is set and no --store given.
    """
    refuse_on_server(store, "restore")
    path = store_path(store)
    try:
        manifest = backups.restore(directory, path, force=force, wait=lock_wait(wait))
    except StoreLockedError:
        raise
    except StoreError as error:
        fail(str(error))
    out.print(
        f"restored {path} from {directory} (taken {manifest.created}): "
        f"{manifest.quads} quads, newest change {manifest.newest_change}",
        highlight=False,
    )
