"""A merge on Virtuoso when the network or the server fails at its one write (kg/gate/replay.py).

A loopback proxy (tests/store/failing_proxy.py) stands between chipgraph and the test Virtuoso
and fails the merge's write request: before the server sees it (nothing may be written, and the
merge is reported as not done), or after the server applied it, the answer lost (the merge
happened, and is reported as done, once). Either way the history and the data agree. Over HTTP
the first is a 503 that says nothing was written and quotes nothing of the server's message.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api import create_app
from kg.gate.changes import Changeset
from kg.gate.merge import log, merge
from kg.gate.replay import MergeNotAppliedError
from kg.namespaces import GRAPH_BASE, ID_BASE
from kg.settings import Settings
from kg.store import RemoteStore
from kg.store.virtuoso_launcher import PASSWORD, USER, Virtuoso
from tests.store.conftest import comparable_data
from tests.store.failing_proxy import FailingProxy, failing_proxy

EPOCH = GRAPH_BASE + "epoch-ml-hardware"
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
FENCE = "?later"  # in the merge's write request only: its fence (kg.gate.replay.fence)


def proxied(virtuoso: Virtuoso, base: str) -> dict[str, str]:
    """The store settings of a chipgraph reaching the test Virtuoso through the proxy at ``base``."""
    return {
        "query_url": base + urlsplit(virtuoso.query_url).path,
        "update_url": base + urlsplit(virtuoso.update_url).path,
    }


@pytest.fixture
def through_proxy(virtuoso: Virtuoso, copied: RemoteStore) -> Iterator[tuple[FailingProxy, RemoteStore]]:
    """The curated build on the test Virtuoso, reached through a failing proxy."""
    parts = urlsplit(virtuoso.query_url)
    with failing_proxy(f"{parts.scheme}://{parts.netloc}") as (proxy, base):
        urls = proxied(virtuoso, base)
        store = RemoteStore(
            urls["query_url"],
            urls["update_url"],
            user=USER,
            password=PASSWORD,
            auth="digest",
            update_timeout=300.0,
        )
        try:
            yield proxy, store
        finally:
            store.close()


def relabel(slug: str, label: str) -> Changeset:
    triple = ox.Triple(ox.NamedNode(f"{ID_BASE}organization/{slug}"), LABEL, ox.Literal(label))
    return Changeset(EPOCH, frozenset({triple}), frozenset(), "tester", f"label {slug}")


def test_a_write_the_server_never_saw_is_reported_not_done_and_leaves_nothing(
    through_proxy: tuple[FailingProxy, RemoteStore],
) -> None:
    proxy, store = through_proxy
    before, history = comparable_data(store), log(store)
    proxy.arm(FENCE, "before")
    with pytest.raises(MergeNotAppliedError, match="nothing was written"):
        merge(store, [relabel("nvidia", "Nvidia, lost before")], allow_warnings=True)
    assert proxy.failed
    assert comparable_data(store) == before
    assert log(store) == history


def test_a_write_whose_answer_was_lost_is_reported_done_once(through_proxy: tuple[FailingProxy, RemoteStore]) -> None:
    proxy, store = through_proxy
    history = log(store)
    proxy.arm(FENCE, "after")
    result = merge(store, [relabel("nvidia", "Nvidia, answer lost")], allow_warnings=True)
    assert proxy.failed
    (merged,) = result.merged
    now = log(store)
    assert [record.id for record in now] == [merged.id] + [record.id for record in history]
    nvidia = ox.NamedNode(f"{ID_BASE}organization/nvidia")
    assert store.contains(ox.Quad(nvidia, LABEL, ox.Literal("Nvidia, answer lost"), ox.NamedNode(EPOCH)))
    assert store.contains(ox.Quad(nvidia, LABEL, ox.Literal("Nvidia, answer lost"), store.mirror_graph))


def test_over_http_a_write_the_server_never_saw_is_a_503_that_quotes_nothing(
    virtuoso: Virtuoso, copied: RemoteStore
) -> None:
    parts = urlsplit(virtuoso.query_url)
    with failing_proxy(f"{parts.scheme}://{parts.netloc}") as (proxy, base):
        urls = proxied(virtuoso, base)
        settings = Settings(
            store_url=urls["query_url"],
            update_url=urls["update_url"],
            store_user=USER,
            store_password=PASSWORD,
            store_auth="digest",
            write_token="secret",
        )
        with TestClient(create_app(settings)) as client:
            before = len(log(copied))
            proxy.arm(FENCE, "before")
            data = f'<{ID_BASE}organization/nvidia> <{LABEL.value}> "Nvidia, over HTTP" .'
            envelope = {
                "graph": EPOCH,
                "author": "t",
                "message": "m",
                "add": {"format": "application/n-triples", "data": data},
            }
            response = client.post("/changes", json=envelope, headers={"Authorization": "Bearer secret"})
    assert proxy.failed
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["code"] == "store-unavailable" and "nothing was written" in body["message"]
    assert "Virtuoso" not in response.text and "SPARQL" not in response.text and "502" not in response.text
    assert len(log(copied)) == before
