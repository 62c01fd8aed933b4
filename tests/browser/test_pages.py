"""What a user of the web interface sees and does, in a real headless Chromium, on the real build."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Locator, Page, expect

from .browsing import assert_accessible, goto_ok, screenshot


def caption_count(page: Page) -> int:
    """The number of chips the /chips table's caption announces ("91 chips matching the filters, ...")."""
    caption = page.locator("#chips-table caption").inner_text()
    match = re.match(r"([\d,]+) chips", caption)
    assert match, f"caption {caption!r} gives no count"
    return int(match.group(1).replace(",", ""))


def column(page: Page, index: int) -> list[str]:
    """The text of column ``index`` (0-based) of every row of the /chips table, top to bottom."""
    cells: list[str] = page.locator("#chips-table tbody tr").evaluate_all(
        "(rows, i) => rows.map(row => row.cells[i].textContent.trim())", index
    )
    return cells


def test_search_from_the_start_page_to_a_chip_with_sources_and_export_control(page: Page) -> None:
    goto_ok(page, "/")
    box = page.get_by_role("searchbox", name="Search chips, companies, rules and sources")
    box.fill("H20")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=H20$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    hits = page.locator("ol.hits > li")
    expect(hits.first).to_be_visible()
    assert hits.count() >= 2  # the chip, and the rules, policies and sources that name it

    page.locator("ol.hits").get_by_role("link", name="H20", exact=True).click()
    expect(page).to_have_url(re.compile(r"/chips/nvidia-h20$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("NVIDIA HGX H20")  # the chip's own label
    expect(page.locator("p.identity code.id")).to_have_text("chip/nvidia-h20")

    facts = page.get_by_role("table", name="Every stated, inferred and derived fact about NVIDIA HGX H20")
    rows = facts.locator("tbody tr")
    assert rows.count() >= 5
    designer = facts.locator("tbody tr", has=page.locator("th", has_text="cg:designedBy"))
    expect(designer.get_by_role("link", name="Nvidia", exact=True)).to_have_attribute("href", "/companies/nvidia")
    expect(designer.locator("ul.sources a[href^='http']").first).to_be_visible()  # the designer fact's own source
    # a fact's source is a link to the source document, outside chipgraph
    source_links = facts.locator("ul.sources a[href^='http']")
    expect(source_links.first).to_be_visible()
    assert source_links.count() >= 3

    export = page.get_by_role("region", name="Export control")
    expect(export).to_be_visible()
    requirement = export.get_by_role("link", name=re.compile("Licence requirement of April 2025"))
    expect(requirement).to_be_visible()
    letter = export.get_by_role("link", name="US licence requirement for H20-class chips (April 2025)")
    expect(letter).to_have_attribute("href", "/regulations/us-2025-04-09-h20-class-licence-letter")
    expect(export.get_by_role("heading", name="Classification today")).to_be_visible()
    expect(export.locator("details summary").first).to_contain_text("ECCN 3A090")
    expect(export.get_by_role("button", name="Export status")).to_be_visible()
    expect(page.get_by_role("region", name="Sources").locator("ol > li").first).to_be_visible()


def test_chips_filtered_by_designer(page: Page) -> None:
    goto_ok(page, "/chips")
    everything = caption_count(page)
    filters = page.get_by_role("form", name="Filter chips")
    filters.get_by_label("Designer", exact=True).fill("nvidia")
    filters.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"/chips\?.*designer=nvidia"))
    expect(page.locator("#chips-table caption")).to_contain_text("matching the filters")

    nvidia = caption_count(page)
    assert 0 < nvidia < everything
    designers = column(page, 2)
    assert designers, "no rows"
    assert len(designers) == min(nvidia, 50)  # the first page of the default 50
    assert set(designers) == {"Nvidia"}
    expect(page.get_by_role("form", name="Filter chips").get_by_label("Designer", exact=True)).to_have_value("nvidia")
    screenshot(page, "chips-filtered")


def test_chips_sorted_by_clicking_a_column_header(page: Page) -> None:
    goto_ok(page, "/chips?designer=nvidia")
    before = column(page, 1)
    tpp = page.locator("#chips-table thead th").nth(4)
    tpp.get_by_role("button", name="TPP").click()
    expect(tpp).to_have_attribute("aria-sort", "ascending")
    numbers = [float(text.replace(",", "")) for text in column(page, 4) if text]
    assert len(numbers) > 10
    assert numbers == sorted(numbers)
    assert column(page, 4)[-1] != ""  # the chips without a TPP come first, the largest TPP last
    assert sorted(column(page, 1)) == sorted(before)  # the same rows, in another order

    tpp.get_by_role("button", name="TPP").click()
    expect(tpp).to_have_attribute("aria-sort", "descending")
    numbers = [float(text.replace(",", "")) for text in column(page, 4) if text]
    assert numbers == sorted(numbers, reverse=True)

    released = page.locator("#chips-table thead th").nth(3)
    released.get_by_role("button", name="Released").click()
    expect(released).to_have_attribute("aria-sort", "ascending")
    expect(tpp).not_to_have_attribute("aria-sort", re.compile(".*"))
    dates = [text for text in column(page, 3) if text]
    assert dates == sorted(dates)
    screenshot(page, "chips-sorted")


