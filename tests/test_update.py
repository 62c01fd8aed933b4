"""kg.update: SPARQL 1.1 updates read, evaluated on a sandboxed copy, and turned into changesets."""

from __future__ import annotations

import importlib
import multiprocessing
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.gate import merge as merging
from kg.store import OxigraphStore
from kg.update import SKOLEM_BASE, UpdateError, UsingDataset, changesets, evaluate, plan
from tests.conftest import dump

G = "https://w3id.org/chipgraph/graph/"
EPOCH = G + "epoch-ml-hardware"
META = G + "meta"
H100 = "https://w3id.org/chipgraph/id/chip/nvidia-h100-sxm5"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"


@pytest.fixture
def writable(disk_store: Path) -> Iterator[OxigraphStore]:
    store = OxigraphStore.open(disk_store, read_only=False)
    yield store
    store.close()


def triple(s: str, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> ox.Triple:
    return ox.Triple(ox.NamedNode(s), ox.NamedNode(p), o)


def test_evaluate_reports_the_difference_and_writes_nothing(disk_store: Path) -> None:
    before = dump(disk_store)
    store = OxigraphStore.open(disk_store, read_only=False)
    label = next(
        q.object for q in store.quads_matching(ox.NamedNode(H100), ox.NamedNode(LABEL), None, ox.NamedNode(EPOCH))
    )
    text = (
        f"INSERT DATA {{ GRAPH <{EPOCH}> {{ <{H100}> <{SEE_ALSO}> <https://example.org/a> }} }} ;\n"
        f"DELETE DATA {{ GRAPH <{EPOCH}> {{ <{H100}> <{LABEL}> {label} }} }}"
    )
    (diff,) = evaluate(store, text)
    store.close()
    assert diff.graph == EPOCH
    assert diff.added == {triple(H100, SEE_ALSO, ox.NamedNode("https://example.org/a"))}
    assert diff.removed == {triple(H100, LABEL, label)}
    assert dump(disk_store) == before


def test_a_later_operation_reads_what_an_earlier_one_wrote_in_the_default_graph(writable: OxigraphStore) -> None:
    text = (
        f'INSERT DATA {{ GRAPH <{EPOCH}> {{ <urn:x:a> <urn:x:p> "first" }} }} ;\n'
        f"INSERT {{ GRAPH <{EPOCH}> {{ ?s <urn:x:q> ?o }} }} WHERE {{ ?s <urn:x:p> ?o }}"
    )
    (diff,) = evaluate(writable, text)
    first = ox.Literal("first")
    assert diff.added == {triple("urn:x:a", "urn:x:p", first), triple("urn:x:a", "urn:x:q", first)}


def test_blank_nodes_become_skolem_iris_one_per_blank_node(writable: OxigraphStore) -> None:
    text = (
        f"INSERT DATA {{ GRAPH <{EPOCH}> {{ <urn:x:a> <urn:x:p> _:one . _:one <urn:x:q> _:two . "
        f"<urn:x:a> <urn:x:r> [ <urn:x:s> 1 ] }} }}"
    )
    (diff,) = evaluate(writable, text)
    nodes = {t.object for t in diff.added} | {t.subject for t in diff.added}
    assert not any(isinstance(node, ox.BlankNode) for node in nodes)
    skolems = {node.value for node in nodes if isinstance(node, ox.NamedNode) and node.value.startswith(SKOLEM_BASE)}
    assert len(skolems) == 3  # _:one (twice, one IRI), _:two, the [ ]
    one = next(t.object for t in diff.added if t.predicate.value == "urn:x:p")
    assert any(t.subject == one and t.predicate.value == "urn:x:q" for t in diff.added)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("LOAD <http://127.0.0.1:9/data.ttl>", "load"),
        (f"LOAD SILENT <http://127.0.0.1:9/data.ttl> INTO GRAPH <{EPOCH}>", "load"),
        (
            f"INSERT {{ GRAPH <{EPOCH}> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <http://127.0.0.1:9/> {{ ?s ?p ?o }} }}",
            "service",
        ),
        (
            f"DELETE {{ GRAPH <{EPOCH}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o "
            "OPTIONAL { FILTER NOT EXISTS { SERVICE SILENT ?x { ?a ?b ?c } } } }",
            "service",
        ),
        ("INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }", "default-graph"),
        ("DELETE DATA { <urn:x:a> <urn:x:b> <urn:x:c> }", "default-graph"),
        ("DELETE WHERE { ?s <urn:x:b> ?o }", "default-graph"),
        ("DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "default-graph"),
        ("CLEAR DEFAULT", "default-graph"),
        ("DROP DEFAULT", "default-graph"),
        (f"COPY <{EPOCH}> TO DEFAULT", "default-graph"),
        (f"MOVE DEFAULT TO <{EPOCH}>", "default-graph"),
        ("CLEAR ALL", "all-graphs"),
        ("DROP NAMED", "all-graphs"),
        (f"INSERT DATA {{ GRAPH <{G}history> {{ <urn:x:a> <urn:x:b> <urn:x:c> }} }}", "system-graph"),
        (f"CLEAR GRAPH <{G}inferred>", "system-graph"),
        (f"DROP GRAPH <{G}derived>", "system-graph"),
        (f"ADD <{EPOCH}> TO <{G}ontology>", "system-graph"),
        (f"MOVE <{G}ontology> TO <{EPOCH}>", "system-graph"),
        (f"INSERT DATA {{ GRAPH <{G}not-at-fixpoint> {{ <urn:x:a> <urn:x:b> <urn:x:c> }} }}", "system-graph"),
        (f"WITH <{G}history> INSERT {{ ?s <urn:x:b> 1 }} WHERE {{ ?s ?p ?o }}", "system-graph"),
    ],
)
def test_the_plan_refuses_what_no_update_may_do(text: str, reason: str) -> None:
    with pytest.raises(UpdateError) as refused:
        plan(text)
    assert refused.value.code == "forbidden-update" and refused.value.context["reason"] == reason


