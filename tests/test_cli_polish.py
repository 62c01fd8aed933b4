"""Issue 12 on the command line: --version, whole ids in tables, --format everywhere, one error style,
filters by name, a held store that names the running server, and refusals that say how to allow warnings.

Everything runs on a real store built on disk; the width and server tests run the command in its own
process (COLUMNS=80, not a terminal), as a user's pipe or script would.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from kg import serving
from kg.cli import app
from kg.output import print_table
from tests.conftest import dump, held

runner = CliRunner()
LONG = "a-chip-whose-id-is-far-longer-than-any-column-of-an-eighty-character-console-can-hold-x1"
CHIP = """@prefix cg: <https://w3id.org/chipgraph/ontology#> .
<https://w3id.org/chipgraph/id/chip/SLUG> a cg:GPU ; <http://www.w3.org/2000/01/rdf-schema#label> "NAME" ;
    cg:designedBy <https://w3id.org/chipgraph/id/organization/DESIGNER> EXTRA .
"""
WARNED = "; cg:memoryBandwidthGBps 180000.0"  # a shape warning (above 15 TB/s), no violation


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def run(*args: str, columns: int = 80) -> tuple[int, str, str]:
    """The command in its own process, not a terminal, COLUMNS set; no CHIPGRAPH_* variables."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHIPGRAPH_")}
    env["COLUMNS"] = str(columns)
    done = subprocess.run([sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, env=env, timeout=120)
    return done.returncode, done.stdout, done.stderr


def chip_file(folder: Path, slug: str, designer: str = "nvidia", extra: str = "", name: str = "") -> Path:
    path = folder / f"{slug[:40]}.ttl"
    text = CHIP.replace("SLUG", slug).replace("NAME", name or slug).replace("DESIGNER", designer)
    path.write_text(text.replace("EXTRA", extra), encoding="utf-8")
    return path


def merge_args(path: Path, store: Path, *more: str) -> list[str]:
    return [
        "merge",
        str(path),
        "--graph",
        "epoch-ml-hardware",
        "--author",
        "t",
        "-m",
        "m",
        "--store",
        str(store),
        *more,
    ]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip().startswith("error:")]


# --version -------------------------------------------------------------------------------------


def test_version_prints_the_package_version() -> None:
    code, out, _ = invoke("--version")
    assert code == 0
    assert out == f"chipgraph {version('chipgraph')}\n"


# tables never cut an id ----------------------------------------------------------------------


@pytest.fixture
def long_store(disk_store: Path, tmp_path: Path) -> Path:
    """The built store with one more chip whose id is longer than an 80-column console."""
    code, _, err = invoke(*merge_args(chip_file(tmp_path, LONG, name=f"Chip {LONG}"), disk_store))
    assert code == 0, err
    return disk_store


def test_tables_print_whole_ids_on_an_80_column_pipe(long_store: Path) -> None:
    commands = [
        ["export-status-all", "--to", "CN", "--on", "2025-05-01", "--designer", "nvidia"],
        ["coverage", "--section", "chips"],
        [
            "query",
            f"SELECT ?chip ?name WHERE {{ ?chip <http://www.w3.org/2000/01/rdf-schema#label> ?name "
            f'FILTER(CONTAINS(?name, "{LONG}")) }}',
        ],
    ]
    for command in commands:
        code, out, err = run(*command, "--store", str(long_store), columns=80)
        assert code == 0, (command, err)
        assert len(LONG) + 5 > 80  # the id alone is wider than the console
        assert any(LONG in line for line in out.splitlines()), (command, out[:2000])
        assert "…" not in out  # nothing shortened with an ellipsis


def test_a_terminal_narrower_than_an_id_still_shows_it_whole() -> None:
    table = Table("id", "message")
    table.add_row(f"chip/{LONG}", "a message of several words that may wrap in a narrow terminal " * 2)
    table.add_row("organization/nvidia", LONG)
    buffer = io.StringIO()
    print_table(table, Console(file=buffer, force_terminal=True, width=60, color_system=None))
    text = buffer.getvalue()
    assert f"chip/{LONG}" in text and "…" not in text
    assert sum(LONG in line for line in text.splitlines()) == 2


# --format on every command that prints a table -------------------------------------------------


def first_column(rows: list[list[str]]) -> list[str]:
    return [row[0] for row in rows]


