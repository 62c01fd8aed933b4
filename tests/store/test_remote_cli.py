"""The command line on a SPARQL server: CHIPGRAPH_STORE_URL set, no --store (issue 15, docs/adr/0018).

`chipgraph build` fills the test Virtuoso with the same graph an embedded build holds; then
validate, merge (refused and accepted), log, show, a query and revert run against the server (the
data after the revert is the data before the merge), then an import of a data set file; backup and
restore refuse a server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.importers import default_imports
from kg.store import OxigraphStore, RemoteStore
from kg.store.virtuoso_launcher import PASSWORD, USER, Virtuoso
from tests.store.conftest import comparable_data, remote_store

runner = CliRunner()
EPOCH_FILE = dict(default_imports())["epoch"]
CHIP_TTL = """@prefix cg: <https://w3id.org/chipgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/chipgraph/id/chip/remote-cli> a cg:GPU ; rdfs:label "Remote CLI" ;
    cg:designedBy <https://w3id.org/chipgraph/id/organization/DESIGNER> .
"""


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def chip_file(folder: Path, designer: str) -> Path:
    path = folder / f"{designer}.ttl"
    path.write_text(CHIP_TTL.replace("DESIGNER", designer), encoding="utf-8")
    return path


@pytest.fixture
def on_server(virtuoso: Virtuoso, monkeypatch: pytest.MonkeyPatch) -> Iterator[RemoteStore]:
    """The environment of a CLI pointed at the test Virtuoso; the server emptied before and after."""
    store = remote_store(virtuoso, update_timeout=300.0)
    store.clear()
    for name, value in {
        "STORE_URL": virtuoso.query_url,
        "UPDATE_URL": virtuoso.update_url,
        "STORE_USER": USER,
        "STORE_PASSWORD": PASSWORD,
        "STORE_AUTH": "digest",
    }.items():
        monkeypatch.setenv(f"CHIPGRAPH_{name}", value)
    try:
        yield store
    finally:
        store.clear()
        store.close()


def test_build_validate_merge_log_revert_on_the_server(on_server: RemoteStore, store_dir: Path, tmp_path: Path) -> None:
    code, out, err = invoke("build", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["store"] == on_server.query_url
    embedded = OxigraphStore.open(store_dir)
    try:
        assert on_server.quad_count() == embedded.quad_count()
        assert comparable_data(on_server) == comparable_data(embedded)
    finally:
        embedded.close()
    before = comparable_data(on_server)
    common = ("--graph", "epoch-ml-hardware")
    code, out, _ = invoke("validate", str(chip_file(tmp_path, "nvidia")), *common)
    assert (code, out.strip()) == (0, "conforms")
    code, out, _ = invoke("merge", str(chip_file(tmp_path, "tsmc")), *common, "--author", "cli", "-m", "bad")
    assert code == 1 and "does not conform" in out
    assert comparable_data(on_server) == before
    code, out, err = invoke(
        "merge", str(chip_file(tmp_path, "nvidia")), *common, "--author", "cli", "-m", "add", "--json"
    )
    assert code == 0, err
    (change_id,) = json.loads(out)["merged"]
    code, out, _ = invoke("log", "--json", "-n", "1")
    assert [(r["id"], r["author"], r["added"]) for r in json.loads(out)] == [(change_id, "cli", 3)]
    code, out, _ = invoke("show", change_id, "--json")
    assert "chip/remote-cli" in json.loads(out)["added_triples"]
    code, out, _ = invoke(
        "query", 'ASK { <https://w3id.org/chipgraph/id/chip/remote-cli> ?p "Remote CLI" }', "-f", "json"
    )
    assert code == 0 and json.loads(out)["boolean"] is True
    code, out, err = invoke("revert", change_id, "--author", "cli")
    assert code == 0 and "-3" in out, err
    assert comparable_data(on_server) == before
    code, _, err = invoke("show", "no-such-change")
    assert code == 2 and "no merged changeset" in err
    rows = EPOCH_FILE.read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "ml_hardware.csv").write_text("".join(rows[:4]), encoding="utf-8")  # the header and three chips
    code, out, err = invoke("import", "epoch", str(tmp_path / "ml_hardware.csv"), "--json")
    assert code == 0, err + out
    (newest,) = json.loads(invoke("log", "--json", "-n", "1")[1])
    assert newest["author"] == "chipgraph import" and newest["added"] > 0


def test_an_unreachable_server_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHIPGRAPH_STORE_URL", "http://127.0.0.1:9/sparql")
    code, _, err = invoke(
        "merge", str(chip_file(tmp_path, "nvidia")), "--graph", "epoch-ml-hardware", "-m", "x", "--author", "a"
    )
    assert code == 2, err
    assert "cannot reach the SPARQL server at http://127.0.0.1:9/sparql" in err
    assert "Traceback" not in err


def test_backup_and_restore_refuse_a_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHIPGRAPH_STORE_URL", "http://127.0.0.1:9/sparql")
    for command in ("backup", "restore"):
        code, _, err = invoke(command, str(tmp_path / "backup"))
        assert code == 2, err
        assert "use the server's own backup" in err
    assert not (tmp_path / "backup").exists()
