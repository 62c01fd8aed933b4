"""SPARQL 1.1 Protocol details at /sparql (issue 13, item 4): base IRI, charsets, 405 with Allow,
the row cap said in the body and a header, CORS exposing our headers, updates over GET, and the
service description. Each through the real app."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
import rdflib
from fastapi.testclient import TestClient

from api import create_app
from kg.build import build
from kg.settings import Settings
from kg.sparql.results import TRUNCATED_LINK
from tests.http.conftest import auth

SD = "http://www.w3.org/ns/sparql-service-description#"
CG = "https://w3id.org/chipgraph/ontology#"
JSON_RESULTS = {"Accept": "application/sparql-results+json"}
XML_RESULTS = {"Accept": "application/sparql-results+xml"}
ENDPOINT = "http://testserver/sparql"
EVERYTHING = "SELECT * WHERE { ?s ?p ?o }"


# -- 1. the base IRI is the endpoint's URL ---------------------------------------------------------


def test_relative_iris_of_a_construct_resolve_against_the_endpoint(client: TestClient) -> None:
    query = "CONSTRUCT { <thing> <rel/p> <../other#o> } WHERE {}"
    response = client.get("/sparql", params={"query": query}, headers={"Accept": "application/n-triples"})
    assert response.status_code == 200, response.text
    assert response.text.strip() == "<http://testserver/thing> <http://testserver/rel/p> <http://testserver/other#o> ."


def test_relative_iris_of_a_select_resolve_against_the_endpoint(client: TestClient) -> None:
    response = client.post(
        "/sparql",
        content="SELECT ?x WHERE { BIND(<chips?x=1> AS ?x) }",
        headers={"Content-Type": "application/sparql-query", **JSON_RESULTS},
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"] == [{"x": {"type": "uri", "value": "http://testserver/chips?x=1"}}]


def test_a_base_declared_by_the_query_wins(client: TestClient) -> None:
    query = "BASE <http://example.org/dir/> SELECT ?x WHERE { BIND(<a> AS ?x) }"
    response = client.get("/sparql", params={"query": query}, headers=JSON_RESULTS)
    assert response.json()["results"]["bindings"][0]["x"]["value"] == "http://example.org/dir/a"


def test_relative_iris_of_an_update_resolve_against_the_endpoint(client: TestClient) -> None:
    """The gate names the graph the update would write: resolved against http://testserver/sparql."""
    response = client.post(
        "/sparql",
        content="INSERT DATA { GRAPH <graph/x> { <a> <b> <c> } }",
        headers={"Content-Type": "application/sparql-update", **auth()},
    )
    assert response.status_code == 422, response.text  # a graph of any IRI, once its source is described
    assert response.json()["code"] == "source-not-described"
    assert response.json()["context"]["graph"] == "http://testserver/graph/x"


# -- 2. the charset of the body --------------------------------------------------------------------


