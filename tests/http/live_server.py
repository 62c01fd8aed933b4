"""A real `chipgraph serve` in a subprocess on a loopback port, for tests that need real sockets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(store: Path | None, log: Path, port: int | None = None, **environment: str) -> Iterator[str]:
    """Run `chipgraph serve` on ``store`` (on ``port``, else a free one) with CHIPGRAPH_* ``environment``.

    ``store`` None: no --store (a SPARQL server named by ``store_url`` in ``environment``).
    Yields the base URL once /readyz answers; CHIPGRAPH_* variables of this process are not passed on.
    """
    port = port or free_port()
    clean = {key: value for key, value in os.environ.items() if not key.startswith("CHIPGRAPH_")}
    variables = {**clean, **{f"CHIPGRAPH_{key.upper()}": value for key, value in environment.items()}}
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "serve", *(["--store", str(store)] if store else []), "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=variables,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + "/readyz", server, log)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=20)


def wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """Return once ``url`` answers 200; raise RuntimeError if the server exits or takes a minute."""
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError(f"chipgraph serve exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("chipgraph serve did not come up")
