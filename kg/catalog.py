"""The look-ups behind the REST resources: lists with filters and pages, entity facts, search.

Every query comes from kg/queries/rest/*.rq; what a request adds (filters, an entity) is
validated here first: slugs against SLUG, dates and numbers by type; then it enters the query
as a term written by pyoxigraph (kg.rdf.sparql_iri, sparql_literal), never as pasted text.
"""

from __future__ import annotations

import bisect
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.namespaces import ID_BASE, ONTOLOGY_NS
from kg.rdf import fill, sparql_iri, sparql_iris, sparql_literal
from kg.store import AnyStore, term_text

if TYPE_CHECKING:
    from collections.abc import Iterable

    from kg.confidence import ConfidenceIndex
    from kg.gate.changes import Changeset

QUERIES = Path(__file__).resolve().parent / "queries" / "rest"
SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")  # used with fullmatch ($ allows a final newline)
KINDS = (
    "chip",
    "organization",
    "country",
    "process-node",
    "product-line",
    "act",
    "eccn",
    "criterion",
    "entity-list-entry",
    "licence-requirement",
    "licensing-policy",
    "licence-exception",
    "source",
    "change",
    "supply-chain-input",
    "supply-chain-stage",
    "provision",
    "derivation",
)
CG = ONTOLOGY_NS
XSD = "http://www.w3.org/2001/XMLSchema#"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
WORKLOADS = {"training": CG + "Training", "inference": CG + "Inference"}


class NotFoundError(LookupError):
    """Raised when no entity has the requested id."""


class InvalidFilterError(ValueError):
    """Raised when a filter value is malformed (the message names it)."""


def entity_iri(kind: str, slug: str) -> str:
    """The IRI of an entity; raises InvalidFilterError for an unknown kind or a malformed slug."""
    if kind not in KINDS:
        raise InvalidFilterError(f"unknown kind {kind[:80]!r}; kinds are {', '.join(KINDS)}")
    if not SLUG.fullmatch(slug):
        raise InvalidFilterError(f"malformed id {slug[:80]!r}")
    return ox.NamedNode(f"{ID_BASE}{kind}/{slug}").value


def entity_id(iri: str) -> str:
    """The kind/slug of an entity IRI."""
    return iri.removeprefix(ID_BASE)


@cache
def _query(name: str) -> str:
    return (QUERIES / f"{name}.rq").read_text(encoding="utf-8")


def rest_query(name: str) -> str:
    """The text of kg/queries/rest/<name>.rq (read once)."""
    return _query(name)


@dataclass(frozen=True)
class ChipFilter:
    """The filters of the chip list; None means not filtered."""

    designer: str | None = None
    foundry: str | None = None
    country: str | None = None
    workload: str | None = None
    process_node: str | tuple[str, ...] | None = None  # a slug, or several (any of them)
    year_from: int | None = None
    year_to: int | None = None
    min_tpp: float | None = None

    def clauses(self) -> tuple[str, str]:
        """The SPARQL filter patterns and HAVING clause for these filters."""
        patterns = []
        if self.designer:
            patterns.append(f"?chip cg:designedBy {sparql_iri(entity_iri('organization', self.designer))} .")
        if self.foundry:
            patterns.append(f"?chip cg:manufacturedBy {sparql_iri(entity_iri('organization', self.foundry))} .")
        if self.country:
            if not re.fullmatch(r"[A-Z]{2}", self.country):
                raise InvalidFilterError("country is an ISO 3166-1 alpha-2 code, such as CN")
            country = sparql_iri(f"{ID_BASE}country/{self.country}")
            patterns.append(f"?chip cg:designedBy/cg:headquarteredIn {country} .")
        if self.workload:
            if self.workload not in WORKLOADS:
                raise InvalidFilterError("workload is training or inference")
            patterns.append(f"?chip cg:intendedWorkload {sparql_iri(WORKLOADS[self.workload])} .")
        if self.process_node:
            nodes = (self.process_node,) if isinstance(self.process_node, str) else self.process_node
            iris = sparql_iris([entity_iri("process-node", node) for node in nodes])
            patterns.append(f"VALUES ?filterNode {{ {iris} }} ?chip cg:processNode ?filterNode .")
        having = []
        if self.year_from is not None:
            having.append(f"YEAR(MIN(?released)) >= {sparql_literal(str(int(self.year_from)), XSD + 'integer')}")
        if self.year_to is not None:
            having.append(f"YEAR(MIN(?released)) <= {sparql_literal(str(int(self.year_to)), XSD + 'integer')}")
        if self.min_tpp is not None:
            having.append(f"MAX(?tppFigure) >= {_decimal(self.min_tpp, 'min_tpp')}")
        return "\n  ".join(patterns), f"HAVING ({' && '.join(having)})" if having else ""


