"""User SPARQL queries in killable worker processes, with a time limit and a row cap.

pyoxigraph has no query timeout, and a thread cannot be stopped: each query runs in one of a
few worker processes, on a read-only snapshot of the store (``Store.backup``: hard links, cheap).
The caller reads the result chunk by chunk; when the time limit passes, the worker is killed
(its CPU reclaimed at once) and replaced, and the caller gets QueryTimeoutError. Other requests
are served by the other workers meanwhile.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.sparql_results import ASK_TYPES, GRAPH_TYPES, SELECT_TYPES, graph_chunks, select_chunks
from kg.sparql_safety import has_dataset_clause, with_row_limit


class QueryError(RuntimeError):
    """A query that failed; ``code`` is one of the API's error codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class QueryTimeoutError(QueryError):
    """Raised when a query runs past the time limit; its worker has been killed."""


@dataclass(frozen=True)
class QueryJob:
    """One query: text, accepted media types in preference order, dataset, row cap."""

    query: str
    media_types: tuple[str, ...]
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_rows: int = 100_000


def _graph_args(job: QueryJob) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if job.default_graphs:
        args["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    elif not has_dataset_clause(job.query):  # FROM / FROM NAMED in the query define its dataset
        args["use_default_graph_as_union"] = True
    if job.named_graphs:
        args["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    return args


def _pick(media_types: tuple[str, ...], offered: dict[str, Any]) -> str | None:
    return next((media for media in media_types if media in offered), None)


Emit = Callable[[Callable[[bytes], None]], None]


class _Sink:
    """A binary file-like object Oxigraph streams into; it hands on chunks of about CHUNK bytes."""

    CHUNK = 1024 * 1024

    def __init__(self, send: Callable[[bytes], None]) -> None:
        self._send = send
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        if len(self._buffer) >= self.CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        """Hand on what is buffered."""
        if self._buffer:
            self._send(bytes(self._buffer))
            self._buffer.clear()


def _chunks(chunks: Iterable[bytes]) -> Emit:
    def emit(send: Callable[[bytes], None]) -> None:
        for chunk in chunks:
            send(chunk)

    return emit


def _native(result: ox.QuerySolutions | ox.QueryBoolean, results_format: ox.QueryResultsFormat) -> Emit:
    def emit(send: Callable[[bytes], None]) -> None:
        sink = _Sink(send)
        result.serialize(sink, format=results_format)  # type: ignore[arg-type]
        sink.flush()

    return emit


def execute(store: ox.Store, job: QueryJob) -> tuple[str, Emit]:
    """Run ``job`` on ``store``: the chosen media type and a function that writes the result.

    A SELECT query gets a LIMIT of ``max_rows`` (kg.sparql_safety.with_row_limit) and is
    written by Oxigraph's own serialiser, streaming; when no LIMIT can be placed with certainty,
    rows are written and capped here instead. Raises QueryError("invalid-query") on a syntax
    error and QueryError("not-acceptable") when no media type fits the query form.
    """
    limited = with_row_limit(job.query, job.max_rows)
    try:
        result = store.query(limited or job.query, **_graph_args(job))
    except SyntaxError as error:
        raise QueryError("invalid-query", str(error)) from error
    if isinstance(result, ox.QuerySolutions):
        media = _pick(job.media_types, SELECT_TYPES)
        if media is None:
            raise QueryError("not-acceptable", f"SELECT results come as {', '.join(SELECT_TYPES)}")
        if limited is not None:
            return media, _native(result, ASK_TYPES[media])
        text_chunks = select_chunks(result, SELECT_TYPES[media], job.max_rows)
        return media, _chunks(chunk.encode("utf-8") for chunk in text_chunks)
    if isinstance(result, ox.QueryBoolean):
        media = _pick(job.media_types, ASK_TYPES)
        if media is None:
            raise QueryError("not-acceptable", f"ASK results come as {', '.join(ASK_TYPES)}")
        return media, _native(result, ASK_TYPES[media])
    media = _pick(job.media_types, GRAPH_TYPES)
    if media is None:
        raise QueryError("not-acceptable", f"graph results come as {', '.join(GRAPH_TYPES)}")
    return media, _chunks(graph_chunks(result, GRAPH_TYPES[media], job.max_rows))


class _Sender:
    """Send a result over the pipe: ("start", media, first chunk, finished), then ("chunk", bytes)..., ("done",).

    The first chunk travels with the media type, so a result of one chunk is one message.
    """

    def __init__(self, connection: Connection, media: str) -> None:
        self._connection, self._media = connection, media
        self._first: bytes | None = None
        self._started = False

    def send(self, chunk: bytes) -> None:
        """Hand on one chunk of the result."""
        if self._started:
            self._connection.send(("chunk", chunk))
        elif self._first is None:
            self._first = chunk
        else:
            self._connection.send(("start", self._media, self._first, False))
            self._connection.send(("chunk", chunk))
            self._started = True

    def finish(self) -> None:
        """Mark the end of the result."""
        if self._started:
            self._connection.send(("done",))
        else:
            self._connection.send(("start", self._media, self._first or b"", True))


def _worker(connection: Connection) -> None:
    """Worker loop: receive (snapshot, job), send the result (see _Sender) or ("error", code, message)."""
    opened: tuple[str, ox.Store] | None = None
    while True:
        try:
            snapshot, job = connection.recv()
        except EOFError:
            return
        try:
            if opened is None or opened[0] != snapshot:
                opened = (snapshot, ox.Store.read_only(snapshot))
            media, emit = execute(opened[1], job)
            sender = _Sender(connection, media)
            emit(sender.send)
            sender.finish()
        except QueryError as error:
            connection.send(("error", error.code, str(error)))
        except Exception as error:  # any evaluation error is the query's: report it
            connection.send(("error", "query-failed", f"{type(error).__name__}: {error}"))


@dataclass(frozen=True)
class QueryAnswer:
    """A query's answer: its media type, its first chunk, and an iterator of the rest (None if none)."""

    media_type: str
    first: bytes
    rest: Iterator[bytes] | None


@dataclass
class _Worker:
    process: Any
    connection: Connection


@dataclass
class QueryPool:
    """A pool of worker processes answering queries on the latest snapshot of a store."""

    size: int = 2
    timeout: float = 30.0
    _idle: list[_Worker] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _available: threading.Semaphore = field(init=False)
    _snapshot: str = ""

    def __post_init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._available = threading.Semaphore(self.size)
        self._idle = [self._spawn() for _ in range(self.size)]

    def _spawn(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_worker, args=(child,), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def use_snapshot(self, path: Path) -> None:
        """Answer later queries from the snapshot at ``path``."""
        self._snapshot = str(path)

    def run(self, job: QueryJob) -> QueryAnswer:
        """Run ``job`` until its first chunk (a whole small result); the rest comes from ``rest``.

        Raises QueryError before any chunk for invalid queries, unacceptable types and the
        time limit; ``rest`` itself raises QueryTimeoutError if the limit passes mid-stream.
        A result of one chunk (up to about a megabyte) returns the worker at once.
        """
        deadline = time.monotonic() + self.timeout
        worker = self._take_or_fail(deadline)
        try:
            worker.connection.send((self._snapshot, job))
            message = self._receive(worker, deadline)
        except BaseException:
            self._release(worker)
            raise
        return self._answer(worker, message, deadline)

    async def run_async(self, job: QueryJob) -> QueryAnswer:
        """As ``run``, but waiting for the worker in the event loop, not in a thread.

        The first message is read once the worker has started writing it (a megabyte at most).
        """
        deadline = time.monotonic() + self.timeout
        worker = self._take(None)
        if worker is None:  # every worker is busy: wait for one in a thread
            worker = await asyncio.to_thread(self._take_or_fail, deadline)
        try:
            worker.connection.send((self._snapshot, job))
            await self._readable(worker, deadline)
            message: tuple[Any, ...] = worker.connection.recv()
        except BaseException:
            self._release(worker)
            raise
        return self._answer(worker, message, deadline)

    def _take(self, deadline: float | None) -> _Worker | None:
        """An idle worker, waiting for one until ``deadline`` (None: not at all); None if none came."""
        if deadline is None:
            taken = self._available.acquire(blocking=False)
        else:
            taken = self._available.acquire(timeout=max(0.0, deadline - time.monotonic()))
        if not taken:
            return None
        with self._lock:
            return self._idle.pop()

    def _take_or_fail(self, deadline: float) -> _Worker:
        worker = self._take(deadline)
        if worker is None:
            raise QueryTimeoutError("query-timeout", "no query worker became free within the time limit")
        return worker

    async def _readable(self, worker: _Worker, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        descriptor = worker.connection.fileno()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(descriptor, wake)
        try:
            await asyncio.wait_for(ready, max(0.0, deadline - time.monotonic()))
            timed_out = False
        except TimeoutError:
            timed_out = True
        finally:
            loop.remove_reader(descriptor)
            os.set_blocking(descriptor, True)  # the loop made it non-blocking; recv() reads a whole message
        if timed_out:
            self._kill(worker)
            raise QueryTimeoutError("query-timeout", f"the query ran longer than {self.timeout:g} s and was stopped")

    def _answer(self, worker: _Worker, message: tuple[Any, ...], deadline: float) -> QueryAnswer:
        if message[0] == "error":
            self._release(worker)
            raise QueryError(message[1], message[2])
        _, media, first, finished = message
        if finished:
            self._release(worker)
            return QueryAnswer(media, first, None)
        return QueryAnswer(media, first, self._stream(worker, deadline))

    def _receive(self, worker: _Worker, deadline: float) -> tuple[Any, ...]:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not worker.connection.poll(remaining):
            self._kill(worker)
            raise QueryTimeoutError("query-timeout", f"the query ran longer than {self.timeout:g} s and was stopped")
        message: tuple[Any, ...] = worker.connection.recv()
        return message

    def _stream(self, worker: _Worker, deadline: float) -> Iterator[bytes]:
        finished = False
        try:
            while True:
                message = self._receive(worker, deadline)
                if message[0] == "chunk":
                    yield message[1]
                elif message[0] == "done":
                    finished = True
                    return
                else:
                    finished = True
                    raise QueryError(message[1], message[2])
        finally:
            if not finished and worker.process.is_alive():
                self._kill(worker)  # the reader went away mid-stream: the worker may still be sending
            self._release(worker)

    def _kill(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join()
        worker.connection.close()
        replacement = self._spawn()
        worker.process, worker.connection = replacement.process, replacement.connection

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            if worker not in self._idle:
                self._idle.append(worker)
                self._available.release()

    def alive(self) -> bool:
        """Whether every idle worker process is running."""
        with self._lock:
            return all(worker.process.is_alive() for worker in self._idle)

    def close(self) -> None:
        """Stop every worker."""
        for worker in self._idle:
            worker.process.kill()
            worker.process.join()
