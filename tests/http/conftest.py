"""The real app on a real built store (a private copy per test module: writes change it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api import create_app
from kg.settings import Settings
from kg.store import OxigraphStore

TOKEN = "test-token-123"


@pytest.fixture(scope="module")
def settings(store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A private copy of the session's built store (a checkpoint: hard links, not a build per module)."""
    path = tmp_path_factory.mktemp("api") / "store"
    source = OxigraphStore.open(store_dir)
    try:
        source.backup(path)
    finally:
        source.close()
    return Settings(
        store=path,
        write_token=SecretStr(TOKEN),
        query_timeout=3.0,
        query_workers=2,
        queries_per_client=2,  # the test client is one address; tests/http/test_pool_abuse.py tests the limit
        max_body_bytes=200_000,
        max_result_rows=1000,
    )


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def store_path(settings: Settings) -> Path:
    return settings.store
