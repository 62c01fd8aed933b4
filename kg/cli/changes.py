"""Commands over changesets: validate, merge, revert, log, show."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

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
from kg.cli.coverage import changed_subjects, print_coverage_warnings
from kg.coverage import coverage_warnings
from kg.gate import changes, merge
from kg.gate.changes import Changeset, ChangesetError, nt_text
from kg.gate.validate import ValidationReport, apply_changes, scratch_store, stated_quads, validate_changes
from kg.namespaces import GRAPH_BASE, shorten
from kg.output import OutputFormat, report_table
from kg.store import AnyStore

AuthorOption = Annotated[str, typer.Option("--author", help="Who makes the change.")]
MessageOption = Annotated[str, typer.Option("--message", "-m", help="Why the change is made.")]
WarningsOption = Annotated[bool, typer.Option("--allow-warnings", help="Merge despite warnings (never violations).")]
FilesArgument = Annotated[
    list[Path], typer.Argument(help="Changeset files: RDF (.ttl .trig .nt .nq .jsonld) or .json envelopes.")
]
RemoveOption = Annotated[
    list[Path] | None, typer.Option("--remove", help="RDF file of triples to remove (repeatable).")
]
GraphOption = Annotated[str | None, typer.Option("--graph", help="Target graph: its IRI or its slug.")]
SourceOption = Annotated[str | None, typer.Option("--source", help="Source IRI the change speaks for.")]


def read_changesets(
    files: list[Path], remove: list[Path] | None, graph: str | None, source: str | None, author: str, message: str
) -> list[Changeset]:
    """Changesets from the command line: each .json file is one; the RDF files together are one.

    Exits 2 with one error line naming the file for a file that cannot be read or parsed.
    """
    graph_iri = graph if graph is None or ":" in graph else GRAPH_BASE + graph
    try:
        changesets = [changes.from_envelope_file(path) for path in files if path.suffix == ".json"]
        rdf_files = [path for path in files if path.suffix != ".json"]
        if rdf_files or remove:
            changesets.append(
                changes.from_files(
                    rdf_files, remove or [], author=author, message=message, graph=graph_iri, source=source
                )
            )
    except ChangesetError as error:
        fail(str(error))
    return changesets


REPORT_HEADER = ("severity", "focus_node", "path", "value", "message")


def report_rows(report: ValidationReport) -> list[tuple[str, str, str, str, str]]:
    """The results of a validation report as CSV rows (REPORT_HEADER)."""
    return [
        (result.severity, result.focus_node, result.path or "", result.value or "", result.message)
        for result in report.results
    ]


def print_report(report: ValidationReport, output_format: OutputFormat) -> None:
    """Print a validation report as JSON, CSV (one row per result) or a table with a verdict line."""
    if output_format is not OutputFormat.table:
        emit(output_format, tables=list, data=report.to_json(), header=REPORT_HEADER, rows=report_rows(report))
        return
    if report.results:
        emit(output_format, tables=lambda: report_table(report), data=None, header=(), rows=())
    out.print("conforms" if report.conforms else "does not conform", highlight=False)


def refusal(report: ValidationReport) -> str:
    """The error line of a refused merge; when only warnings refused it, how to merge anyway."""
    violations = report.violations
    warnings = len(report.results) - violations
    if report.warnings_only:
        return (
            f"refused, nothing written: {warnings} warning(s) and no violation; "
            "merge anyway with --allow-warnings if the warnings are understood"
        )
    return f"refused, nothing written: {violations} violation(s), {warnings} warning(s)"


@app.command()
def validate(
    files: FilesArgument,
    remove: RemoveOption = None,
    graph: GraphOption = None,
    source: SourceOption = None,
    allow_warnings: WarningsOption = False,
    output_format: FormatOption = OutputFormat.table,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Validate changesets against the store without merging (exit 0 conforms, 1 not, 2 bad input)."""
    output_format = chosen(output_format, as_json)
    as_json = output_format is not OutputFormat.table
    changesets = read_changesets(files, remove, graph, source, "chipgraph validate", "dry run")
    opened = open_store(store)
    try:
        report = validate_changes(opened, changesets, allow_warnings=allow_warnings)
        after = None if as_json else scratch_store(apply_changes(stated_quads(opened), changesets))
    finally:
        opened.close()
    print_report(report, output_format)
    if after is not None:
        gaps = coverage_warnings(after, changed_subjects(changesets))
        print_coverage_warnings(gaps, "of the entities changed", err)
    if not report.conforms:
        fail(refusal(report).replace("refused, nothing written", "does not conform"), 1)


