"""What every importer shares: the data set's provenance, reconciliation, and the import report.

An importer turns a file into triples for one named graph of its own (one per file version:
the graph's slug ends with the file's SHA-256 prefix), plus the description of that graph's
source in graph/meta. Both go through the same validate-then-merge path as any changeset.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import resources
from kg.inputfiles import InputFileError, decode_text, read_bytes
from kg.namespaces import GRAPH_BASE, ID_BASE, ONTOLOGY_NS, SOURCE_BASE
from kg.store import AnyStore, term_text

CG = ONTOLOGY_NS
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
ALT_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
DCTERMS = "http://purl.org/dc/terms/"
PRIMARY_SOURCE = ox.NamedNode("http://www.w3.org/ns/prov#hadPrimarySource")


class ImportFileError(ValueError):
    """Raised when a file cannot be imported at all; the message names the file and the line if any.

    Unreadable, malformed or cut-off CSV, a formula cell, required columns missing.
    """


def cg(name: str) -> ox.NamedNode:
    """A chipgraph ontology term."""
    return ox.NamedNode(CG + name)


def entity(kind: str, slug: str) -> ox.NamedNode:
    """An entity IRI."""
    return ox.NamedNode(f"{ID_BASE}{kind}/{slug}")


def decimal_literal(value: Decimal) -> ox.Literal:
    """An xsd:decimal literal in plain notation (no exponent, no trailing zeros)."""
    text = format(value.normalize(), "f")
    return ox.Literal(text, datatype=ox.NamedNode(XSD + "decimal"))


MAX_EXPONENT = 100  # 1e100: far beyond any figure; 1e999999999 would be a billion digits as a decimal


def parse_number(text: str) -> Decimal | None:
    """A finite number from a cell, or None for an empty cell, `inf` or `nan`.

    Raises ValueError if the cell is not a number, or one beyond 10^±MAX_EXPONENT (written out
    as an xsd:decimal, without exponent, it would fill the memory).
    """
    cleaned = text.strip().replace(",", "")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation as error:
        raise ValueError(f"{text[:80]!r} is not a number") from error
    if not value.is_finite():
        return None
    if value and abs(value.adjusted()) > MAX_EXPONENT:
        raise ValueError(f"{text[:80]!r} is out of range (10^-{MAX_EXPONENT} to 10^{MAX_EXPONENT})")
    return value


def parse_date(text: str) -> date | None:
    """A date from a cell (YYYY-MM-DD, or the date part of a timestamp); None if empty; raises ValueError."""
    cleaned = text.strip()
    if not cleaned:
        return None
    return date.fromisoformat(cleaned[:10])


def slugify(name: str) -> str:
    """A lower-case ASCII slug for a new entity id."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:100] or "unnamed"


def normalise(name: str) -> str:
    """A name folded for matching: accents, case, punctuation and spacing ignored."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(re.findall(r"[a-z0-9]+", ascii_name.lower()))


def file_bytes(path: Path) -> bytes:
    """The bytes of a data set file.

    Raises ImportFileError for a file kg.inputfiles refuses: missing, unreadable, a folder, device
    or pipe, larger than the max_file_bytes setting.
    """
    try:
        return read_bytes(path)
    except InputFileError as error:
        raise ImportFileError(str(error)) from error


def sha256(path: Path) -> str:
    """The SHA-256 of a file, hex; raises ImportFileError as file_bytes does."""
    return hashlib.sha256(file_bytes(path)).hexdigest()


def read_csv(
    path: Path, required: list[str], lists: Mapping[str, str] | None = None
) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a CSV file, refused whole when anything in it is broken or hostile.

    ``lists`` maps a column whose cells hold several names to their separator, so that each name is
    checked. Raises ImportFileError naming the file, the line (and the column, for a cell): a file
    kg.inputfiles refuses (not UTF-8, NUL bytes, too large, not a regular file), a quote left open or
    stray, a row with more or fewer cells than the header, a file that ends without a line end (its
    last row may be cut off), a header naming a column twice or missing a required one, and a cell
    a spreadsheet would run as a formula (see formula_like).
    """
    try:
        text = decode_text(file_bytes(path), str(path))
    except InputFileError as error:
        raise ImportFileError(str(error)) from error
    records = csv_records(text, str(path))
    if not records:
        raise ImportFileError(f"{path}: empty: no header row")
    (header_line, header), body = records[0], records[1:]
    check_header(path, header_line, header, required)
    for line, cells in body:
        check_row(path, line, header, cells, lists or {})
    if not text.endswith(("\n", "\r")):
        raise ImportFileError(
            f"{path}: line {records[-1][0]}: the file ends without a line end after its last row, "
            "which may have been cut off (a truncated copy?)"
        )
    return header, [dict(zip(header, cells, strict=True)) for _, cells in body]


