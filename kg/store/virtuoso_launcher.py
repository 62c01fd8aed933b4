"""A throw-away Virtuoso Open Source server for tests and benchmarks: own folder, own ini file, free loopback ports.

``start(folder)`` writes a virtuoso.ini into ``folder``, runs Debian's ``virtuoso-t`` in the
foreground as a child process (never the package's system service), waits until its SPARQL
endpoint answers, and creates the user chipgraph writes as. ``Virtuoso.stop()`` stops it and
waits for the process to end. Every wait is bounded: a server that does not come up within
``STARTUP_TIMEOUT`` seconds is killed and the error carries the tail of its log.

Permissions (docs/adr/0018): the anonymous endpoint ``/sparql`` stays read-only (Virtuoso's
default: its user ``SPARQL`` is not granted ``SPARQL_UPDATE``). Writes go to ``/sparql-auth``
(HTTP digest) as the SQL user ``chipgraph``, created by ``DB.DBA.USER_CREATE`` and granted the
role ``SPARQL_UPDATE``: all it needs for INSERT, DELETE, DROP, CLEAR and CREATE on any graph
while graph-level security is off (Virtuoso's default; with it on, also
``DB.DBA.RDF_DEFAULT_USER_PERMS_SET('chipgraph', 3)``). The ``dba`` account keeps its default
password: it is reachable only on loopback, for the minutes the tests run.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

VIRTUOSO = "virtuoso-t"
ISQL = "isql-vt"
STARTUP_TIMEOUT = 60.0
USER = "chipgraph"
PASSWORD = "chipgraph-test"  # a throw-away server on loopback, gone after the tests

INI = """\
[Database]
DatabaseFile       = {folder}/virtuoso.db
ErrorLogFile       = {folder}/virtuoso.log
LockFile           = {folder}/virtuoso.lck
TransactionFile    = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {folder}/virtuoso-temp.db
TransactionFile    = {folder}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:{sql_port}
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 10
CheckpointInterval       = 60
CaseMode                 = 2
AllowOSCalls             = 0
DirsAllowed              = {folder}
NumberOfBuffers          = 10000
MaxDirtyBuffers          = 6000
MaxQueryMem              = 500M
ThreadsPerQuery          = 2
MaxSortedTopRows         = 100000000

[HTTPServer]
ServerPort               = 127.0.0.1:{http_port}
ServerRoot               = {folder}/vsp
MaxClientConnections     = 10
ServerThreads            = 10
EnabledDavVSP            = 0
Charset                  = UTF-8
EnabledGzipContent       = 0

[Client]
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[SPARQL]
ResultSetMaxRows           = 100000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime      = 60
"""

GRANTS = [
    f"DB.DBA.USER_CREATE('{USER}', '{PASSWORD}');",
    f'GRANT SPARQL_UPDATE TO "{USER}";',  # the role behind INSERT, DELETE, DROP, CLEAR, CREATE (and SELECT)
]


class VirtuosoError(RuntimeError):
    """Raised when the test Virtuoso cannot be started (missing binary, no answer in time, a failed grant)."""


def free_port() -> int:
    """A TCP port on loopback that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Virtuoso:
    """A running test server: its endpoints, the credentials to write, and its process."""

    folder: Path
    sql_port: int
    http_port: int
    process: subprocess.Popen[bytes]

    @property
    def query_url(self) -> str:
        """The anonymous, read-only SPARQL endpoint."""
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def update_url(self) -> str:
        """The SPARQL endpoint that asks for digest credentials and accepts updates."""
        return f"http://127.0.0.1:{self.http_port}/sparql-auth"

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's own log and of its console output."""
        parts = []
        for name in ("virtuoso.log", "console.log"):
            path = self.folder / name
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {name} ---\n" + "\n".join(text))
        return "\n".join(parts)

    def isql(self, *statements: str, timeout: float = 30.0) -> str:
        """Run SQL statements as dba through isql-vt; raise VirtuosoError when one fails."""
        script = "\n".join(statements) + "\n"
        result = subprocess.run(
            [ISQL, str(self.sql_port), "dba", "dba", "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF", "ERRORS=STDOUT"],
            input=script.encode(),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        output = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
        if result.returncode != 0 or "*** Error" in output:
            raise VirtuosoError(f"isql failed: {script!r}\n{output}")
        return output

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout`` seconds) and wait for it to end."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the test process dies (even by kill -9): no orphan server."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _answers(url: str) -> bool:
    """Whether the SPARQL endpoint at ``url`` answers an ASK query."""
    try:
        response = httpx.get(url, params={"query": "ASK {}"}, timeout=2.0)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def start(folder: Path, timeout: float = STARTUP_TIMEOUT) -> Virtuoso:
    """Start a Virtuoso in ``folder`` on free loopback ports and return it once it answers, user granted.

    Raises VirtuosoError when virtuoso-t or isql-vt is missing (install the Debian package
    virtuoso-opensource: `make virtuoso`), when the server does not answer within ``timeout``
    seconds (the server is stopped, the message carries its log tail), or when a grant fails.
    """
    for binary in (VIRTUOSO, ISQL):
        if shutil.which(binary) is None:
            raise VirtuosoError(
                f"{binary} not found: install Debian's virtuoso-opensource package (`make virtuoso`, part of "
                "`make test`) to run the remote-store tests"
            )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vsp").mkdir(exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    while http_port == sql_port:
        http_port = free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(INI.format(folder=folder, sql_port=sql_port, http_port=http_port))
    with (folder / "console.log").open("wb") as console:
        process = subprocess.Popen(
            [VIRTUOSO, "+foreground", "+configfile", str(ini)],
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
        )
    server = Virtuoso(folder, sql_port, http_port, process)
    deadline = time.monotonic() + timeout
    try:
        while not _answers(server.query_url):
            if process.poll() is not None:
                raise VirtuosoError(f"virtuoso-t exited with code {process.returncode}\n{server.log_tail()}")
            if time.monotonic() > deadline:
                raise VirtuosoError(f"Virtuoso did not answer within {timeout:g} s\n{server.log_tail()}")
            time.sleep(0.2)
        server.isql(*GRANTS)
    except BaseException:
        server.stop()
        raise
    return server
