"""Bounds on untrusted documents, measured before a parser sees them (DESIGN.md, "Untrusted input").

Some parsers recurse on nested input, and a deep enough input ends the whole process: Python's
json raises RecursionError past about a thousand levels; pyoxigraph (0.5) crashes with SIGSEGV
on JSON-LD nested some thousands of levels, on JSON-LD term definitions that refer to each
other in a chain of some thousands (nesting-free: ``{"a0": "a1:", "a1": "a2:", ...}``), and on
RDF 1.2 triple terms ``<<( s p <<( ...`` nested some ten thousand levels in Turtle, TriG,
N-Triples or N-Quads. (Its Turtle parser takes ``[ [ [`` and ``( ( (`` 100 000 levels deep.)
So untrusted JSON, JSON-LD and RDF text is measured here first, by linear scans that do not
recurse; the limits are far above what a changeset needs:

- MAX_BYTES: the size of one document.
- MAX_DEPTH: the nesting of ``[`` and ``{`` outside strings, in JSON and JSON-LD.
- MAX_CONTEXT_TERMS: the members of the ``@context`` objects of a JSON-LD document, all
  together (a chain of term definitions is at most that long); counted on the parsed JSON,
  duplicate keys included, once the depth is known to be safe for Python's json.
- MAX_TRIPLE_TERMS: occurrences of ``<<`` in Turtle, TriG, N-Triples and N-Quads, counted
  anywhere (in strings and comments too, so that nothing can hide one): every level of
  triple-term nesting needs one, so this bounds the nesting without lexing the text.
- RDF/XML: pyoxigraph (0.5) expands the entities a DOCTYPE declares (ten lines of "billion
  laughs" become a 300 MB literal) and slows down more than linearly on elements nested some
  hundred thousand deep. So an RDF/XML document is first read by the standard library's expat
  (iterative; its own entity-amplification guard), which refuses any DOCTYPE and counts the
  element depth (MAX_XML_DEPTH).
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn
from xml.parsers import expat

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_CONTEXT_TERMS = 256
MAX_TRIPLE_TERMS = 64
MAX_XML_DEPTH = 256

# A JSON string (escapes included; an unterminated one runs to the end), or a bracket.
_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)
_OPENING = frozenset(b"[{")
_CLOSING = frozenset(b"]}")


class BoundsError(ValueError):
    """Raised when a document exceeds a bound; the message names the bound."""


def check_size(data: bytes, what: str = "the document") -> None:
    """Raise BoundsError if ``data`` is larger than MAX_BYTES."""
    if len(data) > MAX_BYTES:
        raise BoundsError(f"{what} has {len(data)} bytes; at most {MAX_BYTES} are accepted")


def json_depth(data: bytes, stop_above: int = MAX_DEPTH) -> int:
    """The deepest nesting of ``[`` and ``{`` outside strings in JSON text (UTF-8 bytes).

    One pass, no recursion; stops counting once the depth passes ``stop_above``. Malformed
    JSON gets a number too (the parser then refuses it); it never undercounts what a JSON
    parser would nest before it fails, since both read strings the same way.
    """
    depth = deepest = 0
    for match in _JSON_TOKEN.finditer(data):
        char = data[match.start()]
        if char in _OPENING:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_above:
                    break
        elif char in _CLOSING and depth:
            depth -= 1
    return deepest


def check_json(data: bytes, what: str = "the document") -> str:
    """The text of JSON bytes that fit MAX_BYTES and MAX_DEPTH (json.loads is safe on it).

    Raises BoundsError otherwise, and for bytes that are not UTF-8 (json.loads would guess
    UTF-16 or UTF-32 from the bytes, where a scan of bytes means nothing).
    """
    check_size(data, what)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BoundsError(f"{what} is not UTF-8 text: {error.reason} at byte {error.start}") from error
    if json_depth(data) > MAX_DEPTH:
        raise BoundsError(f"{what} nests arrays and objects deeper than {MAX_DEPTH} levels")
    return text


class _Members(dict[str, Any]):
    """A JSON object that remembers how many members it had, duplicates included."""

    members = 0


def _object(pairs: list[tuple[str, Any]]) -> _Members:
    parsed = _Members(pairs)
    parsed.members = len(pairs)
    return parsed


def context_terms(document: Any) -> int:
    """The members of every object inside an ``@context`` of a parsed JSON-LD document, together."""
    count = 0
    pending: list[tuple[Any, bool]] = [(document, False)]
    while pending:
        value, in_context = pending.pop()
        if isinstance(value, dict):
            if in_context:
                count += getattr(value, "members", len(value))
            pending.extend((child, in_context or key == "@context") for key, child in value.items())
        elif isinstance(value, list):
            pending.extend((child, in_context) for child in value)
    return count


def check_json_ld(data: bytes, what: str = "the document") -> None:
    """Raise BoundsError unless JSON-LD text fits MAX_BYTES, MAX_DEPTH and MAX_CONTEXT_TERMS.

    Malformed JSON passes (the JSON-LD parser reports it with its position).
    """
    text = check_json(data, what)
    try:
        document = json.loads(text, object_pairs_hook=_object)
    except ValueError:
        return
    if context_terms(document) > MAX_CONTEXT_TERMS:
        raise BoundsError(f"{what} defines more than {MAX_CONTEXT_TERMS} terms in its @context")


def check_rdf_text(data: bytes, what: str = "the document") -> None:
    """Raise BoundsError unless Turtle, TriG, N-Triples or N-Quads text fits the bounds."""
    check_size(data, what)
    if data.count(b"<<") > MAX_TRIPLE_TERMS:
        raise BoundsError(
            f"{what} has more than {MAX_TRIPLE_TERMS} '<<' (RDF 1.2 triple terms cannot be merged anyway)"
        )


def check_rdf_xml(data: bytes, what: str = "the document") -> None:
    """Raise BoundsError unless RDF/XML fits MAX_BYTES and MAX_XML_DEPTH and declares no DOCTYPE.

    Malformed XML passes when expat stops before a bound is passed (the RDF/XML parser then
    reports the error with its position).
    """
    check_size(data, what)
    depth = 0

    def refuse_doctype(*_: Any) -> NoReturn:
        raise BoundsError(f"{what} declares a DOCTYPE (entities are not accepted in RDF/XML here)")

    def start(*_: Any) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_XML_DEPTH:
            raise BoundsError(f"{what} nests XML elements deeper than {MAX_XML_DEPTH} levels")

    def end(*_: Any) -> None:
        nonlocal depth
        depth -= 1

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return
