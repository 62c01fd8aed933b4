"""The bulk import command: a data set file of any size through the gate (kg/gate/bulk.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kg.cli.common import StoreOption, WaitOption, app, fail, open_store, out
from kg.gate import merge
from kg.gate.changes import ChangesetError
from kg.gate.datasets import read_dataset
from kg.namespaces import GRAPH_BASE
from kg.output import print_table, report_table


@app.command("import-rdf")
def import_rdf(
    path: Annotated[Path, typer.Argument(help="The data set: .nq, .trig (named graphs), .nt or .ttl (with --graph).")],
    author: Annotated[str, typer.Option("--author", help="Who makes the change.")],
    message: Annotated[str, typer.Option("--message", "-m", help="Why the change is made.")],
    graph: Annotated[
        str | None, typer.Option("--graph", help="Graph (IRI or slug) of triples outside a named graph.")
    ] = None,
    allow_warnings: Annotated[
        bool, typer.Option("--allow-warnings", help="Merge despite warnings (never violations).")
    ] = False,
    store: StoreOption = None,
    wait: WaitOption = None,
) -> None:
    """Merge an RDF data set, one changeset per named graph, validated as one merge (any size).

    Large files take the bulk path of the gate: the same validation, history and inferences at
    close to the speed of a raw load. Exit codes: 0 merged, 1 refused (nothing written), 2 bad
    input, 3 the store is in use.
    """
    graph_iri = graph if graph is None or ":" in graph else GRAPH_BASE + graph
    try:
        changesets = read_dataset(path, author=author, message=message, graph=graph_iri)
    except ChangesetError as error:
        fail(str(error))
    opened = open_store(store, write=True, wait=wait)
    try:
        result = merge.merge(opened, changesets, allow_warnings=allow_warnings)
    except merge.MergeRefusedError as error:
        print_table(report_table(error.report), out)
        fail(f"import refused, nothing written: {error}", code=1)
    except ChangesetError as error:
        fail(str(error))
    finally:
        opened.close()
    for change in result.merged:
        out.print(f"merged {change.id}: +{len(change.add)} triples into {change.graph}", markup=False)
    if not result.merged:
        out.print("nothing to merge: every triple is already there", markup=False)
