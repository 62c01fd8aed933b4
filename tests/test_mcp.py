"""`chipgraph mcp` end to end: the MCP SDK's own stdio client speaks to the real command on a store built on disk.

One server session serves the module (started once, in a background event loop); its stderr is
kept, and must never show a traceback. The server runs with a small row cap and time limit, set
through the CHIPGRAPH_* variables, so that both can be seen to apply.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult

from kg.export_status import export_status
from kg.queries import named_queries, named_query
from kg.store import OxigraphStore, term_text
from tests.conftest import held

TOOLS = {"search_entities", "describe_entity", "sparql_query", "list_named_queries", "run_named_query", "export_status"}
ROW_CAP = 1000
TIME_LIMIT = 3.0
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # minutes on the built store
H20 = "https://w3id.org/chipgraph/id/chip/nvidia-h20"
CG = "https://w3id.org/chipgraph/ontology#"


def environment(store: Path, **extra: str) -> dict[str, str]:
    """This process's environment without CHIPGRAPH_* variables, with the store and ``extra`` set."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("CHIPGRAPH_")}
    return {**clean, "CHIPGRAPH_STORE": str(store), **extra}


class Client:
    """An MCP client session with `chipgraph mcp`, driven from synchronous tests through a portal."""

    def __init__(self, portal: BlockingPortal, session: ClientSession) -> None:
        self.portal, self.session = portal, session

    def call(self, name: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
        result = self.portal.call(lambda: self.session.call_tool(name, arguments or {}, read_timeout_seconds=60))
        assert isinstance(result, CallToolResult)
        return result

    def ok(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """The result of a call that must succeed: its structured content, the same as its JSON text."""
        result = self.call(name, arguments)
        assert not result.is_error, text(result)
        assert isinstance(result.structured_content, dict)
        assert json.loads(text(result)) == result.structured_content
        return result.structured_content

    def error(self, name: str, arguments: dict[str, Any] | None = None) -> str:
        """The message of a call that must fail as a tool error."""
        result = self.call(name, arguments)
        assert result.is_error, text(result)
        return text(result)


def text(result: CallToolResult) -> str:
    assert len(result.content) == 1 and result.content[0].type == "text"
    return result.content[0].text


@contextmanager
def session(store: Path, errlog: Path, **extra: str) -> Iterator[Client]:
    """A client session with a `chipgraph mcp` subprocess on ``store``; the server's stderr goes to ``errlog``."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "kg.cli", "mcp"], env=environment(store, **extra), cwd=str(store.parent)
    )
    with ExitStack() as stack:
        log = stack.enter_context(errlog.open("w"))
        portal = stack.enter_context(start_blocking_portal())
        read, write = stack.enter_context(portal.wrap_async_context_manager(stdio_client(params, errlog=log)))
        client = stack.enter_context(portal.wrap_async_context_manager(ClientSession(read, write)))
        portal.call(lambda: client.initialize())
        yield Client(portal, client)


@pytest.fixture(scope="module")
def errlog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mcp") / "stderr.txt"


@pytest.fixture(scope="module")
def mcp(store_dir: Path, errlog: Path) -> Iterator[Client]:
    extra = {"CHIPGRAPH_MAX_RESULT_ROWS": str(ROW_CAP), "CHIPGRAPH_QUERY_TIMEOUT": str(TIME_LIMIT)}
    with session(store_dir, errlog, **extra) as client:
        yield client
    assert "Traceback" not in errlog.read_text(), errlog.read_text()


@pytest.fixture(scope="module")
def store(store_dir: Path) -> Iterator[OxigraphStore]:
    """The same store, opened here to compare the server's answers with."""
    opened = OxigraphStore.open(store_dir)
    yield opened
    opened.close()


def test_the_server_lists_its_tools_each_described_and_read_only(mcp: Client) -> None:
    tools = mcp.portal.call(mcp.session.list_tools).tools
    assert {tool.name for tool in tools} == TOOLS
    for tool in tools:
        assert tool.description and len(tool.description) > 100, tool.name
        assert tool.annotations is not None and tool.annotations.read_only_hint is True, tool.name
        assert tool.output_schema is not None and tool.output_schema["type"] == "object", tool.name
    schema = next(tool.input_schema for tool in tools if tool.name == "export_status")
    assert set(schema["required"]) == {"chip", "destination"}
    assert {"chip", "destination", "date", "buyer"} == set(schema["properties"])


def test_search_finds_the_h20_first(mcp: Client) -> None:
    found = mcp.ok("search_entities", {"query": "H20", "limit": 5})
    assert found["items"][0]["id"] == "chip/nvidia-h20"
    assert found["items"][0]["iri"] == H20
    assert found["count"] == len(found["items"]) <= 5


def test_search_finds_a_rule_by_its_citation(mcp: Client) -> None:
    found = mcp.ok("search_entities", {"query": "2023-23055"})
    assert any(item["id"].startswith("act/") for item in found["items"]), found


@pytest.mark.parametrize("given", ["nvidia-h20", "chip/nvidia-h20", H20, "nvidia hgx h20"])
def test_describe_takes_every_id_form_and_gives_each_fact_its_sources(mcp: Client, given: str) -> None:
    described = mcp.ok("describe_entity", {"id": given})
    assert described["iri"] == H20 and described["id"] == "chip/nvidia-h20"
    facts = described["facts"]
    designers = [value["ref"]["id"] for value in facts["cg:designedBy"]]
    assert designers == ["organization/nvidia"]
    assert [value["value"] for value in facts["cg:dieAreaMm2"]] == ["814"]
    sources = {source["graph"]: source for source in described["sources"]}
    for values in facts.values():
        for value in values:
            assert value["graphs"], value
            assert set(value["graphs"]) <= set(sources) | {"https://w3id.org/chipgraph/graph/derived"}, value
    epoch = sources["https://w3id.org/chipgraph/graph/epoch-ml-hardware"]
    assert epoch["url"] == "https://epoch.ai/data/machine-learning-hardware" and epoch["title"]
    die_area = sources[facts["cg:dieAreaMm2"][0]["graphs"][0]]
    assert die_area["title"] and die_area["url"].startswith("https://")


def test_describe_reads_entities_of_any_kind(mcp: Client) -> None:
    assert mcp.ok("describe_entity", {"id": "huawei"})["id"] == "organization/huawei"
    assert mcp.ok("describe_entity", {"id": "CN"})["id"] == "country/CN"


def test_an_unknown_id_is_an_error_naming_close_ids(mcp: Client) -> None:
    message = mcp.error("describe_entity", {"id": "nvidia-h2o"})
    assert "no entity with id 'nvidia-h2o'" in message
    suggestions = message.split("did you mean ")[1].split(", ")
    assert "chip/nvidia-h20" in suggestions and len(suggestions) <= 5
    assert "chip/nvidia-h20" in mcp.error("describe_entity", {"id": "NVIDIA HGX H2O"})  # a label's typo
    assert "organization/huawei" in mcp.error("describe_entity", {"id": "organization/huawai"})


def test_a_malformed_id_is_an_error(mcp: Client) -> None:
    assert "organization/" in mcp.error("export_status", {"chip": "organization/nvidia", "destination": "CN"})
    assert "1 to 300 characters" in mcp.error("describe_entity", {"id": "   "})


def test_sparql_select_returns_the_stores_rows(mcp: Client, store: OxigraphStore) -> None:
    query = f"SELECT ?chip ?name WHERE {{ ?chip a <{CG}TPU> ; <http://www.w3.org/2000/01/rdf-schema#label> ?name }}"
    answer = mcp.ok("sparql_query", {"query": query})
    assert answer["form"] == "select" and answer["variables"] == ["chip", "name"]
    expected = {(term_text(row["chip"]), term_text(row["name"])) for row in store.select(query)}
    assert {(row["chip"], row["name"]) for row in answer["rows"]} == expected
    assert answer["count"] == len(answer["rows"]) > 3
    assert any(row["chip"].endswith("/chip/google-tpu-v4") for row in answer["rows"])


def test_sparql_ask_and_construct(mcp: Client) -> None:
    assert mcp.ok("sparql_query", {"query": f"ASK {{ <{H20}> a <{CG}GPU> }}"})["boolean"] is True
    graph = mcp.ok("sparql_query", {"query": f"CONSTRUCT WHERE {{ <{H20}> <{CG}designedBy> ?o }}"})
    assert graph["form"] == "graph" and graph["count"] == 1
    assert graph["ntriples"] == f"<{H20}> <{CG}designedBy> <https://w3id.org/chipgraph/id/organization/nvidia> ."


def test_sparql_rows_are_capped_as_the_settings_say(mcp: Client) -> None:
    answer = mcp.ok("sparql_query", {"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert answer["count"] == ROW_CAP == answer["row_limit"]


def test_service_is_refused_and_reaches_nothing(mcp: Client) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
        message = mcp.error("sparql_query", {"query": query})
        assert message.endswith(
            "forbidden-query: this endpoint never sends requests to other servers: SERVICE cannot be evaluated"
        )
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody called


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <https://w3id.org/chipgraph/id/chip/x> a <https://w3id.org/chipgraph/ontology#GPU> }",
        "DELETE WHERE { <https://w3id.org/chipgraph/id/chip/nvidia-h20> ?p ?o }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "CLEAR ALL",
    ],
)
def test_updates_are_refused_and_change_nothing(mcp: Client, update: str) -> None:
    message = mcp.error("sparql_query", {"query": update})
    assert "invalid-query" in message and "updates are refused" in message
    assert mcp.ok("sparql_query", {"query": f"ASK {{ <{H20}> a <{CG}GPU> }}"})["boolean"] is True
    assert mcp.ok("sparql_query", {"query": f"ASK {{ <{H20.replace('nvidia-h20', 'x')}> ?p ?o }}"})["boolean"] is False


def test_a_runaway_query_is_stopped_at_the_time_limit_and_the_server_answers_on(mcp: Client) -> None:
    message = mcp.error("sparql_query", {"query": RUNAWAY})
    assert f"query-timeout: the query ran longer than {TIME_LIMIT:g} s" in message
    assert mcp.ok("search_entities", {"query": "H20"})["items"][0]["id"] == "chip/nvidia-h20"
    assert mcp.ok("sparql_query", {"query": f"ASK {{ <{H20}> ?p ?o }}"})["boolean"] is True


def test_an_invalid_query_names_the_parsers_error(mcp: Client) -> None:
    assert "invalid-query: error at 1:" in mcp.error("sparql_query", {"query": "SELECT WHERE {"})


def test_the_named_queries_are_listed_with_their_parameters(mcp: Client) -> None:
    listed = {query["name"]: query for query in mcp.ok("list_named_queries")["queries"]}
    assert set(listed) == set(named_queries())
    assert listed["chips-above-tpp"]["parameters"] == [{"name": "tpp", "type": "decimal", "default": "4800"}]
    assert listed["huawei-foundries"]["question"] == named_query("huawei-foundries").question


def test_a_named_query_runs_with_a_parameter(mcp: Client, store: OxigraphStore) -> None:
    answer = mcp.ok("run_named_query", {"name": "chips-above-tpp", "parameters": {"tpp": "20000"}})
    expected = {term_text(row["chip"]) for row in store.select(named_query("chips-above-tpp").bind({"tpp": "20000"}))}
    assert {row["chip"] for row in answer["rows"]} == expected
    assert 0 < answer["count"] < len(mcp.ok("run_named_query", {"name": "chips-above-tpp"})["rows"])
    assert all(float(row["tpp"]) >= 20000 for row in answer["rows"])


def test_a_named_query_without_parameters(mcp: Client) -> None:
    answer = mcp.ok("run_named_query", {"name": "huawei-foundries"})
    assert {row["foundryLabel"] for row in answer["rows"]} == {"SMIC", "TSMC"}


def test_named_query_errors_name_what_is_known(mcp: Client) -> None:
    assert "known: april-2025-licence-chips" in mcp.error("run_named_query", {"name": "no-such-query"})
    assert "it has: tpp" in mcp.error("run_named_query", {"name": "chips-above-tpp", "parameters": {"tp": "1"}})
    assert "must be a decimal" in mcp.error("run_named_query", {"name": "chips-above-tpp", "parameters": {"tpp": "x"}})


def test_export_status_of_the_h20_to_china_gives_the_verdict_and_its_trail(mcp: Client, store: OxigraphStore) -> None:
    answer = mcp.ok("export_status", {"chip": "nvidia-h20", "destination": "CN", "date": "2025-06-01"})
    assert answer["verdict"] == "licence-required"
    assert answer["chip"]["id"] == "chip/nvidia-h20" and answer["date"] == "2025-06-01"
    assert answer == export_status(store, "nvidia-h20", "CN", date(2025, 6, 1)).to_json()
    applying = [finding for finding in answer["findings"] if finding["outcome"] == "applies"]
    assert applying, answer["findings"]
    for finding in applying:
        assert finding["rule"]["label"] and finding["facts"], finding
        assert all(fact["source"] for fact in finding["facts"]), finding


def test_export_status_takes_a_label_a_buyer_and_a_lower_case_country(mcp: Client, store: OxigraphStore) -> None:
    arguments = {"chip": "NVIDIA HGX H20", "destination": "cn", "date": "2024-06-01", "buyer": "huawei"}
    answer = mcp.ok("export_status", arguments)
    assert answer == export_status(store, "nvidia-h20", "CN", date(2024, 6, 1), buyer="huawei").to_json()
    assert any(finding["kind"] == "buyer-entity-list" for finding in answer["findings"])


def test_export_status_errors(mcp: Client) -> None:
    assert "YYYY-MM-DD" in mcp.error("export_status", {"chip": "nvidia-h20", "destination": "CN", "date": "2025-13-01"})
    assert "country/ZZ" in mcp.error("export_status", {"chip": "nvidia-h20", "destination": "ZZ"})
    message = mcp.error("export_status", {"chip": "nvidia-h2o", "destination": "CN"})
    assert "no chip with id 'nvidia-h2o'; did you mean" in message and "nvidia-h20" in message
    assert "no organization with id" in mcp.error(
        "export_status", {"chip": "nvidia-h20", "destination": "CN", "buyer": "nobody-at-all"}
    )


def test_bad_arguments_and_unknown_tools_are_errors_not_crashes(mcp: Client) -> None:
    assert mcp.error("search_entities", {"query": ""})
    assert mcp.error("search_entities", {"query": "H20", "limit": 1000})
    assert mcp.error("no_such_tool", {})
    assert mcp.ok("search_entities", {"query": "ascend"})["count"] > 0


def test_the_server_reads_a_store_another_process_holds(disk_store: Path, tmp_path: Path) -> None:
    with held(disk_store), session(disk_store, tmp_path / "stderr.txt") as client:
        assert client.ok("describe_entity", {"id": "nvidia-h20"})["iri"] == H20
        assert client.ok("sparql_query", {"query": f"ASK {{ <{H20}> ?p ?o }}"})["boolean"] is True


def test_a_missing_store_stops_the_command_with_one_line_and_no_protocol(tmp_path: Path) -> None:
    missing = tmp_path / "nothing"
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "mcp", "--store", str(missing)],
        capture_output=True,
        text=True,
        env=environment(tmp_path),
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"no chipgraph store at {missing}" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
