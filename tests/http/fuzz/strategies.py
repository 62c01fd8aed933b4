"""Hypothesis strategies for untrusted input: JSON values, changeset envelopes, RDF documents in every
format the changesets accept (and their mutations), and REST query strings.

The RDF documents are small graphs of random IRIs and literals (languages, datatypes, any text),
serialised by pyoxigraph, then possibly mutated: truncated, with random characters inserted,
duplicated, cut, deepened (nested past the bounds of kg.bounds), or sent under another format's name.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import pyoxigraph as ox
from hypothesis import strategies as st

from kg.gate.changes import FORMATS, MEDIA_TYPES
from kg.namespaces import GRAPH_BASE, HISTORY_GRAPH, INFERRED_GRAPH, META_GRAPH, ONTOLOGY_NS

EPOCH = GRAPH_BASE + "epoch-ml-hardware"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DATATYPES = [XSD + name for name in ("string", "integer", "decimal", "double", "boolean", "date", "dateTime")]
DATATYPES += [XSD + "gYear", XSD + "anyURI", RDF + "JSON", ONTOLOGY_NS + "unknownType"]
GRAPHS = [EPOCH, META_GRAPH, HISTORY_GRAPH, INFERRED_GRAPH, GRAPH_BASE, GRAPH_BASE + "nope", "urn:x"]
JSON_LD_SIDE = frozenset({"json-ld", "application/ld+json"})

# Any text, lone surrogates included (JSON can carry them; no RDF term can).
ANY_TEXT = st.text(st.characters(codec=None), max_size=40)
# Text a Python string can hand to pyoxigraph (no surrogates), control characters and quotes included.
RDF_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
IRI_CHARS = st.characters(
    categories=["Ll", "Lu", "Nd", "Lo"], include_characters="-._~!$&'()*+,;=:@/%?#", max_codepoint=0x2FFFF
)


def is_iri(text: str) -> bool:
    """Whether pyoxigraph takes ``text`` as an absolute IRI."""
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True


SCHEMES = ("http://", "https://", "urn:", "file:///", "tag:", "x-y.z+w:", "rdf:")
# Subjects in every scheme: a change about <tag:x> or <rdf:x> once failed validation with a
# TypeError (pyshacl reads such focus nodes as CURIEs; fixed in kg/gate/validate.py).
SUBJECT_SCHEMES = SCHEMES


def iris(schemes: tuple[str, ...] = SCHEMES) -> st.SearchStrategy[str]:
    """Absolute IRIs: a scheme, then random characters an IRI may hold (checked by pyoxigraph)."""
    rest = st.text(IRI_CHARS, min_size=1, max_size=20)
    return st.builds(lambda scheme, tail: scheme + tail, st.sampled_from(schemes), rest).filter(is_iri)


LANGUAGES = st.from_regex(r"[a-zA-Z]{2,8}(-[a-zA-Z0-9]{2,8}){0,3}", fullmatch=True)


def literal(value: str, language: str | None = None, datatype: str | None = None) -> ox.Literal | None:
    """The literal, or None where pyoxigraph refuses it (a language tag it does not take)."""
    try:
        return ox.Literal(value, language=language, datatype=None if datatype is None else ox.NamedNode(datatype))
    except ValueError:
        return None


def literals() -> st.SearchStrategy[ox.Literal]:
    """Plain, language-tagged and typed literals (ill-typed values too: "x"^^xsd:integer)."""
    numbers = st.one_of(st.integers().map(str), st.floats().map(repr), st.decimals(allow_nan=False).map(str))
    datatypes = st.one_of(st.sampled_from(DATATYPES), iris())
    made = st.one_of(
        st.builds(literal, RDF_TEXT),
        st.builds(literal, RDF_TEXT, language=LANGUAGES),
        st.builds(literal, numbers, datatype=datatypes),
        st.builds(literal, RDF_TEXT, datatype=datatypes),
    )
    return made.filter(lambda made: made is not None)  # type: ignore[return-value]


def triples(*, blank_nodes: bool, triple_terms: bool) -> st.SearchStrategy[ox.Triple]:
    """Triples of random IRIs and literals, with blank nodes and RDF 1.2 triple terms if asked."""
    named = iris().map(ox.NamedNode)
    subjects: st.SearchStrategy[ox.NamedNode | ox.BlankNode] = iris(SUBJECT_SCHEMES).map(ox.NamedNode)
    objects: st.SearchStrategy[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = st.one_of(named, literals())
    if blank_nodes:
        blank = st.sampled_from("abc").map(ox.BlankNode)
        subjects = st.one_of(subjects, blank)
        objects = st.one_of(objects, blank)
    if triple_terms:
        objects = st.one_of(objects, st.builds(ox.Triple, subjects, named, literals()))
    return st.builds(ox.Triple, subjects, named, objects)


@dataclass(frozen=True)
class RdfDocument:
    """A serialised graph: the format name it is sent under, its text, and the triples it was made from."""

    format: str
    text: str
    triples: frozenset[ox.Triple]
    mutation: str = "none"


def serialise(graph: list[ox.Triple], format_name: str, named: str | None, prefixes: dict[str, str]) -> str:
    """``graph`` written by pyoxigraph in ``format_name``, in the named graph ``named`` where it can say so."""
    rdf_format = FORMATS[format_name]
    if rdf_format in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS, ox.RdfFormat.JSON_LD) and named is not None:
        quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(named)) for t in graph]
        return ox.serialize(quads, format=rdf_format, prefixes=prefixes).decode()
    if rdf_format in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS, ox.RdfFormat.JSON_LD):
        quads = [ox.Quad(t.subject, t.predicate, t.object) for t in graph]
        return ox.serialize(quads, format=rdf_format, prefixes=prefixes).decode()
    return ox.serialize(graph, format=rdf_format, prefixes=prefixes).decode()


@st.composite
def rdf_documents(draw: st.DrawFn, *, blank_nodes: bool = True, named: str | None = EPOCH) -> RdfDocument:
    """A small random graph serialised in a random format (by name or media type), not mutated.

    With ``blank_nodes``, one document in three has blank nodes and RDF 1.2 triple terms.
    """
    format_name = draw(st.sampled_from(sorted(FORMATS)))
    blank_nodes = blank_nodes and draw(st.sampled_from([False, False, True]))  # in one document of three
    terms = blank_nodes and format_name != "json-ld"  # pyoxigraph writes no triple terms in JSON-LD
    graph = draw(st.lists(triples(blank_nodes=blank_nodes, triple_terms=terms), min_size=1, max_size=6))
    prefixes = draw(st.sampled_from([{}, {"ex": "http://", "cg": ONTOLOGY_NS, "x": "urn:"}]))
    text = serialise(graph, format_name, draw(st.sampled_from([None, named])), prefixes)
    media = {name: media for media, name in MEDIA_TYPES.items()}
    sent_as = draw(st.sampled_from([format_name, media[format_name]]))
    return RdfDocument(sent_as, text, frozenset(graph))


def _deepened(text: str, format_name: str, depth: int) -> str:
    """``text`` with something nested ``depth`` levels added (about the bounds of kg.bounds: 64)."""
    if format_name in JSON_LD_SIDE:  # a chain of term definitions (3 to 300 long) and arrays nested
        chain = {f"t{i}": f"t{i + 1}:" for i in range(depth * 3)} | {f"t{depth * 3}": "http://a/"}
        return json.dumps({"@context": chain, "@id": "http://a/s", "t0:p": _nest(json.loads(text), depth)})
    nested = "<<( <http://a/s> <http://a/p> " * depth + "<http://a/o>" + " )>>" * depth
    blank = "[ <http://a/p> " * depth + '"x"' + " ]" * depth
    extra = f"<http://a/s> <http://a/p> {nested} .\n"
    if format_name not in ("n-triples", "n-quads", "application/n-triples", "application/n-quads"):
        extra += f"<http://a/s> <http://a/p> {blank} .\n<http://a/s> <http://a/p> {'( ' * depth}{')' * depth} .\n"
    return text + "\n" + extra


@st.composite
def mutated(draw: st.DrawFn, document: RdfDocument) -> RdfDocument:
    """``document`` mutated one way or not at all (mutation names what was done)."""
    text = document.text
    where = draw(st.integers(0, len(text)))
    mutations: dict[str, Callable[[], str]] = {
        "none": lambda: text,
        "truncated": lambda: text[:where],
        "inserted": lambda: text[:where] + draw(st.binary(min_size=1, max_size=8)).decode("latin-1") + text[where:],
        "inserted text": lambda: text[:where] + draw(ANY_TEXT) + text[where:],
        "duplicated": lambda: text + text,
        "cut": lambda: text[:where] + text[where + draw(st.integers(1, 20)) :],
        "deepened": lambda: _deepened(text, document.format, draw(st.integers(1, 100))),
        "other format": lambda: text,
    }
    name = draw(st.sampled_from([*sorted(mutations), "none", "none"]))  # mostly mutated
    sent_as = draw(st.sampled_from([*sorted(FORMATS), "text/turtle", "xml"])) if name == "other format" else None
    return RdfDocument(sent_as or document.format, mutations[name](), document.triples, name)


def json_values(text: st.SearchStrategy[str] = ANY_TEXT) -> st.SearchStrategy[object]:
    """Any JSON value, nested a few levels: NaN, infinities, big integers and lone surrogates included."""
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(-(10**40), 10**40), st.floats(allow_nan=True, allow_infinity=True), text
    )
    return st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=12
    )


def payloads() -> st.SearchStrategy[object]:
    """The value of an envelope's add or remove: mostly an RDF payload (mutated or not), else anything."""
    documents = rdf_documents().flatmap(mutated)
    valid = documents.map(lambda document: {"format": document.format, "data": document.text})
    odd = st.fixed_dictionaries({}, optional={"format": json_values(), "data": json_values(), "extra": json_values()})
    return st.one_of(valid, valid, valid, odd, json_values())