def test_the_plan_names_the_graphs_each_operation_can_write() -> None:
    accepted = plan(
        f"PREFIX g: <{G}>\n"
        f"INSERT DATA {{ GRAPH g:meta {{ <urn:x:a> <urn:x:b> 1 }} }} ;\n"
        "WITH g:one DELETE { ?s ?p ?o } INSERT { GRAPH g:two { ?s ?p ?o } } "
        f"USING <{G}history> WHERE {{ ?s ?p ?o }} ;\n"
        "MOVE g:three TO g:four ; COPY DEFAULT TO g:five"
    )
    assert [op.kind for op in accepted.operations] == ["InsertData", "Modify", "Move", "Copy"]
    assert accepted.graphs == {META, G + "one", G + "two", G + "three", G + "four", G + "five"}
    assert not accepted.any_graph
    assert plan(f"INSERT {{ GRAPH ?g {{ <urn:x:a> <urn:x:b> 1 }} }} WHERE {{ VALUES ?g {{ <{EPOCH}> }} }}").any_graph


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> } }",
        "SELECT * WHERE { ?s ?p ?o }",
        "INSERT DATA { \\u005Cu0041 }",
    ],
)
def test_text_that_is_no_update_is_invalid(text: str) -> None:
    with pytest.raises(UpdateError) as refused:
        plan(text)
    assert refused.value.code == "invalid-update"
    assert "Exception" not in str(refused.value) and "Traceback" not in str(refused.value)


def test_codepoint_escapes_and_negative_decimals_are_read() -> None:
    accepted = plan(f'INSERT DATA {{ GRAPH <{G}\\u0065poch-ml-hardware> {{ <urn:x:a> <urn:x:b> -5.0, "\\u0041" }} }}')
    assert accepted.graphs == {EPOCH}


def test_a_variable_graph_that_reaches_a_system_graph_is_refused_on_the_difference(writable: OxigraphStore) -> None:
    text = (
        f"INSERT {{ GRAPH ?g {{ <urn:x:a> <urn:x:b> <urn:x:c> }} }} WHERE {{ VALUES ?g {{ <{EPOCH}> <{G}history> }} }}"
    )
    diffs = evaluate(writable, text)
    assert {diff.graph for diff in diffs} == {EPOCH, G + "history"}
    with pytest.raises(UpdateError) as refused:
        changesets(writable, diffs, author="test", message="test")
    assert refused.value.context["reason"] == "system-graph"


def test_changesets_merge_through_the_gate_and_revert(writable: OxigraphStore) -> None:
    text = f"INSERT DATA {{ GRAPH <{EPOCH}> {{ <{H100}> <{SEE_ALSO}> <https://example.org/b> }} }}"
    changes = changesets(writable, evaluate(writable, text), author="tester", message="see also")
    result = merging.merge(writable, changes)
    (merged,) = result.merged
    fact = ox.Quad(
        ox.NamedNode(H100), ox.NamedNode(SEE_ALSO), ox.NamedNode("https://example.org/b"), ox.NamedNode(EPOCH)
    )
    assert writable.contains(fact)
    assert merging.log(writable, limit=1)[0].id == merged.id
    merging.revert(writable, merged.id, author="tester")
    assert not writable.contains(fact)


def test_a_new_graph_needs_its_source_described(writable: OxigraphStore) -> None:
    data = f"INSERT DATA {{ GRAPH <{G}fresh> {{ <urn:x:a> <urn:x:b> 1 }} }}"
    with pytest.raises(UpdateError) as refused:
        changesets(writable, evaluate(writable, data), author="t", message="m")
    assert refused.value.code == "source-not-described" and f"GRAPH <{META}>" in str(refused.value)
    source = "https://w3id.org/chipgraph/id/source/fresh"
    described = f'{data} ; INSERT DATA {{ GRAPH <{META}> {{ <{source}> <http://purl.org/dc/terms/title> "Fresh" }} }}'
    changes = changesets(writable, evaluate(writable, described), author="t", message="m")
    assert {change.graph for change in changes} == {G + "fresh", META}


