"""How terms travel between chipgraph and a SPARQL server: written into update text, read back from answers.

Written: ``statement`` serialises a quad's triple for a data block or template (pyoxigraph's
serialisation, so an IRI cannot break out; integral decimals as ``400.0``, see there); ``pattern``
makes a triple pattern with variables for the terms not given. Read: ``oxigraph_json`` makes a
server's SPARQL JSON results what pyoxigraph reads and what the embedded store would answer
(blank-node labels, Virtuoso's 1/0 booleans); ``query_triples`` makes a CONSTRUCT answer a
pyoxigraph ``QueryTriples``.
"""

from __future__ import annotations

import re

import orjson
import pyoxigraph as ox

from kg.store import Term


def pattern(subject: Term | None, predicate: Term | None, obj: Term | None) -> tuple[Term | ox.Variable, ...]:
    """A triple pattern's terms: each given term, or the variable ?s, ?p or ?o where it is None."""
    given = ((subject, "s"), (predicate, "p"), (obj, "o"))
    return tuple(term if term is not None else ox.Variable(name) for term, name in given)


XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_DECIMAL = XSD + "decimal"


def statement(quad: ox.Quad) -> str:
    """The triple of ``quad`` as a statement of a data block or template, ``.`` included.

    An integral decimal is written with ``.0`` (the same value): in an INSERT or DELETE template
    Virtuoso 7.2 reads ``"400"^^xsd:decimal`` as the integer 400 and stores an xsd:integer
    (measured; tests/store/test_store_contract.py). ``"400.0"`` is stored, and read back, as
    ``"400"^^xsd:decimal``.
    """
    obj = quad.object
    if isinstance(obj, ox.Literal) and obj.datatype.value == XSD_DECIMAL and "." not in obj.value:
        obj = ox.Literal(obj.value + ".0", datatype=obj.datatype)
    return f"{quad.subject} {quad.predicate} {obj} ."


# Datatypes Virtuoso 7.2 deletes by value from a template of several GRAPH blocks (measured). A literal of
# another datatype (xsd:anyURI, a datatype of our own) named in such a template stays; a long decimal may not
# match the value stored (rounded): those are removed by their text instead (``removed_by_text``).
DELETED_BY_VALUE = frozenset(
    XSD + name for name in ("string", "integer", "boolean", "date", "dateTime", "gYear", "double", "float")
) | {"http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}


def removed_by_text(quad: ox.Quad) -> bool:
    """Whether ``quad``'s object is a literal a template must match by text and datatype, not by value."""
    return isinstance(quad.object, ox.Literal) and quad.object.datatype.value not in DELETED_BY_VALUE


def has_blank_node(quad: ox.Quad) -> bool:
    """Whether the subject or the object of ``quad`` is a blank node."""
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


_BLANK_ID = re.compile(r"[^A-Za-z0-9_]")
_PLAIN_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _blank_id(value: str) -> str:
    """A valid blank node id for a server's blank node label (Virtuoso's read ``nodeID://b10001``: ``b10001``)."""
    if value.startswith("nodeID://"):
        value = value[len("nodeID://") :]
    if _PLAIN_ID.fullmatch(value):
        return value
    return "b" + _BLANK_ID.sub(lambda match: f"x{ord(match.group()):x}", value)


XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_BOOLEANS = {"1": "true", "0": "false"}  # Virtuoso stores a boolean as a number and writes it so


def oxigraph_json(content: bytes) -> bytes:
    """SPARQL JSON results as pyoxigraph reads them, and as the embedded store would answer.

    Every blank node label becomes one pyoxigraph accepts (same label, same id); a boolean
    written ``1`` or ``0`` becomes ``true`` or ``false`` (the same value, in canonical form).
    """
    document = orjson.loads(content)
    bindings = document.get("results", {}).get("bindings")
    if isinstance(bindings, list):
        for binding in bindings:
            for term in binding.values():
                if not isinstance(term, dict):
                    continue
                if term.get("type") == "bnode":
                    term["value"] = _blank_id(str(term.get("value", "")))
                elif term.get("datatype") == XSD_BOOLEAN and term.get("value") in _BOOLEANS:
                    term["value"] = _BOOLEANS[term["value"]]
    return orjson.dumps(document)


def _canonical(term: Term) -> Term:
    """``term``, a boolean written ``1`` or ``0`` made ``true`` or ``false``."""
    if isinstance(term, ox.Literal) and term.datatype.value == XSD_BOOLEAN and term.value in _BOOLEANS:
        return ox.Literal(_BOOLEANS[term.value], datatype=term.datatype)
    return term


def query_triples(content: bytes, rdf_format: ox.RdfFormat) -> ox.QueryTriples:
    """The triples of a CONSTRUCT or DESCRIBE answer as a pyoxigraph ``QueryTriples``, as the embedded store gives."""
    scratch = ox.Store()
    scratch.bulk_extend(
        ox.Quad(quad.subject, quad.predicate, _canonical(quad.object), quad.graph_name)
        for quad in ox.parse(content, format=rdf_format)
    )
    result = scratch.query("CONSTRUCT WHERE { ?s ?p ?o }")
    assert isinstance(result, ox.QueryTriples)
    return result
