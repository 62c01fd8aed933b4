"""Our own result writers (kg.sparql.results): SELECT in JSON, XML, CSV and TSV, and the row cap on CONSTRUCT.

The worker writes a SELECT with its own writers whenever the query has no LIMIT within the cap
(kg.sparql.worker.run), and graph results through the cap. Each output is read back with a parser
that is not ours (Oxigraph's results and RDF parsers, Python's csv) and compared with what
Oxigraph answers for the same query on the same store.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest

from kg.sparql.results import BATCH_ROWS, TRUNCATED_LINK
from kg.sparql.worker import QueryJob, run

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
SELECT = "SELECT ?s ?p ?o ?missing WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(!isBlank(?o)) }"  # triples comparable as they are
PARSED = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPHS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def triple(subject: str, predicate: str, obj: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.Quad:
    return ox.Quad(ox.NamedNode(EX + subject), ox.NamedNode(EX + predicate), obj, ox.DefaultGraph())


@pytest.fixture(scope="module")
def store() -> ox.Store:
    """Every kind of term, and text that needs escaping in each format."""
    store = ox.Store()
    store.extend(
        [
            triple("a", "label", ox.Literal('comma, "quote"\ttab\nnew line; <tag> & ü')),
            triple("a", "label", ox.Literal("puce", language="fr")),
            triple("a", "count", ox.Literal("42", datatype=ox.NamedNode(XSD + "integer"))),
            triple("a", "ratio", ox.Literal("0.5", datatype=ox.NamedNode(XSD + "decimal"))),
            triple("a", "link", ox.NamedNode(EX + "b?x=1&y=2")),
            triple("a", "blank", ox.BlankNode("b1")),
            triple("b", "label", ox.Literal("<xml> & 'apostrophe'")),
        ]
    )
    return store


def written(store: ox.Store, query: str, media: str, max_rows: int = 100_000) -> tuple[bytes, bool]:
    chosen, truncated, emit = run(store, QueryJob(query, (media,), max_rows=max_rows))
    assert chosen == media
    chunks: list[bytes] = []
    emit(lambda chunk: chunks.append(chunk if isinstance(chunk, bytes) else chunk.encode()))
    return b"".join(chunks), truncated


def rows(solutions: ox.QuerySolutions) -> list[tuple[object, ...]]:
    names = [variable.value for variable in solutions.variables]
    return [tuple(solution[name] for name in names) for solution in solutions]


@pytest.mark.parametrize("media", sorted(PARSED))
def test_select_read_back_equals_oxigraphs_answer(store: ox.Store, media: str) -> None:
    body, truncated = written(store, SELECT, media)
    assert not truncated
    parsed = ox.parse_query_results(body, PARSED[media])
    assert isinstance(parsed, ox.QuerySolutions)
    assert [variable.value for variable in parsed.variables] == ["s", "p", "o", "missing"]
    assert rows(parsed) == rows(store.query(SELECT))  # unbound ?missing, language, datatype, blank node


def test_select_as_csv_has_the_values_as_the_recommendation_writes_them(store: ox.Store) -> None:
    body, _ = written(store, SELECT, "text/csv")
    read = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert read[0] == ["s", "p", "o", "missing"]
    expected = [
        ["_:" + term.value if isinstance(term, ox.BlankNode) else term.value for term in row[:3]] + [""]
        for row in rows(store.query(SELECT))
    ]
    assert read[1:] == expected
    assert body.endswith(b"\r\n") and b"\r\n" in body.split(b"\n", 1)[0] + b"\n"


@pytest.mark.parametrize("media", [*sorted(PARSED), "text/csv"])
def test_select_cut_at_the_cap_says_so_where_the_format_can(store: ox.Store, media: str) -> None:
    body, truncated = written(store, SELECT, media, max_rows=2)
    assert truncated
    if media == "text/csv":
        assert len(list(csv.reader(io.StringIO(body.decode())))) == 3  # the header and two rows
        return
    parsed = ox.parse_query_results(body, PARSED[media])
    assert isinstance(parsed, ox.QuerySolutions)
    assert rows(parsed) == rows(store.query(SELECT))[:2]
    if media.endswith("json"):
        document = json.loads(body)
        assert document["truncated"] is True and document["head"]["link"] == [TRUNCATED_LINK]
    elif media.endswith("xml"):
        head = ET.fromstring(body).find("{http://www.w3.org/2005/sparql-results#}head")
        assert head is not None
        links = [link.get("href") for link in head.iter("{http://www.w3.org/2005/sparql-results#}link")]
        assert links == [TRUNCATED_LINK]


def test_select_longer_than_a_batch_is_whole(store: ox.Store) -> None:
    big = ox.Store()
    count = BATCH_ROWS * 2 + 7
    big.extend(triple(f"n{index}", "value", ox.Literal(str(index))) for index in range(count))
    for media in PARSED:
        body, truncated = written(big, "SELECT ?s ?o WHERE { ?s ?p ?o }", media)
        parsed = ox.parse_query_results(body, PARSED[media])
        assert isinstance(parsed, ox.QuerySolutions)
        assert not truncated and sorted(rows(parsed), key=str) == sorted(
            rows(big.query("SELECT ?s ?o WHERE { ?s ?p ?o }")), key=str
        )
        assert len(rows(ox.parse_query_results(body, PARSED[media]))) == count  # type: ignore[arg-type]


@pytest.mark.parametrize("media", sorted(GRAPHS))
def test_construct_is_cut_at_the_cap_and_marked(store: ox.Store, media: str) -> None:
    every = set(store.query(CONSTRUCT))  # type: ignore[arg-type]
    body, truncated = written(store, CONSTRUCT, media, max_rows=3)
    assert truncated
    read = {quad.triple for quad in ox.parse(body, GRAPHS[media])}
    assert len(read) == 3 and read <= every
    text = body.decode("utf-8")
    if media in ("text/turtle", "application/n-triples"):
        assert text.startswith("# chipgraph: truncated: the result was cut at 3 rows") and TRUNCATED_LINK in text
    elif media == "application/rdf+xml":
        assert text.rstrip().endswith("-->") and TRUNCATED_LINK in text
    else:
        assert "truncated" not in text  # JSON-LD has no place for it: the response header says it
    whole, cut = written(store, CONSTRUCT, media, max_rows=len(every))
    assert not cut and {quad.triple for quad in ox.parse(whole, GRAPHS[media])} == every
    assert b"truncated" not in whole
