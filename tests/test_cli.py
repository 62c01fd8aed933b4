"""The `chipgraph` command line, run in process on a store built on disk."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.build import build
from kg.cli import app
from kg.store import OxigraphStore, term_text
from tests.conftest import data_without_history

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_build_prints_a_summary_and_honours_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "env-store"
    monkeypatch.setenv("CHIPGRAPH_STORE", str(target))
    code, out, _ = invoke("build")
    assert code == 0
    assert str(target) in out
    assert re.search(r"from \d+ sources", out)
    assert (target / "CURRENT").is_file()


def test_query_as_json_is_sparql_results_json(store_dir: Path) -> None:
    code, out, _ = invoke("query", "huawei-foundries", "--format", "json", "--store", str(store_dir))
    assert code == 0
    bindings = json.loads(out)["results"]["bindings"]
    assert {binding["foundryLabel"]["value"] for binding in bindings} == {"SMIC", "TSMC"}


def test_query_as_csv(store_dir: Path) -> None:
    code, out, _ = invoke("query", "nvidia-china-variants", "-f", "csv", "--store", str(store_dir))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {row["variantLabel"] for row in rows} == {"NVIDIA A800 SXM", "NVIDIA H800 SXM5", "NVIDIA HGX H20"}


def test_query_as_table_from_a_file(store_dir: Path, tmp_path: Path) -> None:
    query = tmp_path / "count.rq"
    query.write_text(
        "PREFIX cg: <https://w3id.org/chipgraph/ontology#>\n"
        "SELECT (COUNT(DISTINCT ?c) AS ?chips) WHERE { ?c a cg:Chip }",
        encoding="utf-8",
    )
    code, out, _ = invoke("query", str(query), "--store", str(store_dir))
    assert code == 0
    chips = OxigraphStore.open(store_dir).select(
        "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a <https://w3id.org/chipgraph/ontology#Chip> }"
    )
    assert "chips" in out and term_text(chips[0]["n"]) in out


def test_ask_and_construct(store_dir: Path) -> None:
    code, out, _ = invoke(
        "query", "ASK { ?s a <https://w3id.org/chipgraph/ontology#Foundry> }", "--store", str(store_dir)
    )
    assert (code, out.strip()) == (0, "true")
    code, out, _ = invoke(
        "query",
        "PREFIX cg: <https://w3id.org/chipgraph/ontology#> CONSTRUCT { ?c a cg:TPU } WHERE { ?c a cg:TPU }",
        "--store",
        str(store_dir),
    )
    assert code == 0
    tpus = OxigraphStore.open(store_dir).select("SELECT ?c WHERE { ?c a <https://w3id.org/chipgraph/ontology#TPU> }")
    assert out.count("google-tpu-") == len(tpus) >= 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("query", "SELECT * WHERE { ?s ?p }"), "invalid SPARQL"),
        (("query", "no-such-query"), "no named query"),
        (("query", "missing.rq"), "no such query file"),
    ],
)
def test_bad_input_exits_2_with_a_message(store_dir: Path, args: tuple[str, ...], message: str) -> None:
    code, _, err = invoke(*args, "--store", str(store_dir))
    assert code == 2
    assert message in err


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = invoke("stats", "--store", str(tmp_path / "none"))
    assert code == 2
    assert "chipgraph build" in err


def test_stats_and_check(store_dir: Path) -> None:
    code, out, _ = invoke("stats", "--store", str(store_dir))
    assert code == 0
    assert "graph:epoch-ml-hardware" in out and "cg:Chip" in out
    code, out, _ = invoke("check", "--store", str(store_dir))
    assert code == 0
    assert "FAIL" not in out and out.count("ok") >= 6


def test_queries_lists_the_competency_questions() -> None:
    code, out, _ = invoke("queries")
    assert code == 0
    assert "huawei-foundries" in out


CHIP_TTL = """@prefix cg: <https://w3id.org/chipgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/chipgraph/id/chip/cli-test> a cg:GPU ; rdfs:label "CLI test" ;
    cg:designedBy <https://w3id.org/chipgraph/id/organization/DESIGNER> .
"""


@pytest.fixture(scope="module")
def writable_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("writable") / "store"
    build(path)
    return path


def stored_data(path: Path) -> list[bytes]:
    store = OxigraphStore.open(path)
    lines = data_without_history(store)
    store.close()
    return lines


def chip_file(tmp_path: Path, designer: str) -> Path:
    path = tmp_path / f"{designer}.ttl"
    path.write_text(CHIP_TTL.replace("DESIGNER", designer), encoding="utf-8")
    return path


def test_validate_exit_codes(store_dir: Path, tmp_path: Path) -> None:
    common = ("--graph", "epoch-ml-hardware", "--store", str(store_dir))
    code, out, _ = invoke("validate", str(chip_file(tmp_path, "nvidia")), *common)
    assert (code, out.strip()) == (0, "conforms")
    code, out, _ = invoke("validate", str(chip_file(tmp_path, "tsmc")), *common, "--json")
    assert code == 1
    report = json.loads(out)
    assert report["conforms"] is False
    assert [(r["focus_node"], r["constraint"]) for r in report["results"]] == [
        ("https://w3id.org/chipgraph/id/chip/cli-test", "ClassConstraintComponent")
    ]
    broken = tmp_path / "broken.ttl"
    broken.write_text("<urn:a> <urn:b> .", encoding="utf-8")
    code, _, err = invoke("validate", str(broken), *common)
    assert code == 2 and "broken.ttl" in err and "line 1" in err


def test_merge_log_show_revert(writable_store: Path, tmp_path: Path) -> None:
    store = ("--store", str(writable_store))
    before = OxigraphStore.open(writable_store)
    data_before = [
        line for line in before.dump_nquads().splitlines() if b"/history>" not in line and b"/id/change/" not in line
    ]
    before.close()
    code, out, _ = invoke(
        "merge",
        str(chip_file(tmp_path, "tsmc")),
        "--graph",
        "epoch-ml-hardware",
        "--author",
        "cli",
        "-m",
        "bad chip",
        *store,
    )
    assert code == 1 and "does not conform" in out
    code, out, _ = invoke(
        "merge",
        str(chip_file(tmp_path, "nvidia")),
        "--graph",
        "epoch-ml-hardware",
        "--author",
        "cli",
        "-m",
        "add a chip",
        *store,
        "--json",
    )
    assert code == 0
    (change_id,) = json.loads(out)["merged"]
    code, out, _ = invoke("log", "--json", "-n", "1", *store)
    assert [(r["id"], r["author"], r["added"]) for r in json.loads(out)] == [(change_id, "cli", 3)]
    code, out, _ = invoke("show", change_id, "--json", *store)
    assert "chip/cli-test" in json.loads(out)["added_triples"]
    code, out, _ = invoke("revert", change_id, "--author", "cli", *store)
    assert code == 0 and "merged" in out and "-3" in out
    after = OxigraphStore.open(writable_store)
    data_after = [
        line for line in after.dump_nquads().splitlines() if b"/history>" not in line and b"/id/change/" not in line
    ]
    after.close()
    assert data_after == data_before
    code, _, err = invoke("show", "no-such-change", *store)
    assert code == 2 and "no merged changeset" in err
