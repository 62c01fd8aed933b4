"""Changesets: triples to add and to remove in one named graph, with who, why and which source.

A changeset is read from RDF files (Turtle, TriG, N-Triples, N-Quads, JSON-LD) or from a JSON
envelope (the form the HTTP API accepts). Reading never fetches anything: JSON-LD with a remote
@context is refused. Files are read through kg.inputfiles (bounded, regular files, UTF-8 text
without NUL); every document is measured (kg.bounds: size, nesting) before a parser sees it;
the graph and source must be absolute IRIs. Malformed input raises ChangesetError naming the
file and line, or the envelope field.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kg import bounds
from kg.inputfiles import InputFileError, decode_text, read_text
from kg.namespaces import CLOSED_GRAPHS, GRAPH_BASE, META_GRAPH, source_for_graph


class ChangesetError(ValueError):
    """Raised when a changeset cannot be read or is not well-formed; the message says where."""


FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "n-triples": ox.RdfFormat.N_TRIPLES,
    "n-quads": ox.RdfFormat.N_QUADS,
    "json-ld": ox.RdfFormat.JSON_LD,
    "rdf-xml": ox.RdfFormat.RDF_XML,
}
MEDIA_TYPES: dict[str, str] = {
    "text/turtle": "turtle",
    "application/trig": "trig",
    "application/n-triples": "n-triples",
    "application/n-quads": "n-quads",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "rdf-xml",
}
BOUNDS = {"json-ld": bounds.check_json_ld, "rdf-xml": bounds.check_rdf_xml}  # else check_rdf_text
SUFFIXES: dict[str, str] = {
    ".ttl": "turtle",
    ".trig": "trig",
    ".nt": "n-triples",
    ".nq": "n-quads",
    ".jsonld": "json-ld",
    ".rdf": "rdf-xml",
}


@dataclass(frozen=True)
class Changeset:
    """Triples to add and to remove in one named graph, and the record of who, when and why.

    ``time`` is set when the changeset is merged; ``reverts`` names the changeset it undoes.
    """

    graph: str
    add: frozenset[ox.Triple]
    remove: frozenset[ox.Triple]
    author: str
    message: str
    source: str | None = None
    time: datetime | None = None
    reverts: str | None = None
    sequence: int | None = None

    def __post_init__(self) -> None:
        check_graph(self.graph)
        if self.source is not None:
            check_iri(self.source, "source")
        if not self.author.strip():
            raise ChangesetError("a changeset needs an author")
        if not self.message.strip():
            raise ChangesetError("a changeset needs a message")
        if not self.add and not self.remove:
            raise ChangesetError("the changeset adds and removes nothing")
        both = self.add & self.remove
        if both:
            raise ChangesetError(f"{len(both)} triple(s) are both added and removed, e.g. {next(iter(both))}")
        for triple in (*self.add, *self.remove):
            if isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode):
                raise ChangesetError(f"blank nodes cannot be merged (they cannot be removed again): {triple}")
            if isinstance(triple.subject, ox.Triple) or isinstance(triple.object, ox.Triple):
                raise ChangesetError(f"RDF 1.2 triple terms cannot be merged: {triple}")

    @property
    def source_iri(self) -> str | None:
        """The source the changeset speaks for: the one given, else the graph's own source."""
        return self.source or source_for_graph(self.graph)

    def stamped(self, time: datetime, sequence: int) -> Changeset:
        """A copy with its merge time and sequence number set (both go into its id)."""
        return replace(self, time=time, sequence=sequence)

    @cached_property
    def id(self) -> str:
        """A unique, stable id: the merge time and a hash of sequence number, graph, triples, author, message, source.

        The sequence number makes it unique even when the same changeset is merged, reverted and
        merged again within one second (always so with SOURCE_DATE_EPOCH).
        """
        if self.time is None:
            raise ChangesetError("a changeset gets its id when it is merged")
        digest = hashlib.sha256()
        parts = (self.graph, self.author, self.message, self.source or "", self.reverts or "", str(self.sequence))
        for part in parts:
            digest.update(part.encode("utf-8") + b"\0")
        digest.update(nt_text(self.add).encode("utf-8") + b"\0" + nt_text(self.remove).encode("utf-8"))
        return f"{self.time.strftime('%Y%m%dT%H%M%SZ')}-{digest.hexdigest()[:12]}"

    def inverse(self, author: str, message: str) -> Changeset:
        """The changeset that undoes this one (adds what it removed, removes what it added)."""
        return Changeset(self.graph, self.remove, self.add, author, message, self.source, reverts=self.id)