def _decimal(value: float, name: str) -> str:
    """A finite number as an xsd:decimal literal; raises InvalidFilterError for inf and nan."""
    if not math.isfinite(value):
        raise InvalidFilterError(f"{name} must be a finite number")
    return sparql_literal(format(Decimal(repr(value)), "f"), XSD + "decimal")


@dataclass
class Page:
    """One page of a list: the total count and the items (dicts of plain values)."""

    total: int
    items: list[dict[str, Any]] = field(default_factory=list)


def _page(rows: list[dict[str, Any]], offset: int, limit: int) -> Page:
    rows.sort(key=lambda row: (row["label"].casefold(), row["id"]))
    return Page(total=len(rows), items=rows[offset : offset + limit])


def list_chips(store: AnyStore, filters: ChipFilter, offset: int, limit: int) -> Page:
    """Chips matching ``filters``, sorted by label then id, one page of them."""
    patterns, having = filters.clauses()
    rows = []
    found = store.select(fill(_query("chips"), {"FILTERS": patterns, "HAVING": having}))
    designers = label_index(store, {term_text(row["by"]) for row in found if "by" in row})
    for row in found:
        item: dict[str, Any] = {"id": entity_id(term_text(row["chip"])), "label": term_text(row["name"])}
        item["designer"] = _ref(row["by"], designers.get(term_text(row["by"]))) if "by" in row else None
        item["release_date"] = term_text(row["release"]) if "release" in row else None
        item["tpp"] = float(term_text(row["tpp"])) if "tpp" in row else None
        rows.append(item)
    return _page(rows, offset, limit)


def list_members(store: AnyStore, class_name: str, offset: int, limit: int, *, in_force_on: date | None = None) -> Page:
    """Entities of a chipgraph class with their labels, sorted, one page; acts by date if asked."""
    filters = ""
    if in_force_on is not None:
        on = sparql_literal(in_force_on.isoformat(), XSD + "date")
        allowed = {term_text(row["entity"]) for row in store.select(fill(_query("regulations-in-force"), {"DATE": on}))}
        filters = "VALUES ?entity { " + sparql_iris(sorted(allowed)) + " }"
    query = fill(_query("members"), {"CLASS": sparql_iri(CG + class_name), "FILTERS": filters})
    rows = [{"id": entity_id(term_text(row["entity"])), "label": term_text(row["name"])} for row in store.select(query)]
    return _page(rows, offset, limit)


ROLES = {
    "designer": "ChipDesigner",
    "foundry": "Foundry",
    "equipment-supplier": "EquipmentSupplier",
    "ip-supplier": "IPSupplier",
    "cloud-provider": "CloudProvider",
    "company": "Company",
    "agency": "GovernmentAgency",
}


def list_organisations(
    store: AnyStore, offset: int, limit: int, *, role: str | None = None, country: str | None = None
) -> Page:
    """Organisations (of a role, headquartered in a country, if given), sorted, one page.

    ``role`` is a key of ROLES; ``country`` an ISO 3166-1 alpha-2 code. Raises
    InvalidFilterError for anything else.
    """
    if role is not None and role not in ROLES:
        raise InvalidFilterError(f"role is one of {', '.join(ROLES)}")
    filters = ""
    if country is not None:
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise InvalidFilterError("country is an ISO 3166-1 alpha-2 code, such as CN")
        filters = f"?entity <{CG}headquarteredIn> {sparql_iri(f'{ID_BASE}country/{country}')} ."
    class_iri = sparql_iri(CG + (ROLES[role] if role else "Organization"))
    query = fill(_query("members"), {"CLASS": class_iri, "FILTERS": filters})
    rows = [{"id": entity_id(term_text(row["entity"])), "label": term_text(row["name"])} for row in store.select(query)]
    return _page(rows, offset, limit)


