"""GET /queries and GET /queries/{name}: the named queries over HTTP, through the real app."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from kg.queries import QUERIES_DIR, named_queries, named_query
from kg.store import OxigraphStore, term_text

ERROR_KEYS = {"code", "message", "context"}


def test_the_list_names_every_named_query(client: TestClient) -> None:
    response = client.get("/queries")
    assert response.status_code == 200
    listed = {item["name"]: item for item in response.json()}
    assert set(listed) == {path.stem for path in QUERIES_DIR.glob("*.rq")}
    between = listed["chips-restricted-between"]
    assert between["question"] == named_query("chips-restricted-between").question
    assert between["parameters"] == [
        {"name": "from", "type": "date", "default": "2023-06-01"},
        {"name": "to", "type": "date", "default": "2023-12-01"},
    ]


def _store_rows(client: TestClient, name: str, params: dict[str, str]) -> list[dict[str, str]]:
    store: OxigraphStore = client.app.state.graph.store  # type: ignore[attr-defined]
    rows = store.select(named_query(name).bind(params))
    return [{var: term_text(term) for var, term in row.items()} for row in rows]


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("chips-licence-china-on-date", {"on": "2023-11-20"}),
        ("chips-above-tpp", {"tpp": "4800"}),
        ("nvidia-china-variants", {}),
    ],
)
def test_a_run_answers_the_rows_of_the_bound_query(client: TestClient, name: str, params: dict[str, str]) -> None:
    response = client.get(f"/queries/{name}", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = _store_rows(client, name, params)
    assert expected
    assert [item["values"] for item in body["items"]] == expected
    assert body["total"] == len(expected) and body["name"] == name


def test_csv_parses_back_to_the_same_rows(client: TestClient) -> None:
    params = {"on": "2023-11-20"}
    rows = client.get("/queries/chips-licence-china-on-date", params=params).json()["items"]
    response = client.get("/queries/chips-licence-china-on-date", params=params, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    parsed = list(csv.DictReader(io.StringIO(response.text)))
    assert [{k: v for k, v in row.items() if v} for row in parsed] == [row["values"] for row in rows]


def test_an_unknown_name_is_404_listing_the_known_ones(client: TestClient) -> None:
    response = client.get("/queries/no-such-query")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == ERROR_KEYS and body["code"] == "not-found"
    assert body["context"]["known"] == sorted(named_queries())


@pytest.mark.parametrize(
    "params",
    [{"from": "yesterday"}, {"tpp": "1"}, {"from": "2023-01-01 } ; DROP ALL"}, {"to": "2023-13-45"}],
)
def test_a_malformed_or_unknown_parameter_is_400(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/queries/chips-restricted-between", params=params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == ERROR_KEYS and body["code"] == "invalid-parameter"


def test_a_repeated_parameter_is_400(client: TestClient) -> None:
    response = client.get("/queries/chips-restricted-between?from=2023-01-01&from=2023-02-01")
    assert response.status_code == 400 and response.json()["code"] == "invalid-parameter"


def test_the_routes_are_in_the_openapi(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/queries" in schema["paths"] and "/queries/{name}" in schema["paths"]
    assert "NamedQueryResult" in schema["components"]["schemas"]
