"""After writes and at the edges: ids, caches and ETags after merges and reverts, refused and repeated reverts,
readiness, the 500 body, bodies over the limit sent in chunks, bodies that are not UTF-8.

Expected statuses are the ones README.md and the OpenAPI document give for each route (the table in
README's "Errors" list), not read from api/errors.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api import create_app
from kg.settings import Settings
from kg.store import OxigraphStore
from tests.conftest import wait_for
from tests.http.conftest import auth

EPOCH = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"
CG = "https://w3id.org/chipgraph/ontology#"
ID = "https://w3id.org/chipgraph/id/"
JSON = {"Accept": "application/json"}


def chip_envelope(slug: str, label: str, designer: str = "nvidia", message: str = "add a chip") -> dict[str, object]:
    data = f"""<{ID}chip/{slug}> a <{CG}GPU> ; <http://www.w3.org/2000/01/rdf-schema#label> "{label}" ;
        <{CG}designedBy> <{ID}organization/{designer}> ."""
    return {
        "graph": EPOCH,
        "author": "after-writes",
        "message": message,
        "add": {"format": "text/turtle", "data": data},
    }


def merged_id(response: object) -> str:
    assert getattr(response, "status_code", None) == 201, getattr(response, "text", "")
    (change_id,) = response.json()["merged"]  # type: ignore[attr-defined]
    return str(change_id)


def chip_ids(client: TestClient) -> set[str]:
    body = client.get("/chips", params={"limit": 500}, headers=JSON).json()
    return {item["id"] for item in body["items"]}


def test_merge_revert_merge_in_one_second_over_http(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17: SOURCE_DATE_EPOCH gives the three writes one time; their ids still differ, and each is its own."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    envelope = chip_envelope("same-second", "Same Second")
    first = merged_id(client.post("/changes", json=envelope, headers=auth()))
    undo = merged_id(client.post(f"/changes/{first}/revert", json={"author": "t"}, headers=auth()))
    again = merged_id(client.post("/changes", json=envelope, headers=auth()))
    assert len({first, undo, again}) == 3 and len({first[:16], undo[:16], again[:16]}) == 1
    listing = client.get("/changes", params={"limit": 500}).json()["items"]
    ids = [item["id"] for item in listing]
    assert ids[:3] == [again, undo, first] and len(ids) == len(set(ids))
    records = {change: client.get(f"/changes/{change}").json() for change in (first, undo, again)}
    assert [records[change]["id"] for change in (first, undo, again)] == [first, undo, again]
    assert [records[change]["reverts"] for change in (first, undo, again)] == [None, first, None]
    assert len({records[change]["sequence"] for change in records}) == 3
    final = merged_id(client.post(f"/changes/{again}/revert", json={"author": "t"}, headers=auth()))
    assert client.get(f"/changes/{final}").json()["reverts"] == again
    assert "chip/same-second" not in chip_ids(client)


def test_caches_and_etags_follow_a_merge_and_a_revert(client: TestClient) -> None:
    """/chips, /search and /id/... answer the new graph after each write; an ETag from before is not a 304."""
    urls = ["/chips?limit=500", "/search?q=etagchip", "/id/organization/nvidia"]

    def fetch() -> dict[str, tuple[str, str]]:
        answers = {url: client.get(url, headers=JSON) for url in urls}
        assert all(answer.status_code == 200 for answer in answers.values())
        return {url: (answer.headers["etag"], answer.text) for url, answer in answers.items()}

    assert client.get("/id/chip/etag-chip", headers=JSON).status_code == 404
    before = fetch()
    for url, (tag, _) in before.items():  # unchanged graph: the tag is honoured
        assert client.get(url, headers={**JSON, "If-None-Match": tag}).status_code == 304
    merged = merged_id(client.post("/changes", json=chip_envelope("etag-chip", "Etagchip"), headers=auth()))
    after = fetch()
    assert "chip/etag-chip" in after["/chips?limit=500"][1] and "chip/etag-chip" not in before["/chips?limit=500"][1]
    assert "Etagchip" in after["/search?q=etagchip"][1] and "Etagchip" not in before["/search?q=etagchip"][1]
    assert after["/id/organization/nvidia"][1] == before["/id/organization/nvidia"][1]  # same body, new version
    new_chip = client.get("/id/chip/etag-chip", headers=JSON)
    assert new_chip.status_code == 200 and "Etagchip" in new_chip.text
    for url in urls:
        assert after[url][0] != before[url][0]
        old = client.get(url, headers={**JSON, "If-None-Match": before[url][0]})
        assert old.status_code == 200 and old.text == after[url][1]
    merged_id(client.post(f"/changes/{merged}/revert", json={"author": "t"}, headers=auth()))
    reverted = fetch()
    assert "chip/etag-chip" not in reverted["/chips?limit=500"][1]
    assert "Etagchip" not in reverted["/search?q=etagchip"][1]
    assert client.get("/id/chip/etag-chip", headers=JSON).status_code == 404
    for url in urls:
        assert reverted[url][0] not in (before[url][0], after[url][0])  # a new version, not the old one again
        assert client.get(url, headers={**JSON, "If-None-Match": after[url][0]}).status_code == 200


def test_a_refused_revert_is_422_and_a_second_revert_changes_nothing(client: TestClient) -> None:
    """Reverting a designer's role that a later chip needs is refused; reverting a change twice writes once."""
    role = {
        "graph": EPOCH,
        "author": "after-writes",
        "message": "a new designer",
        "add": {
            "format": "text/turtle",
            "data": f"<{ID}organization/revert-designer> a <{CG}ChipDesigner> ; "
            f'<http://www.w3.org/2000/01/rdf-schema#label> "Revert Designer" .',
        },
    }
    designer = merged_id(client.post("/changes", json=role, headers=auth()))
    chip = merged_id(
        client.post("/changes", json=chip_envelope("needs-designer", "Needs", "revert-designer"), headers=auth())
    )
    history = client.get("/changes", params={"limit": 1}).json()["total"]
    refused = client.post(f"/changes/{designer}/revert", json={"author": "t"}, headers=auth())
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "changeset-refused" and body["context"]["conforms"] is False
    assert any(result["focus_node"] == f"{ID}chip/needs-designer" for result in body["context"]["results"])
    assert client.get("/changes", params={"limit": 1}).json()["total"] == history  # nothing written
    undone = merged_id(client.post(f"/changes/{chip}/revert", json={"author": "t"}, headers=auth()))
    twice = client.post(f"/changes/{chip}/revert", json={"author": "t"}, headers=auth())
    assert twice.status_code == 200 and twice.json()["merged"] == []  # nothing left to undo
    assert "location" not in twice.headers
    assert client.get("/changes", params={"limit": 1}).json()["items"][0]["id"] == undone
    merged_id(client.post(f"/changes/{designer}/revert", json={"author": "t"}, headers=auth()))  # now it may go


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Settings:
    """The settings of the module, on an empty store of its own (the module's store is held by its client)."""
    path = tmp_path_factory.mktemp("empty") / "store"
    OxigraphStore.create(path).close()
    return settings.model_copy(update={"store": path, "query_workers": 1})


