"""The SPARQL 1.1 Protocol at /sparql: every result format parsed back and compared with the store."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest
import rdflib
from fastapi.testclient import TestClient

from kg.build import build
from kg.store import term_text
from tests.conftest import wait_for

CG = "https://w3id.org/chipgraph/ontology#"
SELECT = f"SELECT ?chip ?label WHERE {{ ?chip a <{CG}TPU> ; <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
CONSTRUCT = f"CONSTRUCT {{ ?chip a <{CG}TPU> }} WHERE {{ ?chip a <{CG}TPU> }}"


@pytest.fixture(scope="module")
def expected() -> set[tuple[str, str]]:
    _, store = build(None)
    assert store is not None
    return {(term_text(row["chip"]), term_text(row["label"])) for row in store.select(SELECT)}


def test_select_as_json_by_get(client: TestClient, expected: set[tuple[str, str]]) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    bindings = response.json()["results"]["bindings"]
    assert {(b["chip"]["value"], b["label"]["value"]) for b in bindings} == expected
    assert len(expected) == 9  # Google TPU v1 to v7, curated and imported from Epoch


@pytest.mark.parametrize("media", ["application/sparql-results+xml", "text/csv", "text/tab-separated-values"])
def test_select_in_every_results_format_parses_back(
    client: TestClient, media: str, expected: set[tuple[str, str]]
) -> None:
    response = client.post("/sparql", data={"query": SELECT}, headers={"Accept": media})
    assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    if media.endswith("xml"):
        ns = {"s": "http://www.w3.org/2005/sparql-results#"}
        root = ET.fromstring(response.content)
        rows = {
            (r.find("s:binding[@name='chip']/s:uri", ns).text, r.find("s:binding[@name='label']/s:literal", ns).text)  # type: ignore[union-attr]
            for r in root.iterfind(".//s:result", ns)
        }
    elif media == "text/csv":
        rows = {(r["chip"], r["label"]) for r in csv.DictReader(io.StringIO(response.text))}
    else:
        result = rdflib.query.Result.parse(io.StringIO(response.text), format="tsv")
        rows = {(str(r[0]), str(r[1])) for r in result}  # type: ignore[index]
    assert rows == expected


@pytest.mark.parametrize(
    "media, fmt",
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_construct_in_every_rdf_format_parses_back(
    client: TestClient, media: str, fmt: str, expected: set[tuple[str, str]]
) -> None:
    response = client.post(
        "/sparql", content=CONSTRUCT, headers={"Content-Type": "application/sparql-query", "Accept": media}
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    if fmt == "json-ld":  # rdflib's JSON-LD parser warns of its own deprecated ConjunctiveGraph
        subjects = {quad.subject.value for quad in ox.parse(response.content, format=ox.RdfFormat.JSON_LD)}
    else:
        subjects = {str(s) for s in rdflib.Graph().parse(data=response.content, format=fmt).subjects()}
    assert subjects == {chip for chip, _ in expected}


def test_ask_and_negotiation_with_q_values(client: TestClient) -> None:
    response = client.get(
        "/sparql",
        params={"query": "ASK { ?s ?p ?o }"},
        headers={"Accept": "text/csv;q=0.2, application/sparql-results+xml;q=0.9"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+xml")
    assert "<boolean>true</boolean>" in response.text


def test_nothing_acceptable_is_406(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"Accept": "image/png"})
    assert response.status_code == 406 and response.json()["code"] == "not-acceptable"
    response = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": "text/csv"})
    assert response.status_code == 406


def test_default_and_named_graph_parameters(client: TestClient) -> None:
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?chip a <{CG}TPU> }}"
    both = client.get(
        "/sparql",
        params={"query": query, "default-graph-uri": "https://w3id.org/chipgraph/graph/epoch-ml-hardware"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert both.json()["results"]["bindings"][0]["n"]["value"] == "5"
    none = client.get(
        "/sparql",
        params={"query": query, "default-graph-uri": "https://w3id.org/chipgraph/graph/iso-3166-1"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert none.json()["results"]["bindings"][0]["n"]["value"] == "0"


def test_service_description(client: TestClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, rdflib.RDF.type, sd.Service) in graph
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    assert any(int(count) > 2000 for count in graph.objects(None, void.triples))


@pytest.mark.parametrize(
    "request_kwargs, code, status",
    [
        ({"params": {"query": "SELECT * WHERE { ?s ?p }"}}, "invalid-query", 400),
        (
            {"params": {"query": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"}},
            "forbidden-query",
            400,
        ),
        ({"params": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}, "update-not-allowed", 405),
        ({"params": {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}, "invalid-query", 400),
        ({"params": {"query": ""}}, "invalid-query", 400),
    ],
)
def test_bad_queries_get_the_error_shape(client: TestClient, request_kwargs: dict, code: str, status: int) -> None:
    response = client.get("/sparql", **request_kwargs)
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["message"]


def test_update_content_type_and_unknown_content_type_are_refused(client: TestClient) -> None:
    update = client.post("/sparql", content="DROP ALL", headers={"Content-Type": "application/sparql-update"})
    assert update.status_code == 401 and update.json()["code"] == "unauthorized"  # updates need the token
    other = client.post("/sparql", content="x", headers={"Content-Type": "text/plain"})
    assert other.status_code == 415


def test_result_rows_are_capped(client: TestClient) -> None:
    json_results = {"Accept": "application/sparql-results+json"}
    # A LIMIT of the cap + 1 is added to the query; the first 1001 rows tell whether the cap cut it ...
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers=json_results)
    assert len(response.json()["results"]["bindings"]) == 1000
    assert response.headers["x-result-row-limit"] == "1000"
    # ... else row by row, saying so; a smaller LIMIT of the query's own is kept.
    escaped = 'SELECT * WHERE { ?s ?p ?o FILTER(?o != "\\u0041") }'
    capped = client.get("/sparql", params={"query": escaped}, headers=json_results).json()
    assert len(capped["results"]["bindings"]) == 1000 and capped["truncated"] is True
    small = client.get(
        "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 7"}, headers={"Accept": "text/csv"}
    )
    assert len(list(csv.reader(io.StringIO(small.text)))) == 8  # a header and 7 rows (values may hold newlines)


def test_a_runaway_query_is_stopped_while_another_is_answered(client: TestClient) -> None:
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    outcome: dict[str, object] = {}

    def slow() -> None:
        start = time.monotonic()
        response = client.get("/sparql", params={"query": runaway})
        outcome["status"], outcome["code"], outcome["seconds"] = (
            response.status_code,
            response.json()["code"],
            time.monotonic() - start,
        )

    thread = threading.Thread(target=slow)
    thread.start()
    wait_for(lambda: client.get("/readyz").json()["workers"]["idle"] == 1, "the runaway query holds a worker")
    quick = client.get(
        "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/sparql-results+json"}
    )
    assert quick.status_code == 200 and quick.json()["boolean"] is True
    assert thread.is_alive()  # the runaway is still running when the quick one is answered
    thread.join(timeout=20)
    assert outcome["status"] == 503 and outcome["code"] == "query-timeout"
    assert 2.5 < float(outcome["seconds"]) < 10  # type: ignore[arg-type]
    after = client.get(
        "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/sparql-results+json"}
    )
    assert after.status_code == 200  # the killed worker was replaced


def test_oversize_body_is_413(client: TestClient) -> None:
    response = client.post("/sparql", content="#" * 300_000, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413 and response.json()["code"] == "payload-too-large"


def test_health(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["triples"] > 2000
    json.dumps(ready)


def test_from_names_only_graphs_of_the_store(client: TestClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) FROM <http://example.org/remote-data> WHERE { ?s ?p ?o }"
    response = client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200  # nothing fetched: an unknown graph is simply empty
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "0"
    load = client.get("/sparql", params={"query": "LOAD <http://example.org/data.ttl>"})
    assert load.status_code == 400
