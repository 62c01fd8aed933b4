"""The interactive pages in a real browser: export status, charts, the SPARQL editor, the changeset form."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Page, expect

from .browsing import assert_accessible, expect_document_error, goto_ok, screenshot
from .conftest import WRITE_TOKEN

JSON = {"Accept": "application/json"}


def api_json(page: Page, path: str) -> Any:
    """The JSON the API gives for ``path`` (the same URL as a page), fetched beside the page."""
    response = page.request.get(path, headers=JSON)
    assert response.ok, response.status
    return response.json()


def test_export_status_form_gives_the_verdict_and_its_whole_trail(page: Page) -> None:
    goto_ok(page, "/export-status/check")
    page.get_by_label("Chip").fill("NVIDIA HGX H20")  # a name, not an id: the form resolves it
    page.get_by_label("Destination (ISO country code)").fill("CN")
    page.get_by_label("Date").fill("2025-06-01")
    page.get_by_role("button", name="Check").click()
    expect(page).to_have_url(re.compile(r"/chips/nvidia-h20/export-status\?destination=CN&date=2025-06-01$"))
    status = api_json(page, "/chips/nvidia-h20/export-status?destination=CN&date=2025-06-01")
    expect(page.locator("#verdict strong")).to_have_text(status["verdict"])
    expect(page.locator("ol.trail > li")).to_have_count(len(status["findings"]))
    first_rule = status["findings"][0]["rule"]["label"]
    expect(page.locator("ol.trail").get_by_text(first_rule).first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "export-status")


def test_chart_draws_every_chip_and_the_regions_in_force_and_a_point_opens_its_chip(page: Page) -> None:
    goto_ok(page, "/charts?date=2024-06-01")
    data = api_json(page, "/charts?date=2024-06-01")
    drawable = [c for c in data["chips"] if c["tpp"] > 0 and (c["performance_density"] or 0) > 0]
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('tpp-density'))")
    drawn = page.evaluate(
        "() => Chart.getChart(document.getElementById('tpp-density')).data.datasets"
        ".reduce((n, d) => n + d.data.length, 0)"
    )
    assert drawn == len(drawable) > 20
    countries = page.evaluate(
        "() => Chart.getChart(document.getElementById('tpp-density')).data.datasets.map(d => d.label)"
    )
    assert "China" in countries and "United States" in countries
    screenshot(page, "charts")
    assert_accessible(page)
    point = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.getElementById('tpp-density'));
            const element = chart.getDatasetMeta(0).data[0];
            const box = chart.canvas.getBoundingClientRect();
            return {x: box.left + element.x, y: box.top + element.y, href: chart.data.datasets[0].data[0].chip.href};
        }"""
    )
    page.mouse.click(point["x"], point["y"])
    expect(page).to_have_url(re.compile(re.escape(point["href"]) + "$"))


def test_sparql_editor_runs_an_example_and_shows_its_rows(page: Page) -> None:
    goto_ok(page, "/sparql")
    example = page.locator("#examples a.example").first
    query = example.get_attribute("data-query")
    assert query
    example.click()
    page.locator("#run-query").click()
    rows = page.locator("#results table tbody tr")
    expect(rows.first).to_be_visible()
    answer = page.request.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    ).json()
    expect(rows).to_have_count(len(answer["results"]["bindings"]))
    assert_accessible(page)
    screenshot(page, "sparql-editor")


def test_changeset_form_refuses_without_the_token_then_validates_and_merges_with_it(page: Page) -> None:
    goto_ok(page, "/changes/new")
    envelope = {
        "graph": "https://w3id.org/chipgraph/graph/epoch-ml-hardware",
        "author": "browser-test",
        "message": "a comment, through the form",
        "add": {
            "format": "text/turtle",
            "data": "<https://w3id.org/chipgraph/id/chip/nvidia-h20> "
            '<http://www.w3.org/2000/01/rdf-schema#comment> "Seen in a browser test." .',
        },
    }
    page.locator("#changeset").fill(json.dumps(envelope))
    expect_document_error(page, "/changes?", 401)  # the form shows the refusal; Chromium logs it too
    page.locator("#merge-changeset").click()
    expect(page.locator("#report")).to_contain_text("unauthorized")  # no token: nothing merged
    before = api_json(page, "/changes?limit=1")["items"][0]["id"]
    page.locator("#token").fill(WRITE_TOKEN)
    page.locator("#validate-changeset").click()
    expect(page.locator("#report")).to_contain_text("Conforms")
    assert api_json(page, "/changes?limit=1")["items"][0]["id"] == before  # a dry run writes nothing
    page.locator("#merge-changeset").click()
    expect(page.locator("#report")).to_contain_text("Merged")
    merged = api_json(page, "/changes?limit=1")["items"][0]["id"]
    assert merged != before
    assert_accessible(page)
    screenshot(page, "changeset-form")
    page.locator("#report a").first.click()
    expect(page).to_have_url(re.compile(f"/changes/{re.escape(merged)}$"))
    expect(page.get_by_text("Seen in a browser test.").first).to_be_visible()
    screenshot(page, "change")
