"""Hostile input: generated values in every query and path parameter of every GET route (walked
from the OpenAPI document, so a new route is covered at once) and in every field of the
/changes envelope. Never a 5xx; a 4xx in the one error shape; a refused write writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from api import create_app
from api.errors import STATUS
from kg.settings import Settings
from kg.store import OxigraphStore
from tests.http.conftest import auth

EPOCH = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"
TEXT = [
    ">",
    "}",
    '"',
    "'",
    '"""',
    "\n",
    "\r\n",
    "#",
    "\u2028",
    "\u2029",
    "\x00",
    "\t",
    " ",
    "",
    '<>"{}|^`\\',
    "x> ; DROP ALL ; <y",
    '" } ; DROP ALL ; INSERT DATA { <a> <b> "',
    "../../etc/passwd",
    "é\u0301\ufeff",
    "a" * 10_000,
]
NUMBERS = ["inf", "-inf", "nan", "1e309", "-1e309", "9" * 5000, "-" + "9" * 5000, "-1", "0", "1e-400", "0x10", "1_0"]
NUMBERS += [str(2**63), str(2**64 + 1), "99999999999999999999"]
HOSTILE = TEXT + NUMBERS
# Parameters a route reads itself (not declared to FastAPI, so not in the OpenAPI document).
UNDECLARED = {"/sparql": ["default-graph-uri", "named-graph-uri"]}
# A harmless value for each required parameter while another one is hostile.
BENIGN = {"destination": "CN", "q": "nvidia", "query": "ASK { ?s ?p ?o }", "kind": "chip"}
DEPTH = 100_000


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    """The shared test settings, with room in a body for documents nested 100 000 levels deep."""
    return settings.model_copy(update={"max_body_bytes": 4_000_000})


def _store(client: TestClient) -> OxigraphStore:
    """The app's store (the real one the handlers write to)."""
    store: OxigraphStore = client.app.state.graph.store  # type: ignore[attr-defined]
    return store


def _operations() -> list[tuple[str, list[dict[str, Any]]]]:
    """Every GET route of the app and its parameters (the undeclared ones too)."""
    document = create_app(Settings()).openapi()
    found = []
    for path, operations in sorted(document["paths"].items()):
        if "get" in operations:
            declared = list(operations["get"].get("parameters", []))
            declared += [{"name": name, "in": "query", "required": False} for name in UNDECLARED.get(path, [])]
            found.append((path, declared))
    return found


def check_answer(response: Response, what: str) -> list[str]:
    """The problems with an answer: a 5xx, or a 4xx not in the one error shape."""
    if response.status_code >= 500:
        return [f"{what}: {response.status_code} {response.text[:200]}"]
    if response.status_code < 400:
        return []
    body = response.json()
    if response.status_code == 422 and body.get("conforms") is False and "dry_run=true" in str(response.url):
        return []  # a dry run's validation report, its documented answer
    if set(body) != {"code", "message", "context"} or STATUS.get(body["code"]) != response.status_code:
        return [f"{what}: {response.status_code} not in the error shape: {response.text[:200]}"]
    return []


def _url(path: str, params: list[dict[str, Any]], name: str, value: str) -> str:
    """The URL of ``path`` with ``value`` in parameter ``name`` and benign values in the required others."""
    query = []
    for param in params:
        given = value if param["name"] == name else BENIGN.get(param["name"], "x")
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", quote(given, safe="") or "%20")
        elif param["name"] == name or param.get("required"):
            query.append(f"{quote(param['name'])}={quote(given, safe='')}")
    if path == "/sparql":
        query.append("query=" + quote(BENIGN["query"]))
    return path + ("?" + "&".join(query) if query else "")


@pytest.mark.parametrize(("path", "params"), _operations(), ids=[path for path, _ in _operations()])
def test_hostile_values_in_every_get_parameter(client: TestClient, path: str, params: list[dict[str, Any]]) -> None:
    """Each hostile value in each parameter, the others benign: no 5xx, 4xx in the error shape."""
    problems = []
    for param in params:
        for value in HOSTILE:
            url = _url(path, params, param["name"], value)
            problems += check_answer(client.get(url), f"GET {url[:120]!r}")
        for raw in ("%FF", "%ED%A0%80", "%C0%80"):  # not UTF-8: a lone byte, a surrogate, an overlong NUL
            url = _url(path, params, param["name"], "RAW").replace("RAW", raw)
            problems += check_answer(client.get(url), f"GET {url[:120]!r}")
    assert not problems, "\n".join(problems)


