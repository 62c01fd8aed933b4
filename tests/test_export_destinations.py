"""Export status beyond China: other destinations, incomplete destination lists, Entity List parents, rule edges.

The expected values come from the curated rule texts in data/regulations-us.trig and
data/entity-list.trig (the destinations each requirement records, whether that list is complete,
the first and last day of each rule), not from the reasoning under test.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kg.export_status import export_status
from kg.exportcontrol import ExportStatus
from kg.store import OxigraphStore

H20_CLASS = "licence-requirement/us-2025-04-h20-class"  # CN, HK, MO; destinationListComplete false
LETTER_2022 = "licence-requirement/us-2022-08-a100-h100"  # CN, HK, RU; destinationListComplete true
OCTOBER_2022 = "licence-requirement/us-2022-10-3a090"  # validFrom 2022-10-07, validUntil 2023-11-16
SMIC_2020 = "entity-list-entry/smic-2020"  # SMIC, validFrom 2020-12-18


def findings(status: ExportStatus, kind: str) -> dict[str, str]:
    return {f.subject["id"]: f.outcome for f in status.findings if f.kind == kind}


def test_a_listed_destination_other_than_china_needs_a_licence(store: OxigraphStore) -> None:
    """Hong Kong is recorded for the April 2025 H20 requirement: the requirement applies there as in China."""
    status = export_status(store, "nvidia-h20", "HK", date(2025, 5, 1))
    assert findings(status, "licence-requirement")[H20_CLASS] == "applies"
    assert status.verdict == "licence-required" and status.missing == []
    finding = next(f for f in status.findings if f.subject["id"] == H20_CLASS)
    assert "country/HK is listed" in finding.explanation


def test_a_destination_outside_a_complete_list_is_not_restricted(store: OxigraphStore) -> None:
    """The August 2022 letter's list (CN, HK, RU) is complete: Germany is outside it, Russia inside."""
    day = date(2022, 9, 15)  # after the letter, before the October 2022 rule
    germany = export_status(store, "nvidia-h100-sxm5", "DE", day)
    assert findings(germany, "licence-requirement") == {LETTER_2022: "does-not-apply"}
    assert germany.verdict == "not-required"
    russia = export_status(store, "nvidia-h100-sxm5", "RU", day)
    assert findings(russia, "licence-requirement") == {LETTER_2022: "applies"}


def test_a_destination_outside_an_incomplete_list_is_undetermined(store: OxigraphStore) -> None:
    """The H20 requirement's list is marked incomplete (country groups not recorded): Germany cannot be decided."""
    status = export_status(store, "nvidia-h20", "DE", date(2025, 5, 1))
    assert findings(status, "licence-requirement")[H20_CLASS] == "undetermined"
    assert status.verdict == "undetermined"
    assert any("destination list" in missing for missing in status.missing)
    finding = next(f for f in status.findings if f.subject["id"] == H20_CLASS)
    assert "incomplete" in finding.explanation and finding.missing


def test_a_designer_on_the_entity_list_is_informational_only(store: OxigraphStore) -> None:
    """Huawei is listed from 2019-05-16; its chips' status to Germany is decided by the rules, not by that entry."""
    status = export_status(store, "huawei-ascend-310", "DE", date(2021, 6, 1))
    assert findings(status, "designer-entity-list") == {"entity-list-entry/huawei-2019": "informational"}
    assert findings(status, "buyer-entity-list") == {}
    assert status.verdict == "not-required"  # the only finding is the designer's entry
    as_buyer = export_status(store, "huawei-ascend-310", "DE", date(2021, 6, 1), buyer="huawei")
    assert findings(as_buyer, "buyer-entity-list") == {"entity-list-entry/huawei-2019": "applies"}
    assert as_buyer.verdict == "licence-required"


def test_a_buyer_is_matched_through_its_parent(store: OxigraphStore) -> None:
    """SMIC Shanghai has no entry of its own; it is a subsidiary of SMIC, listed from 2020-12-18."""
    day = date(2024, 5, 1)
    alone = export_status(store, "nvidia-h20", "CN", day)
    assert alone.verdict == "not-required"
    status = export_status(store, "nvidia-h20", "CN", day, buyer="smic-shanghai")
    assert findings(status, "buyer-entity-list") == {SMIC_2020: "applies"}
    assert status.verdict == "licence-required"
    assert status.buyer is not None and status.buyer["id"] == "organization/smic-shanghai"


@pytest.mark.parametrize(("day", "listed"), [(date(2020, 12, 17), False), (date(2020, 12, 18), True)])
def test_an_entity_list_entry_counts_from_its_first_day(store: OxigraphStore, day: date, listed: bool) -> None:
    status = export_status(store, "nvidia-a100-sxm4-80gb", "DE", day, buyer="smic-shanghai")
    assert (SMIC_2020 in findings(status, "buyer-entity-list")) is listed


@pytest.mark.parametrize(
    ("day", "in_force"),
    [
        (date(2022, 10, 7) - timedelta(days=1), False),
        (date(2022, 10, 7), True),  # the first day
        (date(2023, 11, 16), True),  # the last day (validUntil is inclusive)
        (date(2023, 11, 16) + timedelta(days=1), False),
    ],
)
def test_a_rule_applies_on_its_first_and_last_day_only(store: OxigraphStore, day: date, in_force: bool) -> None:
    status = export_status(store, "nvidia-a100-sxm4-80gb", "CN", day)
    requirements = findings(status, "licence-requirement")
    assert (OCTOBER_2022 in requirements) is in_force
    if in_force:
        assert requirements[OCTOBER_2022] == "applies"
