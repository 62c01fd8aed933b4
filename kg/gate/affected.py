"""What a change can affect: the focus nodes to re-validate, and the facts their shapes read.

A shape's verdict on a focus node depends on the node's own facts (stated or inferred), on the
types of the nodes it points to through a property with sh:class, on chains of transitive
properties, and on facts along the paths a SHACL-SPARQL constraint declares (cgs:readsPath).
"Read" properties are the sh:path of every property shape, the cgs:readsProperties of every
SPARQL constraint and the first step of each read path, with their sub-properties. A changed
triple (s p o) then affects:

1. s; and o, when an inverse of p is read (o gains or loses an inferred fact);
2. when it states a type of s: the nodes that point at s through a read property with sh:class
   (directly, through an inverse, or along a transitive chain);
3. when p (or its inverse) is transitive and read: every node connected to s or o along p;
4. for each read path p1/.../pn: every node x with x p1/.../pk s (k = 1..n).

The neighbourhood of the focus nodes is their stated facts, the facts pointing at them through
properties whose inverse is read, the transitive chains through them, the facts of the nodes on
read paths (in the graph before or after the change), the types of every node named, and the
ontology. Shapes with features this analysis does not cover (non-predicate paths, sh:node,
qualified shapes, other targets, a SPARQL constraint that does not declare what it reads) make
it refuse, and the caller validates everything instead: unsupported shapes fail closed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH

from kg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH, ONTOLOGY_NS
from kg.rdf import fill, sparql_iri, sparql_iris
from kg.store import AnyStore, OxigraphStore, in_memory, term_text

CGS = "https://w3id.org/chipgraph/shapes#"
READS_PATH = rdflib.URIRef(CGS + "readsPath")
READS_PROPERTIES = rdflib.URIRef(CGS + "readsProperties")
RDF_TYPE = ox.NamedNode(str(RDF.type))
UNSUPPORTED = (SH.node, SH.qualifiedValueShape, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.target)
BATCH = 400


class UnsupportedShapesError(RuntimeError):
    """Raised when the shapes use a feature the affected-node analysis does not cover."""


@dataclass(frozen=True)
class Reach:
    """What the shapes read: all read properties, those checked with sh:class, the read paths."""

    read: frozenset[str]
    class_checked: frozenset[str]
    read_paths: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Vocabulary:
    """What the ontology says about properties: inverses, transitivity, sub-properties."""

    inverses: dict[str, set[str]]
    transitive: set[str]
    subproperties: dict[str, set[str]]

    def closed(self, properties: Iterable[str]) -> set[str]:
        """The properties and all their sub-properties."""
        result = set(properties)
        for prop in list(result):
            result |= self.subproperties.get(prop, set())
        return result


def _list(shapes: rdflib.Graph, head: rdflib.term.Node) -> tuple[str, ...]:
    return tuple(str(step) for step in rdflib.collection.Collection(shapes, head))


def shapes_reach(shapes: rdflib.Graph) -> Reach:
    """Analyse the shapes; raise UnsupportedShapesError for a feature the analysis does not cover."""
    for predicate in UNSUPPORTED:
        if (None, predicate, None) in shapes:
            raise UnsupportedShapesError(f"shapes use {predicate}, which incremental validation does not follow")
    read: set[str] = set()
    class_checked: set[str] = set()
    for shape, path in shapes.subject_objects(SH.path):
        if not isinstance(path, rdflib.URIRef):
            raise UnsupportedShapesError(f"shapes use a complex sh:path ({path}); only predicate paths are followed")
        read.add(str(path))
        if (shape, SH["class"], None) in shapes:
            class_checked.add(str(path))
    for constraint in shapes.objects(None, SH.sparql):
        declared = shapes.value(constraint, READS_PROPERTIES)
        if declared is None:
            raise UnsupportedShapesError(f"a SPARQL constraint ({constraint}) does not declare cgs:readsProperties")
        read |= set(_list(shapes, declared))
    paths = tuple(sorted(_list(shapes, head) for head in shapes.objects(None, READS_PATH)))
    read |= {path[0] for path in paths}
    return Reach(frozenset(read), frozenset(class_checked), paths)


VOCABULARY = f"""PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?kind ?a ?b WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{
  {{ ?a owl:inverseOf ?b BIND("inverse" AS ?kind) }}
  UNION {{ ?a a owl:TransitiveProperty BIND("transitive" AS ?kind) }}
  UNION {{ ?a rdfs:subPropertyOf+ ?b BIND("sub" AS ?kind) }}
}} }}"""


def vocabulary(store: AnyStore) -> Vocabulary:
    """Read inverses, transitive properties and sub-properties from the store's ontology.

    On a SPARQL server the query runs on an in-memory copy of the ontology (kg.store.in_memory).
    """
    inverses: dict[str, set[str]] = defaultdict(set)
    transitive: set[str] = set()
    subproperties: dict[str, set[str]] = defaultdict(set)
    for row in in_memory(store, [ONTOLOGY_GRAPH]).select(VOCABULARY):
        kind, a, b = (term_text(row[name]) if name in row else "" for name in ("kind", "a", "b"))
        if kind == "transitive":
            transitive.add(a)
        elif kind == "inverse":
            inverses[a].add(b)
            inverses[b].add(a)
        else:
            subproperties[b].add(a)
    transitive |= {inverse for prop in list(transitive) for inverse in inverses.get(prop, set())}
    return Vocabulary(dict(inverses), transitive, dict(subproperties))


def batches(nodes: Iterable[str]) -> Iterable[str]:
    """The nodes as VALUES lists of at most BATCH IRIs each (written by kg.rdf.sparql_iris)."""
    ordered = sorted(nodes)
    for begin in range(0, len(ordered), BATCH):
        yield sparql_iris(ordered[begin : begin + BATCH])


def _iris(store: AnyStore, query: str, nodes: Iterable[str]) -> set[str]:
    """Run ``query`` ($VALUES replaced by the nodes, in batches); return the IRIs bound to ?x."""
    found: set[str] = set()
    for values in batches(nodes):
        for row in store.select(fill(query, {"VALUES": values})):
            term = row.get("x")
            if isinstance(term, ox.NamedNode):
                found.add(term.value)
    return found


def _path(steps: tuple[str, ...]) -> str:
    return "/".join(sparql_iri(step) for step in steps)


def connected(store: AnyStore, nodes: Iterable[str], properties: Iterable[str]) -> set[str]:
    """Every node linked to ``nodes`` by chains of ``properties`` in either direction (``nodes`` included).

    One property-path query on the embedded store; on a SPARQL server one step at a time until no
    new node is reached (Virtuoso 7.2 refuses a ``*`` path whose start comes from VALUES:
    "transitive start not given"). The inferred closure makes that two or three steps.
    """
    props = sorted(properties)
    if not props:
        return set()
    if isinstance(store, OxigraphStore):
        step = "|".join(f"{sparql_iri(p)}|^{sparql_iri(p)}" for p in props)
        return _iris(store, f"SELECT DISTINCT ?x WHERE {{ VALUES ?n {{ $VALUES }} ?x ({step})* ?n }}", nodes)
    listed = ", ".join(sparql_iri(prop) for prop in props)
    query = (
        f"SELECT DISTINCT ?x WHERE {{ VALUES ?n {{ $VALUES }} {{ ?x ?p ?n }} UNION {{ ?n ?p ?x }} "
        f"FILTER(?p IN ({listed})) }}"
    )
    reached = set(nodes)
    frontier = set(reached)
    while frontier:
        frontier = _iris(store, query, frontier) - reached
        reached |= frontier
    return reached


def _iri(term: object) -> str | None:
    return term.value if isinstance(term, ox.NamedNode) else None


def _changed_links(changed: set[ox.Triple]) -> list[tuple[str, str, str]]:
    """The changed triples between two IRIs, as (subject, predicate, object) strings."""
    links = []
    for triple in changed:
        subject, obj = _iri(triple.subject), _iri(triple.object)
        if subject is not None and obj is not None:
            links.append((subject, triple.predicate.value, obj))
    return links


def _linked(
    store: AnyStore, nodes: set[str], changed: set[ox.Triple], properties: set[str], *, incoming: bool
) -> set[str]:
    """Nodes x with (x p n) if ``incoming``, else (n p x): n in ``nodes``, p in ``properties``."""
    if not properties or not nodes:
        return set()
    pattern = "?x ?p ?n" if incoming else "?n ?p ?x"
    listed = ", ".join(sparql_iri(prop) for prop in sorted(properties))
    # Bind ?n first and filter ?p: the store then looks each node up by its index instead of
    # scanning every triple of each property (measured: 0.9 s -> ms at 1 M triples).
    query = f"SELECT DISTINCT ?x WHERE {{ VALUES ?n {{ $VALUES }} {pattern} FILTER(?p IN ({listed})) }}"
    found = _iris(store, query, nodes)
    for subject, predicate, obj in _changed_links(changed):
        if predicate in properties:
            near, far = (obj, subject) if incoming else (subject, obj)
            if near in nodes:
                found.add(far)
    return found


def focus_nodes(store: AnyStore, changed: set[ox.Triple], reach: Reach, vocab: Vocabulary) -> set[str]:
    """The nodes whose verdict a change of ``changed`` can alter (see the module's rules)."""
    read, class_checked = vocab.closed(reach.read), vocab.closed(reach.class_checked)
    focus = {subject for triple in changed if (subject := _iri(triple.subject)) is not None}
    focus |= {o for _, p, o in _changed_links(changed) if vocab.inverses.get(p, set()) & read}
    retyped = {subject for t in changed if t.predicate == RDF_TYPE and (subject := _iri(t.subject)) is not None}
    focus |= _linked(store, retyped, changed, class_checked, incoming=True)
    inverse_checked = {p for p in vocab.inverses if vocab.inverses[p] & class_checked}
    focus |= _linked(store, retyped, changed, inverse_checked, incoming=False)
    focus |= connected(store, retyped, vocab.transitive & class_checked)
    for subject, predicate, obj in _changed_links(changed):
        if predicate in vocab.transitive and ({predicate} | vocab.inverses.get(predicate, set())) & read:
            focus |= connected(store, {subject, obj}, [predicate]) | {subject, obj}
    subjects = {subject for triple in changed if (subject := _iri(triple.subject)) is not None}
    for path in reach.read_paths:
        for k in range(1, len(path) + 1):
            query = f"SELECT DISTINCT ?x WHERE {{ VALUES ?n {{ $VALUES }} ?x {_path(path[:k])} ?n }}"
            focus |= _iris(store, query, subjects)
    return focus


NOT_INFERRED = f"FILTER(?g != <{INFERRED_GRAPH}>)"
QUADS_OUT = f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ $VALUES }} GRAPH ?g {{ ?s ?p ?o }} {NOT_INFERRED} }}"
QUADS_IN = (
    "SELECT ?s ?p ?o ?g WHERE { VALUES ?o { $VALUES } "
    f"GRAPH ?g {{ ?s ?p ?o }} {NOT_INFERRED} FILTER(?p IN ($PROPERTIES)) }}"
)
TYPES = (
    f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ $VALUES }} BIND(<{RDF.type}> AS ?p) "
    f"GRAPH ?g {{ ?s ?p ?o }} {NOT_INFERRED} }}"
)


