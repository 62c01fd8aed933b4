"""Commands over public data sets: import one (or dry-run it), list conflicting figures."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from kg import conflicts as conflict_module
from kg.cli.common import (
    FormatOption,
    JsonOption,
    StoreOption,
    WaitOption,
    app,
    chosen,
    emit,
    err,
    fail,
    open_store,
    out,
)
from kg.gate.merge import MergeRefusedError
from kg.importers import IMPORTERS, ImportFileError, run_import
from kg.importers.common import ImportReport
from kg.output import OutputFormat, print_table, report_table
from kg.store import AnyStore


@app.command("import")
def import_command(
    source: Annotated[str, typer.Argument(help=f"The data set: {', '.join(IMPORTERS)}.")],
    path: Annotated[Path, typer.Argument(help="The file (or, for eto, the folder of CSV files).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report; write nothing.")] = False,
    snapshot: Annotated[
        str | None, typer.Option("--snapshot", help="The date the file describes (YYYY-MM-DD), if it does not say.")
    ] = None,
    output_format: FormatOption = OutputFormat.table,
    as_json: JsonOption = False,
    store: StoreOption = None,
    wait: WaitOption = None,
) -> None:
    """Import a public data set through validate-then-merge, with a report.

    Exit codes: 0 merged (or would merge), 1 refused by the shapes (nothing written), 2 bad input,
    3 the store is in use by another chipgraph process (nothing written). CSV: the skipped rows.
    """
    if source not in IMPORTERS:
        fail(f"unknown data set {source!r}; known: {', '.join(IMPORTERS)}")
    graph = open_store(store, write=not dry_run, wait=wait)
    try:
        report, _ = _run(graph, source, path, dry_run, _snapshot(snapshot))
    except ImportFileError as error:
        fail(str(error))
    except MergeRefusedError as error:
        print_table(report_table(error.report), out)  # the report on stdout, as merge prints it
        fail(f"import refused, nothing written: {error}", code=1)
    finally:
        graph.close()
    output_format = chosen(output_format, as_json)
    if output_format is OutputFormat.table:
        print_report(report, dry_run)
    else:
        rows = [(skipped["row"], skipped["name"], skipped["reason"]) for skipped in report.skipped]
        emit(output_format, tables=list, data=report.to_json(), header=("row", "name", "reason"), rows=rows)


def _snapshot(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--snapshot takes a date (YYYY-MM-DD), not {text!r}")


def _run(graph: AnyStore, source: str, path: Path, dry_run: bool, snapshot: date | None) -> tuple[ImportReport, object]:
    with Progress(console=err, transient=True) as progress:
        total = IMPORTERS[source].count(path) if path.exists() else 0
        task = progress.add_task(f"importing {escape(path.name)}", total=total or None)

        def tick() -> None:
            progress.advance(task)

        return run_import(graph, source, path, dry_run=dry_run, tick=tick, snapshot=snapshot)


def print_report(report: ImportReport, dry_run: bool) -> None:
    """The import report as tables: counts, skipped rows, uncertain matches, warnings."""
    verb = "would add" if dry_run else "added"
    out.print(f"[bold]{report.source}[/] {escape(report.path)} -> {report.graph}")
    out.print(
        f"rows read {report.rows_read}; created {dict(report.created) or 0}; matched {dict(report.matched) or 0}; "
        f"skipped {len(report.skipped)}; {verb} {report.triples_added} triples"
    )
    if report.skipped:
        table = Table("row", "name", "reason", title="skipped rows")
        for skipped in report.skipped:
            table.add_row(str(skipped["row"]), escape(skipped["name"]), escape(skipped["reason"]))
        print_table(table, out)
    for note in report.notes:
        out.print(f"note: {escape(note)}")
    for warning in report.warnings:
        out.print(f"[yellow]warning:[/] {escape(warning)}")


@app.command()
def conflicts(
    output_format: FormatOption = OutputFormat.table,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """List chip figures that two statements give differently, each value with its source graphs.

    CSV: one row per value (chip, property, value, graphs separated by spaces).
    """
    graph = open_store(store)
    try:
        found = conflict_module.conflicts(graph)
    finally:
        graph.close()
    data = [conflict.to_json() for conflict in found]
    rows = [
        (
            item["entity"],
            item["property"],
            value["value"],
            [g.rsplit("/", 1)[-1] for g in value["graphs"]],
            value["confidence"],
        )
        for item in data
        for value in item["values"]
    ]

    def table() -> Table:
        made = Table("chip", "property", "value", "graphs", "confidence")
        for chip, prop, value, graphs, levels in rows:
            made.add_row(chip, prop, value, ", ".join(graphs), ", ".join(levels))
        return made

    emit(
        chosen(output_format, as_json),
        tables=table,
        data=data,
        header=("chip", "property", "value", "graphs", "confidence"),
        rows=rows,
    )
    err.print(f"{len(found)} conflicting figure(s)")
