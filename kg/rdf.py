"""Small bridges between pyoxigraph (parsing, the store) and rdflib (pyshacl, owlready2 input).

And the one way values enter SPARQL text: as terms written by pyoxigraph (sparql_iri,
sparql_literal), which cannot break out of their place, put into a template by fill.
"""

from __future__ import annotations

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