@app.command("merge")
def merge_command(
    files: FilesArgument,
    author: AuthorOption,
    message: MessageOption,
    remove: RemoveOption = None,
    graph: GraphOption = None,
    source: SourceOption = None,
    allow_warnings: WarningsOption = False,
    output_format: FormatOption = OutputFormat.table,
    as_json: JsonOption = False,
    store: StoreOption = None,
    wait: WaitOption = None,
) -> None:
    """Validate changesets and merge them all, or nothing (exit 1 when refused, 2 on bad input, 3 store in use).

    A change refused for warnings alone can be merged with --allow-warnings (never violations).
    """
    changesets = read_changesets(files, remove, graph, source, author, message)
    action = lambda opened: merge.merge(opened, changesets, allow_warnings=allow_warnings)  # noqa: E731
    run_merge(store, action, chosen(output_format, as_json), wait)


def run_merge(
    store: Path | None,
    action: Callable[[AnyStore], merge.MergeResult],
    output_format: OutputFormat,
    wait: float | None,
) -> None:
    """Open the store for writing (waiting up to ``wait`` seconds), run a merge or revert, print what it did.

    A refusal prints the report, then one error line (naming --allow-warnings when only warnings
    refused it), exit 1.
    """
    as_json = output_format is not OutputFormat.table
    opened = open_store(store, write=True, wait=wait)
    try:
        result = action(opened)
        gaps = [] if as_json else coverage_warnings(opened, changed_subjects(result.merged))
    except merge.MergeRefusedError as error:
        print_report(error.report, output_format)
        fail(refusal(error.report), 1)
    except (ChangesetError, merge.UnknownChangeError) as error:
        fail(str(error))
    finally:
        opened.close()
    if output_format is OutputFormat.json:
        typer.echo(json.dumps({"merged": [change.id for change in result.merged], **result.report.to_json()}, indent=2))
    elif output_format is OutputFormat.csv:
        merged = [(change.id, change.graph, len(change.add), len(change.remove)) for change in result.merged]
        emit(output_format, tables=list, data=None, header=("merged", "graph", "added", "removed"), rows=merged)
    elif not result.merged:
        out.print("nothing to merge: the store already holds these changes")
    for change in [] if as_json else result.merged:
        out.print(f"merged {change.id}: +{len(change.add)} -{len(change.remove)} in {shorten(change.graph)}")
    print_coverage_warnings(gaps, "of the entities changed", err)


@app.command()
def revert(
    change_id: Annotated[str, typer.Argument(help="The id of a merged changeset (see `chipgraph log`).")],
    author: AuthorOption,
    message: Annotated[str | None, typer.Option("--message", "-m", help="Why (default: Revert ID).")] = None,
    allow_warnings: WarningsOption = False,
    output_format: FormatOption = OutputFormat.table,
    as_json: JsonOption = False,
    store: StoreOption = None,
    wait: WaitOption = None,
) -> None:
    """Undo a merged changeset with a new, validated changeset."""
    run_merge(
        store,
        lambda opened: merge.revert(opened, change_id, author=author, message=message, allow_warnings=allow_warnings),
        chosen(output_format, as_json),
        wait,
    )


@app.command("log")
def log_command(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Show at most this many.")] = 20,
    output_format: FormatOption = OutputFormat.table,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """List the merged changesets, newest first."""
    opened = open_store(store)
    try:
        records = merge.log(opened, limit)
    finally:
        opened.close()

    def table() -> Table:
        made = Table("id (merge time and hash)", "author", "+/-", "graph", "message")
        for record in records:
            made.add_row(
                record.id, record.author, f"+{record.added} -{record.removed}", shorten(record.graph), record.message
            )
        return made

    data = [record_json(record, with_triples=False) for record in records]
    header = ("id", "time", "author", "message", "graph", "source", "reverts", "added", "removed")
    rows = [tuple(item[key] if item[key] is not None else "" for key in header) for item in data]
    emit(chosen(output_format, as_json), tables=table, data=data, header=header, rows=rows)


def record_json(record: merge.HistoryRecord, *, with_triples: bool) -> dict[str, object]:
    """A history record as JSON; with its triples as N-Triples text when asked."""
    data: dict[str, object] = {
        "id": record.id,
        "time": record.time,
        "author": record.author,
        "message": record.message,
        "graph": record.graph,
        "source": record.source,
        "reverts": record.reverts,
        "added": record.added,
        "removed": record.removed,
    }
    if with_triples:
        data["added_triples"] = nt_text(record.added_triples)
        data["removed_triples"] = nt_text(record.removed_triples)
    return data


@app.command()
def show(
    change_id: Annotated[str, typer.Argument(help="The id of a merged changeset.")],
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Show one merged changeset: its record and the exact triples it added and removed."""
    opened = open_store(store)
    try:
        record = merge.show(opened, change_id)
    except merge.UnknownChangeError as error:
        fail(str(error))
    finally:
        opened.close()
    data = record_json(record, with_triples=True)
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    for key, value in data.items():
        if not key.endswith("_triples"):
            out.print(f"{key}: {value}", highlight=False)
    typer.echo("added:\n" + str(data["added_triples"]) + "removed:\n" + str(data["removed_triples"]), nl=False)