def facts(
    store: AnyStore,
    iri: str,
    sources: SourceIndex | None = None,
    labels: LabelIndex | None = None,
    confidence: ConfidenceIndex | None = None,
) -> dict[str, Any]:
    """Every stated fact of an entity, grouped by property, each value with its source graphs.

    ``sources`` is a source_index(), ``labels`` a label_index() and ``confidence`` a
    ConfidenceIndex to reuse (read from the store, for this entity only, when not given).
    Raises NotFoundError when the entity has no stated fact.
    """
    rows = store.select(fill(_query("facts"), {"ENTITY": sparql_iri(iri)}))
    if not rows:
        raise NotFoundError(iri)
    if labels is None:
        labels = label_index(store, {term_text(row["o"]) for row in rows if isinstance(row["o"], ox.NamedNode)})
    grouped: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        prop, value, graph = term_text(row["p"]), row["o"], term_text(row["g"])
        text = term_text(value)
        entry = grouped.setdefault(prop, {}).setdefault(text, _value(value, labels.get(text)))
        entry["graphs"].append(graph)
    if confidence is None:
        from kg.confidence import ConfidenceIndex as Index  # here: kg.confidence imports this module

        confidence = Index.read(store)
    for prop, values in grouped.items():
        for text, entry in values.items():
            entry["confidence"] = {
                graph: confidence.describe(iri, prop, text, graph)
                for graph in entry["graphs"]
                if confidence.level(iri, prop, text, graph) != "unknown"
            }
    names = sorted(grouped.get(LABEL, {}))
    graphs = sorted({graph for values in grouped.values() for value in values.values() for graph in value["graphs"]})
    known = sources if sources is not None else source_index(store)
    return {
        "sources": [known[graph] for graph in graphs if graph in known],
        "iri": iri,
        "id": entity_id(iri),
        "label": names[0] if names else entity_id(iri),
        "facts": {
            _short(prop): sorted(values.values(), key=lambda v: v["value"]) for prop, values in sorted(grouped.items())
        },
    }


def derivation_inputs(store: AnyStore, iri: str) -> dict[str, list[dict[str, str]]]:
    """The stated facts each derived figure of an entity was computed from.

    Keys are short property names of the derived figures (``cg:computedTPP``); each input is
    {"property", "value", "graph"}. Empty for an entity with no derived figure.
    """
    inputs: dict[str, list[dict[str, str]]] = {}
    for row in store.select(fill(_query("derivation-inputs"), {"ENTITY": sparql_iri(iri)})):
        text = {name: term_text(value) for name, value in row.items()}
        used = {"property": _short(text["input"]), "value": text["value"], "graph": text["graph"]}
        inputs.setdefault(_short(text["derived"]), []).append(used)
    return inputs


LabelIndex = dict[str, str]


def label_index(store: AnyStore, entities: set[str] | None = None) -> LabelIndex:
    """The name of every entity (or of ``entities`` only), by IRI: its smallest rdfs:label."""
    if entities is not None and not entities:
        return {}
    filters = "" if entities is None else "VALUES ?entity { " + sparql_iris(sorted(entities)) + " }"
    names: LabelIndex = {}
    for row in store.select(fill(_query("labels"), {"FILTERS": filters})):
        entity, name = term_text(row["entity"]), term_text(row["name"])
        if entity not in names or name < names[entity]:
            names[entity] = name
    return names