def test_an_iso_8859_1_form_is_decoded_in_its_charset(client: TestClient) -> None:
    body = urlencode({"query": 'SELECT ?x WHERE { BIND("café" AS ?x) }'}, encoding="iso-8859-1")
    assert "%E9" in body  # é as one Latin-1 byte, not UTF-8's two
    response = client.post(
        "/sparql",
        content=body.encode("ascii"),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=ISO-8859-1", **JSON_RESULTS},
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"][0]["x"]["value"] == "café"


def test_a_utf8_form_without_charset_is_still_utf8(client: TestClient) -> None:
    body = urlencode({"query": 'SELECT ?x WHERE { BIND("café" AS ?x) }'})
    response = client.post(
        "/sparql", content=body, headers={"Content-Type": "application/x-www-form-urlencoded", **JSON_RESULTS}
    )
    assert response.json()["results"]["bindings"][0]["x"]["value"] == "café"


@pytest.mark.parametrize("media", ["application/x-www-form-urlencoded", "application/sparql-query"])
@pytest.mark.parametrize("charset", ["x-no-such-charset", "base64"])
def test_an_unknown_charset_is_415_naming_it(client: TestClient, media: str, charset: str) -> None:
    response = client.post(
        "/sparql",
        content="query=ASK%7B%7D" if "form" in media else "ASK {}",
        headers={"Content-Type": f"{media}; charset={charset}"},
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported-media-type" and charset in response.json()["message"]


def test_a_query_body_is_utf8_only(client: TestClient) -> None:
    """SPARQL 1.1 Protocol 2.1.3 and the W3C test bad_query_non_utf8: a UTF-16 body is refused."""
    response = client.post(
        "/sparql",
        content="ASK {}".encode("utf-16"),
        headers={"Content-Type": "application/sparql-query; charset=UTF-16"},
    )
    assert response.status_code == 415 and "utf-16" in response.json()["message"]
    fine = client.post(
        "/sparql",
        content="ASK {}",
        headers={"Content-Type": 'application/sparql-query; charset="utf-8"', **JSON_RESULTS},
    )
    assert fine.status_code == 200 and fine.json()["boolean"] is True


def test_an_update_body_in_another_charset_is_415(client: TestClient) -> None:
    response = client.post(
        "/sparql",
        content="CLEAR ALL".encode("utf-16"),
        headers={"Content-Type": "application/sparql-update; charset=UTF-16", **auth()},
    )
    assert response.status_code == 415 and response.json()["code"] == "unsupported-media-type"


# -- 3. 405 answers carry Allow --------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_on_sparql_are_405_with_allow(client: TestClient, method: str) -> None:
    response = client.request(method, "/sparql")
    assert response.status_code == 405 and response.json()["code"] == "method-not-allowed"
    allowed = {name.strip() for name in response.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allowed and method not in allowed


def test_405_carries_allow_on_other_routes_too(client: TestClient) -> None:
    response = client.put("/healthz")
    assert response.status_code == 405 and "GET" in response.headers["allow"]
    changes = client.delete("/changes")
    assert changes.status_code == 405
    assert {"GET", "POST"} <= {name.strip() for name in changes.headers["allow"].split(",")}


# -- 4. the row cap, in the body and a header ------------------------------------------------------


def test_a_capped_json_result_says_so_in_body_and_header(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": EVERYTHING}, headers=JSON_RESULTS)
    body = response.json()
    assert len(body["results"]["bindings"]) == 1000
    assert body["head"]["link"] == [TRUNCATED_LINK] and body["truncated"] is True
    assert response.headers["x-result-truncated"] == "true" and response.headers["x-result-row-limit"] == "1000"


def test_a_capped_xml_result_has_a_link_in_its_head(client: TestClient) -> None:
    response = client.post("/sparql", data={"query": EVERYTHING}, headers=XML_RESULTS)
    assert response.headers["x-result-truncated"] == "true"
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    root = ET.fromstring(response.content)
    assert [link.get("href") for link in root.findall("r:head/r:link", ns)] == [TRUNCATED_LINK]
    assert len(root.findall("r:results/r:result", ns)) == 1000


def test_a_capped_csv_result_says_so_in_the_header_only(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": EVERYTHING}, headers={"Accept": "text/csv"})
    assert response.headers["x-result-truncated"] == "true"
    limit = csv.field_size_limit(16 * 1024 * 1024)  # a history record's triples make one long cell
    try:
        assert len(list(csv.reader(io.StringIO(response.text)))) == 1001
    finally:
        csv.field_size_limit(limit)


@pytest.mark.parametrize("media", ["text/turtle", "application/n-triples"])
def test_a_capped_graph_result_begins_with_a_comment(client: TestClient, media: str) -> None:
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    response = client.get("/sparql", params={"query": query}, headers={"Accept": media})
    assert response.status_code == 200 and response.headers["x-result-truncated"] == "true"
    first = response.text.splitlines()[0]
    assert first.startswith("# chipgraph: truncated") and "1000" in first and TRUNCATED_LINK in first
    parsed = rdflib.Graph().parse(data=response.text, format="turtle" if media == "text/turtle" else "nt")
    assert 0 < len(parsed) <= 1000


def test_a_capped_rdf_xml_result_ends_with_a_comment(client: TestClient) -> None:
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    response = client.get("/sparql", params={"query": query}, headers={"Accept": "application/rdf+xml"})
    assert response.headers["x-result-truncated"] == "true"
    assert "chipgraph: truncated" in response.text.rstrip().splitlines()[-1]
    assert len(rdflib.Graph().parse(data=response.text, format="xml")) > 0


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p ?o } LIMIT 1000",  # the query's own LIMIT, within the cap
        "SELECT * WHERE { ?s ?p ?o } LIMIT 7",
        'SELECT * WHERE { ?s ?p ?o FILTER(?o != "\\u0041") } LIMIT 3',  # counted row by row
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5",
    ],
)
def test_a_whole_result_has_no_marker(client: TestClient, query: str) -> None:
    accept = "text/turtle" if query.startswith("CONSTRUCT") else "application/sparql-results+json"
    response = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200
    assert "x-result-truncated" not in response.headers
    if accept == "text/turtle":
        assert "truncated" not in response.text
    else:
        assert "link" not in response.json()["head"] and "truncated" not in response.json()


def test_one_row_over_the_cap_is_truncated(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": EVERYTHING + " LIMIT 1001"}, headers=JSON_RESULTS)
    assert response.headers["x-result-truncated"] == "true" and response.json()["truncated"] is True
    assert len(response.json()["results"]["bindings"]) == 1000


def test_cors_exposes_our_headers(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    store = tmp_path_factory.mktemp("cors") / "store"  # the module's client holds the lock of its own store
    build(store)
    configured = settings.model_copy(update={"cors_origins": ["https://analyst.example"], "store": store})
    origin = {"Origin": "https://analyst.example"}
    with TestClient(create_app(configured)) as cors_client:
        preflight = cors_client.options(
            "/sparql",
            headers={
                **origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "Content-Type",
            },
        )
        response = cors_client.get("/sparql", params={"query": EVERYTHING}, headers={**origin, **JSON_RESULTS})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://analyst.example"
    exposed = {name.strip().lower() for name in response.headers["access-control-expose-headers"].split(",")}
    assert {"x-result-truncated", "x-result-row-limit", "retry-after", "location"} <= exposed
    assert response.headers["x-result-truncated"] == "true"


# -- 5. updates over GET, error messages -----------------------------------------------------------


def test_an_update_over_get_is_405_with_allow_post(client: TestClient) -> None:
    response = client.get("/sparql", params={"update": "CLEAR ALL"}, headers=auth())
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["code"] == "update-not-allowed" and "POST" in response.json()["message"]


@pytest.mark.parametrize(
    "query", ["SELECT * WHERE { ?s ?p }", "SELECT (<http://[bad> AS ?x) WHERE {}", "ASK { FILTER(?x = ) }"]
)
def test_error_messages_carry_no_python_names(client: TestClient, query: str) -> None:
    response = client.get("/sparql", params={"query": query})
    assert 400 <= response.status_code < 500
    message = response.json()["message"]
    assert message
    for name in ("SyntaxError", "ValueError", "OSError", "Exception", "Traceback", "pyoxigraph"):
        assert name not in message


def test_update_syntax_errors_carry_no_python_names(client: TestClient) -> None:
    response = client.post(
        "/sparql", content="INSERT DATA { <a> <b> }", headers={"Content-Type": "application/sparql-update", **auth()}
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid-update"
    for name in ("ParseException", "Error:", "Exception", "Traceback"):
        assert name not in response.json()["message"]


# -- 6. the service description --------------------------------------------------------------------


def test_the_service_description_lists_update_and_a_read_only_default_graph(client: TestClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=response.text, format="turtle")
    service = rdflib.URIRef(ENDPOINT)
    languages = set(graph.objects(service, rdflib.URIRef(SD + "supportedLanguage")))
    assert {rdflib.URIRef(SD + "SPARQL11Query"), rdflib.URIRef(SD + "SPARQL11Update")} <= languages
    assert (service, rdflib.URIRef(SD + "feature"), rdflib.URIRef(SD + "UnionDefaultGraph")) in graph
    dataset = graph.value(service, rdflib.URIRef(SD + "defaultDataset"))
    default_graph = graph.value(dataset, rdflib.URIRef(SD + "defaultGraph"))
    assert default_graph is not None
    assert graph.value(default_graph, rdflib.URIRef(CG + "readOnly")).toPython() is True
    assert "read-only" in str(graph.value(default_graph, rdflib.RDFS.comment)).lower()
