"""The SPARQL service description of the endpoint, with VoID counts of the dataset.

The default graph is the RDF merge of the named graphs (sd:UnionDefaultGraph, each triple once;
docs/adr/0010): its void:triples counts distinct triples, a named graph's counts its own. Updates
(sd:SPARQL11Update, with the token) write named graphs only: the default graph is read-only
(an rdfs:comment and cg:readOnly true on it).
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.store import AnyStore

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
FORMATS = "http://www.w3.org/ns/formats/"
CG = "https://w3id.org/chipgraph/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
DATASET_NOTE = (
    "The default graph is the RDF merge of the named graphs: each triple once, however many graphs state it. "
    "A default graph made of several graphs by the request (default-graph-uri, FROM) is not merged: "
    "a triple comes once per graph that states it."
)

UPDATE_NOTE = (
    "SPARQL 1.1 Update is accepted by POST only, with the bearer token: each update is validated against "
    "the shapes and merged as changesets of named graphs. The default graph is read-only: it is the merge "
    "of the named graphs, and an update that writes to it is refused (403 forbidden-update)."
)
DEFAULT_GRAPH_NOTE = "Read-only: the RDF merge of the named graphs (sd:UnionDefaultGraph); write to a named graph."


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _count(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n("http://www.w3.org/2001/XMLSchema#integer"))


def describe(store: AnyStore, endpoint: str, rdf_format: ox.RdfFormat) -> bytes:
    """The description of the endpoint at ``endpoint``: features, formats, graphs with counts.

    ``endpoint`` comes from the request (its Host header); when it is not an IRI, the service
    is a blank node without sd:endpoint.
    """
    try:
        service: ox.NamedNode | ox.BlankNode = _n(endpoint)
    except ValueError:
        service = ox.BlankNode("service")
    dataset = ox.BlankNode("dataset")
    default_graph = ox.BlankNode("defaultGraph")
    triples = [
        ox.Triple(service, RDF_TYPE, _n(SD + "Service")),
        *([ox.Triple(service, _n(SD + "endpoint"), service)] if isinstance(service, ox.NamedNode) else []),
        ox.Triple(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query")),
        ox.Triple(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Update")),
        ox.Triple(service, _n(SD + "feature"), _n(SD + "UnionDefaultGraph")),
        ox.Triple(service, RDFS_COMMENT, ox.Literal(UPDATE_NOTE)),
        ox.Triple(service, _n(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _n(SD + "Dataset")),
        ox.Triple(dataset, RDF_TYPE, _n(VOID + "Dataset")),
        ox.Triple(dataset, _n(VOID + "triples"), _count(store.triple_count())),
        ox.Triple(dataset, RDFS_COMMENT, ox.Literal(DATASET_NOTE)),
        ox.Triple(dataset, _n(SD + "defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, _n(SD + "Graph")),
        ox.Triple(default_graph, RDFS_COMMENT, ox.Literal(DEFAULT_GRAPH_NOTE)),
        ox.Triple(default_graph, _n(CG + "readOnly"), ox.Literal("true", datatype=_n(XSD + "boolean"))),
    ]
    for name in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "JSON-LD",
        "RDF_XML",
    ):
        triples.append(ox.Triple(service, _n(SD + "resultFormat"), _n(FORMATS + name)))
    for index, graph in enumerate(store.named_graphs()):
        named = ox.BlankNode(f"graph{index}")
        description = ox.BlankNode(f"description{index}")
        triples += [
            ox.Triple(dataset, _n(SD + "namedGraph"), named),
            ox.Triple(named, _n(SD + "name"), _n(graph)),
            ox.Triple(named, _n(SD + "graph"), description),
            ox.Triple(description, RDF_TYPE, _n(VOID + "Dataset")),
            ox.Triple(description, _n(VOID + "triples"), _count(store.quad_count(graph))),
        ]
    return ox.serialize(triples, format=rdf_format) or b""
