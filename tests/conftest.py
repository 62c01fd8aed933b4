"""Shared fixtures: the real build of the packaged ontology and data, in memory and on disk."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, settings

from kg.build import BuildSummary, build, load_plan
from kg.store import OxigraphStore, Row, term_text

# Property tests are reproducible by default: a fixed seed ("ci", derandomize), no example database, so a
# red run is red again. HYPOTHESIS_PROFILE=long draws new cases, ten times as many (bench/README.md).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True, deadline=None)
settings.register_profile(
    "long",
    derandomize=False,
    print_blob=True,
    deadline=None,
    max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(in_ci: int) -> int:
    """A property test's number of cases: ``in_ci`` by default, ten times as many with HYPOTHESIS_PROFILE=long."""
    return in_ci * 10 if settings().derandomize is False else in_ci


def wait_for(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    """Return once ``condition()`` is true; fail naming ``what`` after ``timeout`` seconds (no sleep that guesses)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout:g} s: {what}"
        time.sleep(0.02)


@pytest.fixture(scope="session")
def built() -> tuple[BuildSummary, OxigraphStore]:
    """The default build, in memory, through the production loader."""
    summary, store = build(None)
    assert store is not None
    return summary, store


@pytest.fixture(scope="session")
def curated_build() -> tuple[OxigraphStore, tuple[ox.Quad, ...]]:
    """The curated build and its quads as built (a copy taken before any test could write to the store)."""
    _, store = build(None, plan=load_plan())
    assert store is not None
    return store, tuple(store.all_quads())


@pytest.fixture(scope="session")
def curated(curated_build: tuple[OxigraphStore, tuple[ox.Quad, ...]]) -> OxigraphStore:
    """The curated data only (no data set imports): smaller, for tests of algorithms, not coverage."""
    return curated_build[0]


@pytest.fixture
def fresh_curated(curated_build: tuple[OxigraphStore, tuple[ox.Quad, ...]]) -> OxigraphStore:
    """A private, writable in-memory store equal to a fresh curated build (its quads copied: a tenth of a build)."""
    store = OxigraphStore.in_memory()
    store.add_quads(curated_build[1])
    return store


@pytest.fixture(scope="session")
def store(built: tuple[BuildSummary, OxigraphStore]) -> OxigraphStore:
    return built[1]


@pytest.fixture(scope="session")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A store built on disk with the default data, for command-line tests."""
    path = tmp_path_factory.mktemp("cli") / "store"
    build(path)
    yield path


@pytest.fixture
def disk_store(store_dir: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the built store on disk (a checkpoint of ``store_dir``: cheap)."""
    source = OxigraphStore.open(store_dir)
    source.backup(tmp_path / "store")
    source.close()
    return tmp_path / "store"


HOLD = "import sys, pyoxigraph; s = pyoxigraph.Store(sys.argv[1]); print('held', flush=True); sys.stdin.read()"


@contextmanager
def held(path: Path) -> Iterator[None]:
    """Another process holds the store at ``path`` for writing (as a server or a merge does) until the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline() == b"held\n"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
        holder.stdout.close()


def texts(rows: list[Row], *names: str) -> set[tuple[str, ...]]:
    """The given columns of each row, as a set of tuples of plain strings."""
    return {tuple(term_text(row[name]) for name in names) for row in rows}


def data_without_history(store: OxigraphStore) -> list[bytes]:
    """The store's sorted N-Quads without the history graph and the inferences about its records."""
    return [
        line
        for line in store.dump_nquads().splitlines()
        if b"/graph/history>" not in line and b"/id/change/" not in line
    ]


def dump(path: Path) -> bytes:
    """Every quad of the on-disk store at ``path``, history included, as sorted canonical N-Quads."""
    store = OxigraphStore.open(path)
    try:
        return store.dump_nquads()
    finally:
        store.close()