def _field_values() -> dict[str, st.SearchStrategy[object]]:
    """For each envelope field, the values it may be given instead of a valid one."""
    iri_like = st.one_of(st.sampled_from(GRAPHS), iris(), iris().map(lambda iri: GRAPH_BASE + iri[-8:]))
    return {
        "graph": st.one_of(iri_like, json_values()),
        "source": st.one_of(iri_like, json_values()),
        "author": st.one_of(ANY_TEXT, json_values()),
        "message": st.one_of(ANY_TEXT, json_values()),
        "add": payloads(),
        "remove": payloads(),
    }


@st.composite
def envelopes(draw: st.DrawFn) -> object:
    """An envelope that adds a (possibly mutated) RDF document, with up to three fields replaced by
    random or hostile values or dropped, perhaps extra fields, and sometimes nested in arrays.
    """
    envelope: dict[str, object] = {"graph": EPOCH, "author": "fuzz", "message": "fuzzing", "add": draw(payloads())}
    values = _field_values()
    for name in draw(st.sets(st.sampled_from(sorted(values)), max_size=3)):
        if draw(st.booleans()):
            envelope[name] = draw(values[name])
        else:
            envelope.pop(name, None)
    envelope |= draw(st.dictionaries(ANY_TEXT, json_values(), max_size=2)) if draw(st.booleans()) else {}
    nested = draw(st.sampled_from([False] * 7 + [True]))
    return _nest(envelope, draw(st.integers(1, 80))) if nested else envelope


def _nest(value: object, depth: int) -> object:
    """``value`` inside ``depth`` arrays (past MAX_DEPTH from 64 on)."""
    for _ in range(depth):
        value = [value]
    return value


def json_bytes(value: object, ascii_only: bool) -> bytes:
    """``value`` as JSON bytes, NaN and infinities as JSON's neighbours write them, lone surrogates kept."""
    return json.dumps(value, allow_nan=True, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


def percent_encoded(raw: bytes) -> str:
    """Bytes percent-encoded for a URL (any bytes: not UTF-8 too)."""
    return quote(raw, safe="")


# Values for query parameters: text (as UTF-8), raw bytes, and the numbers and dates routes read.
QUERY_VALUES = st.one_of(
    ANY_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.binary(max_size=12),
    st.integers(-(2**70), 2**70).map(lambda n: str(n).encode()),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda x: repr(x).encode()),
    st.dates().map(lambda d: d.isoformat().encode()),
    st.sampled_from([b"", b"true", b"0", b"-0", b"1e400", b"CN", b"nvidia", b"2025-02-30", b"%", b"\x00"]),
)
