"""Over /sparql (query workers on snapshots): a triple two sources state counts once (docs/adr/0010).

The app runs on a real built store; changes are posted, reverted and queried through the API.
"""

from __future__ import annotations

import rdflib
from fastapi.testclient import TestClient

from tests.http.conftest import auth

GRAPH = "https://w3id.org/chipgraph/graph/"
EPOCH = GRAPH + "epoch-ml-hardware"
TWEAKERS = GRAPH + "tweakers-2022-nvidia-a800"
A100 = "<https://w3id.org/chipgraph/id/chip/nvidia-a100-sxm4-80gb>"
BANDWIDTH = "<https://w3id.org/chipgraph/ontology#interconnectBandwidthGBps>"
SHARED = f'{A100} {BANDWIDTH} "600"^^<http://www.w3.org/2001/XMLSchema#decimal> .'
JSON = {"Accept": "application/sparql-results+json"}


def bindings(client: TestClient, query: str) -> list[dict[str, str]]:
    response = client.get("/sparql", params={"query": query}, headers=JSON)
    assert response.status_code == 200, response.text
    return [{name: cell["value"] for name, cell in row.items()} for row in response.json()["results"]["bindings"]]


def number(client: TestClient, query: str) -> int:
    (row,) = bindings(client, query)
    return int(float(row["n"]))


def values(client: TestClient) -> list[str]:
    return [row["v"] for row in bindings(client, f"SELECT * WHERE {{ {A100} {BANDWIDTH} ?v }}")]


def graphs(client: TestClient) -> set[str]:
    return {row["g"] for row in bindings(client, f"SELECT ?g WHERE {{ GRAPH ?g {{ {SHARED} }} }}")}


def remove(client: TestClient, graph: str) -> str:
    envelope = {
        "graph": graph,
        "author": "api-test",
        "message": "remove the A100 bandwidth",
        "remove": {"format": "application/n-triples", "data": SHARED},
    }
    response = client.post("/changes", json=envelope, headers=auth())
    assert response.status_code == 201, response.text
    (change_id,) = response.json()["merged"]
    return str(change_id)


def test_select_count_and_sum_see_a_triple_several_sources_state_once(client: TestClient) -> None:
    assert {EPOCH, TWEAKERS} < graphs(client)  # and the imported Epoch data set's graph
    assert values(client) == ["600"]
    assert number(client, f"SELECT (COUNT(*) AS ?n) WHERE {{ {A100} {BANDWIDTH} ?v }}") == 1
    assert number(client, f"SELECT (SUM(?v) AS ?n) WHERE {{ {A100} {BANDWIDTH} ?v }}") == 600


def test_the_triple_stays_until_the_last_source_drops_it_and_reverts_bring_it_back(client: TestClient) -> None:
    stating = sorted(graphs(client))
    removals = []
    for index, graph in enumerate(stating):
        removals.append(remove(client, graph))
        assert graphs(client) == set(stating[index + 1 :])
        assert values(client) == (["600"] if index + 1 < len(stating) else [])
    for change_id in reversed(removals):
        reverted = client.post(f"/changes/{change_id}/revert", json={"author": "api-test"}, headers=auth())
        assert reverted.status_code == 201, reverted.text
        assert values(client) == ["600"]
    assert graphs(client) == set(stating)


DISTINCT = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"


def test_the_service_description_counts_each_triple_once(client: TestClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    description = rdflib.Graph().parse(data=response.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    (dataset,) = description.objects(None, sd.defaultDataset)
    (described,) = (int(count) for count in description.objects(dataset, void.triples))
    quads = number(client, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert described == number(client, DISTINCT) == number(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") < quads
