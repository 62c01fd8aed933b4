"""Commands over the graph: build, query, queries, stats, check."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pyoxigraph as ox
import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from kg import build as build_module
from kg.checks import run_checks
from kg.cli.common import (
    FormatOption,
    StoreOption,
    WaitOption,
    app,
    emit,
    err,
    fail,
    lock_wait,
    open_store,
    out,
    server_configured,
    store_path,
)
from kg.cli.coverage import group_warnings, print_coverage_warnings
from kg.coverage import coverage_warnings
from kg.inputfiles import InputFileError, read_text
from kg.namespaces import shorten
from kg.output import OutputFormat, cell, print_table, render_table, render_text
from kg.queries import QueryParameterError, UnknownQueryError, named_queries, named_query
from kg.settings import Settings
from kg.sparql.remote import guarded_query
from kg.sparql.worker import QueryError
from kg.store import QuerySyntaxError, RemoteStore, StoreError, StoreLockedError


@app.command()
def build(output_format: FormatOption = OutputFormat.table, store: StoreOption = None, wait: WaitOption = None) -> None:
    """Build the store from the ontology, the sources and the curated data (replaces it whole).

    JSON: the summary (totals, triples per graph, entities per class, the warnings allowed). CSV:
    one row per graph and per class (kind, name, count), as `chipgraph stats`.
    """
    on_server = server_configured(store)
    target = store_path(store)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err) as progress:
        task = progress.add_task("build", total=None)
        step = lambda text: progress.update(task, description=text)  # noqa: E731
        try:
            if on_server:
                summary = _build_on_server(step)
            else:
                summary, _ = build_module.build(target, step, wait=lock_wait(wait))
        except build_module.BuildError as error:
            fail(f"build failed, the store was not changed: {error}")
        except StoreLockedError:
            raise  # the store folder is held: exit 3 (ChipgraphGroup)
        except StoreError as error:  # the server: unreachable, refused, busy, or failed part-way through the copy
            fail(f"build failed on the SPARQL server (run it again once the cause is fixed): {error}")
    where = (Settings().store_url or "") if on_server else str(target)
    if output_format is not OutputFormat.table:
        rows = [("graph", name, count) for name, count in summary.quads_per_graph.items()]
        rows += [("class", f"cg:{name}", count) for name, count in summary.entities_per_class.items()]
        emit(output_format, tables=list, data=summary_json(summary, where), header=("kind", "name", "count"), rows=rows)
        return
    print_summary(summary, where)
    built = open_store(store)
    try:
        print_coverage_warnings(coverage_warnings(built), "in the graph")
    finally:
        built.close()
    out.print("The gaps by class and key property: chipgraph coverage")


def _build_on_server(step: Callable[[str], None]) -> build_module.BuildSummary:
    """Build in memory and copy the result to the SPARQL server of the settings (closed afterwards)."""
    server = RemoteStore.from_settings(Settings())
    try:
        return build_module.build_on_server(server, step)
    finally:
        server.close()


def summary_json(summary: build_module.BuildSummary, where: str) -> dict[str, Any]:
    """A build summary as JSON (built at ``where``): what print_summary prints."""
    return {
        "store": where,
        "triples": summary.total_quads,
        "sources": summary.sources,
        "changesets": summary.changesets,
        "inferred": summary.inferred_triples,
        "graphs": dict(summary.quads_per_graph),
        "classes": {f"cg:{name}": count for name, count in summary.entities_per_class.items()},
        "warnings": [warning.to_json() for warning in summary.warnings],
    }


def print_summary(summary: build_module.BuildSummary, where: str) -> None:
    """Print a build summary (built at ``where``): totals, graphs and entities per class."""
    out.print(
        f"Built {where}: {summary.total_quads} triples in {len(summary.quads_per_graph)} graphs "
        f"from {summary.sources} sources in {summary.changesets} changesets; {summary.inferred_triples} inferred."
    )
    if summary.warnings:
        out.print(f"{len(summary.warnings)} warning(s), allowed in the build:")
        for message, nodes in group_warnings(summary.warnings).items():
            out.print(f"  {len(nodes)} x {message}", highlight=False)
            out.print(f"    {', '.join(shorten(node) for node in nodes)}", highlight=False, style="dim")
    classes = Table("class", "entities")
    for name, count in summary.entities_per_class.items():
        classes.add_row(f"cg:{name}", str(count))
    print_table(classes, out)


@app.command()
def query(
    sparql: Annotated[str, typer.Argument(help="A SPARQL query, a .rq file, or the name of a named query.")],
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.table,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE for a named query's parameter (repeatable).")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Run a SPARQL query over the union of all graphs and print the result.

    Runs on the SPARQL server of CHIPGRAPH_STORE_URL when it is set and no --store is given: no
    SERVICE, CHIPGRAPH_QUERY_TIMEOUT seconds at most (kg.sparql.remote).
    """
    text = query_text(sparql, param or [])
    graph = open_store(store)
    try:
        if isinstance(graph, RemoteStore):
            result = guarded_query(graph, text, Settings().query_timeout)
        else:
            result = graph.query(text)
        if isinstance(result, ox.QuerySolutions) and output_format is OutputFormat.table:
            table, count = render_table(result)
            print_table(table, out)
            err.print(f"{count} row(s)")
        else:
            typer.echo(render_text(result, output_format), nl=False)
    except QuerySyntaxError as error:
        fail(f"invalid SPARQL: {error}")
    except QueryError as error:  # the remote guard: SERVICE, time limit, invalid query, server failure
        fail(f"invalid SPARQL: {error}" if error.code == "invalid-query" else str(error))
    except StoreError as error:  # a SPARQL server that cannot be reached, times out or fails
        fail(str(error))
    finally:
        graph.close()


