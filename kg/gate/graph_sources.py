"""Which source a written graph speaks for, and whether that source is described.

A graph may be written once its source is described in the metadata graph (a ``dcterms:title``,
and a URL or a citation, which the shapes check), whatever the graph's IRI (docs/adr/0013):

- a graph ``GRAPH_BASE + SLUG`` speaks for the source ``SOURCE_BASE + SLUG`` (ADR 0002's
  convention; kg.namespaces.source_for_graph);
- any other graph names its source in the metadata graph: ``<graph> prov:hadPrimarySource <source>``
  (the triple the build states for every curated graph), which also wins over the convention
  (a graph the Graph Store Protocol creates under a server-chosen name is linked so).

Both the triple that links a graph to its source and the source's title may come from the store
or from the metadata-graph changesets of the same merge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pyoxigraph as ox

from kg.gate.changes import Changeset, ChangesetError
from kg.namespaces import META_GRAPH, ONTOLOGY_NS
from kg.store import AnyStore

TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
PRIMARY_SOURCE = ox.NamedNode("http://www.w3.org/ns/prov#hadPrimarySource")
META = ox.NamedNode(META_GRAPH)


class SourceNotDescribedError(ChangesetError):
    """Raised when a written graph's source is unknown or has no title; ``graph`` and ``source`` say which."""

    def __init__(self, graph: str, source: str | None) -> None:
        self.graph, self.source = graph, source
        if source is None:
            what = (
                f"the graph {graph} names no source: state <{graph}> <{PRIMARY_SOURCE.value}> <SOURCE> in the "
                f"metadata graph {META_GRAPH} and describe SOURCE there"
            )
        else:
            what = (
                f"the source {source} of graph {graph} is not described: describe it in the metadata graph {META_GRAPH}"
            )
        example = (
            f"e.g. INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{source or 'SOURCE'}> a <{ONTOLOGY_NS}Source> ; "
            f'<{TITLE.value}> "..." ; <{ONTOLOGY_NS}url> "https://..."^^<http://www.w3.org/2001/XMLSchema#anyURI> }} }}'
        )
        super().__init__(f"{what} (a title, and a URL or a citation), before or in the same write; {example}")


def with_sources(store: AnyStore, changesets: list[Changeset]) -> list[Changeset]:
    """The changesets, each naming the source it speaks for; raises SourceNotDescribedError.

    A changeset of the metadata graph needs no source. A changeset that names its source keeps
    it; else the graph's ``prov:hadPrimarySource`` in the metadata graph (this merge's additions
    first), else the naming convention.
    """
    pending = [t for change in changesets if change.graph == META_GRAPH for t in change.add]
    named = []
    for change in changesets:
        if change.graph == META_GRAPH:
            named.append(change)
            continue
        source = change.source or _declared_source(store, change.graph, pending) or change.source_iri
        if source is None or not _titled(store, source, pending):
            raise SourceNotDescribedError(change.graph, source)
        named.append(change if change.source_iri == source else replace(change, source=source))
    return named


def _declared_source(store: AnyStore, graph: str, pending: Iterable[ox.Triple]) -> str | None:
    """The source ``<graph> prov:hadPrimarySource`` names in the metadata graph (this merge's first), or None."""
    subject = ox.NamedNode(graph)
    for triple in pending:
        if triple.subject == subject and triple.predicate == PRIMARY_SOURCE and isinstance(triple.object, ox.NamedNode):
            return triple.object.value
    for quad in store.quads_matching(subject, PRIMARY_SOURCE, None, META):
        if isinstance(quad.object, ox.NamedNode):
            return quad.object.value
    return None


def _titled(store: AnyStore, source: str, pending: Iterable[ox.Triple]) -> bool:
    """Whether the metadata graph (or this merge's additions to it) gives ``source`` a title."""
    subject = ox.NamedNode(source)
    if any(t.subject == subject and t.predicate == TITLE for t in pending):
        return True
    return next(iter(store.quads_matching(subject, TITLE, None, META)), None) is not None
