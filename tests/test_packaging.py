"""A wheel carries the ontology and the data, so an installed chipgraph works from any folder."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIP_WHEEL = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this checkout, built once for the module."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([*PIP_WHEEL, "-w", str(folder), str(ROOT)], check=True)
    (built,) = folder.glob("chipgraph-*.whl")
    return built


@pytest.mark.slow
def test_wheel_carries_ontology_data_and_queries(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "kg/_resources/ontology/chipgraph.ttl",
        "kg/_resources/ontology/alignments.ttl",
        "kg/_resources/data/sources.ttl",
        "kg/_resources/shapes/chips.ttl",
        "kg/queries/huawei-foundries.rq",
        "kg/gate/rules/10-subclass-types.ru",
    }
    assert expected <= names
    data_files = {path.name for path in (ROOT / "data").glob("*.trig")}
    assert data_files == {
        Path(name).name for name in names if name.startswith("kg/_resources/data/") and name.endswith(".trig")
    }
    checks = {path.name for path in (ROOT / "ontology" / "checks").glob("*.rq")}
    assert checks == {Path(name).name for name in names if name.startswith("kg/_resources/ontology/checks/")}


@pytest.mark.slow
def test_installed_wheel_builds_and_answers_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)], check=True
    )
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from kg.cli import app; app(['build', '--store', sys.argv[2]], standalone_mode=False);"
        "app(['query', 'huawei-foundries', '-f', 'csv', '--store', sys.argv[2]], standalone_mode=False)"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", script, str(target), str(tmp_path / "store")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "SMIC" in result.stdout and "TSMC" in result.stdout
    assert (
        str(target)
        in subprocess.run(
            [
                sys.executable,
                "-I",
                "-c",
                f"import sys; sys.path.insert(0, {str(target)!r}); "
                "import kg.resources as r; print(r.resource_dir('data'))",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
