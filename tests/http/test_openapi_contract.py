"""The OpenAPI document is a contract (api/openapi.py), held to it by Schemathesis over real HTTP.

A real `chipgraph serve` runs on a private copy of the built store, with a write token. Schemathesis
loads the document the server serves and, for every operation, sends cases that fit it (positive)
and, where there is something to break, cases that do not (negative); a write operation is sent
with the token and without it. Every answer is checked: no 5xx, its status documented, its
Content-Type documented for that status, its body valid against the documented schema (errors:
the Error schema, the code one of that status's codes) and its documented headers present.
The plain tests below pin what the document must say, and check against the server that the
statuses derived from the code (304, 406, 413, 401) are the ones it answers.

Size and reproducibility as the fuzz tests (tests/http/fuzz/fuzzing.py): a fixed number of
cases per operation, the same on every run; CHIPGRAPH_FUZZ_EXAMPLES and CHIPGRAPH_FUZZ_RANDOM=1
run more, and new ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from fastapi import APIRouter
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import create_app
from api.errors import STATUS
from kg.settings import Settings
from kg.store import OxigraphStore
from tests.http.conftest import TOKEN
from tests.http.fuzz.fuzzing import fuzz_settings
from tests.http.live_server import serving

# The document as the app builds it, to name the tests at collection (the server's is checked equal).
DOCUMENT = create_app(Settings()).openapi()
WRITES = frozenset({"post", "put", "patch", "delete"})
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
ERROR = "#/components/schemas/Error"
# A real value of each path parameter, so that a route answers 200 (or a well-known error).
PATH_VALUES = {
    "chip_id": "nvidia-h20",
    "company_id": "nvidia",
    "act_id": "us-2022-10-07-advanced-computing",
    "code": "TW",
    "kind": "chip",
    "slug": "nvidia-h20",
    "name": "huawei-foundries",
    "change_id": "no-such-change",
}
QUERY_VALUES = {"/search": {"q": "nvidia"}, "/export-status": {"destination": "CN"}}
QUERY_VALUES["/chips/{chip_id}/export-status"] = {"destination": "CN"}
QUERY_VALUES["/sparql"] = {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"}
QUERY_VALUES["/export-status/check"] = {"chip": "nvidia-h20", "destination": "CN"}
QUERY_VALUES["/rdf-graphs"] = {"default": ""}

# POST /sparql takes its query as the body too (application/sparql-query): plain text on the wire.
schemathesis.serializer.alias("application/sparql-query", "text/plain")


def _cases() -> Iterator[tuple[str, str, GenerationMode, bool]]:
    for path, operations in sorted(DOCUMENT["paths"].items()):
        for method, operation in sorted(operations.items()):
            breakable = "requestBody" in operation or any(p["in"] != "path" for p in operation.get("parameters", []))
            modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE] if breakable else [GenerationMode.POSITIVE]
            for mode in modes:
                for token in (True, False) if operation.get("security") else (False,):
                    yield path, method, mode, token


SECURED = frozenset(
    (path, method) for path, ops in DOCUMENT["paths"].items() for method, op in ops.items() if op.get("security")
)
CASES = list(_cases())


def _case_id(case: tuple[str, str, GenerationMode, bool]) -> str:
    path, method, mode, token = case
    auth = (" token" if token else " no-token") if (path, method) in SECURED else ""
    return f"{method.upper()} {path} {mode.value}{auth}"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, store_dir: Path) -> Iterator[str]:
    """The base URL of a real server on a private, writable copy of the built store, with a write token."""
    folder = tmp_path_factory.mktemp("contract")
    source = OxigraphStore.open(store_dir)
    source.backup(folder / "store")
    source.close()
    with serving(
        folder / "store",
        folder / "server.log",
        write_token=TOKEN,
        query_timeout="5",
        query_workers="2",
        queries_per_client="4",
        max_body_bytes="200000",
        max_result_rows="1000",
    ) as base:
        yield base


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="module")
def served(live: str, http: requests.Session) -> dict[str, Any]:
    """The document the server serves."""
    response = http.get(f"{live}/openapi.json", timeout=30)
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture(scope="module")
def schema(served: dict[str, Any]) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_dict(served)


def test_the_server_serves_the_document_the_tests_are_named_from(served: dict[str, Any]) -> None:
    assert served == DOCUMENT


@pytest.mark.parametrize(("path", "method", "mode", "token"), CASES, ids=[_case_id(c) for c in CASES])
@fuzz_settings(15)
@given(data=st.data())
def test_every_operation_keeps_the_contract(
    schema: schemathesis.BaseSchema,
    live: str,
    http: requests.Session,
    path: str,
    method: str,
    mode: GenerationMode,
    token: bool,
    data: st.DataObject,
) -> None:
    """No 5xx; status, Content-Type, body and headers as documented; a write without the token is refused."""
    case = data.draw(schema[path][method.upper()].as_strategy(generation_mode=mode), label="case")
    headers = {"Authorization": f"Bearer {TOKEN}"} if token else {}
    response = case.call(base_url=live, session=http, headers=headers, timeout=30, allow_redirects=False)
    case.validate_response(response, checks=CHECKS)
    if (path, method) in SECURED and not token:
        assert response.status_code in (401, 413), f"a write without the token answered {response.status_code}"


# -- what the document says ---------------------------------------------------------------------


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def _refers_to_error(schema: dict[str, Any]) -> bool:
    """Whether ``schema`` is the Error schema, or all of it (allOf) or any of it (anyOf) is."""
    if schema.get("$ref") == ERROR:
        return True
    return any(_refers_to_error(part) for part in schema.get("allOf", []) + schema.get("anyOf", []))


def test_no_fastapi_validation_error_is_documented(served: dict[str, Any]) -> None:
    """The app answers 400 in its own shape, never FastAPI's 422."""
    text = str(served)
    assert "HTTPValidationError" not in text
    assert "ValidationError'" not in text
    leftovers = [f"{m} {p}" for p, m, op in _operations(served) if "422" in op["responses"]]
    graph_store = [f"{m} {p}" for p in ("/rdf-graphs", "/rdf-graphs/{slug}") for m in ("delete", "post", "put")]
    expected = ["post /changes", "post /changes/{change_id}/revert", "post /sparql", *graph_store]
    assert sorted(leftovers) == sorted(expected)  # refusals


