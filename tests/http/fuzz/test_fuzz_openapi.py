"""Schemathesis against the app's own OpenAPI document (every route and method), in process; and
generated query strings, path segments and headers for every GET route.

Schemathesis gives each operation cases that fit its document (positive) and, where it takes
parameters or a body, cases that break it (negative); an operation that may write (POST) is tried
with the bearer token and without it (no header, or a wrong one). Each case goes through the real
app (TestClient, on a real built store) and is checked: never a 5xx, every 4xx in the one error
shape, and the store unchanged unless a write was accepted (201): a cheap fingerprint after
every call, the whole N-Quads dump once at the end. Whether the answers are the ones the document
promises (statuses, media types, schemas) is tests/http/test_openapi_contract.py's business.
Size and reproducibility: tests/http/fuzz/fuzzing.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from fastapi.testclient import TestClient
from httpx2 import Response
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error

from api import create_app
from kg.settings import Settings
from tests.http.conftest import TOKEN
from tests.http.fuzz.fuzzing import StoreWatch, answer_problem, fuzz_settings
from tests.http.fuzz.strategies import QUERY_VALUES, percent_encoded

BASE = "http://testserver"


DOCUMENT = create_app(Settings()).openapi()  # the app's lifespan (the store) is not started
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
# POST /sparql takes its query as the body too (application/sparql-query): plain text on the wire.
schemathesis.serializer.alias("application/sparql-query", "text/plain")
# Methods that may write; each such operation runs with the token and without it (no header or a wrong one).
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})


def _cases() -> Iterator[tuple[str, str, GenerationMode, bool]]:
    """(method, path, generation mode, with the token) for every operation of the document."""
    for path, operations in sorted(DOCUMENT["paths"].items()):
        for method, operation in sorted(operations.items()):
            # A negative case needs something to break: a body or a query parameter (any string fits a path).
            breakable = "requestBody" in operation or any(p["in"] != "path" for p in operation.get("parameters", []))
            modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE] if breakable else [GenerationMode.POSITIVE]
            for mode in modes:
                for token in (True, False) if method in WRITE_METHODS else (False,):
                    yield method, path, mode, token


CASES = list(_cases())


def _case_id(case: tuple[str, str, GenerationMode, bool]) -> str:
    method, path, mode, token = case
    auth = (" token" if token else " no-token") if method in WRITE_METHODS else ""
    return f"{method.upper()} {path} {mode.value}{auth}"


def in_the_error_shape(ctx: Any, response: schemathesis.Response, case: Case) -> None:
    """A schemathesis check: a 4xx is in the one error shape (a refused dry run: its report)."""
    report_allowed = (case.method.lower(), case.path) == ("post", "/changes")
    problem = answer_problem(response.status_code, response.content, report_allowed=report_allowed)
    assert problem is None, problem


def send(client: TestClient, case: Case, authorization: bytes | None) -> Response:
    """Send ``case`` through the app, encoded as schemathesis encodes it (with requests)."""
    kwargs = case.as_transport_kwargs(base_url=BASE)
    fields = ("method", "url", "headers", "params", "json", "data", "files", "cookies")
    prepared = requests.Request(**{name: kwargs[name] for name in fields if name in kwargs}).prepare()
    headers: dict[str, str | bytes] = {
        name: value for name, value in prepared.headers.items() if name.lower() not in ("content-length", "connection")
    }
    if authorization is not None:
        headers["Authorization"] = authorization
    return client.request(str(prepared.method), str(prepared.url), content=prepared.body, headers=headers)


# No header, or a wrong one (a header value requests can re-encode: schemathesis reads the answer with it).
VISIBLE = st.characters(min_codepoint=33, max_codepoint=126)
WRONG_TOKENS = st.one_of(
    st.none(),
    st.text(VISIBLE, min_size=1, max_size=40).map(str.encode),
    st.text(VISIBLE, max_size=40).map(lambda s: f"Bearer {s}".encode()),
    st.just(f"bearer  {TOKEN}".encode()),
    st.just(f"Bearer {TOKEN}x".encode()),
)


@pytest.mark.parametrize(("method", "path", "mode", "token"), CASES, ids=[_case_id(c) for c in CASES])
@fuzz_settings(25)
@given(data=st.data())
def test_every_operation(
    client: TestClient,
    watch: StoreWatch,
    method: str,
    path: str,
    mode: GenerationMode,
    token: bool,
    data: st.DataObject,
) -> None:
    """No 5xx, a 4xx in the error shape, and nothing written unless a write with the token answered 201."""
    case = data.draw(SCHEMA[path][method.upper()].as_strategy(generation_mode=mode), label="case")
    write = method in WRITE_METHODS
    authorization = None
    if write:
        authorization = f"Bearer {TOKEN}".encode() if token else data.draw(WRONG_TOKENS, label="authorization")
    response = send(client, case, authorization)
    case.validate_response(response, checks=[not_a_server_error, in_the_error_shape])
    watch.after(f"{method.upper()} {response.request.url}", response.status_code, token and write)


GET_ROUTES = [(path, ops["get"].get("parameters", [])) for path, ops in DOCUMENT["paths"].items() if "get" in ops]
ACCEPT = [None, "*/*", "application/json", "text/turtle", "text/csv;q=0", "nonsense", "application/*;q=x", ",;,"]


@st.composite
def get_requests(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """A GET of any route: generated path segments, a query string of declared and other names (repeated
    too) with generated values (not UTF-8 too), and odd Accept and If-None-Match headers.
    """
    path, params = draw(st.sampled_from(GET_ROUTES))
    for param in params:
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", percent_encoded(draw(QUERY_VALUES)) or "%20")
    declared = [param["name"].encode() for param in params if param["in"] == "query"]
    names = st.one_of(st.sampled_from(declared), QUERY_VALUES) if declared else QUERY_VALUES
    pairs = draw(st.lists(st.tuples(names, QUERY_VALUES), max_size=6))
    query = "&".join(f"{percent_encoded(name)}={percent_encoded(value)}" for name, value in pairs)
    headers = {"Accept": draw(st.sampled_from(ACCEPT)), "If-None-Match": draw(st.one_of(st.none(), st.text(VISIBLE)))}
    return f"{path}?{query}", {name: value for name, value in headers.items() if value is not None}


@fuzz_settings(300)
@given(request=get_requests())
def test_generated_query_strings(client: TestClient, watch: StoreWatch, request: tuple[str, dict[str, str]]) -> None:
    """Every GET route with generated path segments, query strings and headers: no 5xx, 4xx in the shape."""
    url, headers = request
    response = client.get(url, headers=headers)
    problem = answer_problem(response.status_code, response.content)
    assert problem is None, f"GET {url}: {problem}"
    watch.after(f"GET {url}", response.status_code, may_write=False)


def test_the_store_holds_only_the_accepted_writes(watch: StoreWatch) -> None:
    """After all the cases above: the whole store as it was after the last accepted write (or before all)."""
    assert watch.store.dump_nquads() == watch.before
