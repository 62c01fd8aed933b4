"""The web pages: HTML at the API's own URLs for browsers, the same data as the JSON, no other answer changed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from tests.http import test_http_changes
from tests.http.conftest import auth

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"}


class Links(HTMLParser):
    """Collects href/src attributes and the visible text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("href", "src") and value]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


def html(client: TestClient, url: str, status: int = 200) -> str:
    response = client.get(url, headers=BROWSER)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


@pytest.mark.parametrize("url", ["/", "/chips", "/chips/nvidia-h20", "/companies/huawei", "/search?q=h20", "/charts"])
def test_programs_still_get_json_and_browsers_get_html(client: TestClient, url: str) -> None:
    for accept in (None, "*/*", "application/json"):
        response = client.get(url, headers={"Accept": accept} if accept else {})
        assert response.headers["content-type"] == "application/json", (url, accept)
        response.json()
    page = client.get(url, headers=BROWSER)
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["vary"] == "Accept"
    json_tag = client.get(url).headers["etag"]
    assert page.headers["etag"] != json_tag  # a cache never hands the JSON to a browser or the reverse
    assert client.get(url, headers=BROWSER | {"If-None-Match": page.headers["etag"]}).status_code == 304


def test_start_page_counts_what_the_api_counts(client: TestClient) -> None:
    summary = client.get("/").json()
    chips = client.get("/chips?limit=1").json()["total"]
    counts = {row["class"]: row["count"] for row in summary["classes"]}
    assert counts["cg:Chip"] == chips
    page = html(client, "/")
    assert re.search(rf"<td>cg:Chip</td><td class=\"num\">{chips}</td>", page)
    assert 'action="/search"' in page


def test_chip_page_shows_every_fact_with_its_source(client: TestClient) -> None:
    chip = client.get("/chips/nvidia-h20").json()
    page = html(client, "/chips/nvidia-h20")
    text = " ".join(parsed(page).text)
    for prop in chip["facts"]:
        assert prop in text
    for source in chip["sources"]:
        assert source["title"] in text
        if source["url"]:
            assert source["url"].replace("&", "&amp;") in page
    assert "computed by chipgraph" in text and "How it was computed" in text
    die_area = chip["facts"]["cg:dieAreaMm2"][0]["value"]
    assert f"cg:dieAreaMm2 = {die_area}" in text  # the density names the stated fact it was computed from
    assert "Export control" in text and "3A090" in text
    assert 'action="/chips/nvidia-h20/export-status"' in page


