"""Hostile and broken data set files: refused whole, the file and line named, the store byte-identical.

The broken files are made from real rows of the packaged data sets (data/sets/): cut at many
points, damaged in the middle, or with a cell replaced by a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from kg.build import build, load_plan
from kg.importers import ImportFileError, default_imports, run_import
from kg.importers.common import formula_like, sha256
from kg.importers.epoch import DATASET
from kg.store import OxigraphStore, term_text

EPOCH_FILE = dict(default_imports())["epoch"]
ETO_FOLDER = dict(default_imports())["eto"]
CSL_FIXTURE = Path(__file__).parent / "data" / "csl" / "consolidated_screening_list.csv"
CG = "https://w3id.org/chipgraph/ontology#"
FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\tcalc",
    "\r=1+1",
    "  =1+1",
    '\uff1dHYPERLINK("http://x","y")',  # a full-width equals sign
]


@pytest.fixture(scope="module")
def graph() -> OxigraphStore:
    """A real store of the curated data; the refused imports must leave it byte-identical."""
    _, store = build(None, plan=load_plan())
    assert store is not None
    return store


def records(text: str) -> list[tuple[int, str]]:
    """Each CSV record of ``text``: the line it starts on and its exact text, line end included."""
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines)
    found, start = [], 0
    for _ in reader:
        found.append((start + 1, "".join(lines[start : reader.line_num])))
        start = reader.line_num
    return found


def pick(found: list[tuple[int, str]], test: Callable[[str], bool]) -> int:
    """The index of the first record after the 20th whose text ``test`` accepts."""
    return next(index for index, (_, text) in enumerate(found) if index > 20 and test(text))


def cuts(row: str) -> Iterator[tuple[str, str]]:
    """A real row cut short in several ways: (what, the cut text that ends the file)."""
    body = row.rstrip("\n")
    last_cell = body.rfind(",") + 1
    for fraction in (0.1, 0.3, 0.5, 0.7, 0.95):
        cut = body[: int(last_cell * fraction)]
        yield f"cut at {fraction:.0%}", cut
        yield f"cut at {fraction:.0%}, a line end added", cut + "\n"
    yield "last cell cut by 1", body[:-1]
    yield "last cell cut by 5", body[:-5]
    yield "line end lost", body
    yield "cut after the first comma", body[: body.index(",") + 1]


def damages(row: str) -> Iterator[tuple[str, str]]:
    """A real single-line row damaged in the middle of the file: (what, the damaged row)."""
    body = row.rstrip("\n")
    yield "a cell lost", body.replace(",", "", 1) + "\n"
    yield "a cell more", body + ",extra\n"
    yield "a stray quote", '"' + body.replace(",", '"x,', 1) + "\n"
    yield "a quote opened", body.replace(",", ',"', 1) + "\n"
    yield "a NUL byte", body.replace(",", ",\0", 1) + "\n"


def epoch_variants() -> Iterator[object]:
    """Broken copies of the Epoch file as pytest params: (bytes, the line the refusal must name)."""
    text = EPOCH_FILE.read_text(encoding="utf-8")
    found = records(text)
    for kind, test in (("single-line", lambda r: r.count("\n") == 1), ("multi-line", lambda r: r.count("\n") > 3)):
        index = pick(found, test)
        line, row = found[index]
        prefix = "".join(part for _, part in found[:index])
        for what, cut in cuts(row):
            yield pytest.param((prefix + cut).encode(), line, id=f"{kind} last row, {what}")
        rest = "".join(part for _, part in found[index + 1 :])
        for what, damaged in damages(row) if kind == "single-line" else ():
            yield pytest.param((prefix + damaged + rest).encode(), line, id=f"{kind} middle row, {what}")
    yield from encoding_variants(found)


def encoding_variants(found: list[tuple[int, str]]) -> Iterator[object]:
    """A real row with a non-ASCII character cut inside it, and with a byte that is not UTF-8."""
    index = next(index for index, (_, text) in enumerate(found) if not text.isascii())
    line, row = found[index]
    prefix = "".join(part for _, part in found[:index]).encode()
    position = next(i for i, char in enumerate(row) if not char.isascii())
    line += row[:position].count("\n")
    head = row[:position].encode()
    yield pytest.param(prefix + head + row[position].encode()[:1], line, id="cut inside a UTF-8 character")
    rest = "".join(part for _, part in found[index:]).encode()
    yield pytest.param(prefix + head + b"\xff" + rest[len(head) :], line, id="a byte that is not UTF-8")


def refused(store: OxigraphStore, source: str, path: Path, pattern: str) -> None:
    """Assert that importing ``path`` raises ImportFileError matching ``pattern`` and writes nothing."""
    before = store.dump_nquads()
    with pytest.raises(ImportFileError, match=pattern):
        run_import(store, source, path)
    assert store.dump_nquads() == before


@pytest.mark.parametrize(("content", "line"), list(epoch_variants()))
def test_a_cut_off_or_damaged_epoch_file_is_refused_naming_the_line(
    graph: OxigraphStore, tmp_path: Path, content: bytes, line: int
) -> None:
    path = tmp_path / "ml_hardware.csv"
    path.write_bytes(content)
    refused(graph, "epoch", path, rf"ml_hardware\.csv: line {line}\b")


def test_a_figure_cut_at_the_end_of_the_file_is_refused(graph: OxigraphStore, tmp_path: Path) -> None:
    """A transistor count cut by two digits (1 000 for 100 000): as many cells as the header, no line end."""
    column = "Transistors (millions)"
    rows = list(csv.DictReader(io.StringIO(EPOCH_FILE.read_text(encoding="utf-8"), newline="")))
    row = next(row for row in rows if len(row[column]) >= 4)
    header = [name for name in row if name != column] + [column]
    out = io.StringIO(newline="")
    csv.DictWriter(out, header, lineterminator="\n").writerows([dict(zip(header, header, strict=True)), row])
    path = tmp_path / "ml_hardware.csv"
    path.write_text(out.getvalue()[:-3], encoding="utf-8")
    assert path.read_text(encoding="utf-8").endswith("," + row[column][:-2])
    refused(graph, "epoch", path, r"ml_hardware\.csv: line 2: the file ends without a line end")


@pytest.mark.parametrize("name", ["provision.csv", "providers.csv"])
@pytest.mark.parametrize("fraction", [0.2, 0.6])
@pytest.mark.parametrize("line_end", ["", "\n"])
def test_a_cut_off_eto_file_is_refused_naming_file_and_line(
    graph: OxigraphStore, tmp_path: Path, name: str, fraction: float, line_end: str
) -> None:
    folder = tmp_path / "eto"
    shutil.copytree(ETO_FOLDER, folder)
    found = records((ETO_FOLDER / name).read_text(encoding="utf-8"))
    line, row = found[-1]
    cut = row[: int(len(row) * fraction)] + line_end
    (folder / name).write_text("".join(part for _, part in found[:-1]) + cut, encoding="utf-8")
    refused(graph, "eto", folder, rf"{re.escape(name)}: line {line}\b")


def epoch_with(tmp_path: Path, changes: dict[str, str]) -> tuple[Path, int]:
    """A copy of four real Epoch rows, the last with the cells ``changes`` names changed; and that row's line.

    Rows end with CR LF, as a spreadsheet writes them (so a cell holding a CR is quoted).
    """
    reader = csv.DictReader(io.StringIO(EPOCH_FILE.read_text(encoding="utf-8"), newline=""))
    rows = [row for _, row in zip(range(4), reader, strict=False)]
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, reader.fieldnames or [], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows[:3])
    line = out.getvalue().count("\n") + 1
    writer.writerow({**rows[3], **changes})
    path = tmp_path / "ml_hardware.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path, line


@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize("column", ["Hardware name", "Manufacturer", "Notes"])
def test_a_formula_cell_refuses_the_file_naming_line_and_column(
    graph: OxigraphStore, tmp_path: Path, column: str, formula: str
) -> None:
    path, line = epoch_with(tmp_path, {column: formula})
    refused(graph, "epoch", path, rf"line {line}, column '{re.escape(column)}': .* reads as a spreadsheet formula")


@pytest.mark.parametrize("formula", FORMULAS[:3])
def test_a_formula_in_a_list_cell_is_found_in_each_name(graph: OxigraphStore, tmp_path: Path, formula: str) -> None:
    """Epoch's Foundry names several foundries; each becomes an organisation, so each is checked."""
    path, line = epoch_with(tmp_path, {"Foundry": f"TSMC, {formula}"})
    refused(graph, "epoch", path, rf"line {line}, column 'Foundry'")