FORMATTED: list[tuple[list[str], list[str], Callable[[Any], list[str]]]] = [
    (["queries"], ["name", "question", "parameters"], lambda data: [item["name"] for item in data]),
    (
        ["stats"],
        ["kind", "name", "count"],
        lambda data: ["graph"] * len(data["graphs"]) + ["class"] * len(data["classes"]),
    ),
    (
        ["log", "-n", "3"],
        ["id", "time", "author", "message", "graph", "source", "reverts", "added", "removed"],
        lambda data: [item["id"] for item in data],
    ),
    (
        ["conflicts"],
        ["chip", "property", "value", "graphs", "confidence"],
        lambda data: [item["entity"] for item in data for _ in item["values"]],
    ),
    (
        ["coverage", "--section", "chips"],
        ["section", "key", "have", "total", "share", "missing"],
        lambda data: [section["id"] for section in data["sections"] for _ in section["keys"]],
    ),
    (
        ["export-status-all", "--to", "CN", "--on", "2025-05-01", "--designer", "biren"],
        ["chip", "verdict", "because", "missing"],
        lambda data: [item["chip"]["id"] for item in data["items"]],
    ),
]


@pytest.mark.parametrize(
    ("command", "header", "keys"), FORMATTED, ids=lambda value: str(value[0]) if isinstance(value, list) else ""
)
def test_every_table_command_prints_json_and_csv_of_the_same_data(
    store_dir: Path, command: list[str], header: list[str], keys: Callable[[Any], list[str]]
) -> None:
    store = [] if command == ["queries"] else ["--store", str(store_dir)]
    code, as_json, err = invoke(*command, "--format", "json", *store)
    assert code == 0, err
    data = json.loads(as_json)
    code, as_csv, err = invoke(*command, "--format", "csv", *store)
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(as_csv)))
    assert rows[0] == header
    assert first_column(rows[1:]) == keys(data) and rows[1:], command
    code, table, _ = invoke(*command, *store)
    assert code == 0 and table.strip() and not table.lstrip().startswith(("{", "["))
    if "--json" in invoke(*command, "--help")[1]:
        assert json.loads(invoke(*command, "--json", *store)[1]) == data


def test_build_prints_its_summary_as_json_and_csv(tmp_path: Path) -> None:
    code, out, err = invoke("build", "--format", "json", "--store", str(tmp_path / "built"))
    assert code == 0, err
    summary = json.loads(out)
    assert summary["triples"] == sum(summary["graphs"].values()) > 0 and summary["classes"]["cg:Chip"] > 150
    code, stats, err = invoke("stats", "--format", "csv", "--store", str(tmp_path / "built"))
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(stats)))
    assert {(kind, name) for kind, name, _ in rows[1:] if kind == "graph"} == {("graph", g) for g in summary["graphs"]}


def test_validate_and_merge_print_their_report_as_csv(disk_store: Path, tmp_path: Path) -> None:
    warned = chip_file(tmp_path, "warned-csv", extra=WARNED)
    code, out, err = invoke(
        "validate", str(warned), "--graph", "epoch-ml-hardware", "--format", "csv", "--store", str(disk_store)
    )
    assert code == 1
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["severity", "focus_node", "path", "value", "message"]
    assert [row[0] for row in rows[1:]] == ["Warning"]
    assert rows[1][1] == "https://w3id.org/chipgraph/id/chip/warned-csv"
    code, out, err = invoke(*merge_args(warned, disk_store, "--allow-warnings", "--format", "csv"))
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["merged", "graph", "added", "removed"] and len(rows) == 2 and rows[1][2] == "4"


# one error style -------------------------------------------------------------------------------


def test_every_error_is_one_error_line_with_the_documented_code(store_dir: Path, tmp_path: Path) -> None:
    store = ["--store", str(store_dir)]
    cases = [
        (["nosuch"], 2, "No such command"),
        (["export-status-all", *store], 2, "--to"),
        (["query", "x", "--format", "xml"], 2, "xml"),
        (["export-status-all", "--to", "CN", "--on", "2025-13-01", *store], 2, "date"),
        (["export-status", "nvidia-h2O", "--to", "CN", *store], 2, "did you mean"),
        (["export-status-all", "--to", "CN", "--designer", "nvidea", *store], 2, "did you mean nvidia"),
        (["export-status-all", "--to", "CN", "--process-node", "2nm", *store], 2, "3nm"),
        (["query", "SELECT nonsense", *store], 2, "invalid SPARQL"),
        (["show", "no-such-change", *store], 2, "no-such-change"),
        (["import", "nosuch", "x", *store], 2, "unknown data set"),
        (["stats", "--store", str(tmp_path / "nothing")], 2, "nothing"),
        (["coverage", "--section", "nosuch", *store], 2, "nosuch"),
    ]
    for args, expected, words in cases:
        code, _, err = invoke(*args)
        assert code == expected, (args, code, err)
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, err)
        assert words in lines[0], (args, lines[0])
        assert "Traceback" not in err and "Usage:" not in err and "╭" not in err


