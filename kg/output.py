"""Rendering query results for the command line: a table, SPARQL JSON or CSV."""

from __future__ import annotations

from enum import StrEnum

import pyoxigraph as ox
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from kg.gate.validate import ValidationReport
from kg.namespaces import shorten
from kg.store import QueryResult, Term


class OutputFormat(StrEnum):
    """The output formats of `chipgraph query`."""

    table = "table"
    json = "json"
    csv = "csv"


_RESULTS_FORMATS = {OutputFormat.json: ox.QueryResultsFormat.JSON, OutputFormat.csv: ox.QueryResultsFormat.CSV}
_GRAPH_FORMATS = {
    OutputFormat.table: ox.RdfFormat.TURTLE,
    OutputFormat.json: ox.RdfFormat.JSON_LD,
    OutputFormat.csv: ox.RdfFormat.N_TRIPLES,
}


def cell(term: Term | None) -> str:
    """A term as a table cell: prefixed IRIs, plain literal values, empty when unbound."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def render_text(result: QueryResult, output_format: OutputFormat) -> str:
    """Serialise a result as text: SPARQL JSON or CSV for SELECT and ASK, RDF for graphs.

    Graph results (CONSTRUCT, DESCRIBE) are Turtle for ``table``, JSON-LD for ``json`` and
    N-Triples for ``csv``. Not used for SELECT as a table: see ``render_table``.
    """
    if isinstance(result, ox.QueryTriples):
        data = ox.serialize(result, format=_GRAPH_FORMATS[output_format]) or b""
        return data.decode("utf-8")
    if isinstance(result, ox.QueryBoolean) and output_format is OutputFormat.table:
        return "true\n" if bool(result) else "false\n"
    data = result.serialize(format=_RESULTS_FORMATS[output_format]) or b""
    return data.decode("utf-8")


def render_table(result: ox.QuerySolutions) -> tuple[Table, int]:
    """A rich table of SELECT results, and the number of rows in it."""
    names = [variable.value for variable in result.variables]
    table = Table(*names, show_lines=False)
    count = 0
    for solution in result:
        table.add_row(*(cell(solution[name]) for name in names))
        count += 1
    return table, count


def report_table(report: ValidationReport) -> Table:
    """A validation report as a table: severity, focus node, path, value, message."""
    table = Table("severity", "focus node", "path", "value", "message", show_lines=True)
    for result in report.results:
        table.add_row(
            result.severity,
            shorten(result.focus_node),
            shorten(result.path) if result.path else "",
            shorten(result.value) if result.value else "",
            result.message,
        )
    return table


MAX_WIDTH = 100_000  # wider than any table: the width a table is measured at


def print_table(table: Table, console: Console) -> None:
    """Print ``table`` with no id or name cut or folded, however narrow the console.

    Not a terminal (a pipe, a file, a test): the table is printed at its natural width, every
    cell on as few lines as its own line breaks give, so an id is always whole on one line. A
    terminal: at its width when the table fits, else widened to the table's natural width (the
    terminal then wraps the long lines, but copying an id still gives it whole). Rich would
    otherwise shorten cells with an ellipsis or fold them mid-id.
    """
    natural = Measurement.get(console, console.options.update_width(MAX_WIDTH), table).maximum
    if natural <= console.width:
        console.print(table)
        return
    for column in table.columns:
        column.no_wrap, column.overflow = True, "ignore"
    wide = Console(
        width=natural,
        file=console.file,
        force_terminal=console.is_terminal,
        no_color=console.no_color,
        color_system=console.color_system,  # type: ignore[arg-type]
        highlight=False,
    )
    wide.print(table)