def _quads(store: AnyStore, query: str, nodes: Iterable[str]) -> set[ox.Quad]:
    quads: set[ox.Quad] = set()
    for values in batches(nodes):
        for row in store.select(fill(query, {"VALUES": values})):
            quads.add(ox.Quad(row["s"], row["p"], row["o"], row["g"]))  # type: ignore[arg-type]
    return quads


def along(store: AnyStore, start: set[str], path: tuple[str, ...], changed: set[ox.Triple]) -> set[str]:
    """The nodes on ``path`` from ``start``, step by step, in the store or through changed triples.

    Following the changed triples too (added ones, say a new classification) reaches the nodes
    the graph after the change has on the path; the extra nodes of removed triples do no harm.
    """
    reached: set[str] = set()
    frontier = start
    for step in path:
        query = f"SELECT DISTINCT ?x WHERE {{ VALUES ?n {{ $VALUES }} ?n {sparql_iri(step)} ?x }}"
        frontier = _iris(store, query, frontier) | {
            o for s, p, o in _changed_links(changed) if p == step and s in frontier
        }
        reached |= frontier
    return reached


def neighbourhood(
    store: AnyStore, focus: set[str], changed: set[ox.Triple], reach: Reach, vocab: Vocabulary
) -> set[ox.Quad]:
    """The stated quads (before the change) that validating ``focus`` after the change reads."""
    data = {node for node in focus if not node.startswith(ONTOLOGY_NS)}
    read = vocab.closed(reach.read)
    quads = _quads(store, QUADS_OUT, data)
    inverse_read = {p for p, inverses in vocab.inverses.items() if inverses & read}
    if inverse_read:
        listed = ", ".join(sparql_iri(prop) for prop in sorted(inverse_read))
        quads |= _quads(store, fill(QUADS_IN, {"PROPERTIES": listed}), data)
    chains = connected(store, data, vocab.transitive & (read | inverse_read))
    quads |= _quads(store, QUADS_OUT, chains - data)
    for path in reach.read_paths:
        quads |= _quads(store, QUADS_OUT, along(store, data, path, changed))
    named = {iri for quad in quads for iri in (_iri(quad.subject), _iri(quad.object)) if iri}
    named |= {iri for triple in changed for iri in (_iri(triple.subject), _iri(triple.object)) if iri}
    quads |= _quads(store, TYPES, {node for node in named if not node.startswith(ONTOLOGY_NS)})
    return quads | set(store.quads(ONTOLOGY_GRAPH))
