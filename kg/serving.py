"""Where a running `chipgraph serve` can be reached: a small file it keeps beside the store.

``chipgraph serve`` writes ``STORE.server.json`` (beside the store folder, never inside it:
RocksDB owns that folder) with its process id and URL when it starts, and removes it when it
stops cleanly. A command that finds the store held reads it to say where to send a change
(``POST URL/changes``). A file left by a server that was killed does not mislead: it counts only
while its process is alive and is a chipgraph process (on Linux, its command line says so).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SUFFIX = ".server.json"


def server_file(store: Path) -> Path:
    """The file beside ``store`` where a running server records its address."""
    store = store.resolve()
    return store.with_name(store.name + SUFFIX)


def client_url(host: str, port: int) -> str:
    """The URL a client on this machine reaches a server listening on ``host``:``port`` at."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def record(store: Path, url: str) -> Path:
    """Record that this process serves ``store`` at ``url`` (written whole: a temporary file, then renamed)."""
    path = server_file(store)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    data = {"pid": os.getpid(), "url": url, "store": str(store.resolve())}
    temporary.write_text(json.dumps(data), encoding="utf-8")
    os.replace(temporary, path)
    return path


def forget(store: Path) -> None:
    """Remove the record of ``store``'s server if this process wrote it (another server's stays)."""
    path = server_file(store)
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def running_server(store: Path) -> str | None:
    """The URL of the chipgraph server that serves ``store``, if one recorded it and is still running."""
    try:
        data = json.loads(server_file(store).read_text(encoding="utf-8"))
        pid, url = int(data["pid"]), str(data["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if data.get("store") != str(store.resolve()) or not url.startswith(("http://", "https://")):
        return None
    return url if _chipgraph_alive(pid) else None


def _chipgraph_alive(pid: int) -> bool:
    """Whether process ``pid`` runs and, where /proc tells, is a chipgraph process (not a reused pid)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return True  # no /proc: trust the pid
    return any(mark in command for mark in (b"chipgraph", b"kg.cli", b"kg/cli"))
