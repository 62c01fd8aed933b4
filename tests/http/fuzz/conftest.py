"""Fixtures of the fuzz tests: rdflib kept quiet on ill-typed literals, a watch over the app's store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.http.fuzz.fuzzing import StoreWatch, ill_typed_literals_unlogged


@pytest.fixture(scope="module", autouse=True)
def _quiet_rdflib() -> Iterator[None]:
    """No rdflib log record of an ill-typed literal outlives its request (see ill_typed_literals_unlogged)."""
    with ill_typed_literals_unlogged():
        yield


@pytest.fixture(scope="module")
def watch(client: TestClient) -> StoreWatch:
    """The watch over the app's store, for the whole module."""
    return StoreWatch(client.app.state.graph.store)  # type: ignore[attr-defined]
