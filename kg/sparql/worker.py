"""What runs inside a query worker process: the query, its serialisation, the pipe protocol.

A worker (``serve``) first locks itself out of the network (kg.sparql.sandbox), then answers
jobs from its pipe: for each (snapshot path, QueryJob) it sends the result as described in
``_Sender``, or ("error", code, message). It never raises for a query's fault; a query that
crashes the process (a parser's stack overflow) is detected and answered by the pool.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox

from kg.sparql.dataset import with_row_limit
from kg.sparql.results import ASK_TYPES, GRAPH_TYPES, SELECT_TYPES, graph_chunks, select_chunks
from kg.sparql.sandbox import lock_out_and_greet


class QueryError(RuntimeError):
    """A query that failed; ``code`` is one of the API's error codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class QueryJob:
    """One query: text, accepted media types in preference order, dataset, row cap."""

    query: str
    media_types: tuple[str, ...]
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    max_rows: int = 100_000
    base_iri: str | None = None


def _graph_args(job: QueryJob) -> dict[str, Any]:
    """The dataset arguments of Oxigraph's query() for ``job``.

    Without default-graph-uri the query runs over the store's own default graph, the merge of the
    named graphs (each triple once; docs/adr/0010), or over its FROM graphs. Several
    default-graph-uri (or FROM) graphs are Oxigraph's bag: a triple once per graph that states it.
    """
    args: dict[str, Any] = {}
    if job.default_graphs:
        args["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
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
    """Run ``job`` on ``store``: the chosen media type and a function that writes the result."""
    media, _, emit = run(store, job)
    return media, emit


def run(store: ox.Store, job: QueryJob) -> tuple[str, bool, Emit]:
    """Run ``job`` on ``store``: the media type, whether the row cap cut the result, its writer.

    Relative IRIs of the query resolve against ``job.base_iri`` (the endpoint's URL). A SELECT
    query whose own LIMIT is within ``max_rows`` is written by Oxigraph's own serialiser,
    streaming. Any other SELECT gets a LIMIT of ``max_rows + 1`` (kg.sparql.dataset.with_row_limit;
    when none can be placed with certainty, rows are counted here) and its first ``max_rows + 1``
    solutions (graph results: triples) are read before anything is written, so that whether the
    cap cut the result is known before the first byte: the writers then mark it in the body
    (kg.sparql.results) and the pool hands the flag on for a response header. Raises
    QueryError("invalid-query") on a syntax error and QueryError("not-acceptable") when no
    media type fits the query form.
    """
    own_limit = with_row_limit(job.query, job.max_rows)
    native = own_limit is not None and own_limit == job.query  # the query's LIMIT is within the cap
    limited = job.query if native else with_row_limit(job.query, job.max_rows + 1)
    try:
        result = store.query(limited or job.query, base_iri=job.base_iri, **_graph_args(job))
    except SyntaxError as error:
        raise QueryError("invalid-query", syntax_message(error)) from error
    if isinstance(result, ox.QuerySolutions):
        media = _pick(job.media_types, SELECT_TYPES)
        if media is None:
            raise QueryError("not-acceptable", f"SELECT results come as {', '.join(SELECT_TYPES)}")
        if native:
            return media, False, _native(result, ASK_TYPES[media])
        variables = [variable.value for variable in result.variables]
        solutions = list(islice(result, job.max_rows + 1))
        truncated = len(solutions) > job.max_rows
        text_chunks = select_chunks(variables, solutions[: job.max_rows], SELECT_TYPES[media], truncated=truncated)
        return media, truncated, _chunks(chunk.encode("utf-8") for chunk in text_chunks)
    if isinstance(result, ox.QueryBoolean):
        media = _pick(job.media_types, ASK_TYPES)
        if media is None:
            raise QueryError("not-acceptable", f"ASK results come as {', '.join(ASK_TYPES)}")
        return media, False, _native(result, ASK_TYPES[media])
    media = _pick(job.media_types, GRAPH_TYPES)
    if media is None:
        raise QueryError("not-acceptable", f"graph results come as {', '.join(GRAPH_TYPES)}")
    triples = list(islice(result, job.max_rows + 1))
    truncated = len(triples) > job.max_rows
    chunks = graph_chunks(triples[: job.max_rows], GRAPH_TYPES[media], truncated=truncated, max_rows=job.max_rows)
    return media, truncated, _chunks(chunks)


def syntax_message(error: Exception) -> str:
    """The message of a parser's error, without Python's or Rust's type names."""
    return clean_message(str(error)) or "the query is not valid SPARQL"


_TYPE_NAME = re.compile(r"^(?:[A-Za-z_][\w.]*(?:Error|Exception)):\s*")


def clean_message(text: str) -> str:
    """``text`` without a leading exception class name ("ValueError: ..."), at most 500 characters."""
    first = _TYPE_NAME.sub("", text.strip())
    return first[:500]


class _Sender:
    """Send a result over the pipe: ("start", media, first, finished, truncated), ("chunk", bytes)..., ("done",).

    The first chunk travels with the media type, so a result of one chunk is one message;
    ``truncated`` says whether the row cap cut the result (known before the first chunk).
    """

    def __init__(self, connection: Connection, media: str, truncated: bool = False) -> None:
        self._connection, self._media, self._truncated = connection, media, truncated
        self._first: bytes | None = None
        self._started = False

    def send(self, chunk: bytes) -> None:
        """Hand on one chunk of the result."""
        if self._started:
            self._connection.send(("chunk", chunk))
        elif self._first is None:
            self._first = chunk
        else:
            self._connection.send(("start", self._media, self._first, False, self._truncated))
            self._connection.send(("chunk", chunk))
            self._started = True

    def finish(self) -> None:
        """Mark the end of the result."""
        if self._started:
            self._connection.send(("done",))
        else:
            self._connection.send(("start", self._media, self._first or b"", True, self._truncated))


NO_REQUESTS = "this endpoint never sends requests to other servers: SERVICE cannot be evaluated"


def _os_error(error: OSError) -> tuple[str, str, str]:
    """The answer to an OSError raised by a query.

    The sandbox's refusal (EACCES) and Oxigraph's HTTP client's own errors (no errno, e.g. a port
    it will not call) mean a SERVICE call: answered alike, whatever the target.
    """
    if error.errno in (None, errno.EACCES):
        return ("error", "forbidden-query", NO_REQUESTS)
    return ("error", "query-failed", clean_message(str(error)) or "the query failed")


def serve(connection: Connection, sandboxed: bool) -> None:
    """Worker main: lock out the network, say ("ready",) or ("unsafe", why), then answer jobs until EOF.

    Each job's answer is the result (see _Sender) or ("error", code, message).
    """
    if not lock_out_and_greet(connection, sandboxed):
        return
    opened: tuple[str, ox.Store] | None = None
    while True:
        try:
            snapshot, job = connection.recv()
        except EOFError:
            return
        try:
            if opened is None or opened[0] != snapshot:
                opened = (snapshot, ox.Store.read_only(snapshot))
            media, truncated, emit = run(opened[1], job)
            sender = _Sender(connection, media, truncated)
            emit(sender.send)
            sender.finish()
        except QueryError as error:
            connection.send(("error", error.code, str(error)))
        except OSError as error:
            connection.send(_os_error(error))
        except Exception as error:  # any evaluation error is the query's: report it
            connection.send(("error", "query-failed", clean_message(str(error)) or "the query could not be evaluated"))
