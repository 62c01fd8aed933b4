"""Fixtures of the store-contract tests: a real Virtuoso for the session, and each store clean per test."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.namespaces import CHANGE_BASE, HISTORY_GRAPH
from kg.store import OxigraphStore, RemoteStore, Store
from kg.store.virtuoso_launcher import PASSWORD, USER, Virtuoso, VirtuosoError, start


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """Virtuoso Open Source on free loopback ports, started once; stopped at the end, failures included.

    Fails (never skips) when Debian's virtuoso-opensource is not installed or the server does not
    come up within 60 s (with its log tail).
    """
    try:
        server = start(Path(tmp_path_factory.mktemp("virtuoso")))
    except VirtuosoError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


def remote_store(server: Virtuoso, **options: float) -> RemoteStore:
    """A RemoteStore on the test server: anonymous queries on /sparql, digest-authenticated updates on /sparql-auth."""
    return RemoteStore(server.query_url, server.update_url, user=USER, password=PASSWORD, auth="digest", **options)


@pytest.fixture
def remote(virtuoso: Virtuoso) -> Iterator[RemoteStore]:
    """A RemoteStore on the test Virtuoso, emptied of chipgraph's graphs before and after the test."""
    store = remote_store(virtuoso)
    store.clear()
    try:
        yield store
    finally:
        store.clear()
        store.close()


@pytest.fixture(params=["oxigraph", "virtuoso"])
def any_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """Each store in turn, empty: embedded Oxigraph in memory, then a RemoteStore on the test Virtuoso."""
    if request.param == "oxigraph":
        store = OxigraphStore.in_memory()
        yield store
        store.close()
    else:
        yield request.getfixturevalue("remote")


@pytest.fixture(scope="module")
def copied(virtuoso: Virtuoso, curated_build: tuple[OxigraphStore, tuple[ox.Quad, ...]]) -> Iterator[RemoteStore]:
    """The curated build's quads in the test Virtuoso (for this module; emptied afterwards)."""
    store = remote_store(virtuoso, update_timeout=300.0)
    store.clear()
    store.add_quads(curated_build[1])
    try:
        yield store
    finally:
        store.clear()
        store.close()


DECIMAL = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")


def by_value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """A term as text for comparing stores: a decimal as its value to 12 significant digits (Virtuoso
    rounds past 15 fractional digits), a blank node without its label (each store labels its own), a
    changeset without its id (the time of the merge is in it)."""
    if isinstance(term, ox.BlankNode):
        return "_:"
    if isinstance(term, ox.NamedNode) and term.value.startswith(CHANGE_BASE):
        return "<a changeset>"
    if isinstance(term, ox.Literal) and term.datatype == DECIMAL:
        return f"decimal {Decimal(term.value):.12g}"
    return str(term)


def comparable_data(store: OxigraphStore | RemoteStore) -> Counter[tuple[str, ...]]:
    """The quads, terms ``by_value``, counted: equal for stores that hold the same data.

    Not the history: its records, and what is inferred about them, name the merges' times.
    """
    return Counter(
        (by_value(q.subject), by_value(q.predicate), by_value(q.object), str(q.graph_name))
        for q in store.all_quads()
        if q.graph_name != ox.NamedNode(HISTORY_GRAPH) and not q.subject.value.startswith(CHANGE_BASE)
    )
