"""A pool that heals: crashed, runaway and abandoned workers are replaced; waiting is bounded.

Every test ends by checking that the pool answers a simple query at once with all its workers.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.sparql.pool import QueryBusyError, QueryError, QueryJob, QueryPool
from tests.conftest import wait_for

JSON = ("application/sparql-results+json",)
ASK = QueryJob("ASK { ?s ?p ?o }", JSON)
RUNAWAY = QueryJob("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", JSON)
BIG = QueryJob("SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 20000", JSON, max_rows=100_000)
# Queries that overflow Oxigraph's recursive-descent parser's stack: the process dies (SIGSEGV).
CRASHERS = [
    "ASK { FILTER(" + "!" * 50_000 + "true) }",
    "SELECT * WHERE " + "{" * 20_000 + "}" * 20_000,
    "ASK { FILTER(" + "(" * 20_000 + "1" + ")" * 20_000 + ") }",
]


@pytest.fixture(scope="module")
def snapshot(store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("healing") / "snapshot"
    ox.Store.read_only(str(store_dir)).backup(str(path))
    return path


@pytest.fixture
def pool(snapshot: Path) -> Iterator[QueryPool]:
    pool = QueryPool(size=2, timeout=2.0, queue_wait=0.5, per_client=1)
    pool.use_snapshot(snapshot)
    yield pool
    pool.close()


def answers_at_once(pool: QueryPool) -> None:
    """Once replacements have started, a simple query is answered within a second, all workers running."""
    deadline = time.monotonic() + 30
    while pool.health().running < pool.size and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.health().running == pool.size and pool.alive()
    started = time.monotonic()
    assert b"true" in pool.run(ASK, "checker").first
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("query", CRASHERS, ids=["negations", "groups", "parentheses"])
def test_a_query_that_kills_its_worker_is_answered_and_the_worker_replaced(pool: QueryPool, query: str) -> None:
    for _ in range(3):  # more crashes than workers
        wait_for(lambda: pool.health().idle > 0, "a worker (perhaps a replacement) is idle")
        with pytest.raises(QueryError) as raised:
            pool.run(QueryJob(query, JSON), "attacker")
        assert raised.value.code in ("query-failed", "invalid-query")
    answers_at_once(pool)


def test_a_runaway_query_is_stopped_at_the_time_limit(pool: QueryPool) -> None:
    started = time.monotonic()
    with pytest.raises(QueryError) as raised:
        pool.run(RUNAWAY, "slow")
    assert raised.value.code == "query-timeout"
    assert 1.9 < time.monotonic() - started < 5
    answers_at_once(pool)


def test_a_reader_that_stops_reading_loses_its_worker_at_the_time_limit(pool: QueryPool) -> None:
    """Two readers take a chunk each and never read on nor close: the watchdog frees both workers."""
    answers = [pool.run(BIG, f"reader-{index}") for index in range(2)]
    assert all(answer.rest is not None for answer in answers)
    with pytest.raises(QueryBusyError):
        pool.run(ASK, "third")  # both workers held
    wait_for(lambda: free(pool), "the watchdog frees the workers of the stalled readers")  # after the 2 s limit
    answers_at_once(pool)
    with pytest.raises(QueryError):  # the abandoned stream reports the time-out if read again
        list(answers[0].rest or [])


def test_a_closed_answer_frees_its_worker_at_once(pool: QueryPool) -> None:
    for index in range(4):  # twice as many as workers
        answer = pool.run(BIG, f"hang-up-{index}")
        assert answer.rest is not None
        next(answer.rest)
        answer.close()
    answers_at_once(pool)


def test_a_busy_pool_answers_quickly_not_after_the_time_limit(pool: QueryPool) -> None:
    threads = [threading.Thread(target=lambda c=c: _swallow(pool, c)) for c in ("slow-1", "slow-2")]
    for thread in threads:
        thread.start()
    wait_for(lambda: pool.health().idle == 0, "both workers run a slow query")
    started = time.monotonic()
    with pytest.raises(QueryBusyError) as raised:
        pool.run(ASK, "patient")
    waited = time.monotonic() - started
    assert raised.value.code == "pool-busy" and raised.value.retry_after >= 1
    assert 0.4 < waited < 1.5  # the queue wait (0.5 s), not the 2 s limit
    for thread in threads:
        thread.join()
    answers_at_once(pool)


def test_one_client_cannot_take_every_worker(pool: QueryPool) -> None:
    thread = threading.Thread(target=lambda: _swallow(pool, "greedy"))
    thread.start()
    wait_for(lambda: pool.health().idle == 1, "the greedy client's first query holds a worker")
    started = time.monotonic()
    with pytest.raises(QueryBusyError) as raised:
        pool.run(ASK, "greedy")
    assert raised.value.code == "too-many-queries" and time.monotonic() - started < 0.2
    assert b"true" in pool.run(ASK, "someone-else").first  # the other worker is free for others
    thread.join()
    answers_at_once(pool)


def test_more_slow_clients_than_workers(pool: QueryPool) -> None:
    """Ten slow clients on two workers: two time out, eight are told at once that the pool is busy."""
    outcomes: list[str] = []
    threads = [threading.Thread(target=lambda c=c: outcomes.append(_swallow(pool, c))) for c in range(10)]
    for thread in threads:
        thread.start()
        time.sleep(0.02)
    for thread in threads:
        thread.join()
    assert sorted(outcomes).count("query-timeout") == 2 and outcomes.count("pool-busy") == 8
    answers_at_once(pool)


def free(pool: QueryPool) -> bool:
    """Whether a simple query is answered now (False while every worker is held)."""
    try:
        return b"true" in pool.run(ASK, "prober").first
    except QueryBusyError:
        return False


def test_a_worker_that_dies_mid_stream_fails_the_stream_with_query_failed(pool: QueryPool) -> None:
    """The reader has the first chunk; the worker is killed from outside (as the OOM killer would): reading on
    raises QueryError "query-failed" (not a time-out, not a silent short result), and the pool heals."""
    answer = pool.run(BIG, "reader")
    assert answer.rest is not None and answer._lease is not None
    answer._lease.worker.process.kill()
    started = time.monotonic()
    with pytest.raises(QueryError) as raised:
        for _ in answer.rest:
            pass
    assert raised.value.code == "query-failed"
    assert time.monotonic() - started < 1.5  # told at once, not at the 2 s limit
    answers_at_once(pool)


def test_a_stream_read_past_its_time_limit_fails_with_query_timeout(pool: QueryPool) -> None:
    """A reader that reads too slowly: once the limit passes, the next read raises "query-timeout"."""
    answer = pool.run(BIG, "slow-reader")
    assert answer.rest is not None and answer._lease is not None
    lease = answer._lease
    next(answer.rest)
    wait_for(lambda: lease.released, "the watchdog ends the lease at the time limit", timeout=10)
    with pytest.raises(QueryError) as raised:
        next(answer.rest)
    assert raised.value.code == "query-timeout"
    answers_at_once(pool)


def test_an_error_reported_by_the_worker_is_passed_on_and_the_worker_kept(pool: QueryPool) -> None:
    """A query Oxigraph refuses (a parse error) comes back as invalid-query; the worker serves the next query."""
    pids = {worker.process.pid for worker in pool._idle}
    with pytest.raises(QueryError) as raised:
        pool.run(QueryJob("SELEC * WHERE { ?s ?p ?o }", JSON), "typo")
    assert raised.value.code == "invalid-query"
    assert b"true" in pool.run(ASK, "next").first
    assert {worker.process.pid for worker in pool._idle} == pids  # no worker was replaced


def _swallow(pool: QueryPool, client: object) -> str:
    try:
        pool.run(RUNAWAY, str(client))
    except QueryError as error:
        return error.code
    return "answered"


def test_the_sandbox_refuses_every_socket_and_keeps_the_pipe() -> None:
    """In a process with the filter, no socket of any family opens; an inherited pipe still works."""
    script = (
        "import socket, multiprocessing\n"
        "from kg.sparql.sandbox import deny_sockets\n"
        "a, b = multiprocessing.Pipe()\n"
        "deny_sockets()\n"
        "opened = []\n"
        "for family in (socket.AF_INET, socket.AF_INET6, socket.AF_UNIX, socket.AF_NETLINK, socket.AF_PACKET):\n"
        "    try:\n"
        "        socket.socket(family, socket.SOCK_DGRAM if family == socket.AF_NETLINK else socket.SOCK_STREAM)\n"
        "        opened.append(family)\n"
        "    except OSError:\n"
        "        pass\n"
        "try:\n"
        "    socket.socketpair(); opened.append('pair')\n"
        "except OSError:\n"
        "    pass\n"
        "a.send('through'); print(b.recv(), opened)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "through []"
