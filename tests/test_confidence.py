"""Sources as documents and confidence as data (issue 16, docs/adr/0014), on the real store.

The shapes refuse a site root and a Federal Register document with neither citation nor number,
and warn on a listing page (tests/data/sources); every export-status finding and verdict carries
the weakest confidence level of the facts it rests on; a disputed figure that changes the answer
makes it undetermined; `chipgraph sources --check` audits the sources.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.build import build
from kg.cli import app
from kg.conflicts import conflicts
from kg.export_status import export_status
from kg.gate import changes
from kg.gate.merge import merge
from kg.gate.validate import validate_store
from kg.source_audit import audit
from kg.store import OxigraphStore
from tests.test_shapes import example_store

DATA = Path(__file__).parent / "data"
CG = "https://w3id.org/chipgraph/ontology#"
CN = "CN"


def results(name: str) -> list[tuple[str, str | None, str]]:
    report = validate_store(example_store(DATA / "sources" / name))
    return [(result.severity, result.path, result.constraint) for result in report.results]


def test_a_site_root_is_refused() -> None:
    assert ("Violation", CG + "url", "SPARQLConstraintComponent") in results("site-root--refused.ttl")


def test_a_tag_page_is_warned_not_refused() -> None:
    found = results("tag-page--warned.ttl")
    assert ("Warning", CG + "url", "SPARQLConstraintComponent") in found
    assert not [r for r in found if r[0] == "Violation"]


def test_a_federal_register_document_without_citation_or_number_is_refused() -> None:
    found = results("fr-without-citation--refused.ttl")
    assert ("Violation", None, "OrConstraintComponent") in found, found


def test_an_fr_document_with_citation_and_number_and_a_short_link_conform() -> None:
    assert results("fr-document--conforms.ttl") == []


@pytest.fixture(scope="module")
def confident(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    """The curated graph plus hypothetical chips: one stated officially, one with a disputed bandwidth."""
    _, store = build(None)
    assert store is not None
    names = ("sources", "official", "report-550", "report-650")
    merge(
        store,
        [
            changes.from_files([DATA / "exportcontrol" / f"confidence-{name}.trig"], [], author="tests", message="t")
            for name in names
        ],
    )
    return store


def test_an_official_only_verdict_says_so(confident: OxigraphStore) -> None:
    status = export_status(confident, "test-official-6000", CN, date(2024, 6, 1))
    assert status.verdict == "licence-required"
    assert status.confidence == "official"
    assert "official facts only" in status.confidence_note
    assert {f.confidence for f in status.findings if f.kind == "classification"} == {"official"}


def test_a_verdict_resting_on_a_reported_figure_is_reported(store: OxigraphStore) -> None:
    status = export_status(store, "nvidia-a100-sxm4-80gb", CN, date(2023, 6, 1))
    assert status.verdict == "licence-required"
    assert status.confidence == "reported"
    classification = next(f for f in status.findings if f.kind == "classification")
    assert classification.confidence == "reported"
    assert "epoch-ml-hardware" in classification.confidence_note
    every = [fact for f in status.findings for fact in f.facts]
    assert every and all("confidence" in fact and fact["confidence"]["level"] != "unknown" for fact in every)


def test_a_disputed_figure_that_changes_the_answer_makes_it_undetermined(confident: OxigraphStore) -> None:
    status = export_status(confident, "test-disputed-link", CN, date(2023, 6, 1))
    assert status.verdict == "undetermined"
    assert any("sources disagree" in m and "550" in m and "650" in m for m in status.missing)
    link = next(figure for figure in status.figures if figure["name"] == "interconnect_gbps")
    assert sorted(d["value"] for d in link["disputed"]) == [550.0, 650.0]


def test_the_h800_dispute_does_not_change_its_2023_verdict_and_the_verdict_says_why(store: OxigraphStore) -> None:
    status = export_status(store, "nvidia-h800-sxm5", CN, date(2023, 7, 1))
    assert status.verdict == "not-required"
    classification = next(f for f in status.findings if f.kind == "classification")
    assert "with every value sources give" in classification.explanation
    assert "300" in classification.explanation and "400" in classification.explanation
    assert status.confidence == "estimated"  # both bandwidths are the outlets' estimates


def test_the_h20_die_area_is_an_estimate_derived_from_the_h100s(store: OxigraphStore) -> None:
    status = export_status(store, "nvidia-h20", CN, date(2024, 6, 1))
    density = next(figure for figure in status.figures if figure["name"] == "performance_density")
    area = next(fact for fact in density["facts"] if fact["property"] == "cg:dieAreaMm2")
    assert area["confidence"]["level"] == "estimated"
    assert area["confidence"]["derived_from"] == ["statement/nvidia-h100-sxm5-die-area"]
    assert status.verdict == "not-required" and status.confidence == "estimated"


def test_conflicts_list_both_h800_bandwidths_with_their_confidence(store: OxigraphStore) -> None:
    found = {(c.entity.rsplit("/", 1)[-1], c.prop.rsplit("#", 1)[-1]): c for c in conflicts(store)}
    h800 = found[("nvidia-h800-sxm5", "interconnectBandwidthGBps")].to_json()
    assert {v["value"]: v["confidence"] for v in h800["values"]} == {"300": ["estimated"], "400": ["estimated"]}


def test_the_denied_foundry_claim_is_rumoured_with_its_denial(store: OxigraphStore) -> None:
    found = audit(store)
    rumoured = [(f["subject"], f["value"]) for f in found.weakest_only_facts]
    assert ("chip/huawei-ascend-910b", "https://w3id.org/chipgraph/id/organization/tsmc") in rumoured


def test_the_audit_cli_reports_and_exits_1_only_when_strict(store_dir: Path) -> None:
    runner = CliRunner()
    plain = runner.invoke(app, ["sources", "--check", "--json", "--store", str(store_dir)])
    assert plain.exit_code == 0, plain.output
    data = json.loads(plain.stdout)
    assert data["counts"]["statements without a confidence level"] == 0
    assert {item["source"] for item in data["without_document_url"]} >= {"source/amd-8k-2025-04-16"}
    assert not [i for i in data["without_document_url"] if i["problem"] != "no URL"]  # no root, no listing left
    strict = runner.invoke(app, ["sources", "--check", "--strict", "--store", str(store_dir)])
    assert strict.exit_code == 1
    assert runner.invoke(app, ["sources", "--store", str(store_dir)]).exit_code == 2
