"""The web tools (issue 12): the SPARQL editor, offline /docs, named query and change pages.

Every page is the real app's, on a real built store; each test fails if its feature breaks.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient

from api.web.render import STATIC
from kg.queries import named_queries
from tests.http.conftest import auth

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
CG = "https://w3id.org/chipgraph/ontology#"
TPUS = f"SELECT ?chip WHERE {{ ?chip a <{CG}TPU> }}"
EPOCH = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"


class Page(HTMLParser):
    """The references (src and href of every element), the ids, and the text of elements by id."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []  # (tag, URL)
        self.ids: dict[str, dict[str, str | None]] = {}
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href"):
            if values.get(name) is not None:
                self.refs.append((tag, str(values[name])))
        if values.get("id"):
            self.ids[str(values["id"])] = values | {"tag": tag}


def section(text: str, element_id: str) -> str:
    """The HTML of the element with ``element_id`` (up to its closing tag; no nesting of the same tag)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', text, re.S)
    assert match, f"no element with id {element_id}"
    return match.group(2)


def body_rows(fragment: str) -> list[str]:
    """The rows of the first table body in ``fragment``."""
    match = re.search(r"<tbody>(.*?)</tbody>", fragment, re.S)
    assert match, "no table body"
    return re.findall(r"<tr>(.*?)</tr>", match.group(1), re.S)


def assert_only_local_assets(client: TestClient, text: str) -> list[str]:
    """No src or href leaves the server; every /static asset the page loads answers 200. Returns them."""
    page = Page(text)
    assert page.refs
    outside = [url for _, url in page.refs if url.startswith(("http://", "https://", "//"))]
    assert outside == []
    assets = [url for tag, url in page.refs if tag in ("script", "link", "img")]
    assert assets and all(url.startswith("/static/") for url in assets), assets
    for url in assets:
        assert client.get(url).status_code == 200, url
    return assets


def html_of(response: httpx2.Response) -> str:
    """The HTML of a 200 page."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


# --- /sparql ---------------------------------------------------------------------------------


