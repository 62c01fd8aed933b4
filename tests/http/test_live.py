"""A live `chipgraph serve` on loopback answers SPARQLWrapper and rdflib's SPARQLStore."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, SPARQLWrapper

from kg.settings import Settings
from tests.http.live_server import serving

CG = "https://w3id.org/chipgraph/ontology#"


@pytest.fixture(scope="module")
def endpoint(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("live") / "serve.log"
    with serving(settings.store, log, query_workers="1") as base:
        yield base + "/sparql"
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(record["path"] == "/sparql" and record["status"] == 200 for record in records)  # one line per request


def test_sparqlwrapper(endpoint: str) -> None:
    client = SPARQLWrapper(endpoint)
    client.setQuery(f"SELECT ?chip WHERE {{ ?chip a <{CG}TPU> }} ORDER BY ?chip")
    client.setReturnFormat(JSON)
    bindings = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index, call-overload]
    assert [b["chip"]["value"].rsplit("/", 1)[1] for b in bindings] == [
        "google-tpu-v1",
        "google-tpu-v2",
        "google-tpu-v3",
        "google-tpu-v4",
        "google-tpu-v4i",
        "google-tpu-v5e",
        "google-tpu-v5p",
        "google-tpu-v6e",
        "google-tpu-v7-ironwood",
    ]


def test_rdflib_sparqlstore(endpoint: str) -> None:
    graph = rdflib.Graph(SPARQLStore(endpoint, returnFormat="json"))
    designer = rdflib.URIRef("https://w3id.org/chipgraph/id/organization/biren")
    chips = set(graph.subjects(rdflib.URIRef(CG + "designedBy"), designer))
    chip = "https://w3id.org/chipgraph/id/chip/"
    assert chips == {rdflib.URIRef(chip + slug) for slug in ("biren-br100", "biren-br104")}
    result = graph.query(f"ASK {{ ?x a <{CG}Foundry> }}")
    assert result.askAnswer is True