def check_iri(value: str, name: str) -> None:
    """Raise ChangesetError unless ``value`` is an absolute IRI (as pyoxigraph's NamedNode checks it)."""
    try:
        ox.NamedNode(value)
    except ValueError as error:
        raise ChangesetError(f"the {name} must be an absolute IRI, not {value[:80]!r}: {error}") from error


def check_graph(graph: str) -> None:
    """Raise ChangesetError unless ``graph`` is an IRI and not a system graph other than the metadata graph.

    Whether the graph's source is described is the merge's check (kg.gate.graph_sources).
    """
    check_iri(graph, "graph")
    if graph in CLOSED_GRAPHS:
        raise ChangesetError(
            f"{graph} is a system graph, written only by merges; changesets write data graphs "
            f"(e.g. {GRAPH_BASE}SLUG) or the metadata graph {META_GRAPH}"
        )


def nt_text(triples: Iterable[ox.Triple]) -> str:
    """Triples as sorted N-Triples lines (the exact, comparable form kept in the history)."""
    return "".join(sorted(f"{triple} .\n" for triple in triples))


def parse_nt(text: str) -> frozenset[ox.Triple]:
    """The triples of N-Triples text (the inverse of nt_text)."""
    return frozenset(quad.triple for quad in ox.parse(input=text, format=ox.RdfFormat.N_TRIPLES))


def parse_rdf(data: str | bytes, format_name: str, where: str, graph: str | None) -> tuple[str | None, set[ox.Triple]]:
    """Parse RDF text; return the one named graph it names (or ``graph``) and its triples.

    Triples in the default graph go to ``graph``. Raises ChangesetError naming ``where`` on a
    syntax error, an unknown format, a remote JSON-LD context, quads in several graphs, or text
    beyond the bounds of kg.bounds (measured before the parser sees it).
    """
    if format_name not in FORMATS:
        raise ChangesetError(f"{where}: unknown RDF format {format_name[:80]!r}; use one of {', '.join(FORMATS)}")
    try:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        BOUNDS.get(format_name, bounds.check_rdf_text)(raw)
        quads = list(ox.parse(input=raw, format=FORMATS[format_name]))
    except UnicodeEncodeError as error:
        raise ChangesetError(f"{where}: not Unicode text (a lone surrogate?): {error.reason}") from error
    except (SyntaxError, bounds.BoundsError) as error:
        raise ChangesetError(f"{where}: {error}") from error
    graphs = {quad.graph_name.value for quad in quads if not isinstance(quad.graph_name, ox.DefaultGraph)}
    if graph is not None:
        graphs.discard(graph)
    if len(graphs) > 1 or (graphs and graph is not None):
        named = ", ".join(sorted(graphs | ({graph} if graph else set())))
        raise ChangesetError(f"{where}: a changeset writes to one named graph; the input names {named}")
    target = graphs.pop() if graphs else graph
    return target, {quad.triple for quad in quads}


def from_files(
    add: list[Path],
    remove: list[Path],
    *,
    author: str,
    message: str,
    graph: str | None = None,
    source: str | None = None,
) -> Changeset:
    """Read a changeset from RDF files of additions and removals (format from the file suffix).

    The graph is ``graph``, else the one graph the files name. Raises ChangesetError.
    """
    graphs: set[str] = set()
    triples: dict[str, set[ox.Triple]] = {"add": set(), "remove": set()}
    for kind, paths in (("add", add), ("remove", remove)):
        for path in paths:
            format_name = SUFFIXES.get(path.suffix.lower())
            if format_name is None:
                raise ChangesetError(
                    f"{path}: unknown file type; use one of {', '.join(SUFFIXES)} (or a .json envelope)"
                )
            try:
                data = read_text(path)
            except InputFileError as error:
                raise ChangesetError(str(error)) from error
            named, found = parse_rdf(data, format_name, str(path), graph)
            if named:
                graphs.add(named)
            triples[kind] |= found
    if len(graphs) != 1:
        raise ChangesetError("say which named graph the changeset writes to (--graph), or name one graph in the files")
    return Changeset(graphs.pop(), frozenset(triples["add"]), frozenset(triples["remove"]), author, message, source)