def test_unknown_chip_is_a_404_page_with_suggestions(page: Page) -> None:
    goto_ok(page, "/id/chip/nvidia-h2", status=404)
    expect(page.get_by_role("heading", level=1)).to_contain_text("404")
    expect(page.get_by_role("alert")).to_contain_text("nvidia-h2")
    suggestions = page.locator("main ul li a")
    expect(suggestions.first).to_be_visible()
    names = suggestions.all_inner_texts()
    assert 1 <= len(names) <= 5
    assert "nvidia-h20" in names
    for link in suggestions.all():
        assert (link.get_attribute("href") or "").startswith("/id/chip/")
    expect(page.get_by_role("link", name="Back to the start page")).to_have_attribute("href", "/")

    page.locator("main").get_by_role("link", name="nvidia-h20", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("NVIDIA HGX H20")


def test_company_page_of_huawei(page: Page) -> None:
    goto_ok(page, "/companies/huawei")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Huawei"))
    expect(page.locator("p.identity code.id")).to_have_text("organization/huawei")
    relations = page.get_by_role("region", name="Chips, foundries and relations")
    chips = relations.locator("dt:has-text('Chips it designed') + dd")
    expect(chips.get_by_role("link", name=re.compile("Ascend 910B")).first).to_be_visible()
    assert chips.get_by_role("link").count() >= 5
    entity_list = relations.locator("dt:has-text('Entity List entries') + dd")
    expect(entity_list).not_to_have_text("none")
    facts = page.get_by_role("table", name=re.compile("Every stated, inferred and derived fact about"))
    expect(facts.locator("ul.sources a[href^='http']").first).to_be_visible()

    chips.get_by_role("link", name=re.compile("Ascend 910B")).first.click()
    expect(page).to_have_url(re.compile(r"/chips/huawei-ascend-910b"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ascend 910B")


def test_regulations_list_leads_to_a_regulation(page: Page) -> None:
    goto_ok(page, "/regulations")
    expect(page.get_by_role("heading", level=1)).to_have_text("/regulations")
    table = page.locator("main table")
    rows = table.locator("tbody tr")
    assert rows.count() >= 10
    expect(page.get_by_role("navigation", name="Pages (above the table)")).to_contain_text("of 43")
    letter = table.get_by_role("link", name="US licence requirement for H20-class chips (April 2025)")
    expect(letter).to_have_attribute("href", "/regulations/us-2025-04-09-h20-class-licence-letter")
    letter.click()
    expect(page).to_have_url(re.compile(r"/regulations/us-2025-04-09-h20-class-licence-letter$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("US licence requirement for H20-class chips (April 2025)")
    facts = page.get_by_role("table", name=re.compile("Every stated, inferred and derived fact about"))
    assert facts.locator("tbody tr").count() >= 3
    expect(page.get_by_role("region", name="Sources").locator("ol > li").first).to_be_visible()


def test_skip_link_is_the_first_stop_and_moves_to_the_content(page: Page) -> None:
    goto_ok(page, "/chips")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/chips#main$"))


# One page of each type: it loads without problems, passes axe-core, and is kept as a screenshot.
PAGE_TYPES = [
    ("start", "/", 200),
    ("search-results", "/search?q=ascend", 200),
    ("chips-table", "/chips", 200),
    ("chip", "/chips/nvidia-h20", 200),
    ("company", "/companies/huawei", 200),
    ("regulations", "/regulations", 200),
    ("regulation", "/regulations/us-2023-10-17-advanced-computing-update", 200),
    ("error", "/id/chip/nvidia-h2", 404),
]


@pytest.mark.parametrize(("name", "path", "status"), PAGE_TYPES, ids=[name for name, _, _ in PAGE_TYPES])
def test_page_type_is_accessible(page: Page, name: str, path: str, status: int) -> None:
    goto_ok(page, path, status=status)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_be_visible()
    expect(page.get_by_role("search", name="Site search")).to_be_visible()
    assert_accessible(page)
    screenshot(page, name)


def test_accessible_after_opening_every_details(page: Page) -> None:
    """Closed <details> hide content from axe: open them all on the chip page and check again."""
    goto_ok(page, "/chips/nvidia-h20")
    summaries: Locator = page.locator("details:not([open]) > summary")
    for _ in range(summaries.count()):
        summaries.first.click()
    expect(page.locator("details:not([open])")).to_have_count(0)
    assert_accessible(page)
    screenshot(page, "chip-details-open")


def test_empty_form_fields_are_dropped_for_browsers_only(server: str) -> None:
    """A blank number field of the filter form is no filter for a browser; a program still gets the 400."""
    url = server + "/chips?designer=nvidia&year_from=&min_tpp="
    html = urllib.request.Request(url, headers={"Accept": "text/html"})
    with urllib.request.urlopen(html, timeout=15) as answer:
        assert answer.status == 200
        assert "matching the filters" in answer.read().decode()
    program = urllib.request.Request(url, headers={"Accept": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(program, timeout=15)
    assert refused.value.code == 400
    refused.value.close()
