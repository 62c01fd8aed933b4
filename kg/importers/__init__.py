"""Importers of public data sets: each file becomes changesets merged through validate-then-merge.

``run_import(store, "epoch", path)`` reads the file, reconciles its entities with the graph (the
alias table data/aliases.csv first, then names and aliases), and merges one changeset for the
import's own graph plus one describing its source in graph/meta. Nothing is written when the
file cannot be read or the result would not conform; re-importing a file changes nothing.

Hostile or broken files are refused whole, never imported in part (common.read_csv): a row cut
off or malformed (more or fewer cells than the header, a quote left open or stray, a file that
ends without a line end after its last row, bytes that are not UTF-8, NUL bytes) and a cell a
spreadsheet would run as a formula (=, +, -, @, or a tab or carriage return, followed by text
that is not a number) each raise ImportFileError naming the file, the line and, for a cell, the
column. Formula cells refuse the file rather than being dropped with a warning: a formula is
never data in these data sets, and a file someone edited that way cannot be trusted for its other
cells either; refusing keeps "nothing partial" the one rule (docs/adr/0007-importers.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyoxigraph as ox

from kg import resources
from kg.gate.changes import Changeset
from kg.gate.merge import effective, merge
from kg.gate.validate import ValidationReport, validate_changes
from kg.importers import csl, epoch, eto
from kg.importers.common import Dataset, ImportFileError, ImportReport, file_bytes, sha256
from kg.namespaces import META_GRAPH
from kg.store import AnyStore

__all__ = ["IMPORTERS", "ImportFileError", "Importer", "default_imports", "import_changesets", "run_import"]

Tick = Callable[[], None]


@dataclass(frozen=True)
class Importer:
    """One data set: its description, and a function from (store, path, report, tick) to triples."""

    dataset: Dataset
    convert: Callable[[AnyStore, Path, ImportReport, Tick], tuple[set[ox.Triple], date | None]]
    count: Callable[[Path], int]


IMPORTERS: dict[str, Importer] = {
    "epoch": Importer(epoch.DATASET, epoch.run, epoch.count),
    "eto": Importer(eto.DATASET, eto.run, eto.count),
    "csl": Importer(csl.DATASET, csl.run, csl.count),
}


# The data sets every build imports: source, path under data/sets/, and the snapshot date of the
# copy where the files do not say it (data/sets/README.md).
DEFAULT_IMPORTS = [("epoch", "epoch/ml_hardware.csv", None), ("eto", "eto", date(2026, 8, 14))]


def default_imports() -> list[tuple[str, Path]]:
    """The data sets every build imports: (source, path) of the copies packaged in data/sets/."""
    sets = resources.resource_dir("data") / "sets"
    return [(source, sets / relative) for source, relative, _ in DEFAULT_IMPORTS]


def known_snapshot(source: str, path: Path) -> date | None:
    """The recorded snapshot date of a packaged data set copy, when ``path`` is that copy."""
    for (name, copy), (_, _, snapshot) in zip(default_imports(), DEFAULT_IMPORTS, strict=True):
        if name == source and copy.resolve() == path.resolve():
            return snapshot
    return None


def import_changesets(
    store: AnyStore, source: str, path: Path, tick: Tick = lambda: None, snapshot: date | None = None
) -> tuple[list[Changeset], ImportReport]:
    """The changesets an import of ``path`` would merge, and its report so far.

    ``snapshot`` is the date the file describes, when the file does not say it (the packaged
    copies' dates are known). Raises KeyError for an unknown source and ImportFileError for a
    file that cannot be imported.
    """
    importer = IMPORTERS[source]
    if not path.exists():
        raise ImportFileError(f"{path}: no such file or folder")
    checksum = sha256_of(path)
    graph = importer.dataset.graph(checksum)
    report = ImportReport(source=source, path=str(path), graph=graph)
    triples, stated = importer.convert(store, path, report, tick)
    snapshot = stated or snapshot or known_snapshot(source, path)
    author, message = "chipgraph import", f"import {source} from {path.name} (SHA-256 {checksum[:12]})"
    meta = Changeset(
        META_GRAPH, frozenset(importer.dataset.source_triples(checksum, snapshot)), frozenset(), author, message
    )
    data = Changeset(graph, frozenset(triples), frozenset(), author, message)
    return [meta, data], report


def sha256_of(path: Path) -> str:
    """The checksum of a file, or of a folder's CSV files in name order.

    Raises ImportFileError if one cannot be read (see common.file_bytes).
    """
    if not path.is_dir():
        return sha256(path)
    digest = hashlib.sha256()
    for file in sorted(path.glob("*.csv")):
        digest.update(file.name.encode() + b"\0" + file_bytes(file))
    return digest.hexdigest()


def run_import(
    store: AnyStore,
    source: str,
    path: Path,
    *,
    dry_run: bool = False,
    tick: Tick = lambda: None,
    snapshot: date | None = None,
) -> tuple[ImportReport, ValidationReport]:
    """Import ``path`` as data set ``source``: merge it, or only validate it with ``dry_run``.

    Warnings are allowed and listed in the report. Raises MergeRefusedError (nothing written)
    on violations, ImportFileError for a file that cannot be imported.
    """
    changesets, report = import_changesets(store, source, path, tick, snapshot)
    if dry_run:
        validation = validate_changes(store, changesets, allow_warnings=True)
        effective_parts = [part for part in (effective(store, change) for change in changesets) if part is not None]
        report.triples_added = sum(len(part.add) for part in effective_parts)
    else:
        result = merge(store, changesets, allow_warnings=True)
        validation = result.report
        report.merged = bool(result.merged)
        report.triples_added = sum(len(change.add) for change in result.merged)
    report.warnings = [f"{r.focus_node}: {r.message}" for r in validation.results if r.severity != "Violation"]
    return report, validation
