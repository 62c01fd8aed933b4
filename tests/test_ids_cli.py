"""`chipgraph export-status CHIP` takes every id form (kg/ids.py); an unknown chip exits 2 with suggestions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app

runner = CliRunner()


def status(store_dir: Path, chip: str) -> tuple[int, str, str]:
    args = ["export-status", chip, "--to", "CN", "--on", "2025-06-01", "--json", "--store", str(store_dir)]
    result = runner.invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    "form", ["chip/nvidia-h20", "https://w3id.org/chipgraph/id/chip/nvidia-h20", "NVIDIA HGX H20", "nvidia hgx h20"]
)
def test_every_form_is_the_same_answer(store_dir: Path, form: str) -> None:
    code, out, err = status(store_dir, form)
    assert code == 0, err
    assert json.loads(out) == json.loads(status(store_dir, "nvidia-h20")[1])


def test_an_unknown_chip_exits_2_with_suggestions(store_dir: Path) -> None:
    code, _, err = status(store_dir, "nvidia-h100")
    assert code == 2
    assert "did you mean" in err and "nvidia-h100-sxm5" in err


@pytest.mark.parametrize("chip", ["organization/nvidia", "not a chip label"])
def test_a_wrong_kind_or_malformed_id_exits_2(store_dir: Path, chip: str) -> None:
    code, _, err = status(store_dir, chip)
    assert code == 2 and err.strip()
