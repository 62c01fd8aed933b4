"""From an update's difference to changesets that kg.merge validates and writes like any other.

The difference is checked again here, on what the update did rather than on what the parse
said: every changed graph must be a source graph or the metadata graph (kg.update.plan's rule),
and every source graph's source must be described in the metadata graph, in the store or by the
same update (kg.merge's rule), else the update is refused with a message saying how.
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.changes import Changeset, ChangesetError
from kg.namespaces import META_GRAPH, ONTOLOGY_NS
from kg.store import OxigraphStore
from kg.update.evaluate import GraphDiff
from kg.update.plan import UpdateError, check_writable

TITLE = "http://purl.org/dc/terms/title"


def changesets(store: OxigraphStore, diffs: list[GraphDiff], *, author: str, message: str) -> list[Changeset]:
    """One changeset per changed graph; raises UpdateError (forbidden-update, source-not-described, invalid-update)."""
    for diff in diffs:
        check_writable(diff.graph)
    try:
        changes = [Changeset(d.graph, d.added, d.removed, author, message) for d in diffs]
    except ChangesetError as error:
        raise UpdateError("invalid-update", str(error)) from error
    _check_sources(store, changes)
    return changes


def _check_sources(store: OxigraphStore, changes: list[Changeset]) -> None:
    """Raise UpdateError("source-not-described") for a changed source graph whose source has no title."""
    titled = {
        triple.subject.value
        for change in changes
        if change.graph == META_GRAPH
        for triple in change.add
        if triple.predicate.value == TITLE and isinstance(triple.subject, ox.NamedNode)
    }
    for change in changes:
        source = change.source_iri
        if change.graph == META_GRAPH or source is None or source in titled:
            continue
        pattern = (ox.NamedNode(source), ox.NamedNode(TITLE), None, ox.NamedNode(META_GRAPH))
        if store.quads_matching(*pattern):
            continue
        example = (
            f'INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{source}> a <{ONTOLOGY_NS}Source> ; <{TITLE}> "..." ; '
            f'<{ONTOLOGY_NS}url> "https://..."^^<http://www.w3.org/2001/XMLSchema#anyURI> }} }} ;'
        )
        raise UpdateError(
            "source-not-described",
            f"the source {source} of graph {change.graph} is not described: describe it in the metadata graph "
            f"in the same update, before or after the data (a title, and a URL or a citation), e.g. {example}",
            {"graph": change.graph, "source": source},
        )
