"""Small bridges between pyoxigraph (parsing, the store) and rdflib (pyshacl, owlready2 input).

And the one way values enter SPARQL text: as terms written by pyoxigraph (sparql_iri,
sparql_literal), which cannot break out of their place, put into a template by fill.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyoxigraph as ox
import rdflib

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def rdf_format(path: Path) -> ox.RdfFormat:
    """TriG for a .trig file, Turtle for anything else."""
    return ox.RdfFormat.TRIG if path.suffix == ".trig" else ox.RdfFormat.TURTLE


def sparql_iri(iri: str) -> str:
    """``<iri>`` as pyoxigraph writes it; raises ValueError unless ``iri`` is an absolute IRI."""
    return str(ox.NamedNode(iri))


def sparql_iris(iris: Iterable[str]) -> str:
    """IRIs written by sparql_iri, separated by spaces (for VALUES); raises ValueError as it does."""
    return " ".join(sparql_iri(iri) for iri in iris)


def sparql_literal(value: str, datatype: str) -> str:
    """A typed literal as pyoxigraph writes it (quotes and line breaks escaped)."""
    return str(ox.Literal(value, datatype=ox.NamedNode(datatype)))


def fill(template: str, parts: Mapping[str, str]) -> str:
    """``template`` with each ``$NAME`` of ``parts`` replaced, in one pass.

    One pass: a part that contains another ``$NAME`` (an IRI may contain ``$``) stays as it is.
    """
    if not parts:
        return template
    names = sorted(parts, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape("$" + name) for name in names))
    return pattern.sub(lambda match: parts[match.group()[1:]], template)


def to_rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> rdflib.term.Identifier:
    """The rdflib term of a pyoxigraph term; raises ValueError for an RDF-star triple term."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return rdflib.Literal(term.value, datatype=None if datatype == XSD_STRING else rdflib.URIRef(datatype))
    raise ValueError(f"RDF-star triple terms are not supported: {term}")


def to_rdflib(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    """Copy pyoxigraph triples into a new rdflib graph."""
    graph = rdflib.Graph()
    for triple in triples:
        graph.add((to_rdflib_term(triple.subject), to_rdflib_term(triple.predicate), to_rdflib_term(triple.object)))
    return graph


def stable_blank_nodes(graph: rdflib.Graph, prefix: str) -> rdflib.Graph:
    """Rename the blank nodes of ``graph`` in place to names that follow from the graph itself; return it.

    rdflib names the blank nodes it parses at random. Renamed, the same graph gets the same names
    in every process (a SHACL report names anonymous shapes by them, and validation runs in
    worker processes too: kg/gate/validation_worker.py). A blank node's name is ``prefix`` and a
    hash of what it says (its own triples, nested blank nodes by what they say) and of where it
    hangs (its parent's name and the predicate); blank nodes alike in both get a number each.
    Made for graphs whose blank nodes form trees (shapes, lists); a cycle of blank nodes is
    named consistently but not necessarily the same way in every process.
    """
    outgoing: dict[rdflib.BNode, list[tuple[rdflib.term.Node, rdflib.term.Node]]] = {}
    incoming: dict[rdflib.BNode, list[tuple[rdflib.term.Node, rdflib.term.Node]]] = {}
    for subject, predicate, obj in graph:
        if isinstance(subject, rdflib.BNode):
            outgoing.setdefault(subject, []).append((predicate, obj))
        if isinstance(obj, rdflib.BNode):
            incoming.setdefault(obj, []).append((subject, predicate))
    said: dict[rdflib.BNode, str] = {}

    def content(node: rdflib.term.Node) -> str:
        if not isinstance(node, rdflib.BNode):
            return node.n3()
        if node not in said:
            said[node] = "[cycle]"
            said[node] = "[" + " ; ".join(sorted(f"{p.n3()} {content(o)}" for p, o in outgoing.get(node, []))) + "]"
        return said[node]

    names: dict[rdflib.BNode, rdflib.BNode] = {}

    def where(node: rdflib.BNode) -> str:
        parents = []
        for subject, predicate in incoming.get(node, []):
            if isinstance(subject, rdflib.BNode):
                parent = names.get(subject)
                parents.append(f"{parent if parent is not None else content(subject)} {predicate.n3()}")
            else:
                parents.append(f"{subject.n3()} {predicate.n3()}")
        return " | ".join(sorted(parents))

    pending = sorted((node for node in {*outgoing, *incoming} if node not in names), key=content)
    while pending:
        ready = [
            n for n in pending if all(s in names or not isinstance(s, rdflib.BNode) for s, _ in incoming.get(n, []))
        ]
        ready = ready or pending  # a cycle: name what is left
        seen: dict[str, int] = {}
        for node in sorted(ready, key=lambda n: (where(n), content(n))):
            digest = hashlib.sha256(f"{where(node)}\n{content(node)}".encode()).hexdigest()[:24]
            count = seen.get(digest, 0)
            seen[digest] = count + 1
            names[node] = rdflib.BNode(f"{prefix}{digest}{f'x{count}' if count else ''}")
        pending = [n for n in pending if n not in names]
    changed = [
        (triple, (names.get(triple[0], triple[0]), triple[1], names.get(triple[2], triple[2])))  # type: ignore[call-overload]
        for triple in graph
        if isinstance(triple[0], rdflib.BNode) or isinstance(triple[2], rdflib.BNode)
    ]
    for old, _ in changed:
        graph.remove(old)
    for _, new in changed:
        graph.add(new)
    return graph