def query_text(argument: str, params: list[str]) -> str:
    """The query text of an argument: a .rq file's content, a named query's (parameters bound), or the argument."""
    path = Path(argument)
    if argument.endswith(".rq"):
        if not path.exists():
            fail(f"no such query file: {argument}")
        try:
            return read_text(path)
        except InputFileError as error:
            fail(str(error))
    if argument.replace("-", "").isalnum():
        try:
            return named_query(argument).bind(dict(_pair(text) for text in params))
        except (UnknownQueryError, QueryParameterError) as error:
            fail(str(error))
    if params:
        fail("--param applies to named queries only")
    return argument


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        fail(f"--param takes NAME=VALUE, not {text!r}")
    return name.strip(), value.strip()


@app.command()
def queries(output_format: FormatOption = OutputFormat.table) -> None:
    """List the named queries and the question each answers."""
    found: list[dict[str, Any]] = [
        {
            "name": name,
            "question": named.question,
            "parameters": {key: {"type": kind, "default": default} for key, (kind, default) in named.params.items()},
        }
        for name, named in named_queries().items()
    ]

    def parameters(item: dict[str, Any]) -> str:
        return ", ".join(f"{key}: {p['type']} ({p['default']})" for key, p in item["parameters"].items())

    rows = [(item["name"], item["question"], parameters(item)) for item in found]

    def table() -> Table:
        made = Table("name", "question", "parameters (default)")
        for row in rows:
            made.add_row(*row)
        return made

    emit(output_format, tables=table, data=found, header=("name", "question", "parameters"), rows=rows)


@app.command()
def stats(output_format: FormatOption = OutputFormat.table, store: StoreOption = None) -> None:
    """Summarise the store: triples per graph and entities per class.

    CSV has one row per graph and per class: kind (graph or class), name, count.
    """
    graph = open_store(store)
    try:
        per_graph, per_class = build_module.summarise(graph)
    finally:
        graph.close()

    def tables() -> list[Table]:
        graphs = Table("graph", "triples", caption=f"{sum(per_graph.values())} triples in {len(per_graph)} graphs")
        for name, count in per_graph.items():
            graphs.add_row(shorten(name), str(count))
        classes = Table("class", "entities")
        for name, count in per_class.items():
            classes.add_row(f"cg:{name}", str(count))
        return [graphs, classes]

    data = {"graphs": dict(per_graph), "classes": {f"cg:{name}": count for name, count in per_class.items()}}
    rows = [("graph", name, count) for name, count in per_graph.items()]
    rows += [("class", f"cg:{name}", count) for name, count in per_class.items()]
    emit(output_format, tables=tables, data=data, header=("kind", "name", "count"), rows=rows)


@app.command()
def check(store: StoreOption = None) -> None:
    """Run the ontology quality checks (ontology/checks); exit 1 if any returns rows."""
    graph = open_store(store)
    try:
        results = run_checks(graph)
    finally:
        graph.close()
    failed = {name: rows for name, rows in results.items() if rows}
    for name, rows in results.items():
        out.print(f"{'FAIL' if rows else 'ok  '} {name} ({len(rows)} rows)")
        for row in rows[:20]:
            out.print("     " + ", ".join(f"{key}={cell(value)}" for key, value in row.items()), highlight=False)
    if failed:
        raise typer.Exit(1)
