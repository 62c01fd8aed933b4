"""What every importer shares: the data set's provenance, reconciliation, and the import report.

An importer turns a file into triples for one named graph of its own (one per file version:
the graph's slug ends with the file's SHA-256 prefix), plus the description of that graph's
source in graph/meta. Both go through the same validate-then-merge path as any changeset.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import resources
from kg.namespaces import GRAPH_BASE, ID_BASE, ONTOLOGY_NS, SOURCE_BASE
from kg.store import OxigraphStore, term_text

CG = ONTOLOGY_NS
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
ALT_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
DCTERMS = "http://purl.org/dc/terms/"
PRIMARY_SOURCE = ox.NamedNode("http://www.w3.org/ns/prov#hadPrimarySource")


class ImportFileError(ValueError):
    """Raised when a file cannot be imported at all (unreadable, not CSV, required columns missing)."""


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


def sha256(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_csv(path: Path, required: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a CSV file; raises ImportFileError if unreadable or a required column is missing."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = [dict(row) for row in reader]
            header = list(reader.fieldnames or [])
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ImportFileError(f"{path}: cannot read it as CSV: {error}") from error
    missing = [column for column in required if column not in header]
    if missing:
        raise ImportFileError(f"{path}: required column(s) missing: {', '.join(missing)} (found: {', '.join(header)})")
    return header, rows


def count_rows(path: Path, required: list[str]) -> int:
    """How many rows a CSV file has (for a progress display); raises ImportFileError like read_csv."""
    return len(read_csv(path, required)[1])


@dataclass(frozen=True)
class Dataset:
    """A data set as a source: the graph slug stem, title, publisher, licence, URL, snapshot date."""

    stem: str
    title: str
    publisher: str
    licence: str
    url: str
    citation: str

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

    def __init__(self, store: OxigraphStore, kind: str, class_name: str) -> None:
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
