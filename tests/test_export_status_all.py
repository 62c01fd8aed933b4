"""`chipgraph export-status-all` and kg/export_status_all.py: one verdict per chip, the same as
the one-chip answer (kg.export_status.export_status) for each."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.catalog import ChipFilter, InvalidFilterError, NotFoundError, list_chips
from kg.cli import app
from kg.export_status import export_status
from kg.export_status_all import export_statuses, reasons
from kg.rulebook import Rulebook
from kg.store import OxigraphStore

ON = date(2025, 5, 1)


def test_each_row_is_the_one_chip_answer(store: OxigraphStore) -> None:
    book = Rulebook.read(store)
    filters = ChipFilter(country="CN")
    page = export_statuses(store, filters, "CN", ON, 0, 500, buyer="huawei", book=book)
    assert page.total == list_chips(store, filters, 0, 500).total == len(page.items)
    for row in page.items:
        one = export_status(store, row["chip"]["id"].removeprefix("chip/"), "CN", ON, buyer="huawei", book=book)
        assert row["verdict"] == one.verdict and row["missing"] == one.missing
        assert [r["subject"] for r in row["reasons"]] == [finding.subject for finding in reasons(one)]


def test_unknown_and_malformed_parties_are_refused(store: OxigraphStore) -> None:
    with pytest.raises(NotFoundError):
        export_statuses(store, ChipFilter(), "ZZ", ON, 0, 10)
    with pytest.raises(InvalidFilterError):
        export_statuses(store, ChipFilter(), "China", ON, 0, 10)
    with pytest.raises(NotFoundError):
        export_statuses(store, ChipFilter(), "CN", ON, 0, 10, buyer="no-such-firm")


def test_the_command_prints_json_and_a_table(store_dir: Path, store: OxigraphStore) -> None:
    runner = CliRunner()
    args = [
        "export-status-all",
        "--to",
        "CN",
        "--on",
        ON.isoformat(),
        "--designer",
        "nvidia",
        "--store",
        str(store_dir),
    ]
    printed = runner.invoke(app, [*args, "--json"])
    assert printed.exit_code == 0, printed.output
    expected = export_statuses(store, ChipFilter(designer="nvidia"), "CN", ON, 0, 500).items
    assert json.loads(printed.stdout)["items"] == expected
    table = runner.invoke(app, args)
    assert all(row["chip"]["id"] in table.stdout for row in expected)
    assert runner.invoke(app, ["export-status-all", "--to", "ZZ", "--store", str(store_dir)]).exit_code == 2