def test_a_graph_of_any_iri_is_written_once_it_names_a_described_source(writable: OxigraphStore) -> None:
    """Outside GRAPH_BASE the metadata graph links a graph to its source (prov:hadPrimarySource)."""
    graph, source = "http://example.org/other-tool/g", "https://example.org/sources/other-tool"
    data = f"INSERT DATA {{ GRAPH <{graph}> {{ <{H100}> <{SEE_ALSO}> <https://example.org/c> }} }}"
    assert plan(data).graphs == {graph}
    with pytest.raises(UpdateError) as refused:
        changesets(writable, evaluate(writable, data), author="t", message="m")
    assert refused.value.code == "source-not-described" and refused.value.context == {"graph": graph, "source": None}
    assert "hadPrimarySource" in str(refused.value)
    link = f"<{graph}> <http://www.w3.org/ns/prov#hadPrimarySource> <{source}>"
    linked_only = f"{data} ; INSERT DATA {{ GRAPH <{META}> {{ {link} }} }}"
    with pytest.raises(UpdateError) as untitled:
        changesets(writable, evaluate(writable, linked_only), author="t", message="m")
    assert untitled.value.context == {"graph": graph, "source": source}
    described = (
        f'{linked_only} ; INSERT DATA {{ GRAPH <{META}> {{ <{source}> <http://purl.org/dc/terms/title> "T" }} }}'
    )
    changes = changesets(writable, evaluate(writable, described), author="t", message="m")
    assert {change.graph: change.source_iri for change in changes} == {graph: source, META: None}
    merged = {change.graph: change for change in merging.merge(writable, changes).merged}
    record = next(r for r in merging.log(writable, limit=5) if r.id == merged[graph].id)
    assert record.source == source and record.graph == graph
    merging.revert(writable, merged[graph].id, author="t")
    assert writable.quad_count(graph) == 0


def test_an_in_memory_store_is_evaluated_too() -> None:
    store = OxigraphStore.in_memory()
    store.add_quads([ox.Quad(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:b"), ox.Literal("1"), ox.NamedNode(EPOCH))])
    (diff,) = evaluate(store, f"DELETE WHERE {{ GRAPH <{EPOCH}> {{ ?s <urn:x:b> ?o }} }}")
    assert diff.removed == {triple("urn:x:a", "urn:x:b", ox.Literal("1"))} and not diff.added
    assert store.quad_count(EPOCH) == 1


class Listener:
    """An HTTP server on loopback that counts the requests it gets."""

    def __init__(self) -> None:
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                self.send_response(500)
                self.end_headers()

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _serve_without_the_parse_check(connection: Connection, sandboxed: bool) -> None:
    """The evaluation child, with kg.update.plan made to see no operation at all (so it refuses nothing)."""
    from kg.update.plan import Plan

    evaluation = importlib.import_module("kg.update.evaluate")  # the package's ``evaluate`` is the function

    evaluation.plan = lambda text, base_iri=None, dataset=None: Plan(text, ())  # type: ignore[attr-defined]
    evaluation._serve(connection, sandboxed)


def _child_answer(path: Path, text: str, sandboxed: bool) -> tuple[Any, ...]:
    context = multiprocessing.get_context("spawn")
    connection, child_end = context.Pipe()
    process = context.Process(target=_serve_without_the_parse_check, args=(child_end, sandboxed), daemon=True)
    process.start()
    child_end.close()
    try:
        assert connection.poll(60) and connection.recv() == ("ready",)
        connection.send((text, None, UsingDataset(), str(path)))
        assert connection.poll(60)
        answer: tuple[Any, ...] = connection.recv()
        return answer
    finally:
        process.kill()
        process.join(5)


def test_the_evaluation_cannot_reach_the_network_even_when_the_parse_misses_a_service(disk_store: Path) -> None:
    """The sandbox is the guarantee: with the parse's refusal taken away, SERVICE still reaches nothing."""
    listener = Listener()
    try:
        text = (
            f"INSERT {{ GRAPH <{EPOCH}> {{ ?s ?p ?o }} }} "
            f"WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }}"
        )
        answer = _child_answer(disk_store, text, sandboxed=True)
        assert answer[:2] == ("error", "forbidden-update") and answer[3]["reason"] == "service"
        assert listener.requests == 0
        unsandboxed = _child_answer(disk_store, text, sandboxed=False)  # the control: the test can fail
        assert unsandboxed[0] == "error" and listener.requests >= 1
    finally:
        listener.close()
