"""Export-control reasoning on the real curated graph: metrics, classification by date, status."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.build import build
from kg.cli import app
from kg.export_status import export_status
from kg.exportcontrol import ExportStatus, chip_figures, classify
from kg.gate import changes
from kg.gate.merge import merge
from kg.queries import named_query
from kg.rulebook import Rulebook
from kg.store import OxigraphStore, term_text

FIXTURES = Path(__file__).parent / "data" / "exportcontrol"
CN = "CN"
MID_2023, AFTER_RULE_2023 = date(2023, 7, 1), date(2023, 11, 20)
ID = "https://w3id.org/chipgraph/id/"
COVERED = {"licence-required", "notification-required", "licence-exception"}  # a requirement covers the chip


def outcomes(status: ExportStatus, kind: str) -> dict[str, str]:
    """Finding outcome by subject id, for one kind of finding."""
    return {f.subject["id"]: f.outcome for f in status.findings if f.kind == kind}


@pytest.fixture(scope="module")
def with_hypothetical(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    """The curated graph plus two hypothetical chips, merged through the validating merge."""
    _, store = build(None)
    assert store is not None
    read = [
        changes.from_files([FIXTURES / name], [], author="tests", message="hypothetical chips")
        for name in ("hypothetical-source.trig", "hypothetical-chips.trig")
    ]
    merge(store, read)
    return store


def test_tpp_is_derived_with_the_facts_it_came_from(store: OxigraphStore) -> None:
    figures = chip_figures(store, ID + "chip/nvidia-a100-sxm4-80gb")
    assert figures["tpp"].value == 4992
    used = {(fact.prop.rsplit("#")[-1], fact.value) for fact in figures["tpp"].facts}
    assert ("denseFP16TFLOPS", "312") in used or ("denseFP16TFLOPS", "312.0") in used
    assert all("/graph/epoch-ml-hardware" in fact.graph for fact in figures["tpp"].facts)  # curated and imported
    assert float(figures["performance_density"].value or 0) == pytest.approx(4992 / 826)


def test_unknown_inputs_are_undetermined_never_zero(store: OxigraphStore) -> None:
    figures = chip_figures(store, ID + "chip/alibaba-inference-chip-2025")
    assert {name: figure.value for name, figure in figures.items()} == {
        "tpp": None,
        "performance_density": None,
        "interconnect_gbps": None,
    }
    rows = store.select(
        "SELECT ?v WHERE { GRAPH <https://w3id.org/chipgraph/graph/derived> "
        "{ <https://w3id.org/chipgraph/id/chip/alibaba-inference-chip-2025> ?p ?v } }"
    )
    assert rows == []


def test_a100_is_3a090_under_both_rule_versions(store: OxigraphStore) -> None:
    book = Rulebook.read(store)
    figures = chip_figures(store, ID + "chip/nvidia-a100-sxm4-80gb")
    under_2022 = {r.classification.value("eccnCode"): r.outcome for r in classify(book, figures, MID_2023)}
    under_2023 = {r.classification.value("eccnCode"): r.outcome for r in classify(book, figures, AFTER_RULE_2023)}
    assert under_2022 == {"3A090": True}
    assert under_2023["3A090.a"] is True
    assert under_2023["3A090.b"] is False


@pytest.mark.parametrize("chip", ["nvidia-a800-sxm", "nvidia-h800-sxm5"])
def test_a800_and_h800_needed_a_licence_only_after_17_november_2023(store: OxigraphStore, chip: str) -> None:
    before = export_status(store, chip, CN, MID_2023)
    after = export_status(store, chip, CN, AFTER_RULE_2023)
    assert before.verdict == "not-required"
    assert outcomes(before, "classification") == {"eccn/3A090": "does-not-apply"}
    assert after.verdict == "licence-required"
    assert outcomes(after, "licence-requirement")["licence-requirement/us-2023-11-3a090a"] == "applies"


def test_h20_is_neither_3a090a_nor_b_but_needs_a_licence_from_april_2025(store: OxigraphStore) -> None:
    status = export_status(store, "nvidia-h20", CN, date(2025, 5, 1))
    assert outcomes(status, "classification") == {"eccn/3A090-a": "does-not-apply", "eccn/3A090-b": "does-not-apply"}
    assert status.verdict == "licence-required"
    applying = [f.subject["id"] for f in status.findings if f.outcome == "applies"]
    assert applying == ["licence-requirement/us-2025-04-h20-class"]
    tpp = next(figure for figure in status.figures if figure["name"] == "tpp")
    assert tpp["value"] == 2368
    assert export_status(store, "nvidia-h20", CN, date(2025, 3, 1)).verdict == "not-required"


def test_a_dense_small_die_is_3a090a_by_density(with_hypothetical: OxigraphStore) -> None:
    status = export_status(with_hypothetical, "test-dense-2000", CN, date(2025, 5, 1))
    assert outcomes(status, "classification")["eccn/3A090-a"] == "applies"
    finding = next(f for f in status.findings if f.subject["id"] == "eccn/3A090-a")
    assert "3A090.a density criterion of the October 2023 rule: met" in finding.explanation
    assert "3A090.a TPP criterion of the October 2023 rule: not met" in finding.explanation
    assert status.verdict == "licence-required"


def test_an_unknown_die_area_is_undetermined_and_named(with_hypothetical: OxigraphStore) -> None:
    status = export_status(with_hypothetical, "test-no-die-3000", CN, date(2025, 5, 1))
    assert outcomes(status, "classification")["eccn/3A090-a"] == "undetermined"
    assert status.verdict == "undetermined"
    assert any("cg:dieAreaMm2" in missing for missing in status.missing)


def test_a_new_rule_is_a_changeset_not_a_release(with_hypothetical: OxigraphStore, tmp_path: Path) -> None:
    """A criterion added as data changes the classification; nothing in code names thresholds."""
    rule = tmp_path / "rule.trig"
    rule.write_text(
        """@prefix cg: <https://w3id.org/chipgraph/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/chipgraph/graph/fr-2023-23055> {
  <https://w3id.org/chipgraph/id/eccn/3A090-a> cg:hasCriterion <https://w3id.org/chipgraph/id/criterion/test-low> .
  <https://w3id.org/chipgraph/id/criterion/test-low> a cg:ClassificationCriterion ;
    cg:definedBy <https://w3id.org/chipgraph/id/act/us-2023-10-17-advanced-computing-update> ;
    cg:minTPP 2000.0 ; cg:validFrom "2030-01-01"^^xsd:date .
}""",
        encoding="utf-8",
    )
    merge(with_hypothetical, [changes.from_files([rule], [], author="tests", message="a lower threshold")])
    later = export_status(with_hypothetical, "nvidia-h20", CN, date(2030, 6, 1))
    assert outcomes(later, "classification")["eccn/3A090-a"] == "applies"
    assert (
        outcomes(export_status(with_hypothetical, "nvidia-h20", CN, date(2029, 6, 1)), "classification")["eccn/3A090-a"]
        == "does-not-apply"
    )


@pytest.mark.parametrize(("chip", "day"), [("nvidia-h20", date(2025, 5, 1)), ("nvidia-a800-sxm", AFTER_RULE_2023)])
def test_every_finding_names_its_rule_and_the_source_of_each_fact(store: OxigraphStore, chip: str, day: date) -> None:
    status = export_status(store, chip, CN, day)
    assert status.findings
    for finding in status.findings:
        assert finding.rule["id"] and finding.rule["label"], finding
        assert finding.facts, finding
        for fact in finding.facts:
            assert fact["source"]["id"] and fact["source"]["title"], fact


def test_buyer_on_the_entity_list_needs_a_licence_for_any_chip(store: OxigraphStore) -> None:
    status = export_status(store, "nvidia-h20", CN, date(2024, 5, 1), buyer="huawei")
    assert status.verdict == "licence-required"
    assert outcomes(status, "buyer-entity-list") == {"entity-list-entry/huawei-2019": "applies"}


def test_unknown_chip_buyer_and_destination_are_refused(store: OxigraphStore) -> None:
    from kg.catalog import InvalidFilterError, NotFoundError

    with pytest.raises(NotFoundError):
        export_status(store, "no-such-chip", CN, MID_2023)
    with pytest.raises(NotFoundError):
        export_status(store, "nvidia-h20", "ZZ", MID_2023)
    with pytest.raises(NotFoundError):
        export_status(store, "nvidia-h20", CN, MID_2023, buyer="no-such-firm")
    with pytest.raises(InvalidFilterError):
        export_status(store, "nvidia-h20", "China", MID_2023)


@pytest.mark.parametrize("day", ["2023-07-01", "2023-11-20", "2025-05-01"])
def test_the_named_query_agrees_with_the_reasoning(store: OxigraphStore, day: str) -> None:
    listed = {
        term_text(row["chip"]) for row in store.select(named_query("chips-licence-china-on-date").bind({"on": day}))
    }
    chips = {
        term_text(row["c"])
        for row in store.select("SELECT DISTINCT ?c WHERE { ?c a <https://w3id.org/chipgraph/ontology#Chip> }")
    }
    book = Rulebook.read(store)
    required = {
        chip
        for chip in chips
        if export_status(store, chip.rsplit("/", 1)[1], CN, date.fromisoformat(day), book=book).verdict in COVERED
    }
    assert listed == required
    assert ID + "chip/nvidia-h20" in listed if day == "2025-05-01" else ID + "chip/nvidia-h20" not in listed


def test_chips_restricted_between_two_dates(store: OxigraphStore) -> None:
    query = named_query("chips-restricted-between").bind({"from": "2023-07-01", "to": "2023-11-20"})
    became = {term_text(row["chip"]).rsplit("/", 1)[1] for row in store.select(query)}
    assert {"nvidia-a800-sxm", "nvidia-h800-sxm5"} <= became
    assert "nvidia-a100-sxm4-80gb" not in became  # already restricted under the 2022 rule


def test_cli_export_status_prints_json_and_a_trail(store_dir: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["export-status", "nvidia-h20", "--to", "CN", "--on", "2025-05-01", "--json", "--store", str(store_dir)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["verdict"] == "licence-required"
    trail = runner.invoke(
        app, ["export-status", "nvidia-a800-sxm", "--to", "CN", "--on", "2023-07-01", "--store", str(store_dir)]
    )
    assert trail.exit_code == 0 and "not-required" in trail.output and "FR Doc" in trail.output
    missing = runner.invoke(app, ["export-status", "no-such-chip", "--to", "CN", "--store", str(store_dir)])
    assert missing.exit_code == 2


def test_a_merge_recomputes_the_derived_figures_of_the_chips_it_changes(tmp_path: Path) -> None:
    """Per-chip recomputation inside the merge gives exactly what a full recomputation gives."""
    from kg.gate import derive
    from kg.namespaces import DERIVED_GRAPH

    _, store = build(None)
    assert store is not None
    change = tmp_path / "h20-figure.trig"
    change.write_text(
        """@prefix cg: <https://w3id.org/chipgraph/ontology#> .
