"""The changeset API: dry runs, merges (201 + Location), refusals (422), history, reverts, tokens."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.http.conftest import auth

EPOCH = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"


def envelope(designer: str, slug: str = "api-chip") -> dict[str, object]:
    data = f"""@prefix cg: <https://w3id.org/chipgraph/ontology#> .
<https://w3id.org/chipgraph/id/chip/{slug}> a cg:GPU ; <http://www.w3.org/2000/01/rdf-schema#label> "API chip" ;
    cg:designedBy <https://w3id.org/chipgraph/id/organization/{designer}> ."""
    add = {"format": "text/turtle", "data": data}
    return {"graph": EPOCH, "author": "api-test", "message": "add a chip", "add": add}


def chip_exists(client: TestClient, slug: str) -> bool:
    response = client.get(
        "/sparql",
        params={"query": f"ASK {{ <https://w3id.org/chipgraph/id/chip/{slug}> ?p ?o }}"},
        headers={"Accept": "application/sparql-results+json"},
    )
    return bool(response.json()["boolean"])


def test_writes_need_the_token(client: TestClient) -> None:
    missing = client.post("/changes", json=envelope("nvidia"))
    assert missing.status_code == 401 and missing.json()["code"] == "unauthorized"
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/changes", json=envelope("nvidia"), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_dry_run_reports_and_writes_nothing(client: TestClient) -> None:
    good = client.post("/changes", params={"dry_run": "true"}, json=envelope("nvidia", "dry"), headers=auth())
    assert good.status_code == 200 and good.json()["conforms"] is True
    bad = client.post("/changes", params={"dry_run": "true"}, json=envelope("tsmc", "dry"), headers=auth())
    assert bad.status_code == 422 and bad.json()["results"][0]["path"].endswith("designedBy")
    assert not chip_exists(client, "dry")


def test_refused_change_is_422_with_the_report_and_writes_nothing(client: TestClient) -> None:
    response = client.post("/changes", json=envelope("tsmc", "refused"), headers=auth())
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "changeset-refused" and body["context"]["conforms"] is False
    assert not chip_exists(client, "refused")


def test_merge_history_and_revert(client: TestClient) -> None:
    merged = client.post("/changes", json=envelope("nvidia", "merged"), headers=auth())
    assert merged.status_code == 201
    (change_id,) = merged.json()["merged"]
    assert merged.headers["location"] == f"/changes/{change_id}"
    assert chip_exists(client, "merged")  # the query workers see the merge at once
    listing = client.get("/changes", params={"limit": 1}).json()
    assert listing["items"][0]["id"] == change_id and listing["total"] > 28
    record = client.get(f"/changes/{change_id}").json()
    assert record["added"] == 3 and "chip/merged" in record["added_triples"]
    again = client.post("/changes", json=envelope("nvidia", "merged"), headers=auth())
    assert again.status_code == 200 and again.json()["merged"] == []
    reverted = client.post(f"/changes/{change_id}/revert", json={"author": "api-test"}, headers=auth())
    assert reverted.status_code == 201
    assert not chip_exists(client, "merged")
    assert client.get(f"/changes/{reverted.json()['merged'][0]}").json()["reverts"] == change_id


def test_bad_envelopes_and_ids(client: TestClient) -> None:
    broken = client.post("/changes", content=b"{not json", headers={**auth(), "Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["code"] == "invalid-changeset"
    syntax = client.post("/changes", json={**envelope("nvidia"), "add": {"data": "<a> <b> ."}}, headers=auth())
    assert syntax.status_code == 400 and "add.data" in syntax.json()["message"]
    wrong_type = client.post("/changes", content=b"<a> <b> <c> .", headers={**auth(), "Content-Type": "text/turtle"})
    assert wrong_type.status_code == 415
    unknown = client.get("/changes/nope")
    assert unknown.status_code == 404 and unknown.json()["code"] == "change-not-found"
    revert_unknown = client.post("/changes/nope/revert", json={"author": "x"}, headers=auth())
    assert revert_unknown.status_code == 404