def test_a_formula_in_an_eto_alias_or_a_csl_alternative_name_is_refused(graph: OxigraphStore, tmp_path: Path) -> None:
    folder = tmp_path / "eto"
    shutil.copytree(ETO_FOLDER, folder)
    providers = (folder / "providers.csv").read_text(encoding="utf-8")
    (folder / "providers.csv").write_text(providers.replace(",United States,", ',"United States; =1+cmd",', 1))
    refused(graph, "eto", folder, r"providers\.csv: line 2, column 'alias'")
    rows = list(csv.reader(io.StringIO(CSL_FIXTURE.read_text(encoding="utf-8"), newline="")))
    rows[3][rows[0].index("alt_names")] = "Sugon; @SUM(1)*cmd"
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / "csl.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    refused(graph, "csl", path, r"csl\.csv: line 4, column 'alt_names'")


def test_signed_numbers_and_a_lone_dash_still_import(tmp_path: Path) -> None:
    """+750 and -5 are numbers, not formulas; a dash alone is "none"; only positive figures are stated."""
    _, store = build(None, plan=load_plan())
    assert store is not None
    path, _ = epoch_with(tmp_path, {"TDP (W)": "+750", "Die Size (mm^2)": "-5", "Notes": "-"})
    report, _ = run_import(store, "epoch", path)
    assert report.merged and report.rows_read == 4
    chip = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))[3]["Hardware name"]
    graph_iri = DATASET.graph(sha256(path))
    found = store.select(
        f'SELECT ?tdp ?die WHERE {{ ?c <http://www.w3.org/2000/01/rdf-schema#label> "{chip}" . '
        f"GRAPH <{graph_iri}> {{ ?c <{CG}tdpW> ?tdp OPTIONAL {{ ?c <{CG}dieAreaMm2> ?die }} }} }}"
    )
    assert [(Decimal(term_text(r["tdp"])), r.get("die")) for r in found] == [(Decimal(750), None)]


