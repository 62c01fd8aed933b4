"""Coverage (kg/coverage.py, `chipgraph coverage`) and the advisory coverage warnings
(shapes/advisory/coverage.ttl), on the real build: every count is checked against a direct query
of the store, and the warnings never reach the merge gate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.catalog import entity_id
from kg.cli import app
from kg.coverage import UnknownSectionError, coverage, coverage_warnings, sections
from kg.gate.validate import validate_store
from kg.store import OxigraphStore, term_text

CG = "https://w3id.org/chipgraph/ontology#"
PREFIX = f"PREFIX cg: <{CG}> PREFIX ct: <https://w3id.org/chipgraph/id/country/> "


def ids(store: OxigraphStore, where: str) -> set[str]:
    return {entity_id(term_text(row["e"])) for row in store.select(f"{PREFIX} SELECT DISTINCT ?e WHERE {{ {where} }}")}


def keys(result: dict[str, object], section: str) -> dict[str, dict[str, object]]:
    (found,) = [s for s in result["sections"] if s["id"] == section]  # type: ignore[attr-defined]
    return {key["key"]: key for key in found["keys"]}


def test_every_section_counts_what_the_store_holds(store: OxigraphStore) -> None:
    result = coverage(store)
    assert [s["id"] for s in result["sections"]] == [section.id for section in sections()]
    chips = ids(store, "?e a cg:Chip")
    release = keys(result, "chips")["release date"]
    assert release["missing"] == sorted(chips - ids(store, "?e a cg:Chip ; cg:releaseDate ?d"))
    assert release["have"] + release["missing_count"] == len(chips)
    assert release["share"] == round(release["have"] / len(chips), 4)
    process = keys(result, "chips")["process node or size"]
    with_process = ids(store, "?e a cg:Chip { ?e cg:processNode ?n } UNION { ?e cg:processSizeNm ?n }")
    assert process["missing"] == sorted(chips - with_process)
    rules = keys(result, "rules")["citation"]
    assert rules["missing"] == sorted(ids(store, "?e a cg:Rule FILTER NOT EXISTS { ?e cg:citation ?c }"))
    dated = keys(result, "chips")["a date (announcement or release)"]
    undated = ids(store, "?e a cg:Chip FILTER NOT EXISTS { ?e cg:announcementDate|cg:releaseDate ?d }")
    assert dated["missing"] == sorted(undated)


def test_chinese_designers_count_parents_and_variants_are_chips_for_china(store: OxigraphStore) -> None:
    result = coverage(store, "chips-chinese-designers")
    (section,) = result["sections"]
    direct = ids(store, "?e a cg:Chip ; cg:designedBy/cg:headquarteredIn ct:CN")
    via_parent = ids(store, "?e a cg:Chip ; cg:designedBy/cg:subsidiaryOf/cg:headquarteredIn ct:CN")
    assert section["total"] == len(direct | via_parent) > 0
    foreign = ids(store, "?e a cg:Chip ; cg:designedBy/cg:headquarteredIn ?c FILTER(?c != ct:CN)")
    assert not (foreign - via_parent) & set(keys(result, "chips-chinese-designers")["designer"]["missing"])
    variants = coverage(store, "chips-china-variants")["sections"][0]
    assert variants["total"] == len(ids(store, "?e cg:intendedMarket ct:CN"))


def test_an_unknown_section_is_refused(store: OxigraphStore) -> None:
    with pytest.raises(UnknownSectionError, match="chips-chinese-designers"):
        coverage(store, "no-such-section")


def test_coverage_warnings_name_the_same_gaps_and_are_never_violations(store: OxigraphStore) -> None:
    warned = coverage_warnings(store)
    assert warned and {result.severity for result in warned} == {"Warning"}
    assert not [result for result in validate_store(store).results if result.message.startswith("Coverage:")]
    by_path: dict[str, set[str]] = {}
    for result in warned:
        by_path.setdefault(result.path or "", set()).add(entity_id(result.focus_node))
    result = coverage(store)
    assert by_path[CG + "releaseDate"] == set(keys(result, "chips")["release date"]["missing"])
    assert by_path[CG + "citation"] == set(keys(result, "rules")["citation"]["missing"])
    assert by_path[CG + "reviewPolicy"] == set(keys(result, "entity-list-entries")["review policy"]["missing"])
    companies = {
        name
        for section in ("designers", "foundries", "equipment-suppliers")
        for name in keys(result, section)["headquarters country"]["missing"]
    }
    assert by_path[CG + "headquarteredIn"] == companies


def test_warnings_of_some_entities_are_theirs_only(store: OxigraphStore) -> None:
    every = coverage_warnings(store)
    some = {result.focus_node for result in every[:3]}
    assert coverage_warnings(store, some) == [result for result in every if result.focus_node in some]
    assert coverage_warnings(store, set()) == []


def test_the_command_prints_every_missing_id_and_json(store_dir: Path, store: OxigraphStore) -> None:
    runner = CliRunner()
    printed = runner.invoke(app, ["coverage", "--store", str(store_dir), "--section", "designers"])
    assert printed.exit_code == 0, printed.output
    missing = keys(coverage(store), "designers")["headquarters country"]["missing"]
    assert missing and all(ident in printed.stdout for ident in missing)  # type: ignore[attr-defined]
    as_json = runner.invoke(app, ["coverage", "--store", str(store_dir), "--json"])
    assert json.loads(as_json.stdout) == coverage(store)
    unknown = runner.invoke(app, ["coverage", "--store", str(store_dir), "--section", "nope"])
    assert unknown.exit_code == 2