# filters by name -------------------------------------------------------------------------------


def test_export_status_all_filters_by_name_in_any_case_and_format(store_dir: Path) -> None:
    def chips(*filters: str) -> list[str]:
        code, out, err = invoke(
            "export-status-all", "--to", "cn", "--on", "2025-05-01", *filters, "--json", "--store", str(store_dir)
        )
        assert code == 0, err
        return [item["chip"]["id"] for item in json.loads(out)["items"]]

    canonical = chips("--designer", "nvidia", "--process-node", "tsmc-4nm")
    assert canonical
    assert chips("--designer", "Nvidia", "--process-node", "TSMC 4 nm") == canonical
    assert chips("--designer", "NVIDIA", "--process-node", "4nm") == canonical  # the only 4 nm node
    assert chips("--country", "cn") == chips("--country", "China") == chips("--country", "CN")
    assert chips("--workload", "Inference") == chips("--workload", "inference") != []


# a store held by a running server ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving_store(store: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHIPGRAPH_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--store", str(store), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while serving.running_server(store) is None:
            assert server.poll() is None, "the server stopped"
            assert time.monotonic() < deadline, "the server recorded no address"
            time.sleep(0.2)
        yield server
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=30)


def test_a_write_beside_a_running_server_says_where_to_post_the_change(disk_store: Path, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    record = serving.server_file(disk_store)
    before = dump(disk_store)
    with serving_store(disk_store, port) as server:
        assert json.loads(record.read_text())["url"] == url
        assert not (disk_store / record.name).exists()  # beside the store, not in RocksDB's folder
        code, _, err = run(*merge_args(chip_file(tmp_path, "blocked"), disk_store, "--wait", "0.2"))
        assert code == 3, err
        waiting, *rest = [line for line in err.splitlines() if line.strip()]
        assert waiting.endswith("is in use; waiting up to 0.2 s")  # the one notice while it waits
        assert error_lines(err) == rest and len(rest) == 1
        message = " ".join(err.split())
        assert f"the store at {disk_store} is in use" in message
        assert f"POST {url}changes" in message and "nothing was written" in message
        server.send_signal(signal.SIGINT)  # a clean stop removes the record
        server.wait(timeout=30)
        assert server.returncode == 0
    assert not record.exists()
    assert dump(disk_store) == before


def test_a_record_left_by_a_killed_server_does_not_mislead(disk_store: Path, tmp_path: Path) -> None:
    port = free_port()
    record = serving.server_file(disk_store)
    with serving_store(disk_store, port) as server:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    assert record.exists()  # killed: the record stays, naming a dead process
    assert serving.running_server(disk_store) is None
    with held(disk_store):
        code, _, err = run(*merge_args(chip_file(tmp_path, "blocked"), disk_store, "--wait", "0.2"))
    message = " ".join(err.split())
    assert code == 3 and len(error_lines(err)) == 1
    assert "http://" not in message and "send the change with POST /changes" in message


def test_a_record_of_a_live_process_that_is_not_chipgraph_is_ignored(disk_store: Path) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        data = {"pid": other.pid, "url": "http://127.0.0.1:9/", "store": str(disk_store.resolve())}
        serving.server_file(disk_store).write_text(json.dumps(data))
        assert serving.running_server(disk_store) is None
        data["store"] = "/elsewhere"
        serving.server_file(disk_store).write_text(json.dumps(data))
        assert serving.running_server(disk_store) is None  # another store's server
    finally:
        other.kill()
        other.wait()


# refusals that say how to allow warnings -------------------------------------------------------


def test_a_merge_refused_for_warnings_alone_names_allow_warnings(disk_store: Path, tmp_path: Path) -> None:
    warned = chip_file(tmp_path, "warned", extra=WARNED)
    code, out, err = invoke(*merge_args(warned, disk_store))
    assert code == 1
    assert error_lines(err) == [line for line in err.splitlines() if line.strip()] and len(error_lines(err)) == 1
    assert "--allow-warnings" in err and "no violation" in err and "nothing written" in err
    assert "Warning" in out  # the report, on stdout
    violating = chip_file(tmp_path, "violating", designer="tsmc", extra=WARNED)  # a foundry as designer
    code, _, err = invoke(*merge_args(violating, disk_store))
    assert code == 1 and "--allow-warnings" not in err and "violation" in err
    code, out, err = invoke(*merge_args(warned, disk_store, "--allow-warnings"))
    assert code == 0 and "merged" in out, err
