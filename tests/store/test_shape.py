"""kg/store/shape.py on queries alone (no server): what the parse says, and the dataset written in its place."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.store import QuerySyntaxError
from kg.store.shape import shape, with_dataset

MIRROR = ox.NamedNode("urn:chipgraph:default")
GRAPHS = [ox.NamedNode("https://example.org/g1"), ox.NamedNode("https://example.org/g2")]
PLACED = {
    "SELECT * WHERE { ?s ?p ?o }": "SELECT * ",
    "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }": "SELECT (COUNT(*) AS ?n) ",
    "SELECT (EXISTS { ?a ?b ?c } AS ?e) WHERE { ?s ?p ?o }": "SELECT (EXISTS { ?a ?b ?c } AS ?e) ",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }": "CONSTRUCT { ?s ?p ?o }",
    "CONSTRUCT WHERE { ?s ?p ?o }": "CONSTRUCT",
    "ASK { ?s ?p 'where {' }": "ASK ",
    "PREFIX where: <https://example.org/{> SELECT ?s WHERE { ?s where:p ?o }": None,  # an invalid IRI: refused
    'PREFIX e: <https://example.org/> SELECT ?s # WHERE {\n WHERE { ?s e:p "{" }': (
        "PREFIX e: <https://example.org/> SELECT ?s # WHERE {\n "
    ),
}


@pytest.mark.parametrize("query", sorted(PLACED))
def test_the_dataset_goes_before_the_where_clause(query: str) -> None:
    head = PLACED[query]
    if head is None:
        with pytest.raises(QuerySyntaxError):
            with_dataset(query, MIRROR, GRAPHS)
        return
    written = with_dataset(query, MIRROR, GRAPHS)
    dataset = "FROM <urn:chipgraph:default> FROM NAMED <https://example.org/g1> FROM NAMED <https://example.org/g2>"
    assert written == f"{head} {dataset} {query[len(head) :]}"
    assert shape(written).has_dataset


def test_a_query_with_its_own_dataset_or_without_a_place_keeps_its_text() -> None:
    assert with_dataset("SELECT * FROM <urn:a> { ?s ?p ?o }", MIRROR, GRAPHS) is None
    assert with_dataset("DESCRIBE <urn:x>", MIRROR, GRAPHS) is None  # no WHERE clause: the protocol carries it
    assert with_dataset('SELECT * WHERE { ?s ?p "\\u0041" }', MIRROR, GRAPHS) is None  # escapes: not scanned


@pytest.mark.parametrize(
    ("query", "graph", "service"),
    [
        ("SELECT * { ?s ?p ?o }", False, False),
        ("SELECT * { OPTIONAL { GRAPH ?g { ?s ?p ?o } } }", True, False),
        ("ASK { FILTER NOT EXISTS { GRAPH <urn:g> { ?s ?p ?o } } }", True, False),
        ("SELECT * { { SELECT ?s { SERVICE ?e { ?s ?p ?o } } } }", False, True),
        ('SELECT * { ?s ?p "SERVICE <urn:x> { }" . ?s <urn:GRAPH> ?o }', False, False),
    ],
)
def test_graph_and_service_are_found_wherever_they_are(query: str, graph: bool, service: bool) -> None:
    found = shape(query)
    assert (found.uses_graph, found.uses_service) == (graph, service)
