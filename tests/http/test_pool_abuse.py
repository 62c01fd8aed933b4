"""A live server under abuse: clients that hang up or stop reading, crashing and runaway queries,
more slow clients than workers. Afterwards a simple query is answered at once and /readyz is honest.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from kg.settings import Settings
from tests.conftest import wait_for
from tests.http.live_server import serving

BIG = "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 50000"  # megabytes, streamed
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CRASHER = "ASK { FILTER(" + "!" * 50_000 + "true) }"
TIMEOUT = 3.0


@pytest.fixture(scope="module")
def base(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("abuse") / "serve.log"
    with serving(
        settings.store,
        log,
        query_workers="2",
        query_timeout=str(TIMEOUT),
        query_queue_wait="0.5",
        queries_per_client="2",
    ) as url:
        yield url


def get(base: str, query: str, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """Send ``query`` (in the URL, or as the body when long) and return status, headers and body."""
    headers = {"Accept": "application/sparql-results+json"}
    if len(query) < 2000:
        request = urllib.request.Request(f"{base}/sparql?" + urllib.parse.urlencode({"query": query}), headers=headers)
    else:
        headers["Content-Type"] = "application/sparql-query"
        request = urllib.request.Request(f"{base}/sparql", data=query.encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def get_path(base: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """GET ``path``: status, headers, body (errors included)."""
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def answered_at_once(base: str) -> None:
    """Within a few seconds the pool is whole again, and then a simple query takes well under a second."""
    deadline = time.monotonic() + 30
    ready: dict[str, object] = {}
    while time.monotonic() < deadline:
        status, _, body = get_path(base, "/readyz")
        ready = json.loads(body)
        workers = ready.get("workers") or ready["context"]["workers"]  # 503 while none runs
        assert isinstance(workers, dict)
        if workers["running"] == workers["size"]:
            break
        time.sleep(0.1)
    started = time.monotonic()
    status, _, body = get(base, "ASK { ?s ?p ?o }")
    assert status == 200 and json.loads(body)["boolean"] is True
    assert time.monotonic() - started < 1.0


def hang_up_after(base: str, size: int) -> None:
    """Send a query with a large result over a raw socket, read ``size`` bytes, and close."""
    path = "/sparql?" + urllib.parse.urlencode({"query": BIG})
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\n\r\n".encode())
        received = b""
        while len(received) < size:
            received += sock.recv(size - len(received))


def stop_reading(base: str, size: int) -> socket.socket:
    """As hang_up_after, but keep the connection open without reading on (the caller closes it)."""
    path = "/sparql?" + urllib.parse.urlencode({"query": BIG})
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\n\r\n".encode())
    sock.recv(size)
    return sock


def test_clients_that_hang_up_mid_stream_free_their_workers(base: str) -> None:
    for _ in range(6):  # three times as many as workers
        hang_up_after(base, 1000)
    answered_at_once(base)


def test_clients_that_stop_reading_lose_their_workers_at_the_time_limit(base: str) -> None:
    stalled = [stop_reading(base, 1000) for _ in range(2)]
    try:
        wait_for(lambda: get(base, "ASK { ?s ?p ?o }")[0] == 200, "a worker is free again", TIMEOUT + 30)
        answered_at_once(base)
    finally:
        for sock in stalled:
            sock.close()


def test_queries_that_crash_their_workers_leave_the_endpoint_working(base: str) -> None:
    for _ in range(4):
        status, _, body = get(base, CRASHER)
        assert 400 <= status < 500 and json.loads(body)["code"] in ("query-failed", "invalid-query")
    answered_at_once(base)


def test_twenty_slow_queries_get_quick_answers_and_the_endpoint_recovers(base: str) -> None:
    """Each slow client gets a time-out (the two that run) or a quick 503/429 with Retry-After."""
    outcomes: list[tuple[int, float, str | None]] = []

    def slow() -> None:
        started = time.monotonic()
        status, headers, _ = get(base, RUNAWAY)
        outcomes.append((status, time.monotonic() - started, headers.get("retry-after")))

    threads = [threading.Thread(target=slow) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [outcome for outcome in outcomes if outcome[0] in (429, 503) and outcome[1] < 2.0]
    timed_out = [outcome for outcome in outcomes if outcome[0] == 503 and outcome[1] >= TIMEOUT]
    assert len(timed_out) == 2 and len(refused) == 18
    assert all(retry is not None and int(retry) >= 1 for _, _, retry in refused)
    answered_at_once(base)


def test_readyz_reports_the_workers(base: str) -> None:
    with urllib.request.urlopen(base + "/readyz", timeout=5) as response:
        ready = json.loads(response.read())
    assert ready["workers"]["size"] == 2 and ready["status"] == "ready"
