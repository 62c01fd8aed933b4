"""The SPARQL 1.1 Graph Store HTTP Protocol at /rdf-graphs: reads of every graph, writes through the gate."""

from __future__ import annotations

import http.client
import json
import urllib.parse
import warnings
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from fastapi.testclient import TestClient

from tests.http.conftest import TOKEN, auth
from tests.http.live_server import serving

G = "https://w3id.org/chipgraph/graph/"
SOURCE_SLUG = "eto-chip-explorer"
HISTORY = G + "history"
GENID = "https://w3id.org/chipgraph/.well-known/genid/"
TURTLE = {"Content-Type": "text/turtle"}
PREFIXES = """@prefix cg: <https://w3id.org/chipgraph/ontology#> .
@prefix chip: <https://w3id.org/chipgraph/id/chip/> .
@prefix org: <https://w3id.org/chipgraph/id/organization/> .
@prefix src: <https://w3id.org/chipgraph/id/source/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
CHIP = "https://w3id.org/chipgraph/id/chip/"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def triples(data: bytes, media: str) -> set[ox.Triple]:
    formats = {
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/n-triples": ox.RdfFormat.N_TRIPLES,
        "application/rdf+xml": ox.RdfFormat.RDF_XML,
        "application/ld+json": ox.RdfFormat.JSON_LD,
    }
    return {quad.triple for quad in ox.parse(input=data, format=formats[media])}


def read(client: TestClient, path: str, media: str = "text/turtle", **params: str) -> set[ox.Triple]:
    response = client.get(path, params=params, headers={"Accept": media})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media)
    return triples(response.content, media)


def construct(client: TestClient, graph: str) -> set[ox.Triple]:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    response = client.get("/sparql", params={"query": query}, headers={"Accept": "application/n-triples"})
    assert response.status_code == 200, response.text
    return triples(response.content, "application/n-triples")


def state(client: TestClient) -> tuple[int, int, int]:
    """Distinct triples, quads of the named graphs, merged changesets: all three change with any write."""
    store = client.app.state.graph.store  # type: ignore[attr-defined]
    return store.triple_count(), store.quad_count(), client.get("/changes").json()["total"]


def describe(client: TestClient, slug: str) -> None:
    """Describe source SLUG in the metadata graph through the graph store (POST merges into meta)."""
    body = PREFIXES + (
        f'src:{slug} a cg:Source ; dcterms:title "Graph store test {slug}" ; '
        f'cg:url "https://example.org/{slug}"^^xsd:anyURI .'
    )
    response = client.post("/rdf-graphs/meta", content=body, headers={**auth(), **TURTLE})
    assert response.status_code == 200, response.text
    assert len(response.json()["merged"]) == 1


def chips(*slugs: str, designer: str = "nvidia") -> str:
    return PREFIXES + "".join(
        f'chip:{slug} a cg:GPU ; rdfs:label "Chip {slug}" ; cg:designedBy org:{designer} .\n' for slug in slugs
    )


def put(client: TestClient, slug: str, body: str, **headers: str) -> Any:
    return client.put(f"/rdf-graphs/{slug}", content=body, headers={**auth(), **TURTLE, **headers})


def label(slug: str) -> ox.Triple:
    return ox.Triple(ox.NamedNode(CHIP + slug), ox.NamedNode(LABEL), ox.Literal(f"Chip {slug}"))


# -- reading ----------------------------------------------------------------------------------------


def test_get_a_source_graph_in_turtle_and_n_triples_is_what_construct_gives(client: TestClient) -> None:
    expected = construct(client, G + SOURCE_SLUG)
    assert len(expected) > 10
    assert read(client, f"/rdf-graphs/{SOURCE_SLUG}") == expected
    assert read(client, f"/rdf-graphs/{SOURCE_SLUG}", "application/n-triples") == expected
    assert read(client, "/rdf-graphs", graph=G + SOURCE_SLUG) == expected  # indirect identification


def test_every_format_we_serve_reads_back_in_rdflib(client: TestClient) -> None:
    expected = construct(client, G + SOURCE_SLUG)
    for media, rdflib_format in (
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
    ):
        response = client.get(f"/rdf-graphs/{SOURCE_SLUG}", headers={"Accept": media})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media)
        with warnings.catch_warnings():  # rdflib's JSON-LD parser uses its deprecated ConjunctiveGraph
            warnings.simplefilter("ignore", DeprecationWarning)
            parsed = rdflib.Graph().parse(data=response.content, format=rdflib_format)
        assert len(parsed) == len(expected), media
        assert triples(response.content, media) == expected, media


def test_content_negotiation_and_406(client: TestClient) -> None:
    preferred = client.get(
        f"/rdf-graphs/{SOURCE_SLUG}", headers={"Accept": "application/n-triples;q=0.9, application/rdf+xml"}
    )
    assert preferred.headers["content-type"].startswith("application/rdf+xml")
    assert client.get(f"/rdf-graphs/{SOURCE_SLUG}").headers["content-type"].startswith("text/turtle")
    refused = client.get(f"/rdf-graphs/{SOURCE_SLUG}", headers={"Accept": "image/png"})
    assert refused.status_code == 406
    assert refused.json()["code"] == "not-acceptable"


def test_head_has_the_headers_of_get_and_no_body(client: TestClient) -> None:
    got = client.get(f"/rdf-graphs/{SOURCE_SLUG}")
    head = client.head(f"/rdf-graphs/{SOURCE_SLUG}")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert int(head.headers["content-length"]) == len(got.content) > 0
    assert client.head("/rdf-graphs/no-such-graph").status_code == 404
    assert client.head("/rdf-graphs", params={"default": ""}).status_code == 200


def test_an_unknown_graph_is_404(client: TestClient) -> None:
    for response in (
        client.get("/rdf-graphs/no-such-graph"),
        client.get("/rdf-graphs", params={"graph": "https://example.org/no-such-graph"}),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not-found"
    assert client.get("/rdf-graphs").status_code == 400  # neither ?graph nor ?default
    assert client.get("/rdf-graphs", params={"graph": "not an iri"}).status_code == 400


def test_the_default_graph_and_the_system_graphs_can_be_read(client: TestClient) -> None:
    default = read(client, "/rdf-graphs", "application/n-triples", default="")
    store = client.app.state.graph.store  # type: ignore[attr-defined]
    assert len(default) == store.triple_count()
    assert construct(client, G + SOURCE_SLUG) <= default
    history = read(client, "/rdf-graphs/history", "application/n-triples")
    assert len(history) == store.quad_count(HISTORY)
    assert construct(client, HISTORY) <= history  # (CONSTRUCT answers at most max_result_rows)
    assert len(read(client, "/rdf-graphs/ontology")) > 0


# -- writing ----------------------------------------------------------------------------------------


def test_put_creates_then_replaces_logged_and_revertible(client: TestClient) -> None:
    describe(client, "gsp-put")
    created = put(client, "gsp-put", chips("gsp-a", "gsp-b"))
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/rdf-graphs/gsp-put"
    (first,) = created.json()["merged"]
    original = read(client, "/rdf-graphs/gsp-put")
    assert len(original) == 6

    replaced = put(client, "gsp-put", chips("gsp-b", "gsp-c"), **{"Content-Type": "text/turtle; charset=utf-8"})
    assert replaced.status_code == 200, replaced.text
    (change_id,) = replaced.json()["merged"]
    assert change_id != first
    now = read(client, "/rdf-graphs/gsp-put")
    assert label("gsp-c") in now and label("gsp-a") not in now and label("gsp-b") in now
    record = client.get(f"/changes/{change_id}").json()
    assert record["graph"] == G + "gsp-put"
    assert (record["added"], record["removed"]) == (3, 3)
    assert f"{label('gsp-c')} ." in record["added_triples"]
    assert f"{label('gsp-a')} ." in record["removed_triples"]

    unchanged = put(client, "gsp-put", chips("gsp-b", "gsp-c"))
    assert unchanged.status_code == 200 and unchanged.json()["merged"] == []

    reverted = client.post(f"/changes/{change_id}/revert", json={"author": "test"}, headers=auth())
    assert reverted.status_code == 201, reverted.text
    assert read(client, "/rdf-graphs/gsp-put") == original


def test_post_adds_to_a_graph(client: TestClient) -> None:
    describe(client, "gsp-post")
    assert put(client, "gsp-post", chips("gsp-p1")).status_code == 201
    response = client.post(
        "/rdf-graphs",
        params={"graph": G + "gsp-post", "author": "tester", "message": "one more chip"},
        content=chips("gsp-p2"),
        headers={**auth(), **TURTLE},
    )
    assert response.status_code == 200, response.text
    (change_id,) = response.json()["merged"]
    now = read(client, "/rdf-graphs/gsp-post")
    assert label("gsp-p1") in now and label("gsp-p2") in now and len(now) == 6
    record = client.get(f"/changes/{change_id}").json()
    assert (record["author"], record["message"], record["added"], record["removed"]) == (
        "tester",
        "one more chip",
        3,
        0,
    )


def test_post_creates_and_writes_in_n_triples_and_json_ld(client: TestClient) -> None:
    describe(client, "gsp-formats")
    nt = f'<{CHIP}gsp-nt> <{LABEL}> "Chip gsp-nt" .\n'
    response = client.post(  # a POST that creates the graph: 201 too
        "/rdf-graphs/gsp-formats", content=nt, headers={**auth(), "Content-Type": "application/n-triples"}
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/rdf-graphs/gsp-formats"
    document = json.dumps({"@id": CHIP + "gsp-jsonld", LABEL: "Chip gsp-jsonld"})
    response = client.post(
        "/rdf-graphs/gsp-formats", content=document, headers={**auth(), "Content-Type": "application/ld+json"}
    )
    assert response.status_code == 200, response.text
    assert read(client, "/rdf-graphs/gsp-formats") == {label("gsp-nt"), label("gsp-jsonld")}


def test_delete_drops_a_graph_and_revert_brings_it_back(client: TestClient) -> None:
    describe(client, "gsp-delete")
    assert put(client, "gsp-delete", chips("gsp-d1")).status_code == 201
    before = read(client, "/rdf-graphs/gsp-delete")
    dropped = client.delete("/rdf-graphs/gsp-delete", headers=auth())
    assert dropped.status_code == 200, dropped.text
    (change_id,) = dropped.json()["merged"]
    assert client.get("/rdf-graphs/gsp-delete").status_code == 404
    assert client.get(f"/changes/{change_id}").json()["removed"] == len(before)
    again = client.delete("/rdf-graphs/gsp-delete", headers=auth())
    assert again.status_code == 404 and again.json()["code"] == "not-found"
    reverted = client.post(f"/changes/{change_id}/revert", json={"author": "test"}, headers=auth())
    assert reverted.status_code == 201, reverted.text
    assert read(client, "/rdf-graphs/gsp-delete") == before


def test_a_put_that_breaks_a_shape_is_422_and_changes_nothing(client: TestClient) -> None:
    describe(client, "gsp-shape")
    assert put(client, "gsp-shape", chips("gsp-s1")).status_code == 201
    before, counts = read(client, "/rdf-graphs/gsp-shape"), state(client)
    refused = put(client, "gsp-shape", chips("gsp-s2", designer="tsmc"))  # TSMC makes chips, designs none
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["code"] == "changeset-refused"
    assert body["context"]["conforms"] is False and body["context"]["results"]
    assert read(client, "/rdf-graphs/gsp-shape") == before
    assert state(client) == counts


def test_without_the_token_nothing_is_read_or_changed(client: TestClient) -> None:
    describe(client, "gsp-token")
    assert put(client, "gsp-token", chips("gsp-t1")).status_code == 201
    counts = state(client)
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        for method in ("PUT", "POST", "DELETE"):
            for url in ("/rdf-graphs/gsp-token", "/rdf-graphs?default", "/rdf-graphs/history"):
                response = client.request(method, url, content=b"\xff not turtle", headers={**TURTLE, **headers})
                assert response.status_code == 401, (method, url, response.text)
                assert response.headers["www-authenticate"] == "Bearer"
    assert state(client) == counts
    assert label("gsp-t1") in read(client, "/rdf-graphs/gsp-token")


def test_the_default_graph_is_read_only_405_with_allow(client: TestClient) -> None:
    counts = state(client)
    for method in ("PUT", "POST", "DELETE"):
        response = client.request(
            method, "/rdf-graphs?default", content=chips("gsp-default"), headers={**auth(), **TURTLE}
        )
        assert response.status_code == 405, response.text
        assert response.headers["allow"] == "GET, HEAD"
        assert response.json()["code"] == "method-not-allowed"
        assert "read-only union" in response.json()["message"]
    assert state(client) == counts


def test_system_graphs_are_403(client: TestClient) -> None:
    counts = state(client)
    for url in ("/rdf-graphs/history", f"/rdf-graphs?graph={urllib.parse.quote(HISTORY)}", "/rdf-graphs/inferred"):
        for method in ("PUT", "POST", "DELETE"):
            response = client.request(method, url, content=chips("gsp-system"), headers={**auth(), **TURTLE})
            assert response.status_code == 403, (method, url, response.text)
            assert response.json()["code"] == "forbidden-update"
    assert state(client) == counts


def test_a_graph_outside_our_namespace_is_written_once_it_names_a_described_source(client: TestClient) -> None:
    graph = "https://example.org/gsp-foreign/g"
    counts = state(client)
    refused = client.put("/rdf-graphs", params={"graph": graph}, content=chips("gsp-f1"), headers={**auth(), **TURTLE})
    assert refused.status_code == 422 and refused.json()["context"] == {"graph": graph, "source": None}
    assert state(client) == counts
    describe(client, "gsp-foreign")
    link = f"<{graph}> <http://www.w3.org/ns/prov#hadPrimarySource> src:gsp-foreign ."
    linked = client.post("/rdf-graphs/meta", content=PREFIXES + link, headers={**auth(), **TURTLE})
    assert linked.status_code == 200, linked.text
    created = client.put("/rdf-graphs", params={"graph": graph}, content=chips("gsp-f1"), headers={**auth(), **TURTLE})
    assert created.status_code == 201, created.text
    assert read(client, "/rdf-graphs", graph=graph) >= {label("gsp-f1")}


def test_a_new_graph_whose_source_is_not_described_is_422(client: TestClient) -> None:
    counts = state(client)
    response = put(client, "gsp-undescribed", chips("gsp-u1"))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "source-not-described"
    assert G + "meta" in body["message"] and "/rdf-graphs/meta" in body["message"]
    assert body["context"] == {
        "graph": G + "gsp-undescribed",
        "source": "https://w3id.org/chipgraph/id/source/gsp-undescribed",
    }
    assert state(client) == counts
    assert client.get("/rdf-graphs/gsp-undescribed").status_code == 404


def test_blank_nodes_become_genid_iris(client: TestClient) -> None:
    describe(client, "gsp-blank")
    body = chips("gsp-bn") + '\nchip:gsp-bn rdfs:seeAlso [ rdfs:label "a note" ] .\n'
    response = put(client, "gsp-blank", body)
    assert response.status_code == 201, response.text
    stored = read(client, "/rdf-graphs/gsp-blank", "application/n-triples")
    notes = [t.object for t in stored if t.predicate.value == "http://www.w3.org/2000/01/rdf-schema#seeAlso"]
    assert len(notes) == 1 and isinstance(notes[0], ox.NamedNode) and notes[0].value.startswith(GENID)
    assert not any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in stored)
    assert ox.Triple(notes[0], ox.NamedNode(LABEL), ox.Literal("a note")) in stored


def test_rdf_xml_is_written_too_and_a_doctype_is_refused(client: TestClient) -> None:
    describe(client, "gsp-xml")
    assert put(client, "gsp-xml", chips("gsp-x1", "gsp-x2")).status_code == 201
    xml = client.get("/rdf-graphs/gsp-xml", headers={"Accept": "application/rdf+xml"}).content
    describe(client, "gsp-xml-copy")
    copied = client.put(
        "/rdf-graphs/gsp-xml-copy", content=xml, headers={**auth(), "Content-Type": "application/rdf+xml"}
    )
    assert copied.status_code == 201, copied.text
    assert read(client, "/rdf-graphs/gsp-xml-copy") == read(client, "/rdf-graphs/gsp-xml")
    counts = state(client)
    doctype = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]>' + xml[xml.index(b"<rdf:RDF") :]
    refused = client.post(
        "/rdf-graphs/gsp-xml", content=doctype, headers={**auth(), "Content-Type": "application/rdf+xml"}
    )
    assert refused.status_code == 400 and "DOCTYPE" in refused.json()["message"]
    assert state(client) == counts


def test_multipart_post_merges_every_part(client: TestClient) -> None:
    describe(client, "gsp-multipart")
    parts = {
        "one.ttl": (chips("gsp-m1"), "text/turtle; charset=utf-8"),
        "two.nt": (f'<{CHIP}gsp-m1> <{LABEL}> "Second name" .\n', "application/n-triples"),
    }
    files = [(name, (name, body.encode(), media)) for name, (body, media) in parts.items()]
    response = client.post("/rdf-graphs/gsp-multipart", files=files, headers=auth())
    assert response.status_code == 201, response.text
    stored = read(client, "/rdf-graphs/gsp-multipart", "application/n-triples")
    second = ox.Triple(ox.NamedNode(CHIP + "gsp-m1"), ox.NamedNode(LABEL), ox.Literal("Second name"))
    assert {label("gsp-m1"), second} <= stored
    (change,) = response.json()["merged"]
    assert client.get(f"/changes/{change}").json()["added"] == len(stored)


def test_multipart_parts_we_cannot_read_are_415_and_change_nothing(client: TestClient) -> None:
    describe(client, "gsp-multipart-bad")
    counts = state(client)
    url = "/rdf-graphs/gsp-multipart-bad"
    good = ("a.ttl", ("a.ttl", chips("gsp-mb").encode(), "text/turtle"))
    wrong_type = client.post(url, files=[good, ("b.csv", ("b.csv", b"a,b", "text/csv"))], headers=auth())
    assert wrong_type.status_code == 415 and wrong_type.json()["code"] == "unsupported-media-type"
    field = client.post(url, files=[good], data={"note": "not a document"}, headers=auth())
    assert field.status_code == 415 and "no RDF document" in field.json()["message"]
    broken = client.post(url, files=[good, ("c.ttl", ("c.ttl", b"<a> <b>", "text/turtle"))], headers=auth())
    assert broken.status_code == 400 and broken.json()["code"] == "invalid-changeset"
    assert state(client) == counts


def test_post_to_the_store_creates_a_graph_named_by_the_server(client: TestClient) -> None:
    counts = state(client)
    nameless = client.post("/rdf-graphs", content=chips("gsp-new1"), headers={**auth(), **TURTLE})
    assert nameless.status_code == 422 and "?source=" in nameless.json()["message"]
    undescribed = "https://w3id.org/chipgraph/id/source/gsp-new-undescribed"
    refused = client.post(
        "/rdf-graphs", params={"source": undescribed}, content=chips("gsp-new1"), headers={**auth(), **TURTLE}
    )
    assert refused.status_code == 422 and refused.json()["context"]["source"] == undescribed
    assert state(client) == counts
    describe(client, "gsp-new")
    source = "https://w3id.org/chipgraph/id/source/gsp-new"
    created = client.post(
        "/rdf-graphs", params={"source": source}, content=chips("gsp-new1"), headers={**auth(), **TURTLE}
    )
    assert created.status_code == 201, created.text
    graph = created.headers["location"]
    assert graph.startswith(G + "posted-")
    assert label("gsp-new1") in read(client, "/rdf-graphs", graph=graph)
    records = {client.get(f"/changes/{c}").json()["graph"]: c for c in created.json()["merged"]}
    assert set(records) == {graph, G + "meta"}
    assert client.get(f"/changes/{records[graph]}").json()["source"] == source
    again = client.post("/rdf-graphs", params={"graph": graph}, content=chips("gsp-new2"), headers={**auth(), **TURTLE})
    assert again.status_code == 200, again.text  # later writes find the source through the link


def test_media_types_and_bodies_we_do_not_read(client: TestClient) -> None:
    describe(client, "gsp-media")
    counts = state(client)
    for content_type in ("text/plain", "application/json", "text/turtle; charset=iso-8859-1", ""):
        response = client.put(
            "/rdf-graphs/gsp-media", content=chips("gsp-m"), headers={**auth(), "Content-Type": content_type}
        )
        assert response.status_code == 415, (content_type, response.text)
        assert response.json()["code"] == "unsupported-media-type"
    malformed = put(client, "gsp-media", "<not turtle")
    assert malformed.status_code == 400 and malformed.json()["code"] == "invalid-changeset"
    elsewhere = client.put(
        "/rdf-graphs/gsp-media",
        content=f'<{G}other> {{ <{CHIP}x> <{LABEL}> "x" }}',
        headers={**auth(), "Content-Type": "application/trig"},
    )
    assert elsewhere.status_code == 400  # a body naming another graph
    assert state(client) == counts


# -- over real HTTP -----------------------------------------------------------------------------------


def raw(
    base: str, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """A request as curl sends it, over a plain socket connection."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_curl_like_requests_on_a_live_server(disk_store: Path, tmp_path: Path) -> None:
    with serving(disk_store, tmp_path / "serve.log", write_token=TOKEN) as base:
        status, headers, body = raw(base, "GET", f"/rdf-graphs/{SOURCE_SLUG}", headers={"Accept": "text/turtle"})
        assert status == 200 and headers["content-type"].startswith("text/turtle")
        graph = rdflib.Graph().parse(data=body, format="turtle")
        assert len(graph) > 10
        status, headers, body = raw(base, "HEAD", f"/rdf-graphs/{SOURCE_SLUG}")
        assert status == 200 and body == b"" and int(headers["content-length"]) > 0
        token = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"}
        meta = (
            PREFIXES + 'src:gsp-live a cg:Source ; dcterms:title "Live" ; cg:url "https://example.org/l"^^xsd:anyURI .'
        )
        assert raw(base, "POST", "/rdf-graphs/meta", meta.encode(), token)[0] == 200
        status, headers, _ = raw(base, "PUT", "/rdf-graphs/gsp-live", chips("gsp-live").encode(), token)
        assert status == 201 and headers["location"] == "/rdf-graphs/gsp-live"
        status, _, body = raw(base, "GET", "/rdf-graphs/gsp-live", headers={"Accept": "application/n-triples"})
        assert status == 200 and label("gsp-live") in triples(body, "application/n-triples")
        assert raw(base, "DELETE", "/rdf-graphs/gsp-live")[0] == 401
        assert raw(base, "DELETE", "/rdf-graphs/gsp-live", headers={"Authorization": f"Bearer {TOKEN}"})[0] == 200
        assert raw(base, "GET", "/rdf-graphs/gsp-live")[0] == 404


def test_hostile_parameters_and_parts_are_4xx_and_change_nothing(client: TestClient) -> None:
    """An IRI that would break out of its brackets, too many parts: refused before anything is read or written."""
    counts = state(client)
    breakout = "https://example.org/s> } ; DROP ALL ; #"
    for params in ({"source": breakout}, {"graph": breakout}):
        response = client.post("/rdf-graphs", params=params, content=chips("gsp-h1"), headers={**auth(), **TURTLE})
        assert response.status_code == 400 and response.json()["code"] == "invalid-parameter", response.text
    describe(client, "gsp-parts")
    counts = state(client)
    files = [(f"p{i}.ttl", (f"p{i}.ttl", chips(f"gsp-p{i}").encode(), "text/turtle")) for i in range(101)]
    response = client.post("/rdf-graphs/gsp-parts", files=files, headers=auth())
    assert response.status_code == 400 and response.json()["code"] == "invalid-changeset", response.text
    assert state(client) == counts
