"""The real app over a private copy of the session's built store, shared by every competency question."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import create_app
from kg.settings import Settings
from kg.store import OxigraphStore


@pytest.fixture(scope="session")
def competency_client(store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A client of the app serving a checkpoint of the default build (the session's ``store_dir`` stays free)."""
    copy = tmp_path_factory.mktemp("competency") / "store"
    source = OxigraphStore.open(store_dir)
    source.backup(copy)
    source.close()
    settings = Settings(store=copy, query_timeout=20.0, query_workers=2)
    with TestClient(create_app(settings)) as client:
        yield client