def test_canonical_iri_page_is_the_chip_page(client: TestClient) -> None:
    by_iri = [t for t in parsed(html(client, "/id/chip/nvidia-h20")).text if "curl" not in t]
    by_route = [t for t in parsed(html(client, "/chips/nvidia-h20")).text if "curl" not in t]
    assert by_iri == by_route
    turtle = client.get("/id/chip/nvidia-h20", headers={"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")


def test_unknown_id_page_is_a_404_with_links_to_the_suggestions(client: TestClient) -> None:
    page = html(client, "/id/chip/nvidia-h2", status=404)
    suggestions = client.get("/id/chip/nvidia-h2").json()["context"]["suggestions"]
    assert suggestions
    for slug in suggestions:
        assert f'href="/id/chip/{slug}"' in page
    assert client.get("/id/chip/nvidia-h2").headers["content-type"] == "application/json"


def test_invalid_parameter_page_keeps_the_status(client: TestClient) -> None:
    page = html(client, "/chips?min_tpp=-1", status=400)
    assert "invalid-parameter" in page


def test_chips_table_follows_the_filters_and_pages(client: TestClient) -> None:
    listed = client.get("/chips?designer=nvidia&limit=5").json()
    page = html(client, "/chips?designer=nvidia&limit=5")
    rows = re.findall(r'<td><a href="(/chips/[^"]+)">', page)
    assert rows == [item["href"] for item in listed["items"]]
    assert 'value="nvidia"' in page  # the form shows the filter in force
    assert "offset=5" in page and listed["total"] > 5  # a link to the next page


def test_company_page_lists_its_chips(client: TestClient) -> None:
    company = client.get("/companies/huawei").json()
    page = html(client, "/companies/huawei")
    for chip in company["chips"]:
        assert f'href="{chip["href"]}"' in page


def test_export_status_page_shows_the_verdict_and_the_trail(client: TestClient) -> None:
    url = "/chips/nvidia-h20/export-status?destination=CN&date=2025-06-01"
    status = client.get(url).json()
    page = html(client, url)
    assert f"<strong>{status['verdict']}</strong>" in page
    for finding in status["findings"]:
        assert finding["rule"]["label"] in page
    trail = re.findall(r'<li class="finding ', page)
    assert len(trail) == len(status["findings"])


def test_export_form_redirects_to_the_canonical_status(client: TestClient) -> None:
    response = client.get(
        "/export-status/check?chip=NVIDIA+HGX+H20&destination=CN&date=2025-06-01", follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/chips/nvidia-h20/export-status?destination=CN&date=2025-06-01"
    assert "<form" in html(client, "/export-status/check")
    assert client.get("/export-status/check").status_code == 400  # a program must name the chip
    assert client.get("/export-status/check?chip=nvidia-h2&destination=CN").status_code == 404


def test_chart_regions_follow_the_date(client: TestClient) -> None:
    before = client.get("/charts?date=2022-01-01").json()
    after = client.get("/charts?date=2024-06-01").json()
    assert before["in_force"] == []  # 3A090 came in October 2022
    eccns = {region["eccn"] for region in after["in_force"]}
    assert {"3A090.a", "3A090.b"} <= eccns
    assert all(region["valid_from"] <= "2024-06-01" for region in after["in_force"])
    with_tpp = client.get("/chips?min_tpp=0&limit=500").json()["total"]
    assert len(after["chips"]) == with_tpp
    page = html(client, "/charts?date=2024-06-01")
    assert '<canvas id="tpp-density"' in page and 'id="chart-data"' in page


def test_pages_load_only_local_assets(client: TestClient) -> None:
    for url in ("/", "/chips", "/chips/nvidia-h20", "/charts", "/export-status/check"):
        for link in parsed(html(client, url)).urls:
            if link.startswith("/static/"):
                assert client.get(link).status_code == 200, link
        assets = [u for u in parsed(html(client, url)).urls if not u.startswith(("/", "#", "http", "mailto"))]
        assert assets == []


def test_hostile_text_is_escaped(client: TestClient) -> None:
    page = html(client, "/search?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)" in page


def test_a_merge_shows_on_the_entity_page_and_refreshes_it(client: TestClient) -> None:
    """Runs last in this module: it changes the graph (a new chip by Nvidia, then reverted)."""
    before = client.get("/companies/nvidia", headers=BROWSER)
    envelope = test_http_changes.envelope("nvidia", "web-page-chip")
    merged = client.post("/changes", json=envelope, headers=auth())
    assert merged.status_code == 201
    (change_id,) = merged.json()["merged"]
    page = html(client, "/chips/web-page-chip")
    assert f'href="/changes/{change_id}"' in page
    stale = client.get("/companies/nvidia", headers=BROWSER | {"If-None-Match": before.headers["etag"]})
    assert stale.status_code == 200  # the old page is not valid any more
    assert 'href="/chips/web-page-chip"' in stale.text
    reverted = client.post(f"/changes/{change_id}/revert", json={"author": "web-test"}, headers=auth())
    assert reverted.status_code == 201
    assert html(client, "/chips/web-page-chip", status=404)
    history = html(client, "/id/organization/nvidia")
    assert f'href="/changes/{change_id}"' in history  # the chip pointed at Nvidia: both changes touched it
    assert f'href="/changes/{reverted.json()["merged"][0]}"' in history
