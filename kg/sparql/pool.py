"""User SPARQL queries in killable, sandboxed worker processes that the pool keeps healthy.

pyoxigraph has no query timeout, and a thread cannot be stopped: each query runs in one of a
few worker processes (kg.sparql.worker), on a read-only snapshot of the store (``Store.backup``:
hard links, cheap). The workers cannot open sockets (kg.sparql.sandbox), so no query reaches
the network.

What the pool promises:
- a query holds its worker through a ``_Lease`` until its result is read, its reader leaves
  (``QueryAnswer.close``), or its time limit passes; a watchdog thread kills the worker of a
  lease past its limit even if nobody reads it any more;
- a worker that dies (a query that crashes the parser), hangs past the limit, or loses its
  reader mid-stream is killed and replaced in the background, never reused;
- waiting for a worker is bounded (``queue_wait`` seconds, then QueryBusyError "pool-busy"), and
  one client holds at most ``per_client`` leases, waiting ones included ("too-many-queries");
- ``health()`` tells how many workers are running, idle and starting.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from kg.sparql.sandbox import SandboxUnavailableError
from kg.sparql.worker import QueryError, QueryJob, execute, serve

__all__ = ["PoolHealth", "QueryAnswer", "QueryBusyError", "QueryError", "QueryJob", "QueryPool", "execute"]
log = logging.getLogger("chipgraph.queries")
CRASHED = "the query stopped its worker process (for example by nesting too deep) and was not answered"
START_TIMEOUT = 60.0


class QueryTimeoutError(QueryError):
    """Raised when a query runs past the time limit; its worker has been killed."""


class QueryBusyError(QueryError):
    """Raised when no worker is free in time or the client runs its share already; retry later."""

    def __init__(self, code: str, message: str, retry_after: int) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after


@dataclass
class _Worker:
    process: Any
    connection: Connection


@dataclass(frozen=True)
class PoolHealth:
    """The pool's state: workers wanted, running (idle or busy), idle, and starting."""

    size: int
    running: int
    idle: int
    starting: int

    @property
    def ready(self) -> bool:
        """Whether at least one worker runs and none is missing for long (only being replaced)."""
        return self.running > 0 and self.running + self.starting >= self.size


class _Lease:
    """One query's hold on one worker, from the job sent until released exactly once."""

    def __init__(self, worker: _Worker, client: str, deadline: float) -> None:
        self.worker, self.client, self.deadline = worker, client, deadline
        self.reading = False  # a reader is waiting on the pipe (the watchdog then only kills)
        self.released = False


@dataclass(frozen=True)
class QueryAnswer:
    """A query's answer: its media type, its first chunk, and an iterator of the rest (None if none).

    Call ``close()`` when the reader goes away before the end: the worker is then killed and
    replaced (it may still be sending). Closing a finished answer does nothing.
    """

    media_type: str
    first: bytes
    rest: Iterator[bytes] | None
    _lease: _Lease | None = None
    _pool: QueryPool | None = None
    truncated: bool = False  # the row cap cut the result (known before its first chunk)

    def close(self) -> None:
        """Give the worker back: killed if the result was not read to the end."""
        if self._lease is not None and self._pool is not None:
            self._pool._abandon(self._lease)

    def rest_async(self) -> AsyncIterator[bytes]:
        """The rest of the result, read in the event loop (``rest`` must not be used too)."""
        if self._lease is None or self._pool is None:
            raise ValueError("the answer came whole: there is no rest")
        return self._pool._stream_async(self._lease)