def test_every_numeric_query_parameter_is_bounded() -> None:
    """Every integer or number parameter of every route declares a minimum and a maximum."""
    unbounded = []
    for path, operations in create_app(Settings()).openapi()["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                schemas = param["schema"].get("anyOf", [param["schema"]])
                for schema in schemas:
                    if schema.get("type") in ("integer", "number") and not {"minimum", "maximum"} <= set(schema):
                        unbounded.append(f"{method.upper()} {path} {param['name']}")
    assert not unbounded


def envelope(designer: str = "nvidia", slug: str = "hostile-chip") -> dict[str, Any]:
    """A changeset envelope adding one chip; with designer tsmc (a foundry) the shapes refuse it."""
    data = f"""@prefix cg: <https://w3id.org/chipgraph/ontology#> .
<https://w3id.org/chipgraph/id/chip/{slug}> a cg:GPU ; <http://www.w3.org/2000/01/rdf-schema#label> "Hostile" ;
    cg:designedBy <https://w3id.org/chipgraph/id/organization/{designer}> ."""
    return {
        "graph": EPOCH,
        "author": "hostile-test",
        "message": "hostile input",
        "add": {"format": "turtle", "data": data},
    }


def _deep_documents() -> dict[str, tuple[str, str]]:
    """RDF documents nested DEPTH levels (or chained as long), by name: (format, text)."""
    n = DEPTH
    prefix = "@prefix : <http://a/> .\n"
    return {
        "triple terms (Turtle)": ("turtle", prefix + ":s :p " + "<<( :s :p " * n + ":o" + " )>>" * n + " ."),
        "triple terms (N-Triples)": (
            "n-triples",
            "<http://a/s> <http://a/p> " + "<<( <a:s> <a:p> " * n + "<a:o>" + " )>>" * n + " .",
        ),
        "triple terms (TriG)": ("trig", prefix + ":g { :s :p " + "<<( :s :p " * n + ":o" + " )>>" * n + " . }"),
        "triple terms (N-Quads)": (
            "n-quads",
            "<a:s> <a:p> " + "<<( <a:s> <a:p> " * n + "<a:o>" + " )>>" * n + " <a:g> .",
        ),
        "blank nodes": ("turtle", prefix + ":s :p " + "[ :p " * n + ":o" + " ]" * n + " ."),
        "collections": ("turtle", prefix + ":s :p " + "( " * n + ")" * n + " ."),
        "JSON-LD objects": (
            "json-ld",
            '{"@context": {"@vocab": "http://a/"}, "p": ' + '{"p": ' * 20_000 + "1" + "}" * 20_001,
        ),
        "JSON-LD arrays": ("json-ld", '{"http://a/p": ' + "[" * n + "]" * n + "}"),
        "JSON-LD unclosed": ("application/ld+json", "[" * n),
        "JSON-LD term chain": ("json-ld", json.dumps({"@context": _chain(20_000), "@id": "http://a/s", "t0:p": 1})),
    }


def _chain(length: int) -> dict[str, str]:
    """JSON-LD term definitions each defined by the next: t0 -> t1: -> ... -> http://a/."""
    terms = {f"t{i}": f"t{i + 1}:" for i in range(length)}
    terms[f"t{length}"] = "http://a/"
    return terms


def _field_cases() -> Iterator[tuple[str, Any]]:
    """(field, hostile value) for every field of the envelope, and deep documents in the data."""
    for name in ("graph", "source", "author", "message", "add.format", "add.data", "remove.format", "remove.data"):
        for value in [*HOSTILE, "\ud800"]:
            yield name, value
    for format_name, text in _deep_documents().values():
        yield "add", {"format": format_name, "data": text}  # remove.data takes the same path


def _with(document: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
    """A copy of ``document`` with the dotted field ``name`` set to ``value``."""
    copy = json.loads(json.dumps(document))
    head, _, tail = name.partition(".")
    if tail:
        copy.setdefault(head, {"format": "turtle", "data": ""})[tail] = value
    else:
        copy[head] = value
    return copy


def _post(client: TestClient, body: bytes, *, dry_run: bool, path: str = "/changes") -> Response:
    """POST a raw JSON body with the write token."""
    headers = {**auth(), "Content-Type": "application/json"}
    return client.post(path, content=body, params={"dry_run": str(dry_run).lower()}, headers=headers)


def _raw_bodies() -> Iterator[tuple[str, bytes]]:
    """Whole bodies no JSON encoder writes: deep nesting, numbers out of range, not UTF-8."""
    valid = json.dumps(envelope()).encode()
    yield "deep arrays", b"[" * DEPTH + b"]" * DEPTH
    yield "deep objects", b'{"a":' * DEPTH + b"1" + b"}" * DEPTH
    yield "deep, unclosed", b"[" * DEPTH
    yield "deep in a field", valid[:-1] + b', "extra": ' + b"[" * DEPTH + b"]" * DEPTH + b"}"
    yield "deep inside a string", valid[:-1] + b', "extra": "' + b"[" * DEPTH + b'"}'
    for token in (b"Infinity", b"NaN", b"1e309", b"9" * 5000, b"[]", b"{}", b"null", b"true"):
        yield f"author {token[:8]!r}", valid.replace(b'"hostile-test"', token)
    yield "not UTF-8", valid.replace(b"hostile-test", b"\xff\xfe")
    yield "UTF-16", json.dumps(envelope()).encode("utf-16")
    yield "lone surrogate", valid.replace(b"hostile-test", b"\\ud800")
    yield "not an object", b"[1, 2]"


def _envelope_bodies() -> Iterator[tuple[str, bool, bytes]]:
    """(what, dry run, body): each hostile field value as a dry run of a changeset that conforms
    and as a write of one the shapes refuse (its chip's designer is a foundry); then raw bodies.
    """
    bases = {True: envelope("nvidia"), False: envelope("tsmc")}
    for name, value in _field_cases():
        for dry_run, base in bases.items():
            yield f"{name}={value!r:.40}", dry_run, json.dumps(_with(base, name, value)).encode()
    for what, body in _raw_bodies():
        yield what, True, body
        yield what, False, body


def test_hostile_envelopes_are_refused_and_write_nothing(client: TestClient) -> None:
    """Every field of the envelope, each hostile value, as a dry run and as a write the shapes refuse.

    A write travels as far as a real write goes before the refusal, so nothing may be written,
    whether the refusal is 400 or 422. The store is compared in full around the whole run (all
    of it refusals and dry runs), and by its size after each request.
    """
    store = _store(client)
    before, size = store.dump_nquads(), store.quad_count()
    problems = []
    for what, dry_run, body in _envelope_bodies():
        response = _post(client, body, dry_run=dry_run)
        problems += check_answer(response, f"{what} (dry run: {dry_run})")
        if not dry_run and response.status_code < 400:
            problems.append(f"{what}: a write the shapes refuse was answered {response.status_code}")
        if store.quad_count() != size:
            problems.append(f"{what} (dry run: {dry_run}): the store changed")
            size = store.quad_count()
    assert not problems, "\n".join(problems)
    assert store.dump_nquads() == before


def test_hostile_revert_requests_write_nothing(client: TestClient) -> None:
    """Hostile change ids and bodies for a revert: no 5xx, 4xx in the error shape, nothing written."""
    store = _store(client)
    before = store.dump_nquads()
    problems = []
    for value in HOSTILE:
        path = f"/changes/{quote(value, safe='') or '%20'}/revert"
        problems += check_answer(client.post(path, json={"author": "x"}, headers=auth()), f"revert {value!r:.40}")
        for body in ({"author": value}, {"author": "x", "allow_warnings": value}):
            problems += check_answer(client.post("/changes/nope/revert", json=body, headers=auth()), f"{body!r:.60}")
    for what, body in _raw_bodies():
        problems += check_answer(_post(client, body, dry_run=False, path="/changes/nope/revert"), f"revert {what}")
    assert not problems, "\n".join(problems)
    assert store.dump_nquads() == before


def test_hostile_text_is_kept_exactly_in_a_merged_change(client: TestClient) -> None:
    """An author and a message made of every hostile character merge, and the history gives them back."""
    text = "".join(value for value in TEXT if len(value) < 100)
    document = {**envelope(slug="hostile-merged"), "author": f"author {text}", "message": f"message {text}"}
    merged = client.post("/changes", json=document, headers=auth())
    assert merged.status_code == 201, merged.text
    record = client.get(f"/changes/{merged.json()['merged'][0]}").json()
    assert (record["author"], record["message"]) == (document["author"], document["message"])
    assert "chip/hostile-merged" in record["added_triples"]


@pytest.mark.parametrize("value", ["12.x", "1e", "--3", "NaN", "INF", "1E3", " "])
def test_an_ill_formed_number_is_judged_not_crashed_on(client: TestClient, value: str) -> None:
    """An ill-formed typed value (pyshacl once recursed or raised on some): 422 with a report, nothing written."""
    store = _store(client)
    before = store.dump_nquads()
    turtle = f"""@prefix cg: <https://w3id.org/chipgraph/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/chipgraph/id/chip/ill-formed-chip> a cg:GPU ;
    <http://www.w3.org/2000/01/rdf-schema#label> "Ill-formed chip" ;
    cg:designedBy <https://w3id.org/chipgraph/id/organization/nvidia> ;
    cg:statedTPP "{value}"^^xsd:decimal ."""
    body = {
        "graph": "https://w3id.org/chipgraph/graph/epoch-ml-hardware",
        "author": "t",
        "message": "an ill-formed figure",
        "add": {"format": "text/turtle", "data": turtle},
    }
    for dry_run in ("true", "false"):
        refused = client.post("/changes", params={"dry_run": dry_run}, json=body, headers=auth())
        assert refused.status_code == 422, refused.text
        answer = refused.json()  # a dry run answers the report itself, a write our error with the report
        report = answer if dry_run == "true" else answer["context"]
        assert dry_run == "true" or answer["code"] == "changeset-refused"
        results = report["results"]
        assert any(r["focus_node"].endswith("/ill-formed-chip") and r["severity"] == "Violation" for r in results)
    assert store.dump_nquads() == before