<https://w3id.org/chipgraph/graph/tweaktown-2024-nvidia-h20> {
  <https://w3id.org/chipgraph/id/chip/nvidia-h20> cg:denseFP8TFLOPS 296.0 ; cg:dieAreaMm2 700.0 .
}""",
        encoding="utf-8",
    )
    merge(store, [changes.from_files([change], [], author="tests", message="more H20 figures")])
    after_merge = sorted(str(quad) for quad in store.quads(graph=DERIVED_GRAPH))
    assert chip_figures(store, ID + "chip/nvidia-h20")["performance_density"].value == pytest.approx(
        __import__("decimal").Decimal(2368) / 700
    )
    derive.recompute(store)
    assert sorted(str(quad) for quad in store.quads(graph=DERIVED_GRAPH)) == after_merge


def test_a_criterion_limited_to_datacenter_chips(with_hypothetical: OxigraphStore, tmp_path: Path) -> None:
    """Met by a chip stated to be a datacenter chip, not by a consumer one, undetermined without a segment."""
    data = tmp_path / "segment.trig"
    data.write_text(
        """@prefix cg: <https://w3id.org/chipgraph/ontology#> .
@prefix c: <https://w3id.org/chipgraph/id/chip/> .
@prefix o: <https://w3id.org/chipgraph/id/organization/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/chipgraph/graph/test-hypothetical-chips> {
  <https://w3id.org/chipgraph/id/eccn/test-segment> a cg:ExportControlClassification ; rdfs:label "Test ECCN" ;
    cg:eccnCode "9E999" ; cg:hasCriterion <https://w3id.org/chipgraph/id/criterion/test-datacenter-only> ;
    cg:definedBy <https://w3id.org/chipgraph/id/act/us-2023-10-17-advanced-computing-update> .
  <https://w3id.org/chipgraph/id/criterion/test-datacenter-only> a cg:ClassificationCriterion ;
    rdfs:label "Test criterion for datacenter chips" ;
    cg:definedBy <https://w3id.org/chipgraph/id/act/us-2023-10-17-advanced-computing-update> ;
    cg:minTPP 1000.0 ; cg:onlyForMarketSegment cg:DatacenterSegment ; cg:validFrom "2031-01-01"^^xsd:date .
  c:test-dense-2000 cg:marketSegment cg:DatacenterSegment .
  c:test-no-die-3000 cg:marketSegment cg:ConsumerSegment .
  c:test-unsegmented-4000 a cg:AIAccelerator ; rdfs:label "Test chip TPP 4000, no segment" ;
    cg:designedBy o:nvidia ; cg:denseINT8TOPS 500.0 .
}""",
        encoding="utf-8",
    )
    merge(with_hypothetical, [changes.from_files([data], [], author="tests", message="a datacenter-only criterion")])
    day = date(2031, 6, 1)
    by_chip = {
        chip: export_status(with_hypothetical, chip, CN, day)
        for chip in ("test-dense-2000", "test-no-die-3000", "test-unsegmented-4000")
    }
    segment = {chip: outcomes(status, "classification")["eccn/test-segment"] for chip, status in by_chip.items()}
    assert segment == {
        "test-dense-2000": "applies",
        "test-no-die-3000": "does-not-apply",
        "test-unsegmented-4000": "undetermined",
    }
    finding = next(f for f in by_chip["test-dense-2000"].findings if f.subject["id"] == "eccn/test-segment")
    assert "designed or marketed for Datacenter: yes" in finding.explanation
    assert any(fact["property"] == "cg:marketSegment" and fact["source"]["title"] for fact in finding.facts)
    unsegmented = next(f for f in by_chip["test-unsegmented-4000"].findings if f.subject["id"] == "eccn/test-segment")
    assert any("cg:marketSegment" in missing for missing in unsegmented.missing)


@pytest.mark.parametrize(("destination", "verdict"), [("CN", "licence-required"), ("RU", "licence-required")])
def test_the_august_2022_letter_named_the_h100_before_any_threshold_rule(
    store: OxigraphStore, destination: str, verdict: str
) -> None:
    """Between the letter (26 August 2022) and the October 2022 rule only the letter restricts the H100."""
    status = export_status(store, "nvidia-h100-sxm5", destination, date(2022, 9, 15))
    assert status.verdict == verdict
    letter = next(f for f in status.findings if f.kind == "licence-requirement" and f.outcome == "applies")
    assert letter.rule["id"] == "act/us-2022-08-26-a100-h100-letter"
    assert "names the chip" in letter.explanation
    assert all(fact["source"]["url"] or fact["source"]["citation"] for fact in letter.facts)
    before = export_status(store, "nvidia-h100-sxm5", destination, date(2022, 8, 1))
    assert "act/us-2022-08-26-a100-h100-letter" not in {f.rule["id"] for f in before.findings}


def test_h20_licences_under_a_revenue_share_are_an_informational_finding(store: OxigraphStore) -> None:
    status = export_status(store, "nvidia-h20", CN, date(2025, 9, 1))
    assert status.verdict == "licence-required"  # a policy says how licences are granted; it lifts nothing
    [policy] = [f for f in status.findings if f.kind == "licensing-policy"]
    assert policy.outcome == "informational" and "ApprovalWithConditions" in policy.explanation
    assert "15 %" in policy.explanation
    assert {fact["property"] for fact in policy.facts} >= {"cg:licensedChip", "cg:destination", "cg:validFrom"}
    assert all(fact["source"]["title"] for fact in policy.facts)
    earlier = export_status(store, "nvidia-h20", CN, date(2025, 5, 1))
    assert "licensing-policy" not in {f.kind for f in earlier.findings}
    elsewhere = export_status(store, "nvidia-h20", "MO", date(2025, 9, 1))
    assert "licensing-policy" not in {f.kind for f in elsewhere.findings}


def test_h200_policies_follow_each_other(store: OxigraphStore) -> None:
    """The December 2025 announcement, then the January 2026 rule's case-by-case review."""

    def policies(day: date) -> set[str]:
        status = export_status(store, "nvidia-h200-sxm", CN, day)
        return {f.subject["id"] for f in status.findings if f.kind == "licensing-policy"}

    assert policies(date(2025, 11, 1)) == set()
    assert policies(date(2025, 12, 20)) == {"licensing-policy/us-2025-12-h200-approved-customers"}
    assert "licensing-policy/us-2026-01-h200-case-by-case" in policies(date(2026, 2, 1))


