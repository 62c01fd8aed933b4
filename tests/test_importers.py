"""Importers on the real data set copies in data/sets: figures, reconciliation, conflicts, refusals."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.build import build
from kg.cli import app
from kg.conflicts import conflicts
from kg.importers import ImportFileError, default_imports, run_import
from kg.importers.common import sha256
from kg.importers.epoch import DATASET
from kg.store import OxigraphStore, term_text

CG = "https://w3id.org/chipgraph/ontology#"
ID = "https://w3id.org/chipgraph/id/"
EPOCH_FILE = dict(default_imports())["epoch"]
TERA, GIGA = Decimal(10) ** 12, Decimal(10) ** 9
# Epoch column -> (our property, divisor)
CHECKED = {
    "FP64 (double precision) performance (FLOP/s)": ("denseFP64TFLOPS", TERA),
    "FP32 (single precision) performance (FLOP/s)": ("denseFP32TFLOPS", TERA),
    "FP16 (half precision) performance (FLOP/s)": ("denseFP16NonTensorTFLOPS", TERA),
    "TF32 (TensorFloat-32) performance (FLOP/s)": ("denseTF32TFLOPS", TERA),
    "Tensor-FP16/BF16 performance (FLOP/s)": ("denseFP16TFLOPS", TERA),
    "INT16 performance (OP/s)": ("denseINT16TOPS", TERA),
    "INT8 performance (OP/s)": ("denseINT8TOPS", TERA),
    "INT4 performance (OP/s)": ("denseINT4TOPS", TERA),
    "Memory size per board (Byte)": ("memoryGB", GIGA),
    "Memory bandwidth (byte/s)": ("memoryBandwidthGBps", GIGA),
    "Die Size (mm^2)": ("dieAreaMm2", Decimal(1)),
    "TDP (W)": ("tdpW", Decimal(1)),
    "Process size (nm)": ("processSizeNm", Decimal(1)),
}


@pytest.fixture(scope="module")
def fresh() -> OxigraphStore:
    """The default build: curated data plus the Epoch import."""
    _, store = build(None)
    assert store is not None
    return store


def epoch_rows() -> dict[str, dict[str, str]]:
    with EPOCH_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["Hardware name"]: row for row in csv.DictReader(handle)}


def import_graph() -> str:
    return DATASET.graph(sha256(EPOCH_FILE))


def stated(store: OxigraphStore, graph: str, chip: str, prop: str) -> set[Decimal]:
    rows = store.select(f"SELECT ?v WHERE {{ GRAPH <{graph}> {{ <{ID}chip/{chip}> <{CG}{prop}> ?v }} }}")
    return {Decimal(term_text(row["v"])) for row in rows}


@pytest.mark.parametrize(
    ("name", "chip"),
    [
        ("NVIDIA H100 SXM5 80GB", "nvidia-h100-sxm5"),
        ("NVIDIA HGX H20", "nvidia-h20"),
        ("AMD Instinct MI300X", "amd-instinct-mi300x"),
        ("Huawei Ascend 910B", "huawei-ascend-910b"),
    ],
)
def test_figures_match_the_file(fresh: OxigraphStore, name: str, chip: str) -> None:
    row = epoch_rows()[name]
    checked = 0
    for column, (prop, divisor) in CHECKED.items():
        cell = row[column].strip()
        expected = {Decimal(cell) / divisor} if cell else set()
        assert stated(fresh, import_graph(), chip, prop) == expected, (name, column)
        checked += bool(cell)
    assert checked >= 4
    released = fresh.select(
        f"SELECT ?d WHERE {{ GRAPH <{import_graph()}> {{ <{ID}chip/{chip}> <{CG}releaseDate> ?d }} }}"
    )
    assert [term_text(r["d"]) for r in released] == [row["Release date"]]


def test_reconciliation_makes_one_nvidia_and_one_huawei(fresh: OxigraphStore) -> None:
    """Epoch writes "NVIDIA", ETO "Nvidia", the curated data "Nvidia": one organisation; likewise Huawei."""
    for name in ("nvidia", "huawei"):
        rows = fresh.select(
            "SELECT DISTINCT ?o WHERE { ?o a <" + CG + "Organization> . "
            "{ ?o <http://www.w3.org/2000/01/rdf-schema#label> ?l } "
            "UNION { ?o <http://www.w3.org/2004/02/skos/core#altLabel> ?l } "
            f'FILTER(LCASE(STR(?l)) = "{name}") }}'
        )
        assert [term_text(r["o"]) for r in rows] == [f"{ID}organization/{name}"]
    designers = fresh.select(
        f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ GRAPH <{import_graph()}> "
        f"{{ ?c <{CG}designedBy> <{ID}organization/nvidia> }} }}"
    )
    nvidia_rows = sum(1 for row in epoch_rows().values() if row["Manufacturer"] == "NVIDIA")
    assert int(term_text(designers[0]["n"])) >= nvidia_rows - 8  # a few NVIDIA rows await review


def test_the_import_has_its_own_graph_with_provenance(fresh: OxigraphStore) -> None:
    source = import_graph().replace("/graph/", "/id/source/")
    rows = fresh.select(
        f"SELECT ?p ?o WHERE {{ GRAPH <https://w3id.org/chipgraph/graph/meta> {{ <{source}> ?p ?o }} }}"
    )
    facts = {term_text(r["p"]).rsplit("/", 1)[-1].rsplit("#", 1)[-1]: term_text(r["o"]) for r in rows}
    assert facts["checksumSha256"] == sha256(EPOCH_FILE)
    assert facts["licence"] == "CC BY 4.0" and facts["publisher"] == "Epoch AI"
    assert facts["date"] == "2025-12-10"  # the newest "Last modified" in the file


def test_chips_list_more_than_150_each_with_a_source(fresh: OxigraphStore) -> None:
    rows = fresh.select(
        f"SELECT ?c (COUNT(DISTINCT ?s) AS ?sources) WHERE {{ ?c a <{CG}Chip> . "
        "OPTIONAL { GRAPH ?g { ?c ?p ?o } GRAPH <https://w3id.org/chipgraph/graph/meta> "
        "{ ?g <http://www.w3.org/ns/prov#hadPrimarySource> ?s } } } GROUP BY ?c"
    )
    assert len(rows) > 150
    assert all(int(term_text(row["sources"])) >= 1 for row in rows)


def test_conflicts_list_both_statements_with_their_sources(fresh: OxigraphStore) -> None:
    found = {(c.entity.rsplit("/", 1)[-1], c.prop.rsplit("#", 1)[-1]): c for c in conflicts(fresh)}
    # Epoch has two rows for the P100 PCIe 16 GB ("NVIDIA Tesla P100 PCIe 16GB", "NVIDIA P100 PCIe 16GB").
    duplicate = found[("nvidia-tesla-p100-pcie-16gb", "memoryBandwidthGBps")]
    rows = epoch_rows()
    expected = {
        Decimal(rows[name]["Memory bandwidth (byte/s)"]) / GIGA
        for name in ("NVIDIA Tesla P100 PCIe 16GB", "NVIDIA P100 PCIe 16GB")
    }
    assert {Decimal(value) for value in duplicate.values} == expected
    assert all(graphs == [import_graph()] for graphs in duplicate.values.values())


def test_reimporting_the_same_file_changes_nothing(fresh: OxigraphStore) -> None:
    before = fresh.dump_nquads()
    report, _ = run_import(fresh, "epoch", EPOCH_FILE)
    assert (report.triples_added, report.merged) == (0, False)
    assert fresh.dump_nquads() == before


def test_the_report_counts_and_explains(fresh: OxigraphStore) -> None:
    report, _ = run_import(fresh, "epoch", EPOCH_FILE, dry_run=True)
    assert report.rows_read == len(epoch_rows())
    assert report.rows_read == sum(report.matched.values()) + report.created["chip"] + len(report.skipped)
    reasons = {skipped["name"]: skipped["reason"] for skipped in report.skipped}
    assert "no manufacturer" in reasons["GroqChip LPU v1"]
    assert "uncertain chip match" in reasons["NVIDIA A100"] and "nvidia-a100-pcie" in reasons["NVIDIA A100"]
    assert any(item["name"] == "NVIDIA A100" for item in report.review)
    assert any("metax-mxc500" in warning and "15 TB/s" in warning for warning in report.warnings)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,maker\nA,B\n", "required column(s) missing: Hardware name, Manufacturer"),
        (b"Hardware name,Manufacturer\n\xff\xfe,\x80\n", "bad.csv: line 2: not UTF-8 text (byte 0xff)"),
    ],
)
def test_a_malformed_file_is_refused_and_changes_nothing(
    fresh: OxigraphStore, tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    before = fresh.dump_nquads()
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_import(fresh, "epoch", bad)
    assert fresh.dump_nquads() == before


def test_an_older_release_column_name_is_read(tmp_path: Path) -> None:
    """An older Epoch release calls the memory column "Memory (bytes)"."""
    _, store = build(None)
    assert store is not None
    with EPOCH_FILE.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [row for row in reader if row["Hardware name"] == "AMD Instinct MI300X"]
        header = [
            "Memory (bytes)" if name == "Memory size per board (Byte)" else name for name in reader.fieldnames or []
        ]
    older = tmp_path / "ml_hardware_older.csv"
    with older.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow([row[name] for name in reader.fieldnames or [] for row in rows])
    report, _ = run_import(store, "epoch", older)
    assert report.matched["chip"] == 1 and report.merged
    graph = DATASET.graph(sha256(older))
    assert stated(store, graph, "amd-instinct-mi300x", "memoryGB") == {Decimal(192)}


def test_cli_import_dry_run_and_conflicts(store_dir: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["import", "epoch", str(EPOCH_FILE), "--dry-run", "--json", "--store", str(store_dir)])
    assert result.exit_code == 0, result.output
    assert '"triples_added": 0' in result.output  # the build imported this very file already
    listed = runner.invoke(app, ["conflicts", "--json", "--store", str(store_dir)])
    assert listed.exit_code == 0 and "nvidia-tesla-p100-pcie-16gb" in listed.output
    unknown = runner.invoke(app, ["import", "nope", str(EPOCH_FILE), "--store", str(store_dir)])
    assert unknown.exit_code == 2
    missing = runner.invoke(app, ["import", "epoch", "/no/such/file.csv", "--store", str(store_dir)])
    assert missing.exit_code == 2


CSL_FIXTURE = Path(__file__).parent / "data" / "csl" / "consolidated_screening_list.csv"


def test_csl_entity_list_rows_become_entries_with_citation_and_dates() -> None:
    _, store = build(None)
    assert store is not None
    report, _ = run_import(store, "csl", CSL_FIXTURE)
    assert report.rows_read == 6
    reasons = sorted(skipped["reason"].split(" (")[0] for skipped in report.skipped)
    assert reasons == ["no name", "not an Entity List row"]
    assert report.matched["entity-list-entry"] == 3  # Huawei, HiSilicon and SMIC are curated already
    assert report.created["entity-list-entry"] == 1 and report.created["organization"] == 1
    rows = store.select(
        f"SELECT ?entry ?from ?citation WHERE {{ ?entry <{CG}listedEntity> ?org ; <{CG}validFrom> ?from ; "
        f'<{CG}addedBy>/<{CG}citation> ?citation . ?org <http://www.w3.org/2004/02/skos/core#altLabel> "Sugon" }}'
    )
    assert [(term_text(r["from"]), term_text(r["citation"])) for r in rows] == [("2019-06-24", "84 FR 29371")]
    huawei = store.select(f"SELECT ?p WHERE {{ <{ID}entity-list-entry/huawei-2019> <{CG}reviewPolicy> ?p }}")
    assert [term_text(r["p"]) for r in huawei] == [CG + "PresumptionOfDenial"]
    again, _ = run_import(store, "csl", CSL_FIXTURE)
    assert (again.triples_added, again.merged) == (0, False)


ETO_FOLDER = dict(default_imports())["eto"]


def eto_rows(name: str) -> list[dict[str, str]]:
    with (ETO_FOLDER / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_eto_provisions_carry_share_and_year_from_the_file(fresh: OxigraphStore) -> None:
    provisions = [r for r in eto_rows("provision.csv") if r["provided_id"] == "N20" and r["provider_name"] == "ASML"]
    assert len(provisions) == 1
    rows = fresh.select(
        f"SELECT ?share ?year ?country WHERE {{ ?p a <{CG}Provision> ; <{CG}provider> <{ID}organization/asml> ; "
        f'<{CG}providedInput>/<{CG}etoId> "N20" ; <{CG}marketSharePercent> ?share ; <{CG}shareYear> ?year . '
        f"<{ID}organization/asml> <{CG}headquarteredIn>/<{CG}isoAlpha3> ?country }}"
    )
    assert [(Decimal(term_text(r["share"])), term_text(r["year"]), term_text(r["country"])) for r in rows] == [
        (Decimal(provisions[0]["share_provided"]), provisions[0]["year"], "NLD")
    ]


def test_eto_inputs_stages_and_sequence(fresh: OxigraphStore) -> None:
    kinds = fresh.select(f'SELECT ?broader WHERE {{ ?i <{CG}etoId> "N20" ; <{CG}kindOf>/<{CG}etoId> ?broader }}')
    expected = {r["is_type_of_id"] for r in eto_rows("sequence.csv") if r["input_id"] == "N20" and r["is_type_of_id"]}
    assert {term_text(r["broader"]) for r in kinds} == expected
    stages = fresh.select(f"SELECT ?s WHERE {{ ?s a <{CG}SupplyChainStage> }}")
    assert len(stages) == len(eto_rows("stages.csv"))


def test_eto_countries_are_matched_by_iso_code_or_created_with_it(fresh: OxigraphStore) -> None:
    countries = fresh.select(
        f'SELECT ?c ?a2 WHERE {{ ?c a <{CG}Country> ; <{CG}isoAlpha3> "NLD" ; <{CG}isoAlpha2> ?a2 }}'
    )
    assert [(term_text(r["c"]), term_text(r["a2"])) for r in countries] == [(f"{ID}country/NL", "NL")]
    china = fresh.select(f'SELECT ?c WHERE {{ ?c a <{CG}Country> ; <{CG}isoAlpha3> "CHN" }}')
    assert [term_text(r["c"]) for r in china] == [f"{ID}country/CN"]  # the curated one, not a copy


def test_eto_aggregates_are_skipped_with_the_reason_and_reimport_changes_nothing(fresh: OxigraphStore) -> None:
    before = fresh.dump_nquads()
    report, _ = run_import(fresh, "eto", ETO_FOLDER)
    assert (report.triples_added, report.merged) == (0, False)
    assert fresh.dump_nquads() == before
    reasons = {skipped["name"]: skipped["reason"] for skipped in report.skipped}
    assert "not a country" in reasons["Various countries"]
    assert report.created["provision"] + sum(
        1 for s in report.skipped if s["reason"].startswith("provision.csv")
    ) == len(eto_rows("provision.csv"))


def test_eto_refuses_a_folder_with_a_missing_file(fresh: OxigraphStore, tmp_path: Path) -> None:
    for name in ("stages.csv", "inputs.csv", "sequence.csv", "providers.csv"):
        (tmp_path / name).write_bytes((ETO_FOLDER / name).read_bytes())
    before = fresh.dump_nquads()
    with pytest.raises(ImportFileError, match=r"provision\.csv"):
        run_import(fresh, "eto", tmp_path)
    assert fresh.dump_nquads() == before


def test_eto_import_records_the_snapshot_date_of_the_copy(fresh: OxigraphStore) -> None:
    assert dict(default_imports())["eto"] == ETO_FOLDER
    prefix = "https://w3id.org/chipgraph/id/source/eto-supply-chain-"
    rows = fresh.select(
        f"SELECT ?date WHERE {{ GRAPH <https://w3id.org/chipgraph/graph/meta> {{ ?source a <{CG}Dataset> ; "
        f'<http://purl.org/dc/terms/date> ?date FILTER(STRSTARTS(STR(?source), "{prefix}")) }} }}'
    )
    assert [term_text(row["date"]) for row in rows] == ["2026-08-14"]
