"""The `chipgraph` command line, run in process on a store built on disk."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.build import build, load_plan
from kg.cli import app
from kg.importers import default_imports
from kg.queries import named_query
from kg.store import OxigraphStore, term_text
from tests.conftest import data_without_history, dump

runner = CliRunner()
EPOCH_FILE, ETO_FOLDER = dict(default_imports())["epoch"], dict(default_imports())["eto"]


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
    assert {"NVIDIA A800 SXM", "NVIDIA H800 SXM5", "NVIDIA HGX H20"} <= {row["variantLabel"] for row in rows}
    named = named_query("nvidia-china-variants").bind()
    assert len(rows) == len(OxigraphStore.open(store_dir).select(named))  # every row, as CSV


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


EPOCH_GRAPH = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"
ENVELOPE = json.dumps({"graph": EPOCH_GRAPH, "author": "a", "message": "m", "add": {"data": CHIP_TTL}})
MAX_BYTES = 256 * 1024 * 1024  # the default max_file_bytes setting


def sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no room on disk."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def written(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def folder(path: Path) -> Path:
    path.mkdir()
    return path


def pipe(path: Path) -> Path:
    os.mkfifo(path)
    return path


RANDOM = random.Random(7).randbytes(4096)
HOSTILE_FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "random.json": (lambda p: written(p, RANDOM), "line 1: not UTF-8 text"),
    "nul.json": (
        lambda p: written(p, ENVELOPE.replace('"a"', '"a\\u0000"').encode().replace(b"\\u0000", b"\0")),
        "NUL",
    ),
    "utf16.json": (lambda p: written(p, ENVELOPE.encode("utf-16")), "line 1: not UTF-8 text (byte 0xff)"),
    "nested.json": (lambda p: written(p, b"[" * 100_000 + b"]" * 100_000), "deeper than 64 levels"),
    "folder.json": (folder, "is a folder, not a file"),
    "pipe.json": (pipe, "not a regular file"),
    "huge.json": (lambda p: sparse(p, MAX_BYTES + 1), "larger than the limit"),
    "random.ttl": (lambda p: written(p, RANDOM), "not UTF-8 text"),
    "random.jsonld": (lambda p: written(p, RANDOM), "not UTF-8 text"),
    "random.nq": (lambda p: written(p, RANDOM), "not UTF-8 text"),
    "nul.ttl": (lambda p: written(p, CHIP_TTL.replace("CLI test", "CLI\0test").encode()), "line 3: a NUL byte"),
    "folder.ttl": (folder, "is a folder, not a file"),
    "huge.ttl": (lambda p: sparse(p, MAX_BYTES + 1), f"{MAX_BYTES + 1} bytes, larger than the limit"),
}


@pytest.fixture(scope="module")
def curated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of the curated data on disk, which refused commands must leave byte-identical."""
    path = tmp_path_factory.mktemp("curated") / "store"
    build(path, plan=load_plan())
    return path


def refused(store: Path, *args: str) -> str:
    """Run a command that must fail on its input: exit 2, one error line, the store unchanged; the line."""
    before = dump(store)
    result = runner.invoke(app, [*args, "--store", str(store)])
    assert (result.exit_code, type(result.exception)) == (2, SystemExit), result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert dump(store) == before
    return lines[0]


@pytest.mark.parametrize(
    ("name", "role"),
    [(name, "file") for name in sorted(HOSTILE_FILES)]
    + [(name, "--remove") for name in sorted(HOSTILE_FILES) if not name.endswith(".json")],
)
def test_a_binary_broken_or_special_changeset_file_is_one_error_line(
    curated_store: Path, tmp_path: Path, name: str, role: str
) -> None:
    """As a .json envelope, an RDF file of additions, or an RDF file of removals (--remove)."""
    make, message = HOSTILE_FILES[name]
    path = make(tmp_path / name)
    files = [str(path)] if role == "file" else [str(chip_file(tmp_path, "nvidia")), "--remove", str(path)]
    line = refused(curated_store, "merge", *files, "--graph", "epoch-ml-hardware", "--author", "a", "-m", "m")
    assert str(path) in line and message in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its permissions")
def test_an_unreadable_changeset_file_is_one_error_line(curated_store: Path, tmp_path: Path) -> None:
    path = chip_file(tmp_path, "nvidia")
    path.chmod(0)
    line = refused(curated_store, "validate", str(path), "--graph", "epoch-ml-hardware")
    assert f"{path}: cannot read it: Permission denied" in line


