"""The export-status-all command: the verdict for every chip the /chips filters select."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Column, Table

from kg.catalog import ChipFilter
from kg.cli.common import FormatOption, JsonOption, StoreOption, app, chosen, emit, reading
from kg.cli.exportcontrol import VERDICT_STYLE, _day
from kg.export_status_all import export_statuses
from kg.filters import resolve_chip_filter
from kg.output import OutputFormat
from kg.rulebook import Rulebook

ALL = 10_000_000  # every chip: the CLI does not page


@app.command("export-status-all")
def export_status_all_command(
    to: Annotated[str, typer.Option("--to", help="Destination: ISO 3166-1 alpha-2 code, e.g. CN.")],
    on: Annotated[str, typer.Option("--on", help="Date, YYYY-MM-DD (default: today).")] = "",
    buyer: Annotated[str | None, typer.Option("--buyer", help="Buyer organisation id, e.g. huawei.")] = None,
    designer: Annotated[
        str | None, typer.Option("--designer", help="Designer id or name, e.g. nvidia, Nvidia.")
    ] = None,
    foundry: Annotated[str | None, typer.Option("--foundry", help="Foundry id or name, e.g. tsmc, TSMC.")] = None,
    country: Annotated[
        str | None, typer.Option("--country", help="Designer's country: code or name, e.g. CN, cn, China.")
    ] = None,
    workload: Annotated[str | None, typer.Option("--workload", help="training or inference, in any case.")] = None,
    process_node: Annotated[
        str | None,
        typer.Option(
            "--process-node", help="Process node id or name (tsmc-5nm, N7+), or a size (5nm: every node of that size)."
        ),
    ] = None,
    year_from: Annotated[int | None, typer.Option("--year-from", min=1990, max=2100)] = None,
    year_to: Annotated[int | None, typer.Option("--year-to", min=1990, max=2100)] = None,
    min_tpp: Annotated[float | None, typer.Option("--min-tpp", min=0, max=1e9)] = None,
    output_format: FormatOption = OutputFormat.table,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """The export-control verdict for every chip the filters select, with the rules behind each.

    The filters are those of GET /chips, matched the same way (any case and format); the trail of
    one chip is `chipgraph export-status CHIP`.
    Exit code 0 for any verdicts; 2 for an unknown destination or buyer or a malformed argument.
    """
    day = _day(on) if on else date.today()
    filters = ChipFilter(designer, foundry, country, workload, process_node, year_from, year_to, min_tpp)
    with reading(store) as graph:
        filters = resolve_chip_filter(graph, filters)
        page = export_statuses(graph, filters, to.upper(), day, 0, ALL, buyer=buyer, book=Rulebook.read(graph))
    data = {"destination": to.upper(), "date": day.isoformat(), "items": page.items}
    rows = [(row["chip"]["id"], row["verdict"], reasons(row), row["missing"]) for row in page.items]
    emit(
        chosen(output_format, as_json),
        tables=lambda: status_table(page.items, to.upper(), day.isoformat()),
        data=data,
        header=("chip", "verdict", "because", "missing"),
        rows=rows,
    )


def reasons(row: dict[str, Any]) -> str:
    """The findings behind a verdict, each with its act's citation, separated by "; " (for CSV)."""
    return "; ".join(_because(row))


def _because(row: dict[str, Any]) -> list[str]:
    return [
        f"{reason['subject']['id']} ({reason['rule']['citation'] or reason['rule']['id'] or 'no act recorded'})"
        for reason in row["reasons"]
    ]


def status_table(rows: list[dict[str, Any]], destination: str, day: str) -> Table:
    """One line per chip: id, verdict, and the findings behind it with their acts' citations."""
    table = Table(
        Column("chip", no_wrap=True),
        Column("verdict", no_wrap=True),
        Column("because: finding (act)"),
        title=f"{len(rows)} chip(s) to {destination} on {day}",
        title_justify="left",
    )
    for row in rows:
        style = VERDICT_STYLE[row["verdict"]]
        because = _because(row)
        table.add_row(row["chip"]["id"], f"[{style}]{row['verdict']}[/]", escape("\n".join(because)))
    return table
