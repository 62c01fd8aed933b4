"""A store another process holds for writing: every writing command waits (bounded), then says so once.

The other process is real: a Python process that opens the store for writing, as a running
server or a long merge does, and holds it until told to let go.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.gate import merge
from kg.store import OxigraphStore, StoreLockedError
from tests.conftest import dump, held

CHIP = """@prefix cg: <https://w3id.org/chipgraph/ontology#> .
<https://w3id.org/chipgraph/id/chip/SLUG> a cg:GPU ; <http://www.w3.org/2000/01/rdf-schema#label> "SLUG" ;
    cg:designedBy <https://w3id.org/chipgraph/id/organization/nvidia> .
"""
EPOCH_CSV = Path(__file__).parents[1] / "data" / "sets" / "epoch" / "ml_hardware.csv"


def run(*args: str) -> tuple[int, str, str]:
    """Run a command in its own process (no CHIPGRAPH_* variables); code, stdout, stderr unwrapped."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("CHIPGRAPH_")}
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", *args], capture_output=True, text=True, env=clean, timeout=60
    )
    return done.returncode, " ".join(done.stdout.split()), " ".join(done.stderr.split())


def chip_file(tmp_path: Path, slug: str) -> Path:
    """A Turtle file with one new, valid chip."""
    path = tmp_path / f"{slug}.ttl"
    path.write_text(CHIP.replace("SLUG", slug), encoding="utf-8")
    return path


def test_every_writer_beside_a_held_store_gets_one_clear_message_and_writes_nothing(
    disk_store: Path, tmp_path: Path
) -> None:
    commands = [
        ("merge", str(chip_file(tmp_path, "blocked")), "--graph", "epoch-ml-hardware", "--author", "t", "-m", "x"),
        ("import", "epoch", str(EPOCH_CSV)),
        ("revert", "no-such-change", "--author", "t"),
        ("build",),
    ]
    before = dump(disk_store)
    with held(disk_store):
        for command in commands:
            code, _, err = run(*command, "--store", str(disk_store), "--wait", "0.2")
            assert code == 3, (command, err)
            assert f"the store at {disk_store} is in use by another chipgraph process" in err, err
            assert "Traceback" not in err and "IO error" not in err and "LOCK" not in err
    assert dump(disk_store) == before
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(("store.", "."))) == []


def test_opening_waits_as_long_as_told(disk_store: Path) -> None:
    with held(disk_store):
        started = time.monotonic()
        with pytest.raises(StoreLockedError, match="in use by another chipgraph process"):
            OxigraphStore.open(disk_store, read_only=False, wait=0.3)
        assert 0.3 <= time.monotonic() - started < 2
        OxigraphStore.open(disk_store).close()  # reading takes no lock


def test_a_writer_waits_for_the_store_to_be_let_go(disk_store: Path, tmp_path: Path) -> None:
    args = ("merge", str(chip_file(tmp_path, "waited")), "--graph", "epoch-ml-hardware", "--author", "t", "-m", "w")
    with held(disk_store):
        waiting = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", *args, "--store", str(disk_store), "--wait", "20"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert waiting.stderr is not None
        told = waiting.stderr.readline()  # the command says it waits once it found the store held
        assert "is in use; waiting up to 20 s" in told, told
        assert waiting.poll() is None
    out, err = waiting.communicate(timeout=30)
    assert waiting.returncode == 0, err
    assert "merged" in out
    opened = OxigraphStore.open(disk_store)
    assert merge.log(opened, 1)[0].message == "w"
    opened.close()
