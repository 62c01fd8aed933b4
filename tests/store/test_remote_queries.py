"""User queries on the test Virtuoso keep the embedded path's guarantees (kg/sparql/remote.py, docs/adr/0018).

SERVICE is refused on the parsed query wherever it hides, a slow query ends with our time-limit
error, the row cap cuts with the flag, and a normal query answers the rows Oxigraph answers.
"""

from __future__ import annotations

import concurrent.futures
import json
import time

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.settings import Settings
from kg.sparql.pool import QueryBusyError, QueryTimeoutError
from kg.sparql.remote import GRACE, RemoteQueryPool, guarded_query, remote_pool
from kg.sparql.worker import QueryError, QueryJob, execute
from kg.store import OxigraphStore, RemoteStore, StoreError
from kg.store.virtuoso_launcher import Virtuoso

runner = CliRunner()
JSON = ("application/sparql-results+json",)
P = ox.NamedNode("https://example.org/p")
SERVICE_QUERIES = {
    "plain": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "silent": "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "variable endpoint": "SELECT * WHERE { VALUES ?e { <http://127.0.0.1:9/> } SERVICE ?e { ?s ?p ?o } }",
    "in OPTIONAL": "SELECT * WHERE { ?a ?b ?c OPTIONAL { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    "in UNION": "SELECT * WHERE { { ?a ?b ?c } UNION { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    "in a sub-select": "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } } }",
    "in FILTER EXISTS": "ASK { ?a ?b ?c FILTER EXISTS { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    "in CONSTRUCT": "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }",
    "keyword hidden by case and comment": "select * { service#x\n<http://127.0.0.1:9/> { ?s ?p ?o } }",
}


def _graph(count: int, name: str = "https://example.org/graph/a") -> list[ox.Quad]:
    graph = ox.NamedNode(name)
    return [
        ox.Quad(ox.NamedNode(f"https://example.org/s{index}"), P, ox.Literal(index), graph) for index in range(count)
    ]


@pytest.mark.parametrize("name", sorted(SERVICE_QUERIES))
def test_service_is_refused_wherever_it_is(remote: RemoteStore, name: str) -> None:
    pool = RemoteQueryPool(remote, timeout=10)
    with pytest.raises(QueryError) as refused:
        pool.run(QueryJob(SERVICE_QUERIES[name], (*JSON, "text/turtle")))
    assert refused.value.code == "forbidden-query"


def test_a_query_the_parser_cannot_read_is_refused_not_sent(remote: RemoteStore) -> None:
    """Virtuoso's own syntax (define) is not SPARQL 1.1: refused before it reaches the server."""
    pool = RemoteQueryPool(remote, timeout=10)
    with pytest.raises(QueryError) as refused:
        pool.run(QueryJob('define input:storage "" SELECT * WHERE { ?s ?p ?o }', JSON))
    assert refused.value.code == "invalid-query"


def test_the_words_service_in_strings_and_iris_are_no_service(remote: RemoteStore) -> None:
    remote.add_quads(
        [
            ox.Quad(
                ox.NamedNode("https://example.org/SERVICE"),
                P,
                ox.Literal("SERVICE { }"),
                ox.NamedNode("https://example.org/g"),
            )
        ]
    )
    pool = RemoteQueryPool(remote, timeout=10)
    query = 'SELECT ?o WHERE { <https://example.org/SERVICE> ?p ?o FILTER(?o = "SERVICE { }") }'
    body = json.loads(pool.run(QueryJob(query, JSON)).first)
    assert [row["o"]["value"] for row in body["results"]["bindings"]] == ["SERVICE { }"]


def test_virtuoso_itself_does_not_run_service_for_the_query_user(virtuoso: Virtuoso, remote: RemoteStore) -> None:
    """Belt and braces: sent past our guard, the anonymous endpoint refuses SERVICE (no SPARQL_SPONGE)."""
    with pytest.raises(StoreError, match="SQ070:SECURITY"):
        remote.query(SERVICE_QUERIES["plain"].replace("<http://127.0.0.1:9/sparql>", f"<{virtuoso.query_url}>"))


def test_a_slow_query_ends_with_the_time_limit_error(remote: RemoteStore) -> None:
    remote.add_quads(_graph(400))
    pool = RemoteQueryPool(remote, timeout=1.0)
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"  # 400^4 rows
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError) as stopped:
        pool.run(QueryJob(slow, JSON))
    assert stopped.value.code == "query-timeout"
    assert "longer than 1 s" in str(stopped.value)
    # Virtuoso's own limit (the timeout parameter) answers first: before the HTTP read's limit + GRACE (3 s)
    assert time.monotonic() - started < 1.0 + GRACE - 0.5
    fast = pool.run(QueryJob("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", JSON))  # the pool goes on
    assert json.loads(fast.first)["results"]["bindings"][0]["n"]["value"] == "400"


def test_the_http_timeout_alone_also_ends_a_slow_query(remote: RemoteStore) -> None:
    """Without the server's own limit (another server), the HTTP read timeout gives the same error."""
    remote.add_quads(_graph(400))
    with pytest.raises(QueryTimeoutError):
        guarded_query(
            remote,
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
            0.5,
            server_timeout=False,
        )


@pytest.mark.parametrize("media", ["application/sparql-results+json", "text/csv", "text/turtle"])
def test_the_row_cap_cuts_with_the_flag(remote: RemoteStore, media: str) -> None:
    remote.add_quads(_graph(30))
    pool = RemoteQueryPool(remote, timeout=10)
    query = "CONSTRUCT WHERE { ?s ?p ?o }" if media == "text/turtle" else "SELECT ?s WHERE { ?s ?p ?o }"
    cut = pool.run(QueryJob(query, (media,), max_rows=10))
    whole = pool.run(QueryJob(query, (media,), max_rows=30))
    assert cut.truncated and not whole.truncated
    if media == "text/turtle":
        assert len(list(ox.parse(cut.first, format=ox.RdfFormat.TURTLE))) == 10
        assert b"truncated" in cut.first
    elif media == "text/csv":
        assert len(cut.first.decode().strip().splitlines()) == 1 + 10
        assert len(whole.first.decode().strip().splitlines()) == 1 + 30
    else:
        body = json.loads(cut.first)
        assert body["truncated"] is True and len(body["results"]["bindings"]) == 10


def test_answers_equal_oxigraph(remote: RemoteStore) -> None:
    """The same quads in both stores: a SELECT over the default graph and one over GRAPH ?g answer the same rows."""
    quads = _graph(20) + _graph(5, "https://example.org/graph/b")  # five triples stated twice
    remote.add_quads(quads)
    embedded = OxigraphStore.in_memory()
    embedded.add_quads(quads)
    pool = RemoteQueryPool(remote, timeout=10)
    for query in (
        "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s",
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    ):
        job = QueryJob(query, JSON)
        _media, emit = execute(embedded._store, job)  # type: ignore[attr-defined]
        chunks: list[bytes] = []
        emit(chunks.append)
        expected = json.loads(b"".join(chunks))["results"]["bindings"]
        got = json.loads(pool.run(job).first)["results"]["bindings"]
        assert got == expected, query
    embedded.close()


def test_chipgraph_query_on_the_server_refuses_service_and_keeps_the_time_limit(
    remote: RemoteStore, virtuoso: Virtuoso, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`chipgraph query` with CHIPGRAPH_STORE_URL goes through the same guard (exit 2, our messages)."""
    remote.add_quads(_graph(400))
    monkeypatch.setenv("CHIPGRAPH_STORE_URL", virtuoso.query_url)
    monkeypatch.setenv("CHIPGRAPH_QUERY_TIMEOUT", "1")
    monkeypatch.setenv("CHIPGRAPH_STORE", "/nonexistent/no-store-here")
    result = runner.invoke(app, ["query", SERVICE_QUERIES["in OPTIONAL"]])
    assert result.exit_code == 2
    assert "never sends requests to other servers" in result.output
    started = time.monotonic()
    result = runner.invoke(
        app, ["query", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"]
    )
    assert result.exit_code == 2
    assert "longer than 1 s" in result.output
    assert time.monotonic() - started < 5.0
    result = runner.invoke(app, ["query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["n", "400"]


def test_the_pool_from_settings_limits_queries_per_client(remote: RemoteStore) -> None:
    """remote_pool takes the embedded pool's settings: here one query at a time per client."""
    pool = remote_pool(remote, Settings(query_workers=2, queries_per_client=1, query_timeout=3.0))
    assert (pool.size, pool.per_client, pool.timeout) == (2, 1, 3.0)
    remote.add_quads(_graph(400))
    slow = QueryJob("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }", JSON)
    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        running = executor.submit(pool.run, slow, "client-a")
        time.sleep(0.5)
        with pytest.raises(QueryBusyError) as busy:
            pool.run(QueryJob("ASK { }", JSON), "client-a")
        assert busy.value.code == "too-many-queries"
        assert json.loads(pool.run(QueryJob("ASK { ?s ?p ?o }", JSON), "client-b").first)["boolean"] is True
        with pytest.raises(QueryTimeoutError):
            running.result(timeout=10)
