"""The coverage command: which key facts each class has, and which entities lack them."""

from __future__ import annotations

from typing import Annotated, Any

import pyoxigraph as ox
import typer
from rich.console import Console
from rich.table import Column, Table

from kg.cli.common import FormatOption, JsonOption, StoreOption, app, chosen, emit, fail, open_store, out
from kg.coverage import UnknownSectionError, coverage
from kg.gate.changes import Changeset
from kg.gate.validate import ValidationResult
from kg.namespaces import shorten
from kg.output import OutputFormat


@app.command("coverage")
def coverage_command(
    section: Annotated[
        str | None, typer.Option("--section", help="Only this section, e.g. chips-chinese-designers.")
    ] = None,
    output_format: FormatOption = OutputFormat.table,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """For each class, the share of entities with each key property, and every entity that lacks it.

    The key properties are kg/queries/coverage/key-properties.toml. CSV: one row per section and
    key, the missing ids separated by spaces. Exit code 2 for an unknown section.
    """
    graph = open_store(store)
    try:
        result = coverage(graph, section)
    except UnknownSectionError as error:
        fail(str(error))
    finally:
        graph.close()
    rows = [
        (
            section["id"],
            key["key"],
            key["have"],
            section["total"],
            "" if key["share"] is None else key["share"],
            key["missing"],
        )
        for section in result["sections"]
        for key in section["keys"]
    ]
    header = ("section", "key", "have", "total", "share", "missing")
    emit(chosen(output_format, as_json), tables=lambda: coverage_tables(result), data=result, header=header, rows=rows)


def coverage_tables(result: dict[str, Any]) -> list[Table]:
    """One table per section: key, have/total, share, and every missing id, one a line (never cut)."""
    tables = []
    for section in result["sections"]:
        table = Table(
            Column("key", no_wrap=True),
            Column("have", justify="right", no_wrap=True),
            Column("share", justify="right", no_wrap=True),
            Column("missing"),
            title=f"{section['title']} ({section['id']}): {section['total']}",
            title_justify="left",
            show_lines=True,
        )
        for key in section["keys"]:
            share = "-" if key["share"] is None else f"{key['share']:.0%}"
            table.add_row(key["key"], f"{key['have']}/{section['total']}", share, "\n".join(key["missing"]))
        tables.append(table)
    return tables


def print_coverage_warnings(warnings: list[ValidationResult], scope: str, console: Console = out) -> None:
    """Print advisory coverage warnings grouped by message, each with its entities; nothing when none.

    ``scope`` says whose gaps they are (e.g. "of the entities changed"); ``console`` is stdout
    unless given (validate and merge use stderr, so that their stdout stays the verdict).
    """
    if not warnings:
        return
    console.print(f"{len(warnings)} coverage warning(s) {scope} (advisory, not part of any verdict):")
    for message, nodes in group_warnings(warnings).items():
        console.print(f"  {len(nodes)} x {message}", highlight=False)
        console.print(f"    {', '.join(shorten(node) for node in nodes)}", highlight=False, style="dim")


def group_warnings(warnings: list[ValidationResult]) -> dict[str, list[str]]:
    """The focus nodes of the warnings by message (messages in order of first appearance)."""
    grouped: dict[str, list[str]] = {}
    for warning in warnings:
        grouped.setdefault(warning.message, []).append(warning.focus_node)
    return grouped


def changed_subjects(changesets: list[Changeset]) -> set[str]:
    """The IRIs that are subjects of an added or removed triple of the changesets."""
    return {
        triple.subject.value
        for change in changesets
        for triple in (*change.add, *change.remove)
        if isinstance(triple.subject, ox.NamedNode)
    }
