"""Total processing performance from every throughput column Epoch publishes (issue 11, item 1).

The expected figures are computed here from the CSV itself: the bit length of each column is
read from its name (FP64, TF32, Tensor-FP16/BF16, INT8, ...), the TPP is the maximum over the
row's columns of figure x bit length. The store is the real default build (curated data plus the
Epoch import) from the `built` fixture.
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal

import pytest

from kg.build import BuildSummary, build
from kg.gate import derive
from kg.importers import default_imports
from kg.importers.common import sha256
from kg.importers.epoch import COLUMNS, DATASET, IGNORED, THROUGHPUT
from kg.namespaces import ONTOLOGY_GRAPH
from kg.store import OxigraphStore, term_text

CG = "https://w3id.org/chipgraph/ontology#"
CHIP = "https://w3id.org/chipgraph/id/chip/"
EPOCH_FILE = dict(default_imports())["epoch"]
PERFORMANCE = re.compile(r"performance|FLOP|OP/s")
PRECISION = re.compile(r"\b(?:Tensor-)?(?:FP|TF|BF|INT)(\d+)\b")  # "FP16 (half ...)", "Tensor-FP16/BF16 ..."
TERA = Decimal(10) ** 12
# The kind of unit each precision column counts. Epoch's general FP64/FP32/FP16 columns are the
# non-tensor figures (the H100's FP16 column has 133.8 T, its tensor column 989.4 T); FP8 and FP4
# exist only on tensor units; the integer columns do not say.
KINDS = {
    "FP64 (double precision) performance (FLOP/s)": "NonTensorUnit",
    "FP32 (single precision) performance (FLOP/s)": "NonTensorUnit",
    "FP16 (half precision) performance (FLOP/s)": "NonTensorUnit",
    "TF32 (TensorFloat-32) performance (FLOP/s)": "TensorUnit",
    "Tensor-FP16/BF16 performance (FLOP/s)": "TensorUnit",
    "FP8 performance (FLOP/s)": "TensorUnit",
    "FP4 performance (FLOP/s)": "TensorUnit",
    "INT16 performance (OP/s)": "UnstatedUnit",
    "INT8 performance (OP/s)": "UnstatedUnit",
    "INT4 performance (OP/s)": "UnstatedUnit",
}


def header() -> list[str]:
    with EPOCH_FILE.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def row_of(name: str) -> dict[str, str]:
    with EPOCH_FILE.open(encoding="utf-8", newline="") as handle:
        return next(row for row in csv.DictReader(handle) if row["Hardware name"] == name)


def precision_columns() -> dict[str, int]:
    """Each column of the file that names a precision, with that precision's bit length."""
    found = {column: PRECISION.search(column) for column in header()}
    return {column: int(match.group(1)) for column, match in found.items() if match}


def expected_tpp(row: dict[str, str]) -> tuple[Decimal, set[str]] | None:
    """The TPP of an Epoch row (max over its precision columns of 10^12/s x bits) and the columns attaining it."""
    candidates = {
        column: Decimal(row[column]) / TERA * bits
        for column, bits in precision_columns().items()
        if row[column].strip()
    }
    if not candidates:
        return None
    best = max(candidates.values())
    return best, {column for column, value in candidates.items() if value == best}


def computed_tpp(store: OxigraphStore, slug: str) -> list[Decimal]:
    rows = store.select(f"SELECT ?v WHERE {{ <{CHIP}{slug}> <{CG}computedTPP> ?v }}")
    return [Decimal(term_text(row["v"])) for row in rows]


def tpp_inputs(store: OxigraphStore, slug: str) -> set[tuple[str, str, str, str]]:
    """(property, its unit kind, its Epoch column, graph) of each input of the chip's computed TPP."""
    rows = store.select(
        f"""PREFIX cg: <{CG}>
        SELECT ?p ?kind ?column ?g WHERE {{
          ?d cg:derivedFor <{CHIP}{slug}> ; cg:derivedProperty cg:computedTPP ;
             <http://www.w3.org/ns/prov#wasDerivedFrom> ?i .
          ?i cg:inputProperty ?p ; cg:inputGraph ?g .
          GRAPH <{ONTOLOGY_GRAPH}> {{ ?p cg:processingUnitKind ?kind ; cg:epochColumn ?column }}
        }}"""
    )
    return {(term_text(r["p"]), term_text(r["kind"]), term_text(r["column"]), term_text(r["g"])) for r in rows}


def test_every_performance_column_of_the_file_is_read_or_ignored_with_a_reason() -> None:
    read = {name for column in COLUMNS for name in column.names}
    columns = [column for column in header() if PERFORMANCE.search(column)]
    assert len(columns) >= 12
    unaccounted = [column for column in columns if column not in read and column not in IGNORED]
    assert unaccounted == []
    assert all(reason.strip() for reason in IGNORED.values())
    assert set(IGNORED) <= set(header())  # no stale entries


