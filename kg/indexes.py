"""The read indexes of one version of the graph, and how a merge updates them from its changesets.

A server answers look-ups from a few indexes read from the store (issue 14 item 2): entity names
(labels), the search index, the sources of the data graphs, the export-control rulebook, and the
chips that have export-control facts. ``ReadIndexes.read`` reads them all; ``updated`` gives the
indexes of the graph after a merge from the merged changesets, re-reading only what those can
change. What a changeset can change, and therefore what is read again:

- names and search entries: those of the subjects it touches (a name, alias or citation is a
  statement about the entity itself; the rules infer such statements only from statements about
  the same subject: sub-properties);
- sources and the rulebook's confidence levels: only a changeset of the metadata graph;
- the rulebook: only if a touched subject is a rule node (criterion, classification, licence
  requirement, Entity List entry, act, licensing policy, licence exception) before or after;
- the export-control chips: the touched IRIs' membership is asked again; when the change uses a
  property that decides membership for other nodes (coversChip, eccnClassification,
  listedEntity, subsidiaryOf, or a property the rules turn into one of them) or a type that is
  (a subclass of) LicenceRequirement or EntityListEntry, the whole set is read again.

A changeset of the ontology or the inferred graph, or changes touching more than MAX_TOUCHED
IRIs (a bulk import: one whole read is cheaper than thousands of small ones), re-read
everything. Tests compare the result with ``read`` after merges and reverts
(tests/http/test_indexes_after_merge.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from kg import catalog
from kg.gate.changes import Changeset
from kg.namespaces import INFERRED_GRAPH, META_GRAPH, ONTOLOGY_GRAPH, ONTOLOGY_NS
from kg.rdf import sparql_iris
from kg.rulebook import Rulebook
from kg.store import AnyStore, in_memory, term_text

CG = ONTOLOGY_NS
RULE_CLASSES = (
    "ClassificationCriterion",
    "ExportControlClassification",
    "LicenceRequirement",
    "EntityListEntry",
    "LegalAct",
    "LicensingPolicy",
    "LicenceException",
)
MAX_TOUCHED = 5000  # a change that touches more IRIs (a bulk import) re-reads the indexes whole
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
# Properties whose statements decide whether *other* chips have export-control facts.
EXPORT_CONTROL_PROPERTIES = ("coversChip", "eccnClassification", "listedEntity", "subsidiaryOf")
EXPORT_CONTROL_CLASSES = ("LicenceRequirement", "EntityListEntry")

PROPERTIES_INFERRING = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT DISTINCT ?p WHERE {
  VALUES ?base { $BASES }
  GRAPH <$ONTOLOGY> { ?p (rdfs:subPropertyOf|owl:inverseOf|^owl:inverseOf)+ ?base }
}
"""
SUBCLASSES = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?c WHERE {
  VALUES ?base { $BASES }
  GRAPH <$ONTOLOGY> { ?c rdfs:subClassOf+ ?base }
}
"""
TYPED = """
SELECT DISTINCT ?node WHERE { VALUES ?node { $NODES } VALUES ?class { $CLASSES } ?node a ?class }
"""


@dataclass(frozen=True)
class ReadIndexes:
    """The indexes of one version of the graph (``version``: the newest change id, or "empty")."""

    version: str
    labels: catalog.LabelIndex
    search: catalog.SearchIndex
    sources: catalog.SourceIndex
    rulebook: Rulebook
    export_control_chips: frozenset[str]
    listed_organisations: frozenset[str]

    @classmethod
    def read(cls, store: AnyStore, version: str) -> ReadIndexes:
        """Every index read whole from ``store``."""
        sources = catalog.source_index(store)
        listed = catalog.listed_organisations(store)
        return cls(
            version=version,
            labels=catalog.label_index(store),
            search=catalog.SearchIndex.build(store),
            sources=sources,
            rulebook=Rulebook.read(store, sources),
            export_control_chips=frozenset(catalog.export_control_chips(store, listed=listed)),
            listed_organisations=frozenset(listed),
        )

    def updated(self, store: AnyStore, version: str, merged: Iterable[Changeset]) -> ReadIndexes:
        """The indexes of ``store`` after the ``merged`` changesets, these being the indexes before them.

        Equal to ``read(store, version)``; only what the changesets can change is read again
        (see the module's docstring).
        """
        changes = list(merged)
        graphs = {change.graph for change in changes}
        triples = [triple for change in changes for triple in (*change.add, *change.remove)]
        subjects = {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)}
        touched = subjects | {t.object.value for t in triples if isinstance(t.object, ox.NamedNode)}
        if graphs & {ONTOLOGY_GRAPH, INFERRED_GRAPH} or len(touched) > MAX_TOUCHED:
            return ReadIndexes.read(store, version)
        sources = catalog.source_index(store) if META_GRAPH in graphs else self.sources
        rulebook = self.rulebook
        if META_GRAPH in graphs or self._touches_rules(store, subjects):
            rulebook = Rulebook.read(store, sources)
        chips, listed = self._export_control(store, triples, touched)
        return ReadIndexes(
            version=version,
            labels=catalog.updated_labels(store, self.labels, changes),
            search=self.search.updated(store, subjects),
            sources=sources,
            rulebook=rulebook,
            export_control_chips=chips,
            listed_organisations=listed,
        )

    def _touches_rules(self, store: AnyStore, subjects: set[str]) -> bool:
        """Whether a subject is a rule node of the rulebook before the change, or is typed one now."""
        book = self.rulebook
        before = (book.criteria, book.classifications, book.requirements, book.entries, book.acts)
        if any(subject in nodes for nodes in (*before, book.policies, book.exceptions) for subject in subjects):
            return True
        if not subjects:
            return False
        classes = sparql_iris([CG + name for name in RULE_CLASSES])
        query = TYPED.replace("$NODES", sparql_iris(sorted(subjects))).replace("$CLASSES", classes)
        return bool(store.select(query))

    def _export_control(
        self, store: AnyStore, triples: list[ox.Triple], touched: set[str]
    ) -> tuple[frozenset[str], frozenset[str]]:
        """The export-control chips and listed organisations after the change (see the module's docstring)."""
        properties = [CG + name for name in EXPORT_CONTROL_PROPERTIES]
        ontology = in_memory(store, [ONTOLOGY_GRAPH])  # paths a SPARQL server may refuse (kg.store.in_memory)
        query = PROPERTIES_INFERRING.replace("$BASES", sparql_iris(properties)).replace("$ONTOLOGY", ONTOLOGY_GRAPH)
        deciding = {*properties, *(term_text(row["p"]) for row in ontology.select(query))}
        bases = [CG + name for name in EXPORT_CONTROL_CLASSES]
        query = SUBCLASSES.replace("$BASES", sparql_iris(bases)).replace("$ONTOLOGY", ONTOLOGY_GRAPH)
        classes = {*bases, *(term_text(row["c"]) for row in ontology.select(query))}
        if any(
            t.predicate.value in deciding or (t.predicate.value == RDF_TYPE and term_text(t.object) in classes)
            for t in triples
        ):
            listed = catalog.listed_organisations(store)
            return frozenset(catalog.export_control_chips(store, listed=listed)), frozenset(listed)
        listed = set(self.listed_organisations)
        chips = (self.export_control_chips - touched) | catalog.export_control_chips(store, touched, listed)
        return frozenset(chips), self.listed_organisations
