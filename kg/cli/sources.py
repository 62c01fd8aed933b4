"""`chipgraph sources --check`: the source audit (kg/source_audit.py, docs/adr/0014)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from kg.cli.common import FormatOption, JsonOption, StoreOption, app, chosen, emit, fail, open_store
from kg.output import OutputFormat
from kg.source_audit import audit


@app.command()
def sources(
    check: Annotated[bool, typer.Option("--check", help="Audit the sources (the only mode so far).")] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when the audit lists anything (for CI); else always 0.")
    ] = False,
    output_format: FormatOption = OutputFormat.table,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Audit the sources: no document URL, FR citation missing, no confidence, rumoured only.

    Lists sources without a document URL, Federal Register documents without citation or number,
    statements without a confidence level (per graph) and facts whose only sources are rumoured.
    The audit informs: it exits 0 whatever it finds, unless --strict (then 1 when any list is not
    empty). CSV: one row per entry (list, item, detail).
    """
    if not check:
        fail("nothing to do: give --check (chipgraph sources --check)")
    graph = open_store(store)
    try:
        found = audit(graph)
    finally:
        graph.close()
    rows: list[tuple[str, str, str]] = []
    rows += [
        ("no document URL", item["source"], f"{item['problem']}: {item['url'] or ''}".rstrip(": "))
        for item in found.without_document_url
    ]
    rows += [
        ("FR without citation", item["source"], "lacks " + ", ".join(item["lacks"]))
        for item in found.fr_without_citation
    ]
    rows += [
        ("no confidence level", item["graph"].rsplit("/", 1)[-1], f"{item['statements']} statement(s)")
        for item in found.statements_without_confidence
    ]
    rows += [
        ("rumoured only", item["subject"], f"{item['property'].rsplit('#', 1)[-1]} {item['value']}")
        for item in found.weakest_only_facts
    ]

    def tables() -> list[Table]:
        counts = Table("check", "count")
        for name, count in found.counts().items():
            counts.add_row(name, str(count))
        listed = Table("list", "item", "detail")
        for row in rows:
            listed.add_row(*row)
        return [counts, listed] if rows else [counts]

    emit(
        chosen(output_format, as_json),
        tables=tables,
        data=found.to_json(),
        header=("list", "item", "detail"),
        rows=rows,
    )
    if strict and found.problems:
        raise typer.Exit(1)