def test_every_error_response_is_the_error_schema_with_its_codes(served: dict[str, Any]) -> None:
    """Every 4xx and 5xx response of every operation is JSON of the Error schema (the code narrowed to its status)."""
    error = served["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message", "context"}
    assert set(error["properties"]["code"]["enum"]) == set(STATUS)
    checked = 0
    for path, method, operation in _operations(served):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            schema = response["content"]["application/json"]["schema"]
            assert _refers_to_error(schema), f"{method} {path} {status}"
            for part in schema.get("allOf", []):
                if "properties" in part:
                    codes = part["properties"]["code"]["enum"]
                    assert codes and all(STATUS[code] == int(status) for code in codes), f"{method} {path} {status}"
            checked += 1
    assert checked > 60


def test_the_statuses_the_machinery_answers_are_documented(served: dict[str, Any]) -> None:
    """Writes: 401 and 403; bodies: 413; the query routes: 429 and 503; ids in the path: 404."""
    for path, method, operation in _operations(served):
        statuses = set(operation["responses"])
        where = f"{method} {path}"
        if operation.get("security"):
            assert {"401", "403"} <= statuses, where
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"], where
        if method in WRITES:
            assert "413" in statuses, where
        if path in ("/sparql", "/queries/{name}"):
            assert {"429", "503"} <= statuses, where
            assert "Retry-After" in operation["responses"]["429"]["headers"], where
        if "{" in path:
            assert "404" in statuses, where
        if operation.get("parameters") or "requestBody" in operation:
            assert "400" in statuses, where


def test_sparql_documents_its_parameters_bodies_and_results(served: dict[str, Any]) -> None:
    get, post = served["paths"]["/sparql"]["get"], served["paths"]["/sparql"]["post"]
    assert {p["name"] for p in get["parameters"]} == {"query", "default-graph-uri", "named-graph-uri"}
    assert {p["name"] for p in post["parameters"]} == {"default-graph-uri", "named-graph-uri"}
    bodies = post["requestBody"]["content"]
    assert set(bodies) == {"application/x-www-form-urlencoded", "application/sparql-query", "application/sparql-update"}
    form = bodies["application/x-www-form-urlencoded"]["schema"]
    assert form["anyOf"] == [{"required": ["query"]}, {"required": ["update"]}]
    for operation in (get, post):
        results = operation["responses"]["200"]["content"]
        assert {"application/sparql-results+json", "text/csv", "text/turtle", "application/n-triples"} <= set(results)
        assert {"400", "406"} <= set(operation["responses"])
    assert "application/json" not in get["responses"]["200"]["content"]  # an alias in Accept, never a Content-Type
    update_answer = {"$ref": "#/components/schemas/MergeAnswer"}
    assert post["responses"]["200"]["content"]["application/json"]["schema"] == update_answer  # nothing changed
    assert post["responses"]["201"]["content"]["application/json"]["schema"] == update_answer
    assert {"401", "403", "415", "422"} <= set(post["responses"])


