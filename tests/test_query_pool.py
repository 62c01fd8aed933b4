"""The query worker pool on a real snapshot: whole answers in one message, long ones streamed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.sparql.pool import QueryJob, QueryPool, execute
from tests.conftest import wait_for

JSON = ("application/sparql-results+json",)
BIG = "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 20000"  # several megabytes of JSON
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # minutes on the built store


@pytest.fixture(scope="module")
def snapshot(store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pool") / "snapshot"
    ox.Store.read_only(str(store_dir)).backup(str(path))
    return path


@pytest.fixture(scope="module")
def pool(snapshot: Path) -> Iterator[QueryPool]:
    pool = QueryPool(size=1, timeout=20.0, queue_wait=20.0)
    pool.use_snapshot(snapshot)
    yield pool
    pool.close()


def in_process(snapshot: Path, job: QueryJob) -> bytes:
    """The bytes the same job writes when executed in this process."""
    _, emit = execute(ox.Store.read_only(str(snapshot)), job)
    chunks: list[bytes] = []
    emit(chunks.append)
    return b"".join(chunks)


def oxigraph_rows(snapshot: Path, query: str) -> list[str]:
    """The query's solutions as Oxigraph itself writes them (SPARQL JSON), one sorted canonical row each."""
    solutions = ox.Store.read_only(str(snapshot)).query(query)
    written = json.loads(solutions.serialize(format=ox.QueryResultsFormat.JSON))
    return sorted(json.dumps(row, sort_keys=True) for row in written["results"]["bindings"])


def pool_rows(body: bytes) -> list[str]:
    return sorted(json.dumps(row, sort_keys=True) for row in json.loads(body)["results"]["bindings"])


def test_a_small_answer_comes_whole_and_frees_the_worker(pool: QueryPool, snapshot: Path) -> None:
    job = QueryJob("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", JSON)
    first = pool.run(job)
    assert first.rest is None
    assert first.media_type == JSON[0]
    assert first.first == in_process(snapshot, job)
    assert pool_rows(first.first) == oxigraph_rows(snapshot, job.query)  # an independent writer agrees
    assert pool.run(job).first == first.first  # the single worker was released


def test_a_long_answer_streams_in_chunks_and_is_complete(pool: QueryPool, snapshot: Path) -> None:
    job = QueryJob(BIG, JSON, max_rows=100_000)
    answer = pool.run(job)
    assert answer.rest is not None
    chunks = [answer.first, *answer.rest]
    assert len(chunks) > 1
    assert b"".join(chunks) == in_process(snapshot, job)
    assert pool_rows(b"".join(chunks)) == oxigraph_rows(snapshot, BIG)  # 20 000 rows, as Oxigraph answers them


def test_a_reader_that_walks_away_mid_stream_leaves_the_pool_working(pool: QueryPool) -> None:
    answer = pool.run(QueryJob(BIG, JSON, max_rows=100_000))
    assert answer.rest is not None
    next(answer.rest)
    answer.rest.close()  # the worker, still sending, is replaced
    again = pool.run(QueryJob("ASK { ?s ?p ?o }", JSON))
    assert b"true" in again.first
    assert pool.health().running == 1 and pool.alive()


def test_run_async_answers_and_waits_for_a_busy_pool(snapshot: Path) -> None:
    """With its only worker busy on a runaway query, an async query waits, then is answered."""
    import asyncio
    import threading
    import time

    from kg.sparql.pool import QueryTimeoutError

    pool = QueryPool(size=1, timeout=1.5, queue_wait=20.0)
    pool.use_snapshot(snapshot)
    try:
        small = QueryJob("ASK { ?s ?p ?o }", JSON)
        assert b"true" in asyncio.run(pool.run_async(small, "b")).first
        outcome: list[str] = []

        def runaway() -> None:
            try:
                pool.run(QueryJob(RUNAWAY, JSON), "a")
            except QueryTimeoutError:
                outcome.append("stopped")

        thread = threading.Thread(target=runaway)
        thread.start()
        wait_for(lambda: pool.health().idle == 0, "the runaway query holds the only worker")
        pool.timeout = 20.0  # the runaway keeps its 1.5 s; the waiting query may wait for a new worker
        started = time.monotonic()
        answer = asyncio.run(pool.run_async(small, "b"))
        thread.join()
        assert b"true" in answer.first and outcome == ["stopped"]
        assert time.monotonic() - started > 1.0  # it waited for the runaway's worker to be replaced
    finally:
        pool.close()
