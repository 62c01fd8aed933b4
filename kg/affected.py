"""What a change can affect: the focus nodes to re-validate, and the facts their shapes read.

A shape's verdict on a focus node depends on the node's own facts, on the types of the nodes it
points to or is pointed to by (sh:class, and inverse properties inferred), on chains of
transitive properties, and on the facts along the paths a SHACL-SPARQL constraint declares with
cgs:readsPath. So a changed triple (s p o) affects:

1. s and o themselves;
2. when the triple is a type statement: every node linked to s, either way (sh:class);
3. when p or its inverse is transitive: every node connected to s or o along p (the chain);
4. for each declared read path p1/.../pn: every node x with x p1/.../pk s (k = 1..n).

The neighbourhood of the focus nodes is every stated quad they are subject or object of, the
type statements of the nodes those quads name, the transitive chains through them, the facts of
the nodes on declared read paths, and the ontology. Shapes with features this analysis does not
cover (non-predicate paths, sh:node, qualified shapes, other targets) make it refuse, and the
caller validates everything instead: an unsupported shape fails closed, never "conforms".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH

from kg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH, ONTOLOGY_NS
from kg.store import OxigraphStore

READS_PATH = rdflib.URIRef("https://w3id.org/chipgraph/shapes#readsPath")
RDF_TYPE = ox.NamedNode(str(RDF.type))
UNSUPPORTED = (SH.node, SH.qualifiedValueShape, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.target)
BATCH = 400


class UnsupportedShapesError(RuntimeError):
    """Raised when the shapes use a feature the affected-node analysis does not cover."""


@dataclass(frozen=True)
class Reach:
    """What the shapes read beyond a focus node's own facts: the declared read paths."""

    read_paths: tuple[tuple[str, ...], ...]


def shapes_reach(shapes: rdflib.Graph) -> Reach:
    """Analyse the shapes; raise UnsupportedShapesError for a feature the analysis does not cover."""
    for predicate in UNSUPPORTED:
        if (None, predicate, None) in shapes:
            raise UnsupportedShapesError(f"shapes use {predicate}, which incremental validation does not follow")
    for path in shapes.objects(None, SH.path):
        if not isinstance(path, rdflib.URIRef):
            raise UnsupportedShapesError(f"shapes use a complex sh:path ({path}); only predicate paths are followed")
    paths = []
    for head in shapes.objects(None, READS_PATH):
        paths.append(tuple(str(step) for step in rdflib.collection.Collection(shapes, head)))
    return Reach(tuple(sorted(paths)))


def _batches(nodes: Iterable[str]) -> Iterable[str]:
    """The nodes as VALUES lists of at most BATCH IRIs each."""
    ordered = sorted(nodes)
    for begin in range(0, len(ordered), BATCH):
        yield " ".join(f"<{node}>" for node in ordered[begin : begin + BATCH])


def _iris(store: OxigraphStore, query: str, nodes: Iterable[str]) -> set[str]:
    """Run ``query`` ($VALUES replaced by the nodes, in batches); return the IRIs bound to ?x."""
    found: set[str] = set()
    for values in _batches(nodes):
        for row in store.select(query.replace("$VALUES", values)):
            term = row.get("x")
            if isinstance(term, ox.NamedNode):
                found.add(term.value)
    return found


def _path(steps: tuple[str, ...]) -> str:
    return "/".join(f"<{step}>" for step in steps)


TRANSITIVE = f"""PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT DISTINCT ?x WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{
  {{ ?x a owl:TransitiveProperty }}
  UNION {{ ?t a owl:TransitiveProperty . ?x owl:inverseOf ?t }}
  UNION {{ ?t a owl:TransitiveProperty . ?t owl:inverseOf ?x }}
}} }}"""


def transitive_properties(store: OxigraphStore) -> set[str]:
    """Transitive properties of the ontology, and the inverses of transitive properties."""
    return {row["x"].value for row in store.select(TRANSITIVE) if isinstance(row["x"], ox.NamedNode)}


def connected(store: OxigraphStore, nodes: Iterable[str], properties: Iterable[str]) -> set[str]:
    """Every node linked to ``nodes`` by chains of ``properties`` in either direction."""
    props = sorted(properties)
    if not props:
        return set()
    step = "|".join(f"<{p}>|^<{p}>" for p in props)
    return _iris(store, f"SELECT DISTINCT ?x WHERE {{ VALUES ?n {{ $VALUES }} ?x ({step})* ?n }}", nodes)


