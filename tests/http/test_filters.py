"""The /chips and /export-status filters by name: any case and format; a value naming nothing is a 400.

Every expectation is read from the store through SPARQL or from the canonical id's answer, so a
filter that stopped resolving (or resolved to another node) fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.http.conftest import auth

PREFIXES = """PREFIX cg: <https://w3id.org/chipgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


STATUS = {"destination": "CN", "date": "2025-05-01"}  # what /export-status needs besides the filters


def chips(client: TestClient, path: str = "/chips", **params: Any) -> list[str]:
    extra = STATUS if path == "/export-status" else {}
    response = client.get(path, params={**extra, **params, "limit": 500})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return [item["id"] if "id" in item else item["chip"]["id"] for item in items]


def sparql_chips(client: TestClient, pattern: str) -> list[str]:
    rows = client.post(
        "/sparql",
        data={"query": f"{PREFIXES}SELECT DISTINCT ?c WHERE {{ ?c a cg:Chip . {pattern} }}"},
        headers={"Accept": "application/sparql-results+json"},
    ).json()["results"]["bindings"]
    return sorted(row["c"]["value"].removeprefix("https://w3id.org/chipgraph/id/") for row in rows)


@pytest.mark.parametrize(
    ("canonical", "variants"),
    [
        ({"designer": "nvidia"}, ["Nvidia", "NVIDIA", " nvidia ", "organization/nvidia"]),
        ({"foundry": "tsmc"}, ["TSMC", "Tsmc", "Taiwan Semiconductor Manufacturing Company"]),
        ({"country": "CN"}, ["cn", "China", "CHINA", "country/CN"]),
        ({"workload": "training"}, ["Training", "TRAINING"]),
        ({"process_node": "tsmc-5nm"}, ["TSMC 5 nm", "TSMC 5nm", "tsmc 5NM", "process-node/tsmc-5nm"]),
        ({"process_node": "tsmc-n7-plus"}, ["N7+", "TSMC N7+", "n7 plus"]),
    ],
)
def test_a_filter_matches_in_any_case_and_format(
    client: TestClient, canonical: dict[str, str], variants: list[str]
) -> None:
    expected = chips(client, **canonical)
    assert expected, canonical  # the canonical filter itself selects chips
    name = next(iter(canonical))
    for variant in variants:
        assert chips(client, **{name: variant}) == expected, variant


def test_the_canonical_filters_select_what_the_store_says(client: TestClient) -> None:
    assert sorted(chips(client, designer="Nvidia")) == sparql_chips(
        client, "?c cg:designedBy <https://w3id.org/chipgraph/id/organization/nvidia>"
    )
    assert sorted(chips(client, country="china")) == sparql_chips(
        client, "?c cg:designedBy/cg:headquarteredIn <https://w3id.org/chipgraph/id/country/CN>"
    )
    assert sorted(chips(client, workload="Inference")) == sparql_chips(client, "?c cg:intendedWorkload cg:Inference")


@pytest.mark.parametrize("size", ["7nm", "7 nm", "7", "7.0nm", "7-nm"])
def test_a_size_selects_every_node_of_that_size_whichever_foundry(client: TestClient, size: str) -> None:
    expected = sparql_chips(client, "?c cg:processNode ?n . ?n cg:nominalSizeNm ?s FILTER(?s = 7)")
    found = sorted(chips(client, process_node=size))
    assert found == expected
    # several foundries' nodes: TSMC's 7 nm chips and SMIC's N+1/N+2 chips together
    assert set(chips(client, process_node="tsmc-7nm")) < set(found)
    assert set(chips(client, process_node="smic-n-plus-2")) < set(found)


@pytest.mark.parametrize(
    ("params", "suggested"),
    [
        ({"designer": "nvidea"}, "nvidia"),
        ({"foundry": "tsmcc"}, "tsmc"),
        ({"country": "Chine"}, "CN"),
        ({"workload": "gaming"}, "training"),
        ({"process_node": "N5"}, "tsmc-5nm"),
        ({"process_node": "2nm"}, "3nm"),
        ({"process_node": "TSMC 8 nm"}, "tsmc-7nm"),
    ],
)
@pytest.mark.parametrize("path", ["/chips", "/export-status"])
def test_a_value_that_names_nothing_is_a_400_with_close_values(
    client: TestClient, path: str, params: dict[str, str], suggested: str
) -> None:
    response = client.get(path, params={**(STATUS if path == "/export-status" else {}), **params})
    assert response.status_code == 400, response.text  # never a 404, never an empty list
    body = response.json()
    assert body["code"] == "invalid-parameter"
    assert set(body) == {"code", "message", "context"}
    name, value = next(iter(params.items()))
    assert body["context"]["parameter"] == name and body["context"]["value"] == value
    assert suggested in body["context"]["suggestions"]
    assert name in body["message"] and "did you mean" in body["message"] and suggested in body["message"]


def test_export_status_takes_the_same_names(client: TestClient) -> None:
    path = "/export-status"
    assert chips(client, path, designer="Biren", process_node="7nm") == chips(
        client, path, designer="biren", process_node="7 nm"
    )
    assert chips(client, path, designer="Biren") == chips(client, designer="biren")


def test_the_route_documents_how_names_and_sizes_match(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path in ("/chips", "/export-status"):
        parameters = {p["name"]: p.get("description", "") for p in document["paths"][path]["get"]["parameters"]}
        assert "every node of that nominal size" in parameters["process_node"]
        assert "400" in parameters["designer"] and "any case" in parameters["designer"]
        assert "China" in parameters["country"]


def test_a_merge_refused_for_warnings_alone_names_allow_warnings(client: TestClient) -> None:
    turtle = """@prefix cg: <https://w3id.org/chipgraph/ontology#> .
<https://w3id.org/chipgraph/id/chip/warned-chip> a cg:GPU ;
    <http://www.w3.org/2000/01/rdf-schema#label> "Warned chip" ;
    cg:designedBy <https://w3id.org/chipgraph/id/organization/nvidia> ;
    cg:memoryBandwidthGBps 180000.0 ."""
    envelope = {
        "graph": "https://w3id.org/chipgraph/graph/epoch-ml-hardware",
        "author": "t",
        "message": "a warning only",
        "add": {"format": "text/turtle", "data": turtle},
    }
    refused = client.post("/changes", json=envelope, headers=auth())
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "changeset-refused"
    assert "allow_warnings=true" in refused.json()["message"]
    assert [r["severity"] for r in refused.json()["context"]["results"]] == ["Warning"]
    violating = {**envelope, "add": {"format": "text/turtle", "data": turtle.replace("nvidia", "tsmc")}}
    refused = client.post("/changes", json=violating, headers=auth())
    assert refused.status_code == 422 and "allow_warnings" not in refused.json()["message"]
    merged = client.post("/changes", params={"allow_warnings": "true"}, json=envelope, headers=auth())
    assert merged.status_code == 201, merged.text
