"""User SPARQL on a remote store (docs/adr/0018), with the guarantees the embedded path gives.

``RemoteQueryPool`` has the interface of kg.sparql.pool.QueryPool that api/sparql.py and
api/service.py use (``run``, ``run_async``, ``use_snapshot``, ``health``, ``alive``, ``close``),
so /sparql and /queries/{name} run unchanged when the store is a RemoteStore. ``guarded_query``
is the same guard for ``chipgraph query``. What they promise, like the sandboxed workers:

- *No SERVICE.* The query is parsed (rdflib's SPARQL parser, kg.store.shape) and refused with
  QueryError("forbidden-query") when a SERVICE pattern is anywhere in it (inside OPTIONAL, UNION,
  a sub-select, FILTER EXISTS; an IRI or a variable endpoint). A query the parser cannot read is
  refused as QueryError("invalid-query"): nothing is sent that was not inspected. The server's own
  SERVICE should be off too (Virtuoso: the query user without SPARQL_SPONGE; docs/adr/0018).
- *A time limit.* The server is told (Virtuoso's ``timeout`` parameter, in milliseconds, when
  ``server_timeout`` is set) and the HTTP read waits at most the limit plus ``GRACE`` seconds;
  either way out is QueryTimeoutError("query-timeout") with the pool's message. A partial
  ("anytime") result is never returned.
- *A row cap.* A SELECT gets a LIMIT of cap + 1 (kg.sparql.dataset.with_row_limit, as in the
  worker), at most cap + 1 rows or triples are read from the answer, and the answer says whether
  the cap cut it (``QueryAnswer.truncated``, and in the body as kg.sparql.results writes it).
- *Bounded concurrency.* At most ``size`` queries at a time, ``per_client`` per client; waiting
  is bounded by ``queue_wait`` (QueryBusyError "pool-busy" / "too-many-queries").

The answer comes whole (``rest`` is None): the server's answer is read and capped before the
first byte is written, as the embedded worker does for a capped result.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Mapping
from itertools import islice
from pathlib import Path

import pyoxigraph as ox

from kg.settings import Settings
from kg.sparql.dataset import with_row_limit
from kg.sparql.pool import PoolHealth, QueryAnswer, QueryBusyError, QueryTimeoutError
from kg.sparql.results import ASK_TYPES, GRAPH_TYPES, SELECT_TYPES, graph_chunks, select_chunks
from kg.sparql.worker import NO_REQUESTS, QueryError, QueryJob, clean_message
from kg.store import QueryResult, QuerySyntaxError, StoreError, StoreTimeoutError
from kg.store.remote import RemoteStore
from kg.store.shape import shape

GRACE = 2.0  # seconds the HTTP read waits past the server's own limit, for its answer to arrive


def checked(query: str) -> None:
    """Refuse ``query`` unless rdflib's parser reads it and it has no SERVICE pattern.

    Raises QueryError("invalid-query") for a query the parser cannot read, QueryError("forbidden-query")
    for a SERVICE anywhere in it.
    """
    try:
        found = shape(query)
    except QuerySyntaxError as error:
        raise QueryError("invalid-query", clean_message(str(error)) or "the query is not valid SPARQL") from error
    if found.uses_service:
        raise QueryError("forbidden-query", NO_REQUESTS)


def guarded_query(
    store: RemoteStore, query: str, timeout: float, *, server_timeout: bool = True, max_rows: int | None = None
) -> QueryResult:
    """Run ``query`` on ``store`` after ``checked``, within ``timeout`` seconds; the pyoxigraph result.

    With ``max_rows``, a SELECT gets a LIMIT of ``max_rows`` + 1 (when one can be placed for sure).
    Raises QueryError as ``checked`` does, QueryTimeoutError("query-timeout") past the limit,
    QueryError("invalid-query") when the server refuses the query, QueryError("query-failed")
    when it cannot be reached or fails.
    """
    checked(query)
    limited = with_row_limit(query, max_rows + 1) if max_rows is not None else None
    parameters = {"timeout": str(max(1, round(timeout * 1000)))} if server_timeout else {}
    try:
        return store.run_query(limited or query, timeout=timeout + GRACE, parameters=parameters)
    except StoreTimeoutError as error:
        raise QueryTimeoutError("query-timeout", f"the query ran longer than {timeout:g} s and was stopped") from error
    except QuerySyntaxError as error:
        raise QueryError("invalid-query", clean_message(str(error)) or "the query is not valid SPARQL") from error
    except StoreError as error:
        raise QueryError("query-failed", clean_message(str(error)) or "the query failed") from error


def answer(result: QueryResult, job: QueryJob) -> QueryAnswer:
    """``result`` written in the first of ``job.media_types`` its form has, cut at ``job.max_rows``.

    Raises QueryError("not-acceptable") when no media type fits the query form.
    """
    if isinstance(result, ox.QuerySolutions):
        media = _pick(job.media_types, SELECT_TYPES, "SELECT")
        variables = [variable.value for variable in result.variables]
        solutions = list(islice(result, job.max_rows + 1))
        truncated = len(solutions) > job.max_rows
        text = "".join(select_chunks(variables, solutions[: job.max_rows], SELECT_TYPES[media], truncated=truncated))
        return QueryAnswer(media, text.encode("utf-8"), None, truncated=truncated)
    if isinstance(result, ox.QueryBoolean):
        media = _pick(job.media_types, ASK_TYPES, "ASK")
        return QueryAnswer(media, result.serialize(format=ASK_TYPES[media]) or b"", None)
    media = _pick(job.media_types, GRAPH_TYPES, "graph")
    triples = list(islice(result, job.max_rows + 1))
    truncated = len(triples) > job.max_rows
    chunks = graph_chunks(triples[: job.max_rows], GRAPH_TYPES[media], truncated=truncated, max_rows=job.max_rows)
    return QueryAnswer(media, b"".join(chunks), None, truncated=truncated)


def _pick(media_types: tuple[str, ...], offered: Mapping[str, object], form: str) -> str:
    """The first of ``media_types`` in ``offered``; raise QueryError("not-acceptable") if none."""
    for media in media_types:
        if media in offered:
            return media
    raise QueryError("not-acceptable", f"{form} results come as {', '.join(offered)}")


class RemoteQueryPool:
    """Runs user queries on a RemoteStore with QueryPool's interface and guarantees (module docstring).

    ``store`` stays the caller's (``close`` does not close it).
    """

    def __init__(
        self,
        store: RemoteStore,
        size: int = 2,
        timeout: float = 30.0,
        *,
        queue_wait: float = 2.0,
        per_client: int | None = None,
        server_timeout: bool = True,
    ) -> None:
        self.store, self.size, self.timeout, self.queue_wait = store, size, timeout, queue_wait
        self.per_client = per_client if per_client is not None else max(1, size // 2)
        self.server_timeout = server_timeout
        self._condition = threading.Condition()
        self._running = 0
        self._clients: Counter[str] = Counter()
        self._closed = False

    def use_snapshot(self, path: Path) -> None:
        """Nothing: the server is always current (the interface of QueryPool)."""

    def run(self, job: QueryJob, client: str = "local") -> QueryAnswer:
        """Run ``job`` and return its whole answer.

        Raises QueryBusyError when ``size`` queries run and none ends within ``queue_wait``, or
        ``client`` runs its share already; QueryError as ``guarded_query`` and ``answer`` do.
        Protocol graphs (``job.default_graphs``, ``job.named_graphs``) are not taken on a remote
        store: QueryError("invalid-query"), use FROM and FROM NAMED in the query.
        """
        if job.default_graphs or job.named_graphs:
            raise QueryError(
                "invalid-query", "default-graph-uri and named-graph-uri are not taken here: use FROM and FROM NAMED"
            )
        self._enter(client)
        try:
            result = guarded_query(
                self.store, job.query, self.timeout, server_timeout=self.server_timeout, max_rows=job.max_rows
            )
            return answer(result, job)
        finally:
            self._leave(client)

    async def run_async(self, job: QueryJob, client: str = "local") -> QueryAnswer:
        """As ``run``, in a thread, so that the event loop goes on."""
        return await asyncio.to_thread(self.run, job, client)

    def _enter(self, client: str) -> None:
        """Take a place for ``client``'s query, waiting at most ``queue_wait``; raise QueryBusyError."""
        retry = max(1, round(self.timeout / 2))
        with self._condition:
            if self._clients[client] >= self.per_client:
                raise QueryBusyError(
                    "too-many-queries", f"at most {self.per_client} queries at a time per client", retry
                )
            until = time.monotonic() + self.queue_wait
            while self._running >= self.size or self._closed:
                remaining = until - time.monotonic()
                if self._closed or remaining <= 0:
                    raise QueryBusyError("pool-busy", "every query place is taken; try again shortly", retry)
                self._condition.wait(remaining)
            self._running += 1
            self._clients[client] += 1

    def _leave(self, client: str) -> None:
        with self._condition:
            self._running -= 1
            self._clients[client] -= 1
            if self._clients[client] <= 0:
                del self._clients[client]
            self._condition.notify()

    def health(self) -> PoolHealth:
        """Places: ``size`` wanted and running, the free ones idle, none starting."""
        with self._condition:
            return PoolHealth(self.size, 0 if self._closed else self.size, self.size - self._running, 0)

    def alive(self) -> bool:
        """Whether queries are taken (the server's own health is not probed here)."""
        return not self._closed

    def close(self) -> None:
        """Take no more queries; those waiting get QueryBusyError."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()


def remote_pool(store: RemoteStore, settings: Settings) -> RemoteQueryPool:
    """The RemoteQueryPool of ``store`` sized and limited as ``settings`` size the embedded pool.

    The hook for api/service.py once it opens a RemoteStore:
    ``self.pool = remote_pool(store, settings) if isinstance(store, RemoteStore) else QueryPool(...)``.
    """
    return RemoteQueryPool(
        store,
        size=settings.query_workers,
        timeout=settings.query_timeout,
        queue_wait=settings.query_queue_wait,
        per_client=settings.queries_per_client,
    )
