"""A live `chipgraph serve` on loopback answers SPARQLWrapper and rdflib's SPARQLStore."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, SPARQLWrapper

from kg.settings import Settings

CG = "https://w3id.org/chipgraph/ontology#"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("live") / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "serve", "--store", str(settings.store), "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "CHIPGRAPH_QUERY_WORKERS": "1"},
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/healthz", server, log)
            yield f"http://127.0.0.1:{port}/sparql"
        finally:
            server.terminate()
            server.wait(timeout=10)
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(record["path"] == "/sparql" and record["status"] == 200 for record in records)  # one line per request


def wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(100):
        if server.poll() is not None:
            pytest.fail(f"chipgraph serve exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail("chipgraph serve did not come up")


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
    assert chips == {rdflib.URIRef("https://w3id.org/chipgraph/id/chip/biren-br100")}
    result = graph.query(f"ASK {{ ?x a <{CG}Foundry> }}")
    assert result.askAnswer is True
