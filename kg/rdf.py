"""Small bridges between pyoxigraph (parsing, the store) and rdflib (pyshacl, owlready2 input)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import rdflib


def rdf_format(path: Path) -> ox.RdfFormat:
    """TriG for a .trig file, Turtle for anything else."""
    return ox.RdfFormat.TRIG if path.suffix == ".trig" else ox.RdfFormat.TURTLE


def to_rdflib(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    """Copy pyoxigraph triples into a new rdflib graph (through N-Triples)."""
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    graph = rdflib.Graph()
    graph.parse(data=data.decode("utf-8"), format="nt")
    return graph