def test_every_precision_column_is_a_throughput_property_with_its_bit_length(curated: OxigraphStore) -> None:
    """The importer's mapping, the ontology's annotations and the column names agree."""
    mapped = {name: column.prop for column in THROUGHPUT for name in column.names}
    assert set(precision_columns()) == set(mapped)
    for name, bits in precision_columns().items():
        rows = curated.select(
            f"""PREFIX cg: <{CG}>
            SELECT ?bits ?kind WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{
              cg:{mapped[name]} <http://www.w3.org/2000/01/rdf-schema#subPropertyOf> cg:denseThroughput ;
                cg:operandBitLength ?bits ; cg:processingUnitKind ?kind ; cg:epochColumn "{name}" ;
                cg:countsForTPP true }} }}"""
        )
        assert [(int(term_text(r["bits"])), term_text(r["kind"])) for r in rows] == [(bits, CG + KINDS[name])], name


def test_the_rule_for_what_counts_is_stated_with_its_citation(curated: OxigraphStore) -> None:
    rows = curated.select(
        f"""SELECT ?comment ?citation WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{
          <{CG}countsForTPP> <http://www.w3.org/2000/01/rdf-schema#comment> ?comment ;
            <http://purl.org/dc/terms/bibliographicCitation> ?citation }} }}"""
    )
    assert len(rows) == 1
    assert "non-tensor" in term_text(rows[0]["comment"]) and "Sparse" in term_text(rows[0]["comment"])
    assert term_text(rows[0]["citation"]).startswith("Technical Note to 3A090, 15 CFR 774 Supplement 1")


@pytest.mark.parametrize(
    ("name", "slug"),
    [("Huawei Ascend 910B", "huawei-ascend-910b"), ("Huawei Ascend 910C", "huawei-ascend-910c")],
)
def test_an_fp16_figure_only_in_the_non_tensor_column_gives_the_tpp(
    built: tuple[BuildSummary, OxigraphStore], name: str, slug: str
) -> None:
    """Before: 3008 (from FP32) for the 910B and no TPP for the 910C, their FP16 figure being dropped."""
    store = built[1]
    row = row_of(name)
    assert row["FP16 (half precision) performance (FLOP/s)"] and not row["Tensor-FP16/BF16 performance (FLOP/s)"]
    expected = expected_tpp(row)
    assert expected is not None
    assert computed_tpp(store, slug) == [expected[0]]
    assert expected[1] == {"FP16 (half precision) performance (FLOP/s)"}
    inputs = tpp_inputs(store, slug)
    assert {(prop, kind, column) for prop, kind, column, _ in inputs} == {
        (CG + "denseFP16NonTensorTFLOPS", CG + "NonTensorUnit", "FP16 (half precision) performance (FLOP/s)")
    }
    assert DATASET.graph(sha256(EPOCH_FILE)) in {graph for *_, graph in inputs}  # the import's graph, its provenance


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("NVIDIA H100 SXM5 80GB", "nvidia-h100-sxm5"),
        ("AMD Instinct MI300X", "amd-instinct-mi300x"),
        ("NVIDIA Tesla T4", "nvidia-tesla-t4"),
        ("Huawei Ascend 910", "huawei-ascend-910"),
    ],
)
def test_the_tpp_is_the_maximum_over_every_column_of_the_row(
    built: tuple[BuildSummary, OxigraphStore], name: str, slug: str
) -> None:
    store = built[1]
    expected = expected_tpp(row_of(name))
    assert expected is not None
    assert computed_tpp(store, slug) == [expected[0]]
    imported = {column for _, _, column, graph in tpp_inputs(store, slug) if graph == DATASET.graph(sha256(EPOCH_FILE))}
    assert imported == expected[1]


def test_the_tpp_counts_only_what_the_ontology_marks_as_counting() -> None:
    """The rule is data: unmark the non-tensor FP16 property and the 910C, which has no other figure, loses its TPP."""
    _, store = build(None)
    assert store is not None
    store.update(
        f"DELETE DATA {{ GRAPH <{ONTOLOGY_GRAPH}> {{ <{CG}denseFP16NonTensorTFLOPS> <{CG}countsForTPP> true }} }}"
    )
    derive.recompute(store, {CHIP + "huawei-ascend-910c", CHIP + "huawei-ascend-910b"})
    assert computed_tpp(store, "huawei-ascend-910c") == []
    assert computed_tpp(store, "huawei-ascend-910b") == [Decimal(94) * 32]  # its FP32 figure, the next best