def test_sparql_editor_for_browsers(client: TestClient) -> None:
    text = html_of(client.get("/sparql", headers=BROWSER))
    page = Page(text)
    assert page.ids["run-query"]["tag"] == "button" and page.ids["results"]
    assert page.ids["sparql-form"]["action"] == "/sparql"
    assets = assert_only_local_assets(client, text)
    assert "/static/vendor/yasqe/yasqe.min.js" in assets and "/static/vendor/yasqe/yasqe.min.css" in assets
    assert "/static/sparql.js" in assets
    query = html.unescape(section(text, "query-text"))
    assert "PREFIX cg:" in query and f"<{CG}>" in query and "PREFIX chip:" in query
    for name, named in named_queries().items():  # every named query is offered, runnable as is
        example = page.ids[f"example-{name}"]
        assert example["data-query"] == named.bind({}) and example["href"].startswith("/sparql?query=")
    # the prefilled query runs and finds chips
    rows = client.post("/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert rows.status_code == 200 and len(rows.json()["results"]["bindings"]) > 5


def test_sparql_page_with_a_query_shows_its_rows(client: TestClient) -> None:
    text = html_of(client.get("/sparql", params={"query": TPUS}, headers=BROWSER))
    assert html.unescape(section(text, "query-text")) == TPUS
    results = section(text, "results")
    assert "<table" in results
    rows = body_rows(results)
    assert len(rows) == 9 and all('href="/id/chip/google-tpu-' in row for row in rows)
    broken = client.get("/sparql", params={"query": "SELEKT nothing"}, headers=BROWSER)
    assert broken.status_code == 400 and "invalid-query" in section(broken.text, "results")
    assert "SELEKT nothing" in broken.text  # the editor keeps the query to fix


def test_programs_get_what_they_got(client: TestClient) -> None:
    for accept in ("application/sparql-results+json", "*/*", None):
        headers = {"Accept": accept} if accept else {}
        response = client.get("/sparql", params={"query": TPUS}, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/sparql-results+json")
        assert len(response.json()["results"]["bindings"]) == 9
    description = client.get("/sparql")
    assert description.status_code == 200 and description.headers["content-type"].startswith("text/turtle")
    update = client.get("/sparql", params={"update": "CLEAR ALL"}, headers=BROWSER)
    assert update.status_code == 405 and update.headers["allow"] == "POST"  # updates only by POST


def test_own_scripts_reach_only_this_server() -> None:
    for name in ("sparql.js", "changes.js", "chipgraph.js"):
        script = (STATIC / name).read_text(encoding="utf-8")
        assert "http://" not in script and "https://" not in script, name


@pytest.mark.parametrize("library", ["yasqe", "swagger-ui"])
def test_vendored_libraries_carry_licence_and_version(library: str) -> None:
    folder = Path(STATIC) / "vendor" / library
    assert (folder / "LICENSE").stat().st_size > 500
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert re.search(r"version \d+\.\d+\.\d+", readme)
    assert not any(path.suffix == ".map" or path.name == "node_modules" for path in folder.iterdir())


# --- /docs -----------------------------------------------------------------------------------


def test_docs_work_offline(client: TestClient) -> None:
    text = html_of(client.get("/docs"))
    assets = assert_only_local_assets(client, text)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets
    assert "/static/vendor/swagger-ui/swagger-ui.css" in assets
    assert "'/openapi.json'" in text and '"validatorUrl": null' in text
    assert client.get("/openapi.json").status_code == 200
    assert "/docs" not in client.get("/openapi.json").json()["paths"]
    assert client.get("/redoc").status_code == 404


# --- /queries --------------------------------------------------------------------------------


def test_named_queries_page_lists_forms(client: TestClient) -> None:
    text = html_of(client.get("/queries", headers=BROWSER))
    assert_only_local_assets(client, text)
    for name, query in named_queries().items():
        block = section(text, f"query-{name}")
        assert f'action="/queries/{name}"' in block
        for parameter in query.params:
            assert f'name="{parameter}"' in block
    assert isinstance(client.get("/queries").json(), list)  # programs still get JSON


def test_named_query_page_shows_rows(client: TestClient) -> None:
    params = {"tpp": "20000"}
    expected = client.get("/queries/chips-above-tpp", params=params).json()
    assert expected["total"] > 0
    text = html_of(client.get("/queries/chips-above-tpp", params=params, headers=BROWSER))
    assert 'value="20000"' in text  # the form keeps the parameter
    rows = body_rows(section(text, "results"))
    assert len(rows) == expected["total"]
    first = expected["items"][0]["values"]
    assert f'href="/id/{first["chip"].rsplit("/id/", 1)[1]}"' in rows[0] and first["chipLabel"] in rows[0]
    bad = client.get("/queries/chips-above-tpp", params={"tpp": "lots"}, headers=BROWSER)
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/html")


# --- /changes --------------------------------------------------------------------------------


def envelope(designer: str, slug: str) -> dict[str, object]:
    data = f"""@prefix cg: <{CG}> .
<https://w3id.org/chipgraph/id/chip/{slug}> a cg:GPU ; <http://www.w3.org/2000/01/rdf-schema#label> "Web chip" ;
    cg:designedBy <https://w3id.org/chipgraph/id/organization/{designer}> ."""
    return {
        "graph": EPOCH,
        "author": "web-test",
        "message": f"add {slug}",
        "add": {"format": "text/turtle", "data": data},
    }


def chip_exists(client: TestClient, slug: str) -> bool:
    ask = f"ASK {{ <https://w3id.org/chipgraph/id/chip/{slug}> ?p ?o }}"
    response = client.get("/sparql", params={"query": ask}, headers={"Accept": "application/sparql-results+json"})
    return bool(response.json()["boolean"])


def test_change_pages_after_a_merge(client: TestClient) -> None:
    older = client.get("/changes", params={"limit": 1}).json()["items"][0]["id"]
    merged = client.post("/changes", json=envelope("nvidia", "web-chip"), headers=auth())
    assert merged.status_code == 201
    (change_id,) = merged.json()["merged"]
    listing = html_of(client.get("/changes", headers=BROWSER))
    assert_only_local_assets(client, listing)
    rows = body_rows(section(listing, "changes"))
    assert f'href="/changes/{change_id}"' in rows[0] and "add web-chip" in rows[0]  # newest first
    assert f'href="/changes/{older}"' in rows[1]
    page = html_of(client.get(f"/changes/{change_id}", headers=BROWSER))
    added = body_rows(section(page, "added-triples"))
    assert len(added) == 3
    assert all('<a href="/id/chip/web-chip">chip:web-chip</a>' in row for row in added)
    assert any("cg:designedBy" in row and 'href="/id/organization/nvidia"' in row for row in added)
    assert any("Web chip" in row for row in added)
    assert "web-test" in page and "None." in section(page, "removed-triples")
    record = client.get(f"/changes/{change_id}").json()  # programs still get the record
    assert record["added"] == 3 and "chip/web-chip" in record["added_triples"]


def test_changeset_form_and_dry_run(client: TestClient) -> None:
    text = html_of(client.get("/changes/new", headers=BROWSER))
    page = Page(text)
    assert page.ids["validate-form"]["tag"] == "form" and page.ids["report"]
    assert page.ids["token"]["type"] == "password"
    assert "/static/changes.js" in assert_only_local_assets(client, text)
    example = json.loads(html.unescape(section(text, "changeset")))
    before = client.get("/changes", params={"limit": 1}).json()["total"]
    good = client.post("/changes", params={"dry_run": "true"}, json=example, headers=auth())
    assert good.status_code == 200 and good.json()["conforms"] is True  # the form's example conforms
    bad = client.post("/changes", params={"dry_run": "true"}, json=envelope("tsmc", "web-bad"), headers=auth())
    assert bad.status_code == 422 and bad.json()["conforms"] is False
    assert bad.json()["results"][0]["path"].endswith("designedBy") and bad.json()["results"][0]["message"]
    no_token = client.post("/changes", params={"dry_run": "true"}, json=example)
    assert no_token.status_code == 401 and no_token.json()["code"] == "unauthorized"
    broken = client.post("/changes", params={"dry_run": "true"}, json={"graph": EPOCH}, headers=auth())
    assert broken.status_code == 400 and set(broken.json()) == {"code", "message", "context"}
    assert not chip_exists(client, "web-bad") and not chip_exists(client, "example-chip")
    assert client.get("/changes", params={"limit": 1}).json()["total"] == before  # nothing written
    assert client.get("/changes/new").json()["validate"] == "POST /changes?dry_run=true"
