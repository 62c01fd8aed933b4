"""A chip is not classified before it exists: export status and the named queries, on the real graph."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kg.chip_existence import NOT_YET_PUBLIC, UNDATED, chip_dates, first_public
from kg.export_status import export_status
from kg.queries import named_query
from kg.rulebook import Rulebook
from kg.store import OxigraphStore, term_text

CHIP = "https://w3id.org/chipgraph/id/chip/"
# Chips of 2024 and 2025 whose TPP is far above every threshold: licence-required once they exist.
RECENT = ["amd-instinct-mi350x", "nvidia-gb200", "intel-gaudi3"]


def first_day(store: OxigraphStore, chip_id: str) -> date:
    """The earliest announcement or release date the graph states for the chip."""
    dates = chip_dates(store, CHIP + chip_id)
    assert dates, f"{chip_id} has no date in the graph"
    return first_public(dates)[0].day


@pytest.mark.parametrize("chip_id", RECENT)
def test_before_its_first_date_a_chip_is_not_yet_public_with_the_date_and_its_source(
    store: OxigraphStore, chip_id: str
) -> None:
    first = first_day(store, chip_id)
    before = export_status(store, chip_id, "CN", first - timedelta(days=1))
    assert before.verdict == "not-yet-public"
    [finding] = before.findings
    assert finding.kind == NOT_YET_PUBLIC and finding.valid_from == first.isoformat()
    assert finding.facts and all(fact["source"]["title"] for fact in finding.facts)
    assert {fact["value"] for fact in finding.facts} == {first.isoformat()}
    on_the_day = export_status(store, chip_id, "CN", first)
    assert on_the_day.verdict == "licence-required"
    assert NOT_YET_PUBLIC not in {f.kind for f in on_the_day.findings}


def test_the_earliest_of_announcement_and_release_counts(store: OxigraphStore) -> None:
    for chip_id in RECENT:
        dates = chip_dates(store, CHIP + chip_id)
        assert first_public(dates)[0].day == min(d.day for d in dates)


def test_a_chip_without_any_date_is_reasoned_about_and_says_so(store: OxigraphStore) -> None:
    rows = store.select(
        """PREFIX cg: <https://w3id.org/chipgraph/ontology#>
        SELECT ?chip WHERE { ?chip a cg:Chip FILTER NOT EXISTS { ?chip cg:announcementDate|cg:releaseDate ?d } }
        ORDER BY ?chip LIMIT 1"""
    )
    assert rows, "every chip has a date: pick another way to test the undated case"
    chip_id = term_text(rows[0]["chip"]).removeprefix(CHIP)
    status = export_status(store, chip_id, "CN", date(2020, 1, 1))
    assert status.verdict != "not-yet-public"
    assert UNDATED in {f.kind for f in status.findings}


@pytest.mark.parametrize("chip_id", RECENT)
def test_lists_of_restricted_chips_leave_out_chips_that_did_not_exist(store: OxigraphStore, chip_id: str) -> None:
    first = first_day(store, chip_id)
    before, after = (first - timedelta(days=1)).isoformat(), (first + timedelta(days=1)).isoformat()

    def listed(query: str, **dates: str) -> set[str]:
        return {term_text(row["chip"]) for row in store.select(named_query(query).bind(dates))}

    assert CHIP + chip_id not in listed("chips-licence-china-on-date", on=before)
    assert CHIP + chip_id in listed("chips-licence-china-on-date", on=after)
    assert CHIP + chip_id not in listed("chips-restricted-between", **{"from": "2023-06-01", "to": before})
    # Public only after the first date: it never was unrestricted, so it did not "become" restricted.
    assert CHIP + chip_id not in listed("chips-restricted-between", **{"from": before, "to": after})


def test_the_named_query_agrees_with_the_reasoning_before_chips_existed(store: OxigraphStore) -> None:
    day = date(2023, 7, 1)
    book = Rulebook.read(store)
    listed = {
        term_text(row["chip"])
        for row in store.select(named_query("chips-licence-china-on-date").bind({"on": day.isoformat()}))
    }
    for chip_id in RECENT:
        status = export_status(store, chip_id, "CN", day, book=book)
        assert (CHIP + chip_id in listed) == (status.verdict == "licence-required")
