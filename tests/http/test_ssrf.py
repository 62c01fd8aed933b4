"""No query reaches the network: SERVICE in every disguise we could generate, against a live listener.

The guarantee is structural (query workers cannot open sockets, kg.sparql.sandbox), so the test
does not need to know which disguise a text check would miss: for every variant the listener
must see no connection, the answer must be a 2xx or a 4xx in our error shape, and the answer
for an open port must equal the answer for a closed one (nothing to scan ports with).
"""

from __future__ import annotations

import itertools
import socket
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

ACCEPT = {"Accept": "application/sparql-results+json"}


class Listener:
    """A TCP listener on loopback that records every connection it gets."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = int(self.server.getsockname()[1])
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    listening = Listener()
    yield listening
    listening.server.close()


KEYWORDS = ["SERVICE", "service", "SeRvIcE", "SERV\\u0049CE", "\\u0053ERVICE", "SERVICE SILENT", "service\tsilent"]
SEPARATORS = [" ", "", "\n", "\t", "#c\n", " #SERVICE?\n ", "\r\n", "\u00a0"]  # "": adjacent tokens
ENDPOINTS = [
    "<{url}>",
    "<{url}sparql>",
    "e:sparql",  # a prefixed name: PREFIX e: <{url}>
    "<sparql>",  # relative to BASE <{url}>
    "?endpoint",  # bound by VALUES
    "<http://127.0.0.1:{port}/%2e%2e/x>",
    "<HTTP://LOCALHOST:{port}/>",
    "<http://[::1]:{port}/>",
    "<http://0x7f.1:{port}/>",
]
WRAPPERS = [
    "SELECT * WHERE {{ {service} }}",
    "SELECT*WHERE{{{service}}}",
    "SELECT * WHERE {{ OPTIONAL {{ {service} }} }}",
    "SELECT * WHERE {{ {{ ?a ?b ?c }} UNION {{ {service} }} }} LIMIT 1",
    "SELECT * WHERE {{ {{ SELECT * WHERE {{ {service} }} }} }}",
    "ASK {{ FILTER EXISTS {{ {service} }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {service} }}",
    "SELECT * WHERE {{ ?x ?y ?z MINUS {{ {service} }} }} LIMIT 1",
    "SELECT * WHERE {{ GRAPH ?g {{ {service} }} }}",
    "DESCRIBE ?s WHERE {{ {service} }}",
]


def variants(url: str, port: int) -> Iterator[str]:
    """Queries that ask for SERVICE at ``url``: keywords x separators x endpoints x wrappers, sampled."""
    combinations = itertools.product(KEYWORDS, SEPARATORS, ENDPOINTS, WRAPPERS)
    for index, (keyword, separator, endpoint, wrapper) in enumerate(combinations):
        if index % 7:  # a fixed sample of one in seven keeps the test short and covers every part
            continue
        target = endpoint.format(url=url, port=port)
        service = f"{keyword}{separator}{target}{separator}{{ ?s ?p ?o }}"
        if endpoint == "?endpoint":
            service = f"VALUES ?endpoint {{ <{url}> }} {service}"
        prologue = f"PREFIX e: <{url}>\nBASE <{url}>\n"
        yield prologue + wrapper.format(service=service)


def ask(client: TestClient, query: str, how: str) -> tuple[int, str]:
    if how == "get":
        response = client.get("/sparql", params={"query": query}, headers=ACCEPT)
    elif how == "form":
        response = client.post("/sparql", data={"query": query}, headers=ACCEPT)
    else:
        headers = {**ACCEPT, "Content-Type": "application/sparql-query"}
        response = client.post("/sparql", content=query.encode(), headers=headers)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(response.json()) == {"code", "message", "context"}
    return response.status_code, response.text


def test_no_service_variant_reaches_the_listener_or_depends_on_the_target(client: TestClient) -> None:
    """Each variant is sent while the target port listens, then again once it is closed: same answers."""
    listener = Listener()
    url = f"http://127.0.0.1:{listener.port}/"
    queries = list(zip(variants(url, listener.port), itertools.cycle(["get", "form", "body"]), strict=False))
    while_open = [ask(client, query, how) for query, how in queries]
    assert listener.connections == 0
    listener.server.close()
    while_closed = [ask(client, query, how) for query, how in queries]
    assert len(queries) > 300
    for (query, _), first, second in zip(queries, while_open, while_closed, strict=True):
        assert first == second, query
    assert {status for status, _ in while_open} >= {200, 400}


def test_the_dataset_parameters_and_from_fetch_nothing(client: TestClient, listener: Listener) -> None:
    url = f"http://127.0.0.1:{listener.port}/data.ttl"
    queries = [
        ({"query": f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}"}, "from"),
        ({"query": f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"}, "from-named"),
        ({"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "default-graph-uri": url}, "default-graph-uri"),
        ({"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1", "named-graph-uri": url}, "named-graph-uri"),
        ({"query": f"DESCRIBE <{url}>"}, "describe"),
        ({"update": f"LOAD <{url}>"}, "load"),
    ]
    for params, _ in queries:
        response = client.get("/sparql", params=params, headers=ACCEPT)
        assert response.status_code < 500
    assert listener.connections == 0


def test_service_gets_the_forbidden_query_code(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"})
    assert response.status_code == 400 and response.json()["code"] == "forbidden-query"