def test_an_unexpected_error_is_500_with_no_trace_and_no_path(empty: Settings) -> None:
    app = create_app(empty)
    secret = "/home/secret/kg/store.py line 42 Traceback"

    def broken() -> None:
        raise RuntimeError(secret)

    app.add_api_route("/broken-for-the-test", broken)
    with TestClient(app, raise_server_exceptions=False) as local:
        response = local.get("/broken-for-the-test")
    assert response.status_code == 500
    assert response.json() == {
        "code": "internal-error",
        "message": "an unexpected error occurred; it has been logged",
        "context": {},
    }
    for leak in ("secret", "Traceback", "RuntimeError", "store.py", "/home", "File "):
        assert leak not in response.text


def test_readyz_is_503_while_no_query_worker_runs(client: TestClient) -> None:
    assert client.get("/readyz").status_code == 200
    pool = client.app.state.graph.pool  # type: ignore[attr-defined]
    for worker in list(pool._idle):  # every worker dies (as under the OOM killer)
        worker.process.kill()
        worker.process.join(10)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "not-ready" and body["context"]["workers"]["running"] == 0
    client.get("/sparql", params={"query": "ASK {}"})  # a query finds the dead workers and replaces them
    wait_for(lambda: client.get("/readyz").status_code == 200, "the replaced workers run", timeout=90)
    assert client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"})


