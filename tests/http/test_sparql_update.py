"""SPARQL 1.1 Update at POST /sparql: through the validation gate, merged with history, or refused whole."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

from tests.http.conftest import TOKEN, auth
from tests.http.live_server import serving

G = "https://w3id.org/chipgraph/graph/"
EPOCH = G + "epoch-ml-hardware"
META = G + "meta"
CHIP = "https://w3id.org/chipgraph/id/chip/"
PREFIXES = """PREFIX cg: <https://w3id.org/chipgraph/ontology#>
PREFIX chip: <https://w3id.org/chipgraph/id/chip/>
PREFIX org: <https://w3id.org/chipgraph/id/organization/>
PREFIX src: <https://w3id.org/chipgraph/id/source/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
UPDATE = {"Content-Type": "application/sparql-update"}


def post(client: TestClient, text: str, *, token: bool = True, form: bool = False, **params: str) -> Any:
    headers = auth() if token else {}
    if form:
        return client.post("/sparql", data={"update": PREFIXES + text, **params}, headers=headers)
    return client.post("/sparql", content=PREFIXES + text, params=params, headers={**headers, **UPDATE})


def ask(client: TestClient, where: str) -> bool:
    response = client.get(
        "/sparql",
        params={"query": PREFIXES + f"ASK {{ {where} }}"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    return bool(response.json()["boolean"])


def state(client: TestClient) -> tuple[int, int, int]:
    """Distinct triples, quads of the named graphs, merged changesets: all three change with any write."""
    store = client.app.state.graph.store  # type: ignore[attr-defined]
    return store.triple_count(), store.quad_count(), client.get("/changes").json()["total"]


def new_chip(slug: str, graph: str = EPOCH, label: str | None = None, extra: str = "") -> str:
    name = label or f"Chip {slug}"
    return (
        f'INSERT DATA {{ GRAPH <{graph}> {{ chip:{slug} a cg:GPU ; rdfs:label "{name}" ; '
        f"cg:designedBy org:nvidia {extra} }} }}"
    )


def new_source(slug: str) -> str:
    """Describe source SLUG in the metadata graph (so that graph/SLUG may be written)."""
    return (
        f'INSERT DATA {{ GRAPH <{META}> {{ src:{slug} a cg:Source ; dcterms:title "Test source {slug}" ; '
        f'cg:url "https://example.org/{slug}"^^xsd:anyURI }} }}'
    )


def test_insert_data_is_merged_logged_revertible_and_visible(client: TestClient) -> None:
    response = post(client, new_chip("upd-insert", label="Update chip"))
    assert response.status_code == 201, response.text
    (change_id,) = response.json()["merged"]
    assert response.headers["location"] == f"/changes/{change_id}"
    record = client.get(f"/changes/{change_id}").json()
    assert record["graph"] == EPOCH and record["added"] == 3 and record["author"] == "sparql-update"
    assert "chip/upd-insert" in record["added_triples"]
    assert client.get("/changes", params={"limit": 1}).json()["items"][0]["id"] == change_id
    assert ask(client, 'chip:upd-insert rdfs:label "Update chip"')
    page = client.get("/chips/upd-insert")
    assert page.status_code == 200 and "Update chip" in page.text
    reverted = client.post(f"/changes/{change_id}/revert", json={"author": "test"}, headers=auth())
    assert reverted.status_code == 201
    assert not ask(client, "chip:upd-insert ?p ?o")
    assert client.get("/chips/upd-insert").status_code == 404


def test_author_and_message_and_the_form_encoding(client: TestClient) -> None:
    response = post(client, new_chip("upd-form"), form=True, author="curator", message="a chip by form")
    assert response.status_code == 201, response.text
    record = client.get(f"/changes/{response.json()['merged'][0]}").json()
    assert (record["author"], record["message"]) == ("curator", "a chip by form")
    assert ask(client, "chip:upd-form a cg:GPU")


def test_delete_data_removes(client: TestClient) -> None:
    assert post(client, new_chip("upd-delete", extra="; cg:statedTPP 100.0")).status_code == 201
    assert ask(client, "chip:upd-delete cg:statedTPP ?tpp")
    response = post(client, f"DELETE DATA {{ GRAPH <{EPOCH}> {{ chip:upd-delete cg:statedTPP 100.0 }} }}")
    assert response.status_code == 201, response.text
    assert client.get(f"/changes/{response.json()['merged'][0]}").json()["removed"] == 1
    assert not ask(client, "chip:upd-delete cg:statedTPP ?tpp")
    assert ask(client, "chip:upd-delete a cg:GPU")


def test_delete_insert_where_changes_a_label(client: TestClient) -> None:
    assert post(client, new_chip("upd-label", label="Old name")).status_code == 201
    response = post(
        client,
        f"DELETE {{ GRAPH <{EPOCH}> {{ ?c rdfs:label ?old }} }} "
        f'INSERT {{ GRAPH <{EPOCH}> {{ ?c rdfs:label "New name" }} }} '
        f"WHERE {{ GRAPH <{EPOCH}> {{ ?c rdfs:label ?old }} FILTER(?c = chip:upd-label) }}",
    )
    assert response.status_code == 201, response.text
    record = client.get(f"/changes/{response.json()['merged'][0]}").json()
    assert (record["added"], record["removed"]) == (1, 1)
    assert ask(client, 'chip:upd-label rdfs:label "New name"')
    assert not ask(client, 'chip:upd-label rdfs:label "Old name"')


def test_a_later_operation_sees_an_earlier_one_through_the_default_graph(client: TestClient) -> None:
    """The second operation reads the default graph (no GRAPH): it finds the chip the first one inserted."""
    response = post(
        client,
        new_chip("upd-multi", label="Four") + f" ; DELETE {{ GRAPH <{EPOCH}> {{ ?c rdfs:label ?l }} }} "
        f'INSERT {{ GRAPH <{EPOCH}> {{ ?c rdfs:label "Four again" }} }}'
        ' WHERE { ?c rdfs:label ?l FILTER(?l = "Four") }',
    )
    assert response.status_code == 201, response.text
    (change_id,) = response.json()["merged"]  # one graph changed: one changeset, net of both operations
    added = client.get(f"/changes/{change_id}").json()["added_triples"]
    assert '"Four again"' in added and '"Four"' not in added
    assert ask(client, 'chip:upd-multi rdfs:label "Four again"')


def test_clear_and_drop_a_named_graph(client: TestClient) -> None:
    graph = G + "upd-clear"
    created = post(client, new_source("upd-clear") + " ; " + new_chip("upd-clear-1", graph))
    assert created.status_code == 201, created.text
    assert len(created.json()["merged"]) == 2  # the metadata graph and the new source graph
    assert ask(client, f"GRAPH <{graph}> {{ chip:upd-clear-1 a cg:GPU }}")
    cleared = post(client, f"CLEAR GRAPH <{graph}>")
    assert cleared.status_code == 201, cleared.text
    assert not ask(client, f"GRAPH <{graph}> {{ ?s ?p ?o }}") and not ask(client, "chip:upd-clear-1 ?p ?o")
    assert post(client, new_chip("upd-clear-2", graph)).status_code == 201
    dropped = post(client, f"DROP GRAPH <{graph}>")
    assert dropped.status_code == 201, dropped.text
    assert not ask(client, "chip:upd-clear-2 ?p ?o")
    nothing = post(client, f"DROP SILENT GRAPH <{graph}>")
    assert nothing.status_code == 200 and nothing.json()["merged"] == []


def graph_chips(client: TestClient, graph: str) -> set[str]:
    response = client.get(
        "/sparql",
        params={"query": f"SELECT ?c WHERE {{ GRAPH <{graph}> {{ ?c a ?t }} }}"},
        headers={"Accept": "application/sparql-results+json"},
    )
    return {row["c"]["value"].removeprefix(CHIP) for row in response.json()["results"]["bindings"]}


def test_add_copy_and_move_between_two_graphs(client: TestClient) -> None:
    one, two = G + "upd-one", G + "upd-two"
    setup = " ; ".join([new_source("upd-one"), new_source("upd-two"), new_chip("upd-a", one), new_chip("upd-b", two)])
    assert post(client, setup).status_code == 201
    assert post(client, f"ADD <{one}> TO <{two}>").status_code == 201
    assert graph_chips(client, one) == {"upd-a"} and graph_chips(client, two) == {"upd-a", "upd-b"}
    assert post(client, new_chip("upd-c", one)).status_code == 201
    assert post(client, f"COPY <{one}> TO <{two}>").status_code == 201
    assert graph_chips(client, two) == {"upd-a", "upd-c"} and not ask(client, "chip:upd-b ?p ?o")
    assert post(client, f"MOVE GRAPH <{one}> TO GRAPH <{two}>").status_code == 201
    assert graph_chips(client, one) == set() and graph_chips(client, two) == {"upd-a", "upd-c"}


def test_using_graph_uri_gives_the_where_clause_its_dataset(client: TestClient) -> None:
    """using-graph-uri: the WHERE reads only that graph; using-named-graph-uri: GRAPH ?g ranges over those only."""
    one, two, target = G + "upd-using-one", G + "upd-using-two", G + "upd-using-target"
    setup = [new_source(slug) for slug in ("upd-using-one", "upd-using-two", "upd-using-target")]
    setup += [new_chip("upd-using-a", one), new_chip("upd-using-b", two)]
    assert post(client, " ; ".join(setup)).status_code == 201
    copy_types = f"INSERT {{ GRAPH <{target}> {{ ?c a ?t }} }} WHERE {{ ?c a ?t ; cg:designedBy org:nvidia }}"
    response = client.post(
        "/sparql", content=PREFIXES + copy_types, params={"using-graph-uri": one}, headers={**auth(), **UPDATE}
    )
    assert response.status_code == 201, response.text
    assert graph_chips(client, target) == {"upd-using-a"}
    named = f"INSERT {{ GRAPH <{target}> {{ ?c a ?t }} }} WHERE {{ GRAPH ?g {{ ?c a ?t ; rdfs:label ?l }} }}"
    response = client.post("/sparql", data={"update": PREFIXES + named, "using-named-graph-uri": two}, headers=auth())
    assert response.status_code == 201, response.text
    assert graph_chips(client, target) == {"upd-using-a", "upd-using-b"}


def test_using_graph_uri_with_using_or_with_in_the_update_is_400(client: TestClient) -> None:
    before = state(client)
    for text in (
        f"WITH <{EPOCH}> DELETE {{ ?c rdfs:label ?l }} WHERE {{ ?c rdfs:label ?l FILTER(false) }}",
        f"INSERT {{ GRAPH <{EPOCH}> {{ ?c rdfs:comment ?l }} }} USING <{EPOCH}> WHERE {{ ?c rdfs:label ?l }}",
    ):
        response = client.post(
            "/sparql", content=PREFIXES + text, params={"using-graph-uri": EPOCH}, headers={**auth(), **UPDATE}
        )
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid-update" and "not both" in response.json()["message"]
    response = client.post(
        "/sparql",
        content=PREFIXES + new_chip("upd-using-bad"),
        params={"using-graph-uri": "not an iri"},
        headers={**auth(), **UPDATE},
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid-update"
    assert state(client) == before


def test_a_shape_violation_is_422_with_the_report_and_writes_nothing(client: TestClient) -> None:
    before = state(client)
    response = post(client, new_chip("upd-negative", extra="; cg:statedTPP -5.0"))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "changeset-refused" and body["context"]["conforms"] is False
    assert any(result["path"].endswith("statedTPP") for result in body["context"]["results"])
    assert state(client) == before
    assert not ask(client, "chip:upd-negative ?p ?o")


def test_an_update_that_changes_nothing_merges_nothing(client: TestClient) -> None:
    assert post(client, new_chip("upd-same")).status_code == 201
    before = state(client)
    again = post(client, new_chip("upd-same"))
    assert again.status_code == 200 and again.json()["merged"] == []
    assert state(client) == before


def test_no_token_is_401_before_anything_is_read(client: TestClient) -> None:
    before = state(client)
    missing = post(client, new_chip("upd-no-token"), token=False)
    assert missing.status_code == 401 and missing.json()["code"] == "unauthorized"
    form = post(client, new_chip("upd-no-token"), token=False, form=True)
    assert form.status_code == 401
    wrong = client.post("/sparql", content=new_chip("upd-no-token"), headers={**UPDATE, "Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    not_even_sparql = client.post("/sparql", content="this is not SPARQL", headers=UPDATE)
    assert not_even_sparql.status_code == 401  # the token is checked before the update is parsed
    assert state(client) == before and not ask(client, "chip:upd-no-token ?p ?o")


def test_bad_syntax_is_400_in_our_error_shape(client: TestClient) -> None:
    response = post(client, "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> } }")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"code", "message", "context"} and body["code"] == "invalid-update"
    assert "Exception" not in body["message"] and "Traceback" not in body["message"]
    empty = client.post("/sparql", data={"update": " "}, headers=auth())
    assert empty.status_code == 400 and empty.json()["code"] == "invalid-update"


def test_updates_are_refused_over_get(client: TestClient) -> None:
    response = client.get("/sparql", params={"update": PREFIXES + new_chip("upd-get")}, headers=auth())
    assert response.status_code == 405 and response.json()["code"] == "update-not-allowed"
    assert response.headers["allow"] == "POST"
    assert "POST" in response.json()["message"]
    assert not ask(client, "chip:upd-get ?p ?o")


@pytest.mark.parametrize(
    "text, reason",
    [
        ('INSERT DATA { chip:upd-default rdfs:label "x" }', "default-graph"),
        ("DELETE WHERE { chip:nvidia-h100-sxm5 rdfs:label ?l }", "default-graph"),
        ("INSERT { ?c rdfs:comment ?l } WHERE { ?c rdfs:label ?l }", "default-graph"),
        ("CLEAR DEFAULT", "default-graph"),
        (f"ADD <{EPOCH}> TO DEFAULT", "default-graph"),
        (f'INSERT DATA {{ GRAPH <{G}history> {{ chip:upd-h rdfs:label "x" }} }}', "system-graph"),
        (f"DROP GRAPH <{G}inferred>", "system-graph"),
        (f"COPY <{EPOCH}> TO <{G}ontology>", "system-graph"),
        (
            f'INSERT {{ GRAPH ?g {{ chip:upd-h rdfs:label "x" }} }} WHERE {{ BIND(<{G}history> AS ?g) }}',
            "system-graph",
        ),
        ("DROP ALL", "all-graphs"),
    ],
)
def test_writes_to_the_default_graph_and_the_system_graphs_are_403(client: TestClient, text: str, reason: str) -> None:
    before = state(client)
    response = post(client, text)
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["code"] == "forbidden-update" and body["context"]["reason"] == reason
    if reason == "default-graph":
        assert "read-only view" in body["message"] and "merge of the named graphs" in body["message"]
    assert state(client) == before


def test_a_new_graph_needs_its_source_described_in_the_same_update(client: TestClient) -> None:
    before = state(client)
    response = post(client, new_chip("upd-undescribed", G + "upd-undescribed"))
    assert response.status_code == 422 and response.json()["code"] == "source-not-described"
    assert f"INSERT DATA {{ GRAPH <{META}>" in response.json()["message"]
    assert state(client) == before
    described = post(client, new_chip("upd-undescribed", G + "upd-undescribed") + " ; " + new_source("upd-undescribed"))
    assert described.status_code == 201, described.text


def test_a_graph_outside_our_namespace_is_written_once_its_source_is_described(client: TestClient) -> None:
    graph = "http://example.org/upd-foreign/graph"
    data = new_chip("upd-foreign", graph, label="Foreign")
    before = state(client)
    refused = post(client, data)
    assert refused.status_code == 422 and refused.json()["code"] == "source-not-described", refused.text
    assert "hadPrimarySource" in refused.json()["message"] and state(client) == before
    link = (
        f"INSERT DATA {{ GRAPH <{META}> {{ <{graph}> <http://www.w3.org/ns/prov#hadPrimarySource> src:upd-foreign }} }}"
    )
    response = post(client, " ; ".join([data, link, new_source("upd-foreign")]))
    assert response.status_code == 201, response.text
    assert ask(client, f'GRAPH <{graph}> {{ chip:upd-foreign rdfs:label "Foreign" }}')
    change = next(c for c in response.json()["merged"] if client.get(f"/changes/{c}").json()["graph"] == graph)
    assert client.get(f"/changes/{change}").json()["source"].endswith("/id/source/upd-foreign")
    assert client.post(f"/changes/{change}/revert", json={"author": "test"}, headers=auth()).status_code == 201
    assert not ask(client, "chip:upd-foreign ?p ?o")


def test_blank_nodes_become_skolem_iris(client: TestClient) -> None:
    response = post(client, new_chip("upd-blank", extra='; rdfs:seeAlso [ rdfs:label "a note" ]'))
    assert response.status_code == 201, response.text
    added = client.get(f"/changes/{response.json()['merged'][0]}").json()["added_triples"]
    assert "_:" not in added and added.count("<https://w3id.org/chipgraph/.well-known/genid/") == 2
    assert ask(
        client,
        'chip:upd-blank rdfs:seeAlso ?note . ?note rdfs:label "a note" '
        'FILTER(STRSTARTS(STR(?note), "https://w3id.org/chipgraph/.well-known/genid/"))',
    )


class Listener:
    """A tiny HTTP server on loopback that counts the requests it gets."""

    def __init__(self) -> None:
        self.requests = 0
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/turtle")
                self.end_headers()
                self.wfile.write(b"<urn:a> <urn:b> <urn:c> .\n")

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    running = Listener()
    yield running
    running.close()


def test_load_and_service_are_refused_and_reach_nothing(client: TestClient, listener: Listener) -> None:
    url = f"http://127.0.0.1:{listener.port}"
    before = state(client)
    cases = {
        f"LOAD <{url}/data.ttl> INTO GRAPH <{EPOCH}>": "load",
        f"LOAD SILENT <{url}/data.ttl>": "load",
        f"INSERT {{ GRAPH <{EPOCH}> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <{url}/q> {{ ?s ?p ?o }} }}": "service",
        f"INSERT {{ GRAPH <{EPOCH}> {{ ?s ?p ?o }} }} WHERE {{ SERVICE SILENT <{url}/q> {{ ?s ?p ?o }} }}": "service",
        (
            f"DELETE {{ GRAPH <{EPOCH}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{EPOCH}> {{ ?s ?p ?o }} "
            f"FILTER EXISTS {{ SERVICE ?where {{ ?s ?p ?o }} }} VALUES ?where {{ <{url}/x> }} }}"
        ): "service",
    }
    for text, reason in cases.items():
        response = post(client, text)
        assert response.status_code == 403, (text, response.text)
        assert response.json()["code"] == "forbidden-update" and response.json()["context"]["reason"] == reason
    assert listener.requests == 0
    assert state(client) == before
    # the listener does answer: a request that reached it would have been counted
    with urllib.request.urlopen(f"{url}/data.ttl", timeout=5) as direct:
        assert direct.status == 200
    assert listener.requests == 1


def test_rdflib_sparql_update_store_adds_a_triple_with_the_token(disk_store: Path, tmp_path: Path) -> None:
    label = rdflib.URIRef("http://www.w3.org/2000/01/rdf-schema#seeAlso")
    chip = rdflib.URIRef(CHIP + "nvidia-h100-sxm5")
    note = rdflib.URIRef("https://example.org/live-update")
    with serving(disk_store, tmp_path / "serve.log", write_token=TOKEN) as base:
        store = SPARQLUpdateStore(
            query_endpoint=base + "/sparql",
            update_endpoint=base + "/sparql",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        graph = rdflib.Graph(store, identifier=rdflib.URIRef(EPOCH))
        graph.add((chip, label, note))
        assert (chip, label, note) in graph
        with urllib.request.urlopen(base + "/changes?limit=1", timeout=10) as response:
            changes = json.load(response)["items"]
        assert changes[0]["graph"] == EPOCH and changes[0]["added"] == 1
        anonymous = SPARQLUpdateStore(query_endpoint=base + "/sparql", update_endpoint=base + "/sparql")
        with pytest.raises(Exception, match="401"):
            rdflib.Graph(anonymous, identifier=rdflib.URIRef(EPOCH)).add((chip, label, rdflib.URIRef("urn:x")))


def test_a_using_graph_uri_that_would_break_out_of_its_brackets_is_400(client: TestClient) -> None:
    before = state(client)
    text = f"INSERT {{ GRAPH <{EPOCH}> {{ ?c rdfs:comment ?l }} }} WHERE {{ ?c rdfs:label ?l FILTER(false) }}"
    response = client.post(
        "/sparql",
        content=PREFIXES + text,
        params={"using-graph-uri": f"{EPOCH}> }} ; DROP ALL ; #"},
        headers={**auth(), **UPDATE},
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid-update", response.text
    assert state(client) == before
