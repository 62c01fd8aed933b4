"""Coverage: for each class, the share of its entities that have each key property, and which lack it.

The sections and their key properties are data (kg/queries/coverage/key-properties.toml), not
code: a section is a SPARQL group pattern binding ?entity, a key is a SPARQL property path. Both
are ours, read from the package; nothing a request sends enters these queries.

The same gaps, one entity at a time, are the advisory SHACL warnings of
shapes/advisory/coverage.ttl (coverage_warnings): shown to curators, never part of the merge
gate's verdict.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib.namespace import NamespaceManager

from kg.catalog import entity_id
from kg.gate.validate import ValidationResult, read_report, store_graph
from kg.namespaces import ID_BASE, ONTOLOGY_NS
from kg.rdf import sparql_iris, to_rdflib
from kg.resources import resource_dir
from kg.store import AnyStore, Store, term_text

KEYS_FILE = Path(__file__).resolve().parent / "queries" / "coverage" / "key-properties.toml"
PREFIXES = (
    f"PREFIX cg: <{ONTOLOGY_NS}>\n"
    f"PREFIX ct: <{ID_BASE}country/>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
)


class UnknownSectionError(LookupError):
    """Raised when a section id is not one of the sections of the key-properties file."""


@dataclass(frozen=True)
class Key:
    """A key property: its name and the SPARQL property path that leads to its values."""

    name: str
    path: str


@dataclass(frozen=True)
class Section:
    """A set of entities (a SPARQL group pattern binding ?entity) and its key properties."""

    id: str
    title: str
    members: str
    keys: tuple[Key, ...]


@cache
def sections() -> tuple[Section, ...]:
    """The sections of kg/queries/coverage/key-properties.toml, in file order."""
    data = tomllib.loads(KEYS_FILE.read_text(encoding="utf-8"))
    result: list[Section] = []
    for item in data["section"]:
        if "keys_of" in item:
            keys = next(section.keys for section in result if section.id == item["keys_of"])
        else:
            keys = tuple(Key(key["name"], key["path"]) for key in item["keys"])
        result.append(Section(item["id"], item["title"], item["members"], keys))
    return tuple(result)


def section_ids() -> list[str]:
    """The ids of the sections, in file order."""
    return [section.id for section in sections()]


def _entities(store: AnyStore, members: str, having: str = "") -> set[str]:
    query = f"{PREFIXES}SELECT DISTINCT ?entity WHERE {{ {members} {having} }}"
    return {term_text(row["entity"]) for row in store.select(query)}


def key_coverage(store: AnyStore, section: Section, key: Key, members: set[str]) -> dict[str, Any]:
    """How many of ``members`` have ``key``: counts, share (None when there are no members), missing ids."""
    having = _entities(store, section.members, f"FILTER EXISTS {{ ?entity {key.path} ?value }}") & members
    missing = sorted(entity_id(iri) for iri in members - having)
    return {
        "key": key.name,
        "path": key.path,
        "have": len(having),
        "missing_count": len(missing),
        "share": round(len(having) / len(members), 4) if members else None,
        "missing": missing,
    }


def section_coverage(store: AnyStore, section: Section) -> dict[str, Any]:
    """The coverage of one section: its entity count and the coverage of each key."""
    members = _entities(store, section.members)
    return {
        "id": section.id,
        "title": section.title,
        "total": len(members),
        "keys": [key_coverage(store, section, key, members) for key in section.keys],
    }


def coverage(store: AnyStore, only: str | None = None) -> dict[str, Any]:
    """The coverage of every section (or of the section ``only``), as JSON-ready data.

    Raises UnknownSectionError when ``only`` names no section.
    """
    chosen = [section for section in sections() if only is None or section.id == only]
    if not chosen:
        raise UnknownSectionError(f"no coverage section {(only or '')[:80]!r}; sections are {', '.join(section_ids())}")
    return {"sections": [section_coverage(store, section) for section in chosen]}


def _facts_of(store: Store, focus: set[str]) -> rdflib.Graph:
    """The facts (types included) of the focus nodes: all the coverage shapes read of them."""
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {sparql_iris(sorted(focus))} }} ?s ?p ?o }}"
    triples = store.query(query)
    assert isinstance(triples, ox.QueryTriples)
    return to_rdflib(triples)


@cache
def warning_shapes() -> rdflib.Graph:
    """The advisory coverage shapes (shapes/advisory/coverage.ttl), parsed once per process."""
    graph = rdflib.Graph()
    graph.parse(resource_dir("shapes") / "advisory" / "coverage.ttl", format="turtle")
    return graph


def coverage_warnings(store: Store, focus: set[str] | None = None) -> list[ValidationResult]:
    """The coverage warnings of the entities ``focus`` (every entity when None), sorted.

    Advisory: they never change a validation verdict. ``store`` holds the inferred types (a
    built store, or a kg.gate.validate.scratch_store).
    """
    if focus is not None and not focus:
        return []
    data = store_graph(store) if focus is None else _facts_of(store, focus)
    data.namespace_manager = NamespaceManager(data, bind_namespaces="none")
    _, report, _ = pyshacl.validate(
        data,
        shacl_graph=warning_shapes(),
        inference="none",
        focus_nodes=None if focus is None else sorted(focus),
    )
    assert isinstance(report, rdflib.Graph)
    return read_report(report, True).results
