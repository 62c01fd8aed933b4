"""OWL reasoning with owlready2 and HermiT (Java): consistency and unsatisfiable classes.

HermiT accepts only the datatypes of the OWL 2 datatype map, which lacks xsd:date. chipgraph
keeps xsd:date for its dates (SPARQL compares them, SHACL checks them), so the reasoner gets a
view of the graph in which every xsd:date is read as the xsd:dateTime at midnight: the same
instants, in a datatype HermiT reasons over (docs/adr/0003).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import owlready2
import pyoxigraph as ox
import rdflib
from rdflib.namespace import XSD

from kg.rdf import rdf_format, to_rdflib


class ReasonerError(RuntimeError):
    """Raised when HermiT cannot run at all (no Java, or a malformed input it rejects)."""


@dataclass(frozen=True)
class ReasonerReport:
    """HermiT's verdict: whether the graph is consistent, and the unsatisfiable classes."""

    consistent: bool
    unsatisfiable_classes: list[str]
    message: str = ""


def load_graph(files: Iterable[Path]) -> rdflib.Graph:
    """Parse Turtle and TriG files into one graph (named graphs flattened)."""
    return to_rdflib(quad.triple for path in files for quad in ox.parse(path=str(path), format=rdf_format(path)))


def reasoner_view(graph: rdflib.Graph) -> rdflib.Graph:
    """A copy of ``graph`` with xsd:date literals and ranges turned into xsd:dateTime."""
    view = rdflib.Graph()
    for subject, predicate, obj in graph:
        if isinstance(obj, rdflib.Literal) and obj.datatype == XSD.date:
            obj = rdflib.Literal(f"{obj}T00:00:00", datatype=XSD.dateTime)
        elif obj == XSD.date:
            obj = XSD.dateTime
        view.add((subject, predicate, obj))
    return view


def check(graph: rdflib.Graph) -> ReasonerReport:
    """Load ``graph`` into owlready2 and run HermiT; report consistency and unsatisfiable classes.

    Raises ReasonerError if Java or HermiT fails for another reason than inconsistency.
    """
    data = reasoner_view(graph).serialize(format="nt", encoding="utf-8")
    world = owlready2.World()
    ontology = world.get_ontology("https://w3id.org/chipgraph/ontology").load(
        fileobj=io.BytesIO(data), format="ntriples"
    )
    try:
        with ontology:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError as error:
        return ReasonerReport(consistent=False, unsatisfiable_classes=[], message=str(error))
    except owlready2.OwlReadyJavaError as error:
        raise ReasonerError(str(error)) from error
    unsatisfiable = sorted(cls.iri for cls in world.inconsistent_classes() if cls is not owlready2.Nothing)
    return ReasonerReport(consistent=True, unsatisfiable_classes=unsatisfiable)
