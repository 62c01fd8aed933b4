"""From an update's difference to changesets that kg.gate.merge validates and writes like any other.

The difference is checked again here, on what the update did rather than on what the parse
said: no changed graph may be a system graph (kg.update.plan's rule), and every changed graph's
source must be described in the metadata graph, in the store or by the same update
(kg.gate.graph_sources, the merge's rule), else the update is refused with a message saying how.
"""

from __future__ import annotations

from kg.gate import graph_sources
from kg.gate.changes import Changeset, ChangesetError
from kg.store import AnyStore
from kg.update.evaluate import GraphDiff
from kg.update.plan import UpdateError, check_writable


def changesets(store: AnyStore, diffs: list[GraphDiff], *, author: str, message: str) -> list[Changeset]:
    """One changeset per changed graph; raises UpdateError (forbidden-update, source-not-described, invalid-update)."""
    for diff in diffs:
        check_writable(diff.graph)
    try:
        changes = [Changeset(d.graph, d.added, d.removed, author, message) for d in diffs]
    except ChangesetError as error:
        raise UpdateError("invalid-update", str(error)) from error
    try:
        return graph_sources.with_sources(store, changes)
    except graph_sources.SourceNotDescribedError as error:
        raise UpdateError("source-not-described", str(error), {"graph": error.graph, "source": error.source}) from error
