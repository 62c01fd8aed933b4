"""Data set files for a bulk import: one changeset per named graph of an N-Quads, TriG, N-Triples or Turtle file.

The file is read through kg.inputfiles (a regular file, at most the max_file_bytes setting) and
parsed by pyoxigraph, which fetches nothing; JSON-LD and RDF/XML are not taken here (their
bounds are checked by kg.gate.changes for ordinary changesets). Triples in the default graph go
to ``graph`` (required then). Each changeset is checked as every changeset is (kg.gate.changes):
no blank node, no triple term, no system graph. Raises ChangesetError naming the file.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.gate.changes import Changeset, ChangesetError
from kg.inputfiles import InputFileError, read_bytes

FORMATS = {
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ttl": ox.RdfFormat.TURTLE,
}


def read_dataset(path: Path, *, author: str, message: str, graph: str | None = None) -> list[Changeset]:
    """The changesets adding the file's triples, one per named graph, in graph order.

    Raises ChangesetError for a file that cannot be read or parsed, a suffix not in FORMATS,
    default-graph triples without ``graph``, or a changeset kg.gate.changes refuses.
    """
    rdf_format = FORMATS.get(path.suffix.lower())
    if rdf_format is None:
        raise ChangesetError(f"{path}: a data set file is one of {', '.join(FORMATS)}")
    try:
        data = read_bytes(path)
    except InputFileError as error:
        raise ChangesetError(str(error)) from error
    triples: dict[str, list[ox.Triple]] = {}
    try:
        for quad in ox.parse(input=data, format=rdf_format):
            name = quad.graph_name
            if isinstance(name, ox.DefaultGraph):
                if graph is None:
                    raise ChangesetError(f"{path}: triples outside a named graph: say which graph they go to (--graph)")
                target = graph
            elif isinstance(name, ox.NamedNode):
                target = name.value
            else:
                raise ChangesetError(f"{path}: a blank node names a graph")
            triples.setdefault(target, []).append(quad.triple)
    except SyntaxError as error:
        raise ChangesetError(f"{path}: {error}") from error
    if not triples:
        raise ChangesetError(f"{path}: no triples")
    return [Changeset(name, frozenset(found), frozenset(), author, message) for name, found in sorted(triples.items())]