def test_readyz_is_503_on_an_empty_store(empty: Settings) -> None:
    with TestClient(create_app(empty)) as local:
        response = local.get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "not-ready" and "empty" in response.json()["message"]


def chunks(total: int, size: int = 16_384) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


@pytest.mark.parametrize(
    ("path", "media"),
    [
        ("/changes", "application/json"),
        ("/sparql", "application/sparql-update"),
        ("/rdf-graphs/too-large", "text/turtle"),
    ],
)
def test_a_chunked_body_over_the_limit_is_413(client: TestClient, settings: Settings, path: str, media: str) -> None:
    """No Content-Length to refuse early: the body is counted as it arrives (the limit is 200 000 bytes here)."""
    history = client.get("/changes", params={"limit": 1}).json()["total"]
    method = client.put if path.startswith("/rdf-graphs") else client.post
    response = method(path, content=chunks(settings.max_body_bytes + 50_000), headers={**auth(), "Content-Type": media})
    assert response.status_code == 413
    assert response.json()["code"] == "payload-too-large"
    assert response.json()["context"]["limit"] == settings.max_body_bytes
    assert client.get("/changes", params={"limit": 1}).json()["total"] == history
    small = method(path, content=chunks(1000), headers={**auth(), "Content-Type": media})
    assert small.status_code != 413  # the same route, under the limit: counted, not refused


@pytest.mark.parametrize(
    ("path", "media", "body", "status"),
    [
        ("/sparql", "application/sparql-query", b"ASK { ?s ?p \xff\xfe }", 400),
        ("/sparql", "application/sparql-update", b"INSERT DATA { <a:\xff> <b:b> <c:c> }", 400),
        ("/changes", "application/json", b'{"graph": "\xff\xfe"}', 400),
        ("/rdf-graphs/not-utf8", "text/turtle", b"<a:a> <b:b> '\xff' .", 400),
    ],
)
def test_a_body_that_is_not_utf8_is_refused_in_the_error_shape(
    client: TestClient, path: str, media: str, body: bytes, status: int
) -> None:
    history = client.get("/changes", params={"limit": 1}).json()["total"]
    method = client.put if path.startswith("/rdf-graphs") else client.post
    response = method(path, content=body, headers={**auth(), "Content-Type": media})
    assert response.status_code == status, response.text
    assert set(response.json()) == {"code", "message", "context"}
    assert client.get("/changes", params={"limit": 1}).json()["total"] == history


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml"),
        ("*/*;q=0.1, text/csv;q=0.5", "text/csv"),  # the specific range outranks the wildcard
        ("text/csv;q=nan, text/tab-separated-values;q=0.3", "text/tab-separated-values"),
        ("text/csv;q=0", None),
        ("text/csv;q=oops", None),
    ],
)
def test_sparql_negotiation_with_q0_invalid_q_and_wildcards(client: TestClient, accept: str, media: str | None) -> None:
    response = client.get(
        "/sparql", params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"}, headers={"Accept": accept}
    )
    if media is None:
        assert response.status_code == 406 and response.json()["code"] == "not-acceptable"
    else:
        assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == media