@pytest.mark.parametrize("day", [date(2024, 1, 15), date(2025, 6, 1)])
def test_consumer_cards_below_4800_are_not_3a090_datacenter_chips_in_the_band_are(
    store: OxigraphStore, day: date
) -> None:
    """Note 2 to 3A090: a non-datacenter IC below TPP 4800 is not controlled by the density criteria."""
    book = Rulebook.read(store)
    rows = store.select(
        """PREFIX cg: <https://w3id.org/chipgraph/ontology#>
        SELECT ?chip ?segment WHERE {
          ?chip cg:marketSegment ?segment ; cg:computedTPP ?tpp ; cg:computedPerformanceDensity ?pd .
          FILTER(?tpp >= 1600 && ?tpp < 4800 && ?pd >= 5.92)
        }"""
    )
    segments: dict[str, set[str]] = {}
    for row in rows:
        segments.setdefault(term_text(row["chip"]).rsplit("/", 1)[1], set()).add(term_text(row["segment"]))
    seen = set()
    for chip_id, stated in segments.items():
        status = export_status(store, chip_id, CN, day, book=book)
        if status.verdict == "not-yet-public":
            continue
        datacenter = any(segment.endswith("#DatacenterSegment") for segment in stated)
        eccn = outcomes(status, "classification")["eccn/3A090-a"]
        assert eccn == ("applies" if datacenter else "does-not-apply"), chip_id
        seen |= {segment.rsplit("#", 1)[1] for segment in stated}
    assert "ConsumerSegment" in seen, "no consumer card in the density band: the test proves nothing"


def test_nac_lets_a_consumer_card_above_4800_go_after_notification_not_a_datacenter_chip(store: OxigraphStore) -> None:
    """License Exception NAC: 3A090.a items not designed or marketed for datacenters with TPP >= 4800."""
    day = date(2024, 6, 1)
    card = export_status(store, "nvidia-geforce-rtx-4090", CN, day)
    assert outcomes(card, "classification")["eccn/3A090-a"] == "applies"
    assert card.verdict == "notification-required"
    [nac] = [f for f in card.findings if f.kind == "licence-exception"]
    assert nac.outcome == "applies" and "after notifying" in nac.explanation
    assert any(f["property"] == "cg:marketSegment" and f["source"]["title"] for f in nac.facts)
    datacenter = export_status(store, "nvidia-h100-sxm5", CN, day)
    assert datacenter.verdict == "licence-required"
    assert {f.outcome for f in datacenter.findings if f.kind == "licence-exception"} == {"does-not-apply"}
    before_the_rule = export_status(store, "nvidia-geforce-rtx-4090", CN, date(2023, 7, 1))
    assert "licence-exception" not in {f.kind for f in before_the_rule.findings}