def test_a_binary_query_file_or_a_name_with_markup_is_one_error_line(curated_store: Path, tmp_path: Path) -> None:
    query = written(tmp_path / "binary.rq", RANDOM)
    assert "binary.rq: line 1: not UTF-8 text" in refused(curated_store, "query", str(query))
    markup = tmp_path / "[/bold]x.rq"
    assert f"no such query file: {markup}" in refused(curated_store, "query", str(markup))
    assert "not '[/bold]'" in refused(curated_store, "query", "huawei-foundries", "--param", "[/bold]")


def epoch_copy(tmp_path: Path, edit: Callable[[str], str]) -> Path:
    """The packaged Epoch file with ``edit`` applied to its text."""
    text = EPOCH_FILE.read_text(encoding="utf-8")
    return written(tmp_path / "ml_hardware.csv", edit(text).encode())


def last_record_line(text: str) -> int:
    """The line the last CSV record of ``text`` starts on (a record may span lines)."""
    reader, start, previous_end = csv.reader(io.StringIO(text, newline="")), 1, 0
    for _ in reader:
        start, previous_end = previous_end + 1, reader.line_num
    return start


def test_a_cut_off_binary_or_formula_data_set_file_is_one_error_line(curated_store: Path, tmp_path: Path) -> None:
    last_line = last_record_line(EPOCH_FILE.read_text(encoding="utf-8"))
    cut = epoch_copy(tmp_path, lambda text: text[:-3])
    assert f"ml_hardware.csv: line {last_line}: the file ends without" in refused(
        curated_store, "import", "epoch", str(cut)
    )
    name = EPOCH_FILE.read_text(encoding="utf-8").split("\n")[1].split(",")[0]
    formula = epoch_copy(tmp_path, lambda text: text.replace(f"\n{name},", '\n"=HYPERLINK(""http://x"",""y"")",', 1))
    line = refused(curated_store, "import", "epoch", str(formula))
    assert "ml_hardware.csv: line 2, column 'Hardware name'" in line and "spreadsheet formula" in line
    assert "not UTF-8 text" in refused(curated_store, "import", "epoch", str(written(tmp_path / "r.csv", RANDOM)))
    assert "not a regular file" in refused(curated_store, "import", "epoch", str(pipe(tmp_path / "pipe.csv")))
    assert "is a folder" in refused(curated_store, "import", "epoch", str(folder(tmp_path / "dir.csv")))


def test_an_eto_folder_with_a_binary_file_is_one_error_line(curated_store: Path, tmp_path: Path) -> None:
    eto = tmp_path / "eto"
    shutil.copytree(ETO_FOLDER, eto)
    written(eto / "provision.csv", RANDOM)
    assert f"{eto / 'provision.csv'}: line 1: not UTF-8 text" in refused(curated_store, "import", "eto", str(eto))


def test_merge_revert_merge_in_one_second_gives_distinct_ids_on_the_command_line(
    disk_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17: with SOURCE_DATE_EPOCH all three merges share one time; ids, log, show and revert stay unambiguous."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    store = ("--store", str(disk_store))
    chip = str(chip_file(tmp_path, "nvidia"))
    merging = ("merge", chip, "--graph", "epoch-ml-hardware", "--author", "cli", "-m", "add", *store, "--json")
    code, out, _ = invoke(*merging)
    assert code == 0
    (first,) = json.loads(out)["merged"]
    code, out, _ = invoke("revert", first, "--author", "cli", *store, "--json")
    assert code == 0
    (undo,) = json.loads(out)["merged"]
    code, out, _ = invoke(*merging)
    assert code == 0
    (again,) = json.loads(out)["merged"]
    assert len({first, undo, again}) == 3
    assert len({first[:16], undo[:16], again[:16]}) == 1  # the same second, "20251201T000000Z"
    code, out, _ = invoke("log", "--json", "-n", "3", *store)
    assert [record["id"] for record in json.loads(out)] == [again, undo, first]
    code, out, _ = invoke("log", "--json", "-n", "1000", *store)
    every = [record["id"] for record in json.loads(out)]
    assert len(every) == len(set(every))
    shown = {change: json.loads(invoke("show", change, "--json", *store)[1]) for change in (first, undo, again)}
    assert [shown[change]["id"] for change in (first, undo, again)] == [first, undo, again]
    assert (shown[first]["reverts"], shown[undo]["reverts"], shown[again]["reverts"]) == (None, first, None)
    code, out, _ = invoke("revert", again, "--author", "cli", *store, "--json")
    assert code == 0
    (undo_again,) = json.loads(out)["merged"]
    assert json.loads(invoke("show", undo_again, "--json", *store)[1])["reverts"] == again
    assert undo_again not in {first, undo, again}
    opened = OxigraphStore.open(disk_store)
    try:
        assert not opened.query("ASK { <https://w3id.org/chipgraph/id/chip/cli-test> ?p ?o }")
    finally:
        opened.close()