def csv_records(text: str, where: str) -> list[tuple[int, list[str]]]:
    """The non-blank records of CSV text, each with the line it starts on (the csv module's strict mode).

    Raises ImportFileError naming ``where`` and the line of a record with a quote left open (the
    file ends inside a quoted cell), a stray quote, or a cell over the csv module's field size limit.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            if cells:
                records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        raise ImportFileError(
            f"{where}: line {start}: malformed CSV ({error}): a quote left open or stray, or a row cut off"
        ) from error
    return records


def check_header(path: Path, line: int, header: list[str], required: list[str]) -> None:
    """Raise ImportFileError if the header (at ``line``) names a column twice or lacks a required column."""
    twice = sorted(name for name, seen in Counter(header).items() if seen > 1)
    if twice:
        raise ImportFileError(f"{path}: line {line}: the header names column(s) twice: {', '.join(map(repr, twice))}")
    missing = [column for column in required if column not in header]
    if missing:
        raise ImportFileError(f"{path}: required column(s) missing: {', '.join(missing)} (found: {', '.join(header)})")


def check_row(path: Path, line: int, header: list[str], cells: list[str], lists: Mapping[str, str]) -> None:
    """Check one row; raise ImportFileError naming the file and line if it is cut off, malformed or hostile.

    Its cells must match the header one to one; no cell, nor any name in a list cell, may read
    as a spreadsheet formula (the message then names the column too).
    """
    if len(cells) != len(header):
        raise ImportFileError(
            f"{path}: line {line}: {len(cells)} cell(s) where the header has {len(header)}: a row cut off or malformed"
        )
    for column, cell in zip(header, cells, strict=True):
        separator = lists.get(column)
        values = [cell, *cell.split(separator)] if separator else [cell]
        formula = next((value for value in values if formula_like(value)), None)
        if formula is not None:
            raise ImportFileError(
                f"{path}: line {line}, column {column!r}: {formula[:80]!r} reads as a spreadsheet formula "
                "(CSV injection); the file is refused"
            )


FORMULA_LEADERS = ("=", "+", "-", "@")
NUMBER = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def formula_like(value: str) -> bool:
    """Whether a spreadsheet could run ``value`` as a formula (CSV injection).

    True when it starts, after any white space, with = + - or @ (full-width forms included), or starts with a
    tab or carriage return, and what follows is text: a number such as -5, +3.2 or -1e3 is not a
    formula, nor is a leader alone (a dash for "none").
    """
    text = unicodedata.normalize("NFKC", value)
    stripped = text.strip()
    if not (text.startswith(("\t", "\r")) or stripped.startswith(FORMULA_LEADERS)):
        return False
    return len(stripped) > 1 and NUMBER.fullmatch(stripped) is None


def count_rows(path: Path, required: list[str], lists: Mapping[str, str] | None = None) -> int:
    """How many rows a CSV file has (for a progress display); raises ImportFileError like read_csv."""
    return len(read_csv(path, required, lists)[1])


@dataclass(frozen=True)
class Dataset:
    """A data set as a source: the graph slug stem, title, publisher, licence, URL, snapshot date."""

    stem: str
    title: str
    publisher: str
    licence: str
    url: str
    citation: str
    confidence: str = "Reported"  # the level of its statements (docs/adr/0014): a compiled data set reports

    def slug(self, checksum: str) -> str:
        """The slug of one file version's graph and source."""
        return f"{self.stem}-{checksum[:12]}"

    def source_triples(self, checksum: str, snapshot: date | None) -> set[ox.Triple]:
        """The description of one import's source and its graph's provenance, for graph/meta."""
        source = ox.NamedNode(SOURCE_BASE + self.slug(checksum))
        triples = {
            ox.Triple(ox.NamedNode(self.graph(checksum)), PRIMARY_SOURCE, source),
            ox.Triple(source, RDF_TYPE, cg("Dataset")),
            ox.Triple(source, ox.NamedNode(DCTERMS + "title"), ox.Literal(self.title)),
            ox.Triple(source, ox.NamedNode(DCTERMS + "publisher"), ox.Literal(self.publisher)),
            ox.Triple(source, cg("licence"), ox.Literal(self.licence)),
            ox.Triple(source, cg("url"), ox.Literal(self.url, datatype=ox.NamedNode(XSD + "anyURI"))),
            ox.Triple(source, cg("checksumSha256"), ox.Literal(checksum)),
            ox.Triple(source, cg("confidence"), cg(self.confidence)),
            ox.Triple(source, cg("sourceCitation"), ox.Literal(f"{self.citation} File SHA-256 {checksum}.")),
        }
        if snapshot is not None:
            date_literal = ox.Literal(snapshot.isoformat(), datatype=ox.NamedNode(XSD + "date"))
            triples.add(ox.Triple(source, ox.NamedNode(DCTERMS + "date"), date_literal))
        return triples

    def graph(self, checksum: str) -> str:
        """The IRI of one import's graph."""
        return GRAPH_BASE + self.slug(checksum)