def test_writes_document_their_bodies_answers_and_the_bearer_scheme(served: dict[str, Any]) -> None:
    scheme = served["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    secured = sorted(f"{m} {p}" for p, m, op in _operations(served) if op.get("security") == [{"bearer": []}])
    graph_store = [f"{m} {p}" for p in ("/rdf-graphs", "/rdf-graphs/{slug}") for m in ("delete", "post", "put")]
    assert secured == sorted(["post /admin/backup", "post /changes", "post /changes/{change_id}/revert", *graph_store])
    change = served["paths"]["/changes"]["post"]
    assert change["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Envelope"}
    assert {"author", "message"} <= set(served["components"]["schemas"]["Envelope"]["required"])
    created = change["responses"]["201"]
    assert created["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/MergeAnswer"}
    assert "Location" in created["headers"]
    assert {"200", "201", "400", "401", "403", "413", "415", "422"} == set(change["responses"])
    revert = served["paths"]["/changes/{change_id}/revert"]["post"]
    assert revert["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RevertRequest"
    }
    assert "201" in revert["responses"]
    assert "201" in served["paths"]["/admin/backup"]["post"]["responses"]


def test_a_new_route_gets_its_error_responses_without_an_edit() -> None:
    """The rules apply to routes api/openapi.py has never heard of."""
    app = create_app(Settings())
    router = APIRouter()

    @router.get("/widgets/{widget_id}", responses={200: {"content": {"text/html": {}}}})
    async def widget(widget_id: str) -> dict[str, str]:
        return {"id": widget_id}

    app.include_router(router)
    responses = app.openapi()["paths"]["/widgets/{widget_id}"]["get"]["responses"]
    assert {"200", "304", "400", "404", "406"} == set(responses)
    assert all(_refers_to_error(responses[s]["content"]["application/json"]["schema"]) for s in ("400", "404", "406"))


# -- what the server does, status by status -------------------------------------------------------


def _url(live: str, path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace("{" + name + "}", value)
    return live + path


def _gets(document: dict[str, Any]) -> list[str]:
    return sorted(path for path, operations in document["paths"].items() if "get" in operations)


@pytest.mark.parametrize("path", _gets(DOCUMENT))
def test_304_is_documented_where_the_server_answers_it(live: str, http: requests.Session, path: str) -> None:
    """A GET documents 304 exactly when it answers with an ETag, and a conditional GET then answers 304."""
    documented = "304" in DOCUMENT["paths"][path]["get"]["responses"]
    params = QUERY_VALUES.get(path, {})
    first = http.get(_url(live, path), params=params, timeout=30, allow_redirects=False)
    assert first.status_code in (200, 303, 404), first.text
    assert ("ETag" in first.headers) == documented
    if documented and first.status_code == 200:
        again = http.get(_url(live, path), params=params, headers={"If-None-Match": first.headers["ETag"]}, timeout=30)
        assert again.status_code == 304


@pytest.mark.parametrize("path", _gets(DOCUMENT))
def test_406_is_documented_where_the_server_answers_it(live: str, http: requests.Session, path: str) -> None:
    """Accept: image/png is refused (406, the Error shape) exactly where the document says so."""
    documented = "406" in DOCUMENT["paths"][path]["get"]["responses"]
    params = QUERY_VALUES.get(path, {})
    response = http.get(
        _url(live, path), params=params, headers={"Accept": "image/png"}, timeout=30, allow_redirects=False
    )
    if path == "/changes/{change_id}":
        assert response.status_code == 404
        return
    assert (response.status_code == 406) == documented, f"{response.status_code} {response.text[:200]}"
    if documented:
        assert response.json()["code"] == "not-acceptable"


BODY_OPERATIONS = sorted(
    (path, method) for path, operations in DOCUMENT["paths"].items() for method in operations if method in WRITES
)


@pytest.mark.parametrize(("path", "method"), BODY_OPERATIONS)
def test_413_on_every_operation_with_a_body(live: str, http: requests.Session, path: str, method: str) -> None:
    response = http.request(
        method, _url(live, path), data=b"x" * 200_001, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 413
    assert "413" in DOCUMENT["paths"][path][method]["responses"]
    assert response.json()["code"] == "payload-too-large"


@pytest.mark.parametrize(("path", "method"), sorted(SECURED))
def test_a_write_without_the_token_is_401_whatever_its_body(
    live: str, http: requests.Session, path: str, method: str
) -> None:
    """Refused before its body is read: no header, a wrong token, a malformed body alike."""
    for headers, body in (
        ({}, b"{}"),
        ({"Authorization": "Bearer wrong"}, b"{}"),
        ({}, b"{not json"),
        ({}, b"\xff"),
    ):
        response = http.request(
            method, _url(live, path), data=body, headers={"Content-Type": "application/json", **headers}, timeout=30
        )
        assert response.status_code == 401, (headers, body, response.text)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["code"] == "unauthorized"


def _envelope(designer: str, slug: str) -> dict[str, object]:
    data = f"""@prefix cg: <https://w3id.org/chipgraph/ontology#> .
<https://w3id.org/chipgraph/id/chip/{slug}> a cg:GPU ; <http://www.w3.org/2000/01/rdf-schema#label> "Contract chip" ;
    cg:designedBy <https://w3id.org/chipgraph/id/organization/{designer}> ."""
    add = {"format": "text/turtle", "data": data}
    return {"graph": EPOCH, "author": "contract-test", "message": "add a chip", "add": add}


EPOCH = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"


def test_the_writes_that_succeed_or_are_refused_keep_the_contract(
    schema: schemathesis.BaseSchema, live: str, http: requests.Session
) -> None:
    """With the token: dry runs (200, 422 report), a merge (201 + Location), a refusal (422), a revert
    (201), a backup (201) and a store mismatch (409), each checked against the document.
    """
    token = {"Authorization": f"Bearer {TOKEN}"}

    def call(path: str, method: str, status: int, **kwargs: Any) -> Any:
        case = schema[path][method].Case(headers=token if method == "POST" else {}, **kwargs)
        response = case.call(base_url=live, session=http, timeout=60)
        case.validate_response(response, checks=CHECKS)
        assert response.status_code == status, response.text
        return response

    dry = {"dry_run": "true"}
    assert call("/changes", "POST", 200, query=dry, body=_envelope("nvidia", "contract-dry")).json()["conforms"]
    refused_dry = call("/changes", "POST", 422, query=dry, body=_envelope("tsmc", "contract-dry")).json()
    assert set(refused_dry) == {"conforms", "results"}
    assert call("/changes", "POST", 422, body=_envelope("tsmc", "contract-bad")).json()["code"] == "changeset-refused"
    merged = call("/changes", "POST", 201, body=_envelope("nvidia", "contract-chip"))
    change_id = merged.json()["merged"][-1]
    assert merged.headers["location"] == [f"/changes/{change_id}"]  # schemathesis: lowercase names, lists
    assert call("/changes/{change_id}", "GET", 200, path_parameters={"change_id": change_id}).json()["added"] > 0
    reverted = call(
        "/changes/{change_id}/revert", "POST", 201, path_parameters={"change_id": change_id}, body={"author": "x"}
    )
    assert reverted.json()["merged"]
    assert call("/admin/backup", "POST", 409, body={"store": "/elsewhere/store"}).json()["code"] == "store-mismatch"
    assert call("/admin/backup", "POST", 201, body={}).json()["quads"] > 0


UNKNOWN_BY_QUERY = [
    ("/export-status", {"destination": "CN", "buyer": "no-such-buyer"}),
    ("/export-status/check", {"chip": "no-such-chip"}),
]


@pytest.mark.parametrize(("path", "params"), UNKNOWN_BY_QUERY, ids=[p for p, _ in UNKNOWN_BY_QUERY])
def test_an_unknown_id_in_the_query_is_a_documented_404(
    live: str, http: requests.Session, path: str, params: dict[str, str]
) -> None:
    response = http.get(live + path, params=params, timeout=30, allow_redirects=False)
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "entity-not-found"
    assert "404" in DOCUMENT["paths"][path]["get"]["responses"]
