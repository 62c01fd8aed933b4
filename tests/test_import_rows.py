"""Epoch rows at the edges: a row that breaks a shape refuses the whole import, uncertain organisations,
cells that are not numbers or dates, and a build that fails on an import.

Each file is written here from the real file's header, so the counts expected are the rows written.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kg.build import BuildError, load_plan, populate
from kg.gate.merge import MergeRefusedError
from kg.importers import default_imports, run_import
from kg.importers.common import sha256
from kg.importers.epoch import DATASET
from kg.store import OxigraphStore, term_text

CG = "https://w3id.org/chipgraph/ontology#"
ID = "https://w3id.org/chipgraph/id/"
EPOCH_FILE = dict(default_imports())["epoch"]


def header() -> list[str]:
    with EPOCH_FILE.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def epoch_file(path: Path, rows: list[dict[str, str]]) -> Path:
    columns = header()
    assert all(set(row) <= set(columns) for row in rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(column, "") for column in columns])
    return path


GOOD = {"Hardware name": "Rowtest Good", "Manufacturer": "NVIDIA", "Die Size (mm^2)": "500"}
TOO_BIG = {"Hardware name": "Rowtest Huge", "Manufacturer": "NVIDIA", "Die Size (mm^2)": "20000"}  # over 10 000


def test_a_row_that_breaks_a_shape_refuses_the_whole_import(curated: OxigraphStore, tmp_path: Path) -> None:
    path = epoch_file(tmp_path / "rows.csv", [GOOD, TOO_BIG])
    before = curated.dump_nquads()
    with pytest.raises(MergeRefusedError) as refused:
        run_import(curated, "epoch", path)
    violations = {(r.focus_node, r.path) for r in refused.value.report.results if r.severity == "Violation"}
    assert violations == {(ID + "chip/rowtest-huge", CG + "dieAreaMm2")}
    assert curated.dump_nquads() == before  # the good row was not written either
    assert not curated.query(f"ASK {{ <{ID}chip/rowtest-good> ?p ?o }}")


def test_uncertain_organisations_are_listed_for_review_never_guessed(curated: OxigraphStore, tmp_path: Path) -> None:
    """ "Semiconductor Manufacturing International" shares its words with SMIC's full name and its subsidiaries'."""
    rows = [
        {
            "Hardware name": "Rowtest Foundry",
            "Manufacturer": "NVIDIA",
            "Foundry": "Semiconductor Manufacturing International",
        },
        {"Hardware name": "Rowtest Designer", "Manufacturer": "Semiconductor Manufacturing International"},
    ]
    path = epoch_file(tmp_path / "uncertain.csv", rows)
    report, validation = run_import(curated, "epoch", path, dry_run=True)
    assert validation.conforms
    reviewed = {(item["row"], item["kind"]): item["candidates"] for item in report.review}
    smic = [f"{ID}organization/{slug}" for slug in ("smic", "smic-beijing", "smic-shanghai")]
    assert reviewed == {(2, "organization"): smic, (3, "organization"): smic}
    # an uncertain designer skips the row; an uncertain foundry is left out and the chip imported without it
    assert [(item["row"], item["name"]) for item in report.skipped] == [(3, "Rowtest Designer")]
    assert any(note.startswith("row 2 (Rowtest Foundry): foundry left out") for note in report.notes)
    assert report.created["chip"] == 1 and report.rows_read == len(rows)
    assert report.rows_read == sum(report.matched.values()) + report.created["chip"] + len(report.skipped)


def test_cells_that_are_not_numbers_or_dates_are_left_out_and_noted(curated: OxigraphStore, tmp_path: Path) -> None:
    row = {
        "Hardware name": "Rowtest Cells",
        "Manufacturer": "NVIDIA",
        "TDP (W)": "lots",
        "Die Size (mm^2)": "814",
        "Memory size per board (Byte)": "8.0e10",
        "Release date": "2024-13-45",
    }
    store = curated
    path = epoch_file(tmp_path / "cells.csv", [row])
    before = store.dump_nquads()
    report, validation = run_import(store, "epoch", path, dry_run=True)
    assert validation.conforms and store.dump_nquads() == before
    assert report.notes == [
        "row 2 (Rowtest Cells): TDP (W): 'lots' is not a number; left out",
        "row 2 (Rowtest Cells): release date '2024-13-45' is not a date",
    ]


def test_the_figures_of_a_row_with_bad_cells_are_imported_without_them(tmp_path: Path) -> None:
    """The same row merged into a store of its own: the good figures are there, the bad ones absent."""
    store = OxigraphStore.in_memory()
    populate(store, load_plan(), lambda _step: None)
    row = {"Hardware name": "Rowtest Cells", "Manufacturer": "NVIDIA", "TDP (W)": "n/a", "Die Size (mm^2)": "814"}
    row |= {"Memory size per board (Byte)": "8.0e10", "Release date": "31/12/2024"}
    path = epoch_file(tmp_path / "cells.csv", [row])
    report, _ = run_import(store, "epoch", path)
    assert report.merged
    graph = DATASET.graph(sha256(path))
    stated = store.select(f"SELECT ?p ?v WHERE {{ GRAPH <{graph}> {{ <{ID}chip/rowtest-cells> ?p ?v }} }}")
    figures = {term_text(r["p"]).removeprefix(CG): term_text(r["v"]) for r in stated if CG in term_text(r["p"])}
    assert float(figures.pop("dieAreaMm2")) == 814 and float(figures.pop("memoryGB")) == 80
    assert figures == {"designedBy": ID + "organization/nvidia"}  # no tdpW, no releaseDate


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([GOOD, TOO_BIG], "do not conform"),  # a violation in an imported row
        (None, "required column"),  # a file the importer cannot read
    ],
)
def test_a_build_fails_on_a_bad_import(tmp_path: Path, rows: list[dict[str, str]] | None, message: str) -> None:
    if rows is None:
        path = tmp_path / "broken.csv"
        path.write_text("name,maker\nA,B\n", encoding="utf-8")
    else:
        path = epoch_file(tmp_path / "bad.csv", rows)
    store = OxigraphStore.in_memory()
    with pytest.raises(BuildError, match=message):
        populate(store, load_plan(), lambda _step: None, [("epoch", path)])
    assert not store.query(f"ASK {{ <{ID}chip/rowtest-good> ?p ?o }}")
