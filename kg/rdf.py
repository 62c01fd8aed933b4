"""Small bridges between pyoxigraph (parsing, the store) and rdflib (pyshacl, owlready2 input)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import rdflib

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def rdf_format(path: Path) -> ox.RdfFormat:
    """TriG for a .trig file, Turtle for anything else."""
    return ox.RdfFormat.TRIG if path.suffix == ".trig" else ox.RdfFormat.TURTLE


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