class QueryPool:
    """A pool of sandboxed worker processes answering queries on the latest snapshot of a store.

    ``sandboxed=False`` runs workers without the socket filter (never for untrusted queries).
    Raises SandboxUnavailableError at start when the workers cannot be sandboxed.
    """

    def __init__(
        self,
        size: int = 2,
        timeout: float = 30.0,
        *,
        queue_wait: float = 2.0,
        per_client: int | None = None,
        sandboxed: bool = True,
    ) -> None:
        self.size, self.timeout, self.queue_wait = size, timeout, queue_wait
        self.per_client = per_client if per_client is not None else max(1, size // 2)
        self.sandboxed = sandboxed
        self._context = multiprocessing.get_context("spawn")
        self._condition = threading.Condition()
        self._idle: list[_Worker] = []
        self._leases: set[_Lease] = set()
        self._clients: Counter[str] = Counter()
        self._starting = 0
        self._closed = False
        self._snapshot = ""
        self._start_all()
        self._watchdog = threading.Thread(target=self._watch, name="query-watchdog", daemon=True)
        self._watchdog.start()

    # -- workers -------------------------------------------------------------------------------

    def _start_all(self) -> None:
        started = [self._start() for _ in range(self.size)]
        try:
            self._idle.extend(self._greeted(worker) for worker in started)
        except BaseException:
            for worker in started:
                worker.process.kill()
            raise

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=serve, args=(child, self.sandboxed), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def _greeted(self, worker: _Worker) -> _Worker:
        """The worker once it said it is ready; raises SandboxUnavailableError or RuntimeError."""
        if not worker.connection.poll(START_TIMEOUT):
            raise RuntimeError(f"a query worker did not start within {START_TIMEOUT:g} s")
        hello = worker.connection.recv()
        if hello[0] == "unsafe":
            raise SandboxUnavailableError(f"query workers cannot be sandboxed: {hello[1]}")
        return worker

    def _replace(self) -> None:
        """Start a worker in the background to take a killed one's place."""
        with self._condition:
            self._replace_locked()

    def _replace_locked(self) -> None:
        """As _replace, with the condition held."""
        if not self._closed:
            self._starting += 1
            threading.Thread(target=self._start_replacement, name="query-worker-start", daemon=True).start()

    def _start_replacement(self) -> None:
        worker: _Worker | None = None
        try:
            worker = self._greeted(self._start())
        except Exception:
            log.exception("a query worker could not be started")
        with self._condition:
            self._starting -= 1
            if worker is not None and not self._closed:
                self._idle.append(worker)
                self._condition.notify()
            elif worker is not None:
                worker.process.kill()

    @staticmethod
    def _kill(worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(5)

    # -- leases --------------------------------------------------------------------------------

    def _acquire(self, client: str, wait: float) -> _Lease:
        """A lease on an idle, living worker; raises QueryBusyError when none comes within ``wait``."""
        retry = max(1, round(self.timeout / 2))
        with self._condition:
            if self._clients[client] >= self.per_client:
                raise QueryBusyError(
                    "too-many-queries", f"at most {self.per_client} queries at a time per client", retry
                )
            self._clients[client] += 1
            try:
                worker = self._wait_for_worker(time.monotonic() + wait, retry)
            except BaseException:
                self._forget(client)
                raise
            lease = _Lease(worker, client, time.monotonic() + self.timeout)
            self._leases.add(lease)
            return lease

    def _wait_for_worker(self, until: float, retry: int) -> _Worker:
        """Pop an idle worker (the condition held); dead ones are dropped and replaced."""
        while True:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                worker.connection.close()
                self._replace_locked()
            remaining = until - time.monotonic()
            if self._closed or remaining <= 0:
                raise QueryBusyError("pool-busy", "every query worker is busy; try again shortly", retry)
            self._condition.wait(remaining)

    def _forget(self, client: str) -> None:
        self._clients[client] -= 1
        if self._clients[client] <= 0:
            del self._clients[client]

    def _release(self, lease: _Lease, *, healthy: bool) -> None:
        """End ``lease`` (once): its worker goes back if healthy and alive, else is killed and replaced."""
        with self._condition:
            keep = self._detach(lease, healthy=healthy)
        if keep is False:
            self._dispose(lease.worker)

    def _detach(self, lease: _Lease, *, healthy: bool) -> bool | None:
        """With the condition held: end the lease; True if its worker went back idle, None if ended before."""
        if lease.released:
            return None
        lease.released = True
        self._leases.discard(lease)
        self._forget(lease.client)
        if healthy and lease.worker.process.is_alive() and not self._closed:
            self._idle.append(lease.worker)
            self._condition.notify()
            return True
        return False

    def _dispose(self, worker: _Worker) -> None:
        self._kill(worker)
        worker.connection.close()
        self._replace()

    def _abandon(self, lease: _Lease) -> None:
        """The reader left: kill a worker that may still be sending; release it unless a read is under way."""
        with self._condition:
            if lease.released:
                return  # its worker may serve another query by now
            lease.worker.process.kill()
            keep = None if lease.reading else self._detach(lease, healthy=False)
        if keep is False:
            self._dispose(lease.worker)

    def _watch(self) -> None:
        """Kill the workers of leases past their deadline; release those nobody is reading."""
        while not self._closed:
            time.sleep(0.1)
            now = time.monotonic()
            with self._condition:
                overdue = [lease for lease in self._leases if lease.deadline + 0.5 < now]
            for lease in overdue:
                self._abandon(lease)

    # -- queries -------------------------------------------------------------------------------

    def use_snapshot(self, path: Path) -> None:
        """Answer later queries from the snapshot at ``path``."""
        self._snapshot = str(path)

    def run(self, job: QueryJob, client: str = "local") -> QueryAnswer:
        """Run ``job`` until its first chunk (a whole small result); the rest comes from ``rest``.

        Raises QueryBusyError when no worker is free within ``queue_wait`` or ``client`` runs its
        share already; QueryError before any chunk for invalid queries, unacceptable types, a
        crashed worker and the time limit; ``rest`` raises QueryError if the worker fails or
        the limit passes mid-stream.
        """
        lease = self._acquire(client, self.queue_wait)
        self._send(lease, job)
        return self._answer(lease, self._receive(lease))

    async def run_async(self, job: QueryJob, client: str = "local") -> QueryAnswer:
        """As ``run``, but waiting for the worker's answer in the event loop, not in a thread."""
        try:
            lease = self._acquire(client, 0.0)
        except QueryBusyError as error:
            if error.code != "pool-busy" or self.queue_wait <= 0:
                raise
            lease = await asyncio.to_thread(self._acquire, client, self.queue_wait)
        self._send(lease, job)
        try:
            await self._readable(lease)
        except BaseException:  # cancelled: the client left while the query ran
            self._abandon(lease)
            raise
        return self._answer(lease, self._receive(lease))

    def _send(self, lease: _Lease, job: QueryJob) -> None:
        """Hand the job to the lease's worker; a worker that died since is replaced (QueryError)."""
        try:
            lease.worker.connection.send((self._snapshot, job))
        except OSError as error:
            self._release(lease, healthy=False)
            raise QueryError("query-failed", CRASHED) from error

    async def _readable(self, lease: _Lease) -> None:
        """Wait in the event loop until the worker's pipe has something (a message or its end)."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        with self._reading(lease):
            descriptor = lease.worker.connection.fileno()
            loop.add_reader(descriptor, wake)
            try:
                await asyncio.wait_for(ready, max(0.0, lease.deadline - time.monotonic()))
            except TimeoutError:
                pass  # _receive finds the deadline passed
            finally:
                loop.remove_reader(descriptor)
                os.set_blocking(descriptor, True)  # the loop made it non-blocking; recv() reads a whole message

    def _receive(self, lease: _Lease) -> tuple[Any, ...]:
        """The worker's next message; on death, time-out or a vanished lease, release and raise QueryError."""
        with self._reading(lease):
            try:
                remaining = lease.deadline - time.monotonic()
                if remaining > 0 and lease.worker.connection.poll(remaining):
                    message: tuple[Any, ...] = lease.worker.connection.recv()
                    return message
            except (EOFError, OSError):
                pass
        timed_out = time.monotonic() >= lease.deadline
        self._release(lease, healthy=False)
        if timed_out:
            raise QueryTimeoutError("query-timeout", self._timeout_message())
        raise QueryError("query-failed", CRASHED)

    @contextmanager
    def _reading(self, lease: _Lease) -> Iterator[None]:
        """Mark a read of the lease's pipe (the watchdog then kills but does not close it)."""
        with self._condition:
            if lease.released:
                raise QueryTimeoutError("query-timeout", self._timeout_message())
            lease.reading = True
        try:
            yield
        finally:
            with self._condition:
                lease.reading = False

    def _timeout_message(self) -> str:
        return f"the query ran longer than {self.timeout:g} s and was stopped"

    def _answer(self, lease: _Lease, message: tuple[Any, ...]) -> QueryAnswer:
        if message[0] == "error":
            self._release(lease, healthy=True)
            raise QueryError(message[1], message[2])
        _, media, first, finished, truncated = message
        if finished:
            self._release(lease, healthy=True)
            return QueryAnswer(media, first, None, truncated=truncated)
        return QueryAnswer(media, first, self._stream(lease), lease, self, truncated=truncated)

    async def _stream_async(self, lease: _Lease) -> AsyncIterator[bytes]:
        """The rest of a result, each chunk awaited in the event loop; cancelling it frees the worker."""
        try:
            while True:
                await self._readable(lease)
                chunk = self._next_chunk(lease)
                if chunk is None:
                    return
                yield chunk
        finally:
            self._abandon(lease)  # nothing once the lease ended

    def _stream(self, lease: _Lease) -> Iterator[bytes]:
        try:
            while (chunk := self._next_chunk(lease)) is not None:
                yield chunk
        finally:
            self._abandon(lease)  # nothing once the lease ended

    def _next_chunk(self, lease: _Lease) -> bytes | None:
        """The next chunk of a streamed result, None at its end; raises QueryError for the query's error."""
        message = self._receive(lease)
        if message[0] == "chunk":
            chunk: bytes = message[1]
            return chunk
        self._release(lease, healthy=True)  # the worker finished: the end, or an error it reported
        if message[0] == "error":
            raise QueryError(message[1], message[2])
        return None

    # -- state ---------------------------------------------------------------------------------

    def health(self) -> PoolHealth:
        """How many workers run (idle or leased), are idle, and are being started."""
        with self._condition:
            idle = sum(1 for worker in self._idle if worker.process.is_alive())
            busy = sum(1 for lease in self._leases if lease.worker.process.is_alive())
            return PoolHealth(self.size, idle + busy, idle, self._starting)

    def alive(self) -> bool:
        """Whether the pool is ready to answer (see PoolHealth.ready)."""
        return self.health().ready

    def close(self) -> None:
        """Stop every worker; queries still waiting get QueryBusyError."""
        with self._condition:
            self._closed = True
            workers = [*self._idle, *(lease.worker for lease in self._leases)]
            self._idle.clear()
            self._condition.notify_all()
        for worker in workers:
            self._kill(worker)
