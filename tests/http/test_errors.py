"""Every error, on every endpoint, has the one shape {"code", "message", "context"} and its status."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.errors import STATUS
from tests.http.conftest import auth


def documented() -> dict[str, int]:
    """Code -> status as README.md's table documents it (the expectation: not read from api/errors.py)."""
    text = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table: dict[str, int] = {}
    for status, codes in re.findall(r"^\| (\d{3}) \| (.+) \|$", text, flags=re.MULTILINE):
        for code in re.findall(r"`([a-z-]+)`", codes):
            table[code] = int(status)
    return table


DOCUMENTED = documented()

CASES = [
    ("get", "/chips/nope", {}, "entity-not-found"),
    ("get", "/chips/bad%20id", {}, "invalid-parameter"),
    ("get", "/chips", {"params": {"limit": 0}}, "invalid-parameter"),
    ("get", "/chips", {"params": {"limit": "many"}}, "invalid-parameter"),
    ("get", "/chips", {"params": {"workload": "mining"}}, "invalid-parameter"),
    ("get", "/chips", {"params": {"designer": "a b"}}, "invalid-parameter"),
    ("get", "/regulations", {"params": {"in_force_on": "yesterday"}}, "invalid-parameter"),
    ("get", "/companies/nope", {}, "entity-not-found"),
    ("get", "/countries/XX", {}, "entity-not-found"),
    ("get", "/entities/planet/earth", {}, "invalid-parameter"),
    ("get", "/search", {}, "invalid-parameter"),
    ("get", "/no/such/path", {}, "not-found"),
    ("delete", "/chips", {}, "method-not-allowed"),
    ("get", "/sparql", {"params": {"query": "SELEC"}}, "invalid-query"),
    ("post", "/changes", {"json": {}}, "unauthorized"),
    ("post", "/changes", {"json": {"author": "a"}, "headers": auth()}, "invalid-changeset"),
    (
        "post",
        "/changes",
        {"content": b"x" * 300_000, "headers": {**auth(), "Content-Type": "application/json"}},
        "payload-too-large",
    ),
    ("get", "/changes/nope", {}, "change-not-found"),
    ("post", "/changes/nope/revert", {"json": {}, "headers": auth()}, "invalid-parameter"),
    ("post", "/admin/backup", {"json": {}}, "unauthorized"),
    ("post", "/admin/backup", {"json": {"store": "/elsewhere/store"}, "headers": auth()}, "store-mismatch"),
    ("post", "/admin/backup", {"json": {"store": "a\u0000b"}, "headers": auth()}, "store-mismatch"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "code"), CASES, ids=[f"{c[0]} {c[1]} {c[3]}" for c in CASES])
def test_error_shape(client: TestClient, method: str, path: str, kwargs: dict, code: str) -> None:
    response = getattr(client, method)(path, **kwargs)
    body = response.json()
    assert set(body) == {"code", "message", "context"}
    assert body["code"] == code and response.status_code == DOCUMENTED[code]
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["context"], dict)
    assert response.status_code < 500


def test_every_code_has_a_4xx_or_5xx_status() -> None:
    assert all(400 <= status < 600 for status in STATUS.values())


def test_the_code_table_is_the_documented_one() -> None:
    """README's table and api/errors.py agree, code for code: a change to either without the other fails."""
    assert len(DOCUMENTED) >= 20
    assert DOCUMENTED == STATUS