class RdfPayload(BaseModel):
    """RDF text in an envelope, with its format (a name such as turtle, or a media type)."""

    model_config = ConfigDict(extra="forbid")
    format: str = "turtle"
    data: str

    @field_validator("format", "data")
    @classmethod
    def _unicode(cls, value: str) -> str:
        return _unicode_text(value)


class Envelope(BaseModel):
    """The JSON form of a changeset."""

    model_config = ConfigDict(extra="forbid")
    graph: str | None = None
    source: str | None = None
    author: str = Field(min_length=1)
    message: str = Field(min_length=1)
    add: RdfPayload | None = None
    remove: RdfPayload | None = None

    @field_validator("graph", "source")
    @classmethod
    def _absolute_iri(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ox.NamedNode(_unicode_text(value))
            except ValueError as error:
                raise ValueError(f"not an absolute IRI ({error})") from error
        return value

    @field_validator("author", "message")
    @classmethod
    def _unicode(cls, value: str) -> str:
        return _unicode_text(value)


def _unicode_text(value: str) -> str:
    """``value``, if it is Unicode text (JSON can carry lone surrogates, which no RDF term can)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("not Unicode text (a lone surrogate)") from error
    return value


def from_envelope_file(path: Path) -> Changeset:
    """Read a changeset from a JSON envelope file.

    Raises ChangesetError naming the file (and the line or field) for a file that cannot be read
    (see kg.inputfiles), is not UTF-8 JSON text, or is not a valid envelope.
    """
    try:
        text = read_text(path)
    except InputFileError as error:
        raise ChangesetError(str(error)) from error
    return from_envelope(text, str(path))


def from_envelope(document: str | bytes | dict[str, object], where: str = "envelope") -> Changeset:
    """Read a changeset from its JSON envelope (bytes must be UTF-8); raises ChangesetError naming the bad field."""
    envelope = _envelope(document, where)
    graphs: set[str] = {envelope.graph} if envelope.graph else set()
    triples: dict[str, set[ox.Triple]] = {"add": set(), "remove": set()}
    for kind in ("add", "remove"):
        payload: RdfPayload | None = getattr(envelope, kind)
        if payload is None:
            continue
        format_name = MEDIA_TYPES.get(payload.format, payload.format)
        named, found = parse_rdf(payload.data, format_name, f"{where}: field {kind}.data", envelope.graph)
        if named:
            graphs.add(named)
        triples[kind] = found
    if len(graphs) != 1:
        raise ChangesetError(f"{where}: field graph: say which one named graph the changeset writes to")
    return Changeset(
        graphs.pop(),
        frozenset(triples["add"]),
        frozenset(triples["remove"]),
        envelope.author,
        envelope.message,
        envelope.source,
    )


def _envelope(document: str | bytes | dict[str, object], where: str) -> Envelope:
    """The envelope model of a document; JSON text is measured (kg.bounds.check_json) before it is parsed.

    Raises ChangesetError for bytes that are not UTF-8 or hold a NUL, text that is not JSON or
    exceeds a bound, and a document that is not an envelope.
    """
    try:
        if isinstance(document, dict):
            raw: object = document
        else:
            text = decode_text(document, where) if isinstance(document, bytes) else document
            raw = json.loads(bounds.check_json(text.encode("utf-8", "surrogatepass")))
        return Envelope.model_validate(raw)
    except InputFileError as error:
        raise ChangesetError(str(error)) from error
    except bounds.BoundsError as error:
        raise ChangesetError(f"{where}: {error}") from error
    except json.JSONDecodeError as error:
        raise ChangesetError(f"{where}: not JSON: {error.msg} at line {error.lineno} column {error.colno}") from error
    except RecursionError as error:
        raise ChangesetError(f"{where}: not a changeset envelope: JSON nested too deeply") from error
    except ValidationError as error:
        first = error.errors()[0]
        field_name = ".".join(str(part) for part in first["loc"]) or "(document)"
        raise ChangesetError(f"{where}: field {field_name}: {first['msg']}") from error
    except ValueError as error:  # a number of more than 4300 digits
        raise ChangesetError(f"{where}: not JSON: {error}") from error


def now() -> datetime:
    """The merge time: SOURCE_DATE_EPOCH when set (reproducible builds), else the clock, in UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC).replace(microsecond=0)
