"""One writer at a time on a SPARQL server: a lock kept in the server itself, through SPARQL Update.

Several chipgraph processes (API servers behind a load balancer, a CLI) may write to one server.
A merge reads the graph, computes what to write, then writes it (kg/gate/replay.py); two merges
interleaved that way would both compute from the graph before the other, so they take this lock
first. The server is the only thing all of them share, so the lock lives there, in a graph of its
own (``LOCK_GRAPH``, never listed as chipgraph's):

1. *claim*: insert ``<urn:chipgraph:lock:TOKEN> lock:since NOW()`` (the server's clock);
2. *look*: read every claim with the server's NOW(); claims older than ``ttl`` seconds are
   stale (their holder died) and are deleted;
3. the lock is held when the only live claim is ours; otherwise ours is withdrawn and the claim
   is tried again after a random pause, until ``wait`` seconds have passed.

Each claimer writes before it reads, and each request is committed before the next one starts, so
of two concurrent claimers at least one sees the other's claim: never both hold the lock (both may
step back; the random pause breaks the tie). A holder that outlives ``ttl`` may lose the lock; the
merge's own fence (its write is conditional on the history it read, kg/gate/replay.py) then refuses
its write instead of losing another's. Only standard SPARQL 1.1 is sent.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.store import StoreError, term_text

if TYPE_CHECKING:
    from kg.store.remote import RemoteStore

LOCK_GRAPH = "urn:chipgraph:lock"
SINCE = ox.NamedNode("urn:chipgraph:lock#since")
CLAIM_PREFIX = "urn:chipgraph:lock:"


class StoreBusyError(StoreError):
    """Raised when another chipgraph process holds the server's write lock for longer than the wait."""


class ServerLock:
    """The write lock of one RemoteStore; re-entrant within the thread that holds it."""

    def __init__(self, store: RemoteStore, *, ttl: float, wait: float) -> None:
        """Lock ``store``'s server for writers: claims stale after ``ttl`` seconds, give up after ``wait``."""
        self._store = store
        self._ttl = ttl
        self._wait = wait
        self._local = threading.RLock()
        self._depth = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the block (at once if this thread holds it already).

        Raises StoreBusyError when another process holds it past the wait, StoreError when the
        server cannot be reached. The claim is withdrawn at the end, failures included.
        """
        with self._local:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            claim = self._acquire()
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0
                self._withdraw(claim)

    def _acquire(self) -> ox.NamedNode:
        """Claim until ours is the only live claim; raise StoreBusyError at the deadline."""
        deadline = time.monotonic() + self._wait
        pause = 0.05
        while True:
            claim = ox.NamedNode(CLAIM_PREFIX + uuid.uuid4().hex)
            self._store.update(
                f"INSERT {{ GRAPH <{LOCK_GRAPH}> {{ {claim} {SINCE} ?now }} }} "
                "WHERE { SELECT * { BIND(NOW() AS ?now) } }"
            )
            live = self._live_claims()
            if live == [claim]:
                return claim
            self._withdraw(claim)
            if time.monotonic() + pause > deadline:
                raise StoreBusyError(
                    f"another chipgraph process is writing to the SPARQL server at {self._store.update_url} "
                    f"(waited {self._wait:g} s for its write lock): retry later"
                )
            time.sleep(pause * (1 + random.random()))
            pause = min(pause * 2, 1.0)

    def _live_claims(self) -> list[ox.NamedNode]:
        """The claims younger than the time to live, oldest first; stale ones are deleted."""
        rows = self._store.select_unscoped(
            f"SELECT ?claim ?since (NOW() AS ?now) WHERE {{ GRAPH <{LOCK_GRAPH}> {{ ?claim {SINCE} ?since }} }}"
        )
        live: list[tuple[datetime, ox.NamedNode]] = []
        for row in rows:
            claim, since = row.get("claim"), _time(row.get("since"))
            if not isinstance(claim, ox.NamedNode):
                continue
            if since is None or (_time(row.get("now")) or since) - since > timedelta(seconds=self._ttl):
                self._withdraw(claim)
            else:
                live.append((since, claim))
        return [claim for _, claim in sorted(live, key=lambda pair: (pair[0], pair[1].value))]

    def _withdraw(self, claim: ox.NamedNode) -> None:
        """Delete one claim (nothing if it is gone already)."""
        self._store.update(
            f"DELETE {{ GRAPH <{LOCK_GRAPH}> {{ {claim} {SINCE} ?since }} }} "
            f"WHERE {{ GRAPH <{LOCK_GRAPH}> {{ {claim} {SINCE} ?since }} }}"
        )


def _time(term: object) -> datetime | None:
    """A dateTime literal as a naive UTC datetime (a time without zone taken as UTC), or None."""
    if not isinstance(term, ox.Literal):
        return None
    text = term_text(term).replace("Z", "+00:00")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
