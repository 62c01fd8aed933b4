"""The graph version of a store another process writes: read again at most every N seconds.

On the embedded store a server is the only writer, so its version moves only with its own merges.
On a SPARQL server several API processes (and any writer) share one store, so each process must
notice a change made elsewhere. The version is what it is on the embedded store, the id of the
newest merged changeset (the highest ``sequenceNumber`` in the history graph, "empty" if none),
read from the store by one small query (``NEWEST``: one row, no history literals) at most once
every ``interval`` seconds (CHIPGRAPH_STORE_VERSION_CHECK; 0: on every request). When it moved,
the owner re-reads its indexes whole. Every writer goes through the merge, and a merge writes
its history record, so a change becomes visible (answers and ETags) within ``interval`` plus one
index read. A write that bypasses the history (a raw SPARQL update on the server) is not seen
until the next merged changeset.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from kg.namespaces import CHANGE_BASE, HISTORY_GRAPH, ONTOLOGY_NS
from kg.store import RemoteStore, term_text

NEWEST = f"""
SELECT ?change WHERE {{
  GRAPH <{HISTORY_GRAPH}> {{ ?change a <{ONTOLOGY_NS}Changeset> ; <{ONTOLOGY_NS}sequenceNumber> ?sequence }}
}} ORDER BY DESC(?sequence) LIMIT 1
"""


def newest_version(store: RemoteStore) -> str:
    """The id of the newest merged changeset in ``store``, or "empty"; raises StoreError if it cannot be read."""
    rows = store.select(NEWEST)
    if not rows:
        return "empty"
    return term_text(rows[0]["change"]).removeprefix(CHANGE_BASE)


class VersionWatch:
    """Calls ``moved(version)`` when the store's version moves; reads it at most every ``interval`` seconds.

    ``check`` is safe from many threads: one thread reads the store at a time; the others, and
    every call within ``interval`` of the last read, return at once.
    """

    def __init__(self, store: RemoteStore, interval: float, seen: str, moved: Callable[[str], None]) -> None:
        self._store = store
        self._interval = interval
        self._seen = seen
        self._moved = moved
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    @property
    def seen(self) -> str:
        """The version the indexes in hand describe."""
        return self._seen

    @seen.setter
    def seen(self, version: str) -> None:
        """Record that the indexes now describe ``version`` (a merge through this process made it)."""
        with self._lock:
            self._seen = version
            self._checked = time.monotonic()

    def check(self) -> None:
        """Read the version if ``interval`` has passed since the last read; call ``moved`` if it changed.

        Raises StoreError if the store cannot be read (the next call tries again).
        """
        if time.monotonic() - self._checked < self._interval and self._interval > 0:
            return
        if not self._lock.acquire(blocking=False):
            return  # another thread is reading it now; answer from the version in hand
        try:
            version = newest_version(self._store)
            if version != self._seen:
                self._moved(version)
                self._seen = version
            self._checked = time.monotonic()
        finally:
            self._lock.release()