@dataclass
class Match:
    """How a name was reconciled: the entity (None if not matched) and how."""

    iri: str | None
    how: str  # "alias", "name", "new", "uncertain"
    candidates: list[str] = field(default_factory=list)


class Reconciler:
    """Matches names to existing entities: the alias table first, then names and aliases in the store.

    A name that matches no entity exactly but shares its words with one (one name's words within
    the other's) is "uncertain": the importer skips it and lists it for review, never guessing.
    """

    def __init__(self, store: AnyStore, kind: str, class_name: str) -> None:
        self.kind = kind
        self.aliases = {normalise(name): entity for k, name, entity in alias_table() if k == kind}
        self.names: dict[str, set[str]] = {}
        self.labels: dict[str, set[str]] = {}  # entity -> its names exactly as stated
        query = (
            "SELECT ?e ?name WHERE { ?e a <" + CG + class_name + "> . "
            "{ ?e <http://www.w3.org/2000/01/rdf-schema#label> ?name } UNION "
            "{ ?e <http://www.w3.org/2004/02/skos/core#altLabel> ?name } }"
        )
        for row in store.select(query):
            self.remember(term_text(row["name"]), term_text(row["e"]))

    def match(self, name: str) -> Match:
        """The entity ``name`` denotes, or a new id, or "uncertain" with the candidates."""
        key = normalise(name)
        if key in self.aliases:
            iri = f"{ID_BASE}{self.kind}/{self.aliases[key]}"
            return Match(iri, "alias" if iri in self.labels else "new")
        found = self.names.get(key, set())
        if len(found) == 1:
            return Match(next(iter(found)), "name")
        if len(found) > 1:
            return Match(None, "uncertain", sorted(found))
        words = set(key.split())
        close = sorted(
            {iri for other, iris in self.names.items() for iri in iris if _overlaps(words, set(other.split()))}
        )
        if close:
            return Match(None, "uncertain", close)
        return Match(f"{ID_BASE}{self.kind}/{slugify(name)}", "new")

    def remember(self, name: str, iri: str) -> None:
        """Record a name of an entity (read from the store, or created by this import)."""
        self.names.setdefault(normalise(name), set()).add(iri)
        self.labels.setdefault(iri, set()).add(name)


def _overlaps(words: set[str], other: set[str]) -> bool:
    smaller, larger = sorted((words, other), key=len)
    return len(smaller) >= 2 and smaller < larger


def alias_table() -> list[tuple[str, str, str]]:
    """The curated alias table (data/aliases.csv): (kind, name as a data set writes it, entity slug)."""
    path = resources.resource_dir("data") / "aliases.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["kind"], row["name"], row["id"]) for row in csv.DictReader(handle) if row["kind"].strip()]


@dataclass
class ImportReport:
    """What an import read and did; skipped rows and uncertain matches each with the reason."""

    source: str
    path: str
    graph: str
    rows_read: int = 0
    created: Counter[str] = field(default_factory=Counter)
    matched: Counter[str] = field(default_factory=Counter)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    review: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    triples_added: int = 0
    triples_removed: int = 0
    merged: bool = False
    warnings: list[str] = field(default_factory=list)

    def skip(self, row: int, name: str, reason: str) -> None:
        """Record a skipped row (row numbers count the header as row 1)."""
        self.skipped.append({"row": row, "name": name, "reason": reason})

    def to_json(self) -> dict[str, Any]:
        """The report as plain JSON values."""
        return {
            "source": self.source,
            "path": self.path,
            "graph": self.graph,
            "rows_read": self.rows_read,
            "created": dict(self.created),
            "matched": dict(self.matched),
            "skipped": self.skipped,
            "review": self.review,
            "notes": self.notes,
            "triples_added": self.triples_added,
            "triples_removed": self.triples_removed,
            "merged": self.merged,
            "warnings": self.warnings,
        }
