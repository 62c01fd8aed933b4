"""What a query's text says: LIMITs placed where they parse."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.sparql.dataset import with_row_limit


@pytest.mark.parametrize(
    ("query", "expected_rows"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", 3),
        (
            'PREFIX a: <x:> SELECT ?s WHERE { ?s ?p ?o FILTER(STR(?o) != "}") '
            "{ SELECT ?s WHERE { ?s ?p ?o } LIMIT 5 } } ORDER BY ?s",
            3,
        ),
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 2", 2),
        ("SELECT * WHERE { ?s ?p ?o } OFFSET 1 LIMIT 100000", 3),
        ("SELECT * WHERE { ?s ?p ?o } VALUES ?o { 1 2 3 4 5 }", 3),
        ("SELECT * { ?s ?p ?o } # a comment with } in it", 3),
        ("SELECT ?s (COUNT(*) AS ?n) FROM <urn:g> WHERE { ?s ?p ?o } GROUP BY ?s HAVING (COUNT(*) >= 1)", 0),
    ],
)
def test_row_limit_parses_and_caps(query: str, expected_rows: int) -> None:
    store = ox.Store()
    for number in range(1, 6):
        store.add(
            ox.Quad(
                ox.NamedNode(f"urn:s{number}"),
                ox.NamedNode("urn:p"),
                ox.Literal(str(number), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
            )
        )
    limited = with_row_limit(query, 3)
    assert limited is not None
    assert len(list(store.query(limited))) == expected_rows


def test_row_limit_leaves_other_forms_and_escapes_alone() -> None:
    assert with_row_limit("ASK { ?s ?p ?o }", 3) is None
    assert with_row_limit("CONSTRUCT WHERE { ?s ?p ?o }", 3) is None
    assert with_row_limit('SELECT * WHERE { ?s ?p "\\u0041" }', 3) is None
