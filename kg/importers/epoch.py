"""Epoch AI's Machine Learning Hardware data set (ml_hardware.csv, CC BY 4.0) as chip facts.

Each row is an accelerator. Every throughput column (FLOP/s or OP/s) becomes 10^12 per second on
its own dense throughput property (THROUGHPUT: tensor and non-tensor figures apart; the ontology
gives each its operand bit length, its kind of unit and its column); memory bytes become GB,
bandwidths GB/s. Epoch's derived columns (IGNORED) are not read. Empty cells and `inf` are left
out; a cell that is not a number is left out and noted; a row without a name or a manufacturer
is skipped with the reason. Column names that changed between releases are read under any of
their names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox

from kg.importers.common import (
    ALT_LABEL,
    LABEL,
    RDF_TYPE,
    Dataset,
    ImportReport,
    Match,
    Reconciler,
    cg,
    count_rows,
    decimal_literal,
    parse_date,
    parse_number,
    read_csv,
)
from kg.namespaces import ID_BASE
from kg.store import AnyStore

DATASET = Dataset(
    stem="epoch-ml-hardware",
    title="Machine Learning Hardware (ml_hardware.csv), imported",
    publisher="Epoch AI",
    licence="CC BY 4.0",
    url="https://epoch.ai/data/machine-learning-hardware",
    citation="Epoch AI, 'Machine Learning Hardware', imported by chipgraph: throughput converted from FLOP/s "
    "and OP/s to 10^12 per second, memory from bytes to GB, bandwidth from byte/s to GB/s.",
)
NAME, MANUFACTURER = "Hardware name", "Manufacturer"
REQUIRED = [NAME, MANUFACTURER]
LISTS = {"Foundry": ","}  # columns naming several organisations, and their separator
TERA, GIGA = Decimal(10) ** 12, Decimal(10) ** 9


@dataclass(frozen=True)
class Column:
    """A numeric column: its names across releases, the property it fills, the divisor to our unit."""

    names: tuple[str, ...]
    prop: str
    divisor: Decimal = Decimal(1)


# Every throughput column Epoch publishes, each into its own sub-property of cg:denseThroughput:
# tensor and non-tensor figures of one precision stay apart, and the ontology annotates each
# property with its operand bit length, its kind of unit and this column (cg:epochColumn).
THROUGHPUT = (
    Column(("FP64 (double precision) performance (FLOP/s)",), "denseFP64TFLOPS", TERA),
    Column(("FP32 (single precision) performance (FLOP/s)",), "denseFP32TFLOPS", TERA),
    Column(("FP16 (half precision) performance (FLOP/s)",), "denseFP16NonTensorTFLOPS", TERA),
    Column(("TF32 (TensorFloat-32) performance (FLOP/s)",), "denseTF32TFLOPS", TERA),
    Column(("Tensor-FP16/BF16 performance (FLOP/s)",), "denseFP16TFLOPS", TERA),
    Column(("FP8 performance (FLOP/s)",), "denseFP8TFLOPS", TERA),
    Column(("INT16 performance (OP/s)",), "denseINT16TOPS", TERA),
    Column(("INT8 performance (OP/s)",), "denseINT8TOPS", TERA),
    Column(("INT4 performance (OP/s)",), "denseINT4TOPS", TERA),
    Column(("FP4 performance (FLOP/s)",), "denseFP4TFLOPS", TERA),
)
COLUMNS = (
    *THROUGHPUT,
    Column(("Total processing performance (bit-OP/s)",), "statedTPP", TERA),
    Column(("Memory size per board (Byte)", "Memory (bytes)", "Memory size (bytes)"), "memoryGB", GIGA),
    Column(("Memory bandwidth (byte/s)",), "memoryBandwidthGBps", GIGA),
    Column(("Intranode bandwidth (byte/s)",), "interconnectBandwidthGBps", GIGA),
    Column(("Die Size (mm^2)",), "dieAreaMm2"),
    Column(("TDP (W)",), "tdpW"),
    Column(("Transistors (millions)",), "transistorsMillions"),
    Column(("Process size (nm)",), "processSizeNm"),
)
# Performance columns deliberately not read, and why (tests/test_tpp.py checks that every
# performance column of the file is either in COLUMNS or here).
IGNORED = {
    "Max performance": "Epoch's own maximum over the precision columns, read already; it names no precision",
    "ML OP/s": "Epoch's own pick among the precision columns for ML work, read already; it names no precision",
    "Price-performance": "a ratio Epoch derives from price and a throughput column, not a throughput",
    "Energy efficiency": "a ratio Epoch derives from TDP and a throughput column, not a throughput",
}
# Epoch's "Type" -> our class, for chips the import creates (existing chips keep their types).
TYPES = {"GPU": "GPU", "GPGPU": "GPU", "DCU (GPGPU)": "GPU", "TPU": "TPU", "NPU": "NPU", "ASIC": "NPU", "LPU": "NPU"}
# Designers whose Epoch "GPU" rows are not GPUs by any other source (see data/chips-epoch.trig).
NOT_GPU_DESIGNERS = {"huawei", "aws"}


@dataclass
class Context:
    """What one import run shares between rows."""

    store: AnyStore
    chips: Reconciler
    organisations: Reconciler
    report: ImportReport
    triples: set[ox.Triple]
    header: list[str]


def snapshot_date(rows: list[dict[str, str]]) -> date | None:
    """The newest "Last modified" date of the file: the snapshot the data set describes."""
    dates = []
    for row in rows:
        try:
            found = parse_date(row.get("Last modified") or "")
        except ValueError:
            continue
        if found is not None:
            dates.append(found)
    return max(dates, default=None)


def convert(context: Context, rows: list[dict[str, str]], tick: Callable[[], None]) -> None:
    """Turn every row into triples in ``context.triples``; record matches and skips in the report."""
    for number, row in enumerate(rows, start=2):
        context.report.rows_read += 1
        convert_row(context, number, row)
        tick()


def convert_row(context: Context, number: int, row: dict[str, str]) -> None:
    """One row: reconcile its chip and designer, then its figures."""
    name, maker = (row.get(NAME) or "").strip(), (row.get(MANUFACTURER) or "").strip()
    report = context.report
    if not name:
        report.skip(number, name, "no hardware name")
        return
    if not maker:
        report.skip(number, name, "no manufacturer: a chip needs its designer")
        return
    designer = organisation(context, maker, number, name, role="ChipDesigner")
    chip = context.chips.match(name)
    if designer is None or not _usable(context, chip, number, name, "chip"):
        return
    assert chip.iri is not None
    node = ox.NamedNode(chip.iri)
    if chip.how == "new":
        context.chips.remember(name, chip.iri)
        context.triples |= {
            ox.Triple(node, RDF_TYPE, cg(chip_class(row.get("Type") or "", designer))),
            ox.Triple(node, LABEL, ox.Literal(name)),
        }
    elif name not in context.chips.labels.get(chip.iri, set()):
        context.triples.add(ox.Triple(node, ALT_LABEL, ox.Literal(name)))
    context.triples.add(ox.Triple(node, cg("designedBy"), ox.NamedNode(designer)))
    figures(context, node, number, name, row)
    foundries(context, node, number, name, row)


def chip_class(epoch_type: str, designer: str) -> str:
    """The class of a chip the import creates."""
    kind = TYPES.get(epoch_type.strip(), "AIAccelerator")
    if kind == "GPU" and designer.rsplit("/", 1)[-1] in NOT_GPU_DESIGNERS:
        return "AIAccelerator"
    return kind


def _usable(context: Context, match: Match, number: int, name: str, kind: str) -> bool:
    report = context.report
    if match.how == "uncertain":
        report.review.append({"row": number, "name": name, "kind": kind, "candidates": match.candidates})
        report.skip(
            number, name, f"uncertain {kind} match ({', '.join(match.candidates)}): add a line to data/aliases.csv"
        )
        return False
    (report.created if match.how == "new" else report.matched)[kind] += 1
    return True


def organisation(context: Context, name: str, number: int, row_name: str, *, role: str) -> str | None:
    """The organisation ``name`` denotes (created with ``role`` if new); None when uncertain.

    An uncertain designer skips the row; an uncertain foundry is only left out of it (a note), the
    chip imported without it: either way the candidates are listed for review.
    """
    match = context.organisations.match(name)
    if match.how == "uncertain":
        context.report.review.append(
            {"row": number, "name": name, "kind": "organization", "candidates": match.candidates}
        )
        why = f"uncertain organisation match for {name!r}: add it to data/aliases.csv"
        if role == "ChipDesigner":
            context.report.skip(number, row_name, why)
        else:
            context.report.notes.append(f"row {number} ({row_name}): {role.lower()} left out: {why}")
        return None
    assert match.iri is not None
    node = ox.NamedNode(match.iri)
    if match.how == "new":
        context.organisations.remember(name, match.iri)
        context.report.created["organization"] += 1
        context.triples |= {ox.Triple(node, RDF_TYPE, cg(role)), ox.Triple(node, LABEL, ox.Literal(name))}
    else:
        context.triples.add(ox.Triple(node, RDF_TYPE, cg(role)))
    return match.iri


def figures(context: Context, node: ox.NamedNode, number: int, name: str, row: dict[str, str]) -> None:
    """The numeric figures and the release date of one row."""
    for column in COLUMNS:
        header = next((candidate for candidate in column.names if candidate in context.header), None)
        if header is None:
            continue
        try:
            value = parse_number(row.get(header) or "")
        except ValueError as error:
            context.report.notes.append(f"row {number} ({name}): {header}: {error}; left out")
            continue
        if value is not None and value > 0:
            context.triples.add(ox.Triple(node, cg(column.prop), decimal_literal(value / column.divisor)))
    try:
        released = parse_date(row.get("Release date") or "")
    except ValueError:
        context.report.notes.append(f"row {number} ({name}): release date {row.get('Release date')!r} is not a date")
        released = None
    if released is not None:
        literal = ox.Literal(released.isoformat(), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))
        context.triples.add(ox.Triple(node, cg("releaseDate"), literal))


def foundries(context: Context, node: ox.NamedNode, number: int, name: str, row: dict[str, str]) -> None:
    """The foundries of one row ("SMIC,TSMC" names two), and its process node when one foundry is named."""
    names = [part.strip() for part in (row.get("Foundry") or "").split(LISTS["Foundry"]) if part.strip()]
    found = [organisation(context, foundry, number, name, role="Foundry") for foundry in names]
    for iri in found:
        if iri is not None:
            context.triples.add(ox.Triple(node, cg("manufacturedBy"), ox.NamedNode(iri)))
    size = row.get("Process size (nm)") or ""
    if len(found) == 1 and found[0] is not None and size.strip():
        try:
            nanometres = parse_number(size)
        except ValueError:
            return
        if nanometres is None:
            return
        process = ox.NamedNode(
            f"{ID_BASE}process-node/{found[0].rsplit('/', 1)[-1]}-{format(nanometres.normalize(), 'f')}nm"
        )
        if context.store.query(f"ASK {{ {process} a {cg('ProcessNode')} }}"):
            context.triples.add(ox.Triple(node, cg("processNode"), process))


def count(path: Path) -> int:
    """How many rows the file has (for the progress display)."""
    return count_rows(path, REQUIRED, LISTS)


def run(
    store: AnyStore, path: Path, report: ImportReport, tick: Callable[[], None]
) -> tuple[set[ox.Triple], date | None]:
    """The triples of an Epoch file and its snapshot date; raises ImportFileError if it cannot be read."""
    header, rows = read_csv(path, REQUIRED, LISTS)
    context = Context(
        store=store,
        chips=Reconciler(store, "chip", "Chip"),
        organisations=Reconciler(store, "organization", "Organization"),
        report=report,
        triples=set(),
        header=header,
    )
    convert(context, rows, tick)
    return context.triples, snapshot_date(rows)
