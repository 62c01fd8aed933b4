"""Well-formed literals: a typed value whose text is not in its XSD datatype's lexical space is refused.

SHACL's sh:datatype asks for a well-formed literal, but rdflib (under pyshacl) reads the lexical
forms leniently (``"NaN"^^xsd:decimal`` and ``"1E3"^^xsd:decimal`` are numbers to Python's
Decimal) and some ill-formed ones make its SPARQL fail instead of report (``"12.x"^^xsd:decimal``
recurses without end in a comparison; ``NaN`` raises on comparison). So the gate checks the
lexical form of every added literal of the datatypes below against XSD 1.1 Part 2 itself, before
any shape runs, and reports each ill-formed one as a violation of the datatype constraint
(``ill_formed``): the change is refused with a report, never merged, never an internal error.
Literals of other datatypes are left to the shapes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH

from kg.store import term_text

XSD = "http://www.w3.org/2001/XMLSchema#"
SHAPE = rdflib.URIRef("https://w3id.org/chipgraph/shapes#WellFormedLiteral")

_DECIMAL = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_INTEGER = r"[+-]?[0-9]+"
_ZONE = r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_YEAR = r"-?(?:[1-9][0-9]{4,}|[0-9]{4})"
_DATE = rf"({_YEAR})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?|24:00:00(?:\.0+)?"

INTEGERS = [
    "integer",
    "nonNegativeInteger",
    "positiveInteger",
    "nonPositiveInteger",
    "negativeInteger",
    "long",
    "int",
    "short",
    "byte",
    "unsignedLong",
    "unsignedInt",
    "unsignedShort",
    "unsignedByte",
]

LEXICAL_SPACE: dict[str, re.Pattern[str]] = {
    XSD + "decimal": re.compile(_DECIMAL),
    **{XSD + name: re.compile(_INTEGER) for name in INTEGERS},
    XSD + "double": re.compile(rf"(?:{_DECIMAL})(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN"),
    XSD + "float": re.compile(rf"(?:{_DECIMAL})(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN"),
    XSD + "boolean": re.compile(r"true|false|1|0"),
    XSD + "date": re.compile(_DATE + _ZONE),
    XSD + "dateTime": re.compile(rf"{_DATE}T(?:{_TIME}){_ZONE}"),
    XSD + "gYear": re.compile(_YEAR + _ZONE),
}


def well_formed(literal: ox.Literal) -> bool:
    """Whether ``literal``'s text is in its datatype's lexical space (True for datatypes not checked here).

    XSD collapses white space around these values first; a date must also exist (no 30 February).
    """
    pattern = LEXICAL_SPACE.get(literal.datatype.value)
    if pattern is None:
        return True
    text = literal.value.strip(" \t\n\r")
    found = pattern.fullmatch(text)
    if found is None:
        return False
    if literal.datatype.value in (XSD + "date", XSD + "dateTime"):
        return _day_exists(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    return True


def _day_exists(year: int, month: int, day: int) -> bool:
    """Whether the day exists in the proleptic Gregorian calendar (years outside 1-9999: the day fits the month)."""
    if 1 <= year <= 9999:
        try:
            date(year, month, day)
        except ValueError:
            return False
        return True
    return day <= 31 if month in (1, 3, 5, 7, 8, 10, 12) else day <= (29 if month == 2 else 30)


def ill_formed(triples: Iterable[ox.Triple]) -> rdflib.Graph | None:
    """A SHACL report graph with one violation per ill-formed literal object, or None when all are well formed."""
    bad = [t for t in triples if isinstance(t.object, ox.Literal) and not well_formed(t.object)]
    if not bad:
        return None
    report = rdflib.Graph()
    root = rdflib.BNode()
    report.add((root, RDF.type, SH.ValidationReport))
    report.add((root, SH.conforms, rdflib.Literal(False)))
    for triple in bad:
        assert isinstance(triple.object, ox.Literal)
        result = rdflib.BNode()
        report.add((root, SH.result, result))
        subject = term_text(triple.subject)
        focus = rdflib.BNode(subject) if isinstance(triple.subject, ox.BlankNode) else rdflib.URIRef(subject)
        for predicate, value in (
            (RDF.type, SH.ValidationResult),
            (SH.focusNode, focus),
            (SH.resultPath, rdflib.URIRef(triple.predicate.value)),
            (
                SH.value,
                rdflib.Literal(
                    triple.object.value, datatype=rdflib.URIRef(triple.object.datatype.value), normalize=False
                ),
            ),
            (SH.sourceShape, SHAPE),
            (SH.sourceConstraintComponent, SH.DatatypeConstraintComponent),
            (SH.resultSeverity, SH.Violation),
            (
                SH.resultMessage,
                rdflib.Literal(f"{triple.object.value!r} is not a well-formed {triple.object.datatype.value}"),
            ),
        ):
            report.add((result, predicate, value))
    return report
