"""The IRIs chipgraph mints: ontology terms, entities, named graphs (see docs/adr/0001, 0002)."""

from __future__ import annotations

ONTOLOGY_NS = "https://w3id.org/chipgraph/ontology#"
ID_BASE = "https://w3id.org/chipgraph/id/"
GRAPH_BASE = "https://w3id.org/chipgraph/graph/"

ONTOLOGY_GRAPH = GRAPH_BASE + "ontology"
META_GRAPH = GRAPH_BASE + "meta"
INFERRED_GRAPH = GRAPH_BASE + "inferred"
HISTORY_GRAPH = GRAPH_BASE + "history"
DERIVED_GRAPH = GRAPH_BASE + "derived"
SYSTEM_GRAPHS = frozenset({ONTOLOGY_GRAPH, META_GRAPH, INFERRED_GRAPH, HISTORY_GRAPH, DERIVED_GRAPH})
FIXPOINT_GRAPH = GRAPH_BASE + "not-at-fixpoint"  # kg.gate.merge's marker: exists only inside a failing update
CLOSED_GRAPHS = SYSTEM_GRAPHS - {META_GRAPH} | {FIXPOINT_GRAPH}  # written by merges only, never by a changeset

SOURCE_BASE = ID_BASE + "source/"
CHANGE_BASE = ID_BASE + "change/"

PREFIXES: dict[str, str] = {
    "cg": ONTOLOGY_NS,
    "chip": ID_BASE + "chip/",
    "org": ID_BASE + "organization/",
    "country": ID_BASE + "country/",
    "node": ID_BASE + "process-node/",
    "line": ID_BASE + "product-line/",
    "act": ID_BASE + "act/",
    "eccn": ID_BASE + "eccn/",
    "criterion": ID_BASE + "criterion/",
    "ele": ID_BASE + "entity-list-entry/",
    "lr": ID_BASE + "licence-requirement/",
    "lp": ID_BASE + "licensing-policy/",
    "lx": ID_BASE + "licence-exception/",
    "src": SOURCE_BASE,
    "change": CHANGE_BASE,
    "graph": GRAPH_BASE,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
}


def source_for_graph(graph_iri: str) -> str | None:
    """Return the source IRI whose facts a data graph holds, or None for a system graph.

    By convention the facts of ``…/id/source/SLUG`` lie in ``…/graph/SLUG``.
    """
    if graph_iri in SYSTEM_GRAPHS or not graph_iri.startswith(GRAPH_BASE):
        return None
    return SOURCE_BASE + graph_iri[len(GRAPH_BASE) :]


def shorten(iri: str) -> str:
    """Write an IRI as prefix:local when a known prefix fits, else return it unchanged."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]) :]}" if best else iri
