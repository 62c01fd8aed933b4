"""The export-status command: may this chip go to that country on that date, and why."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.markup import escape

from kg.cli.common import StoreOption, app, out, reading
from kg.export_status import export_status
from kg.exportcontrol import ExportStatus

VERDICT_STYLE = {
    "licence-required": "bold red",
    "notification-required": "bold magenta",
    "licence-exception": "bold magenta",
    "not-required": "bold green",
    "undetermined": "bold yellow",
    "not-yet-public": "bold blue",
}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from error


@app.command("export-status")
def export_status_command(
    chip: Annotated[str, typer.Argument(help="Chip id, e.g. nvidia-h20.")],
    to: Annotated[str, typer.Option("--to", help="Destination: ISO 3166-1 alpha-2 code, e.g. CN.")],
    on: Annotated[str, typer.Option("--on", help="Date, YYYY-MM-DD (default: today).")] = "",
    buyer: Annotated[str | None, typer.Option("--buyer", help="Buyer organisation id, e.g. huawei.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of the trail.")] = False,
    store: StoreOption = None,
) -> None:
    """Which US export-control rules restrict CHIP going to a country on a date: verdict and sourced trail.

    Exit code 0 for any verdict; 2 for an unknown chip or buyer or a malformed argument.
    """
    day = _day(on) if on else date.today()
    with reading(store) as graph:
        status = export_status(graph, chip, to.upper(), day, buyer=buyer)
    if as_json:
        out.print_json(json.dumps(status.to_json()))
    else:
        print_trail(status)


def print_trail(status: ExportStatus) -> None:
    """The answer as a readable trail: verdict, figures, then each finding with its sourced facts."""
    style = VERDICT_STYLE[status.verdict]
    head = f"[bold]{escape(status.chip['label'])}[/] to {status.destination} on {status.date}"
    out.print(f"{head}: [{style}]{status.verdict}[/]")
    out.print(f"  confidence: {status.confidence}. {escape(status.confidence_note)}")
    for missing in status.missing:
        out.print(f"  missing: {escape(missing)}")
    for figure in status.figures:
        value = figure["value"] if figure["value"] is not None else "undetermined"
        out.print(f"  {figure['name']}: {value}  ({escape(figure['method'] or '; '.join(figure['missing']))})")
    for number, finding in enumerate(status.findings, start=1):
        out.print(f"\n{number}. [bold]{finding.kind}[/] {escape(finding.subject['label'])}: [bold]{finding.outcome}[/]")
        rule = finding.rule
        out.print(
            f"   rule: {escape(rule['label'] or '')}" + (f" ({escape(rule['citation'])})" if rule["citation"] else "")
        )
        if finding.valid_from or finding.valid_until:
            out.print(f"   in force: {finding.valid_from or '…'} to {finding.valid_until or 'now'}")
        for line in finding.explanation.splitlines():
            out.print(f"   {escape(line)}")
        out.print(f"   confidence: {finding.confidence}. {escape(finding.confidence_note)}")
        for missing in finding.missing:
            out.print(f"   missing: {escape(missing)}")
        for fact in finding.facts:
            source = fact["source"]["title"] or fact["graph"]
            level = fact.get("confidence", {}).get("level", "unknown")
            out.print(
                f"   - {fact['subject']} {fact['property']} {escape(fact['value'])}  "
                f"[dim]source: {escape(source)} ({level})[/]"
            )