def updated_labels(store: AnyStore, labels: LabelIndex, merged: Iterable[Changeset]) -> LabelIndex:
    """``labels`` (a label_index of the store before the merge) updated by the ``merged`` changesets.

    Only the names of the subjects the changesets touch are read again; the result equals
    label_index(store) when the names of no other entity changed (a name is a stated
    rdfs:label of the entity itself, so only a changeset about that entity changes it).
    """
    touched = {
        triple.subject.value
        for change in merged
        for triple in (*change.add, *change.remove)
        if isinstance(triple.subject, ox.NamedNode)
    }
    updated = dict(labels)  # a copy in C: the old index stays as it was for its readers
    for entity in touched:
        updated.pop(entity, None)
    updated.update(label_index(store, touched))
    return updated


def listed_organisations(store: AnyStore) -> set[str]:
    """Every organisation with an Entity List entry, and every organisation that belongs to one."""
    return {term_text(row["org"]) for row in store.select(_query("listed-organisations"))}


def export_control_chips(store: AnyStore, chips: set[str] | None = None, listed: set[str] | None = None) -> set[str]:
    """Every chip with at least one export-control fact (see chip-export-control.rq); of ``chips`` only, if given.

    Chips a licence requirement covers, chips with a stated ECCN, and chips whose designer (or
    the designer's parent) has an Entity List entry; the other chips skip that query.
    ``listed`` is the listed_organisations() of the store, to reuse (read when not given).
    """
    if chips is not None and not chips:
        return set()
    filters = {"FILTERS": "" if chips is None else "VALUES ?chip { " + sparql_iris(sorted(chips)) + " }"}
    found = {term_text(row["chip"]) for row in store.select(fill(_query("export-control-chips"), filters))}
    listed = listed_organisations(store) if listed is None else listed
    if listed:
        query = fill(_query("chips-of-organisations"), {"ORGS": sparql_iris(sorted(listed)), **filters})
        found |= {term_text(row["chip"]) for row in store.select(query)}
    return found


SourceIndex = dict[str, dict[str, Any]]


def source_index(store: AnyStore) -> SourceIndex:
    """Every data graph's source (IRI, graph, title, URL, citation), by graph IRI."""
    fields = (("iri", "source"), ("graph", "graph"), ("title", "title"), ("url", "url"), ("citation", "citation"))
    index = {}
    for row in store.select(_query("all-sources")):
        index[term_text(row["graph"])] = {name: term_text(row[key]) if key in row else None for name, key in fields}
    return index


def _ref(term: Any, label: Any) -> dict[str, str]:
    iri = term_text(term)
    name = label if isinstance(label, str) else term_text(label) if label is not None else entity_id(iri)
    return {"id": entity_id(iri), "label": name}


def _value(term: Any, label: str | None) -> dict[str, Any]:
    text = term_text(term)
    if text.startswith(ID_BASE) and not hasattr(term, "datatype"):
        return {"value": text, "ref": _ref(term, label), "graphs": []}
    datatype = getattr(getattr(term, "datatype", None), "value", None)
    return {"value": text, "datatype": datatype, "ref": None, "graphs": []}


def _short(prop: str) -> str:
    for prefix, namespace in (
        ("cg", CG),
        ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
        ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
        ("skos", "http://www.w3.org/2004/02/skos/core#"),
        ("dcterms", "http://purl.org/dc/terms/"),
    ):
        if prop.startswith(namespace):
            return f"{prefix}:{prop[len(namespace) :]}"
    return prop


def export_control(store: AnyStore, iri: str) -> list[dict[str, Any]]:
    """The export-control facts known so far for a chip, by kind then start date."""
    nodes = {
        term_text(row["node"]): term_text(row["kind"])
        for row in store.select(fill(_query("chip-export-control"), {"ENTITY": sparql_iri(iri)}))
    }
    if not nodes:
        return []
    details = store.select(fill(_query("export-details"), {"NODES": sparql_iris(sorted(nodes))}))
    result = []
    for row in details:
        node = term_text(row["node"])
        result.append(
            {
                "kind": nodes[node],
                "id": entity_id(node),
                "label": term_text(row["label"]) if "label" in row else entity_id(node),
                "valid_from": term_text(row["from"]) if "from" in row else None,
                "valid_until": term_text(row["until"]) if "until" in row else None,
                "act": _ref(row["act"], row.get("actLabel")) if "act" in row else None,
            }
        )
    return sorted(result, key=lambda fact: (fact["kind"], fact["valid_from"] or "", fact["id"]))