@pytest.mark.parametrize("value", [*FORMULAS, "--", "-5%", "@x", "\t@x", "- none"])
def test_formula_like_cells(value: str) -> None:
    assert formula_like(value)


@pytest.mark.parametrize(
    "value", ["", "-", "+", "=", "\t=", "-5", "+3.2", "-1,000", "-1e3", ".5", "\t12", " -7 ", "NVIDIA"]
)
def test_numbers_and_text_are_not_formulas(value: str) -> None:
    assert not formula_like(value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty: no header row"),
        (b"Hardware name,Manufacturer,Hardware name\nA,B,C\n", "line 1: the header names column(s) twice"),
        (b"Hardware name,Manufacturer\nA,B", "line 2: the file ends without a line end"),
    ],
    ids=["empty", "a column named twice", "no final line end"],
)
def test_other_malformed_files_are_refused(graph: OxigraphStore, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "ml_hardware.csv"
    path.write_bytes(content)
    refused(graph, "epoch", path, re.escape(message))


def test_a_folder_a_pipe_or_an_oversized_file_is_refused(graph: OxigraphStore, tmp_path: Path) -> None:
    (tmp_path / "folder.csv").mkdir()
    refused(graph, "epoch", tmp_path / "folder.csv", r"folder\.csv: is a folder")
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    refused(graph, "epoch", pipe, r"pipe\.csv: not a regular file")
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:
        handle.truncate(256 * 1024 * 1024 + 1)  # sparse: nothing is written to disk
    refused(graph, "epoch", huge, r"huge\.csv: 268435457 bytes, larger than the limit")