def _iri_parts(triples: Iterable[ox.Triple]) -> set[str]:
    parts = set()
    for triple in triples:
        for term in (triple.subject, triple.object):
            if isinstance(term, ox.NamedNode):
                parts.add(term.value)
    return parts


LINKED = "SELECT DISTINCT ?x WHERE { VALUES ?n { $VALUES } { ?x ?p ?n } UNION { ?n ?p ?x } FILTER(isIRI(?x)) }"


def focus_nodes(store: OxigraphStore, changed: set[ox.Triple], reach: Reach) -> set[str]:
    """The nodes whose verdict a change of ``changed`` can alter (see the module's rules)."""
    focus = _iri_parts(changed)
    retyped = {t.subject.value for t in changed if t.predicate == RDF_TYPE and isinstance(t.subject, ox.NamedNode)}
    focus |= _iris(store, LINKED, retyped)
    focus |= _iri_parts(t for t in changed if _iri_parts([t]) & retyped)
    transitive = transitive_properties(store)
    for triple in (t for t in changed if t.predicate.value in transitive):
        focus |= connected(store, _iri_parts([triple]), [triple.predicate.value])
    subjects = {t.subject.value for t in changed if isinstance(t.subject, ox.NamedNode)}
    for path in reach.read_paths:
        for k in range(1, len(path) + 1):
            focus |= _iris(
                store, f"SELECT DISTINCT ?x WHERE {{ VALUES ?n {{ $VALUES }} ?x {_path(path[:k])} ?n }}", subjects
            )
    return focus


NOT_INFERRED = f"FILTER(?g != <{INFERRED_GRAPH}>)"
QUADS_OUT = f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ $VALUES }} GRAPH ?g {{ ?s ?p ?o }} {NOT_INFERRED} }}"
QUADS_IN = f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?o {{ $VALUES }} GRAPH ?g {{ ?s ?p ?o }} {NOT_INFERRED} }}"
TYPES = (
    f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ $VALUES }} BIND(<{RDF.type}> AS ?p) "
    f"GRAPH ?g {{ ?s ?p ?o }} {NOT_INFERRED} }}"
)


def _quads(store: OxigraphStore, query: str, nodes: Iterable[str]) -> set[ox.Quad]:
    quads: set[ox.Quad] = set()
    for values in _batches(nodes):
        for row in store.select(query.replace("$VALUES", values)):
            quads.add(ox.Quad(row["s"], row["p"], row["o"], row["g"]))  # type: ignore[arg-type]
    return quads


def along(store: OxigraphStore, start: set[str], path: tuple[str, ...], changed: set[ox.Triple]) -> set[str]:
    """The nodes on ``path`` from ``start``, step by step, in the store or through changed triples.

    Following the changed triples too (added ones, say a new classification) reaches the nodes
    the graph after the change has on the path; the extra nodes of removed triples do no harm.
    """
    reached: set[str] = set()
    frontier = start
    for step in path:
        query = f"SELECT DISTINCT ?x WHERE {{ VALUES ?n {{ $VALUES }} ?n <{step}> ?x }}"
        frontier = _iris(store, query, frontier) | {
            t.object.value
            for t in changed
            if t.predicate.value == step
            and isinstance(t.subject, ox.NamedNode)
            and t.subject.value in frontier
            and isinstance(t.object, ox.NamedNode)
        }
        reached |= frontier
    return reached


def neighbourhood(store: OxigraphStore, focus: set[str], changed: set[ox.Triple], reach: Reach) -> set[ox.Quad]:
    """The stated quads (before the change) that validating ``focus`` after the change reads."""
    data = focus - {node for node in focus if node.startswith(ONTOLOGY_NS)}
    quads = _quads(store, QUADS_OUT, data) | _quads(store, QUADS_IN, data)
    quads |= _quads(store, QUADS_OUT, connected(store, data, transitive_properties(store)) - data)
    for path in reach.read_paths:
        quads |= _quads(store, QUADS_OUT, along(store, data, path, changed))
    named = _iri_parts(quad.triple for quad in quads) | _iri_parts(changed)
    quads |= _quads(store, TYPES, {node for node in named if not node.startswith(ONTOLOGY_NS)})
    return quads | set(store.quads(ONTOLOGY_GRAPH))