def fold(text: str) -> str:
    """``text`` without accents and case ("Ç" and "c" fold alike): how names are compared and searched.

    NFKD-decomposes, drops the combining marks, then casefolds; spaces and punctuation stay.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def compact(text: str) -> str:
    """``text`` folded, "+" spelt "plus", and only letters and digits kept: "TSMC 5 nm" == "tsmc-5nm".

    How filter values are compared with ids and names regardless of their format.
    """
    return "".join(char for char in fold(text).replace("+", "plus") if char.isalnum())


@dataclass
class SearchIndex:
    """Names and aliases of every entity, folded for case- and accent-insensitive search."""

    entries: list[tuple[str, str, str]]  # (folded name, name, entity IRI), sorted
    by_entity: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.by_entity and self.entries:
            for entry in self.entries:
                self.by_entity.setdefault(entry[2], []).append(entry)

    @classmethod
    def build(cls, store: AnyStore, entities: set[str] | None = None) -> SearchIndex:
        """Read every label and alternative label, and every citation of acts and sources.

        Of ``entities`` only, if given. A citation ("88 FR 73458", "FR Doc. 2023-23055") is found
        under the entity's name.
        """
        if entities is not None and not entities:
            return cls([])
        filters = {"FILTERS": "" if entities is None else "VALUES ?entity { " + sparql_iris(sorted(entities)) + " }"}
        rows = store.select(fill(_query("search"), filters))
        entries = [(fold(term_text(r["name"])), term_text(r["name"]), term_text(r["entity"])) for r in rows]
        for row in store.select(fill(_query("citations"), filters)):
            iri = term_text(row["entity"])
            name = term_text(row["name"]) if "name" in row else entity_id(iri)
            entries.append((fold(term_text(row["citation"])), name, iri))
        return cls(sorted(entries))

    def updated(self, store: AnyStore, entities: set[str]) -> SearchIndex:
        """A new index: this one with the entries of ``entities`` read again from ``store``.

        Equals build(store) when no other entity's names or citations changed since this index
        was read (they are statements about the entity itself, stated or inferred from such).
        """
        entries, by_entity = list(self.entries), dict(self.by_entity)  # copies in C: this index stays as it is
        for entity in entities:
            for entry in by_entity.pop(entity, []):
                del entries[bisect.bisect_left(entries, entry)]
        for entry in SearchIndex.build(store, entities).entries:
            bisect.insort(entries, entry)
            by_entity.setdefault(entry[2], []).append(entry)
        return SearchIndex(entries, by_entity)

    def search(self, text: str, limit: int) -> list[dict[str, Any]]:
        """Entities whose name or alias contains ``text``, best first, one hit per entity.

        Whole-name prefix matches come first, then word-prefix matches, then any substring;
        ties by name.
        """
        query = fold(text.strip())
        if not query:
            return []
        best: dict[str, tuple[int, str]] = {}
        at_a_word = re.compile(r"(?:^|[\s\-/()])" + re.escape(query))  # a query of several words too
        for folded, name, iri in self.entries:
            if folded.startswith(query):
                rank = 0
            elif at_a_word.search(folded):
                rank = 1
            elif query in folded:
                rank = 2
            else:
                continue
            if iri not in best or (rank, name) < best[iri]:
                best[iri] = (rank, name)
        ordered = sorted(best.items(), key=lambda item: (item[1][0], item[1][1].casefold(), item[0]))
        return [
            {"id": entity_id(iri), "label": name, "match": ("prefix", "word", "substring")[rank]}
            for iri, (rank, name) in ordered[:limit]
        ]


def describe_rdf(store: AnyStore, iri: str, rdf_format: ox.RdfFormat) -> bytes:
    """The stated facts of an entity serialised in ``rdf_format`` (a pyoxigraph RdfFormat)."""
    triples = store.query(fill(_query("describe"), {"ENTITY": sparql_iri(iri)}))
    data = ox.serialize(triples, format=rdf_format) if isinstance(triples, ox.QueryTriples) else b""
    return data or b""
