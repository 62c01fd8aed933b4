"""The store's default graph is the RDF merge of its named graphs; this module keeps it so.

Oxigraph's ``use_default_graph_as_union`` returns a triple once per named graph that states it
(a bag: fixed upstream in oxigraph PR #1920, not in pyoxigraph 0.5.13). chipgraph keeps a real
default graph instead that holds every triple of any named graph exactly once; queries run over
it without the union flag, and ``GRAPH ?g`` still names each graph that states a triple
(docs/adr/0010).

Every update operation that writes a named graph is sent with its mirror from this module, in
the same update (one transaction):

- ``insert_data``: INSERT DATA into the named graph and the default graph at once;
- ``delete_data``: DELETE DATA, then drop from the default graph the removed triples that no
  named graph holds any more;
- ``drop_graph`` and ``delete_where``: first drop from the default graph the triples about to go
  that no other named graph holds, then the removal;
- ``mirrored``: an ``INSERT { GRAPH <g> { T } } WHERE ...`` rule that also inserts T into the
  default graph.

Each pair keeps ``default graph == set of the named graphs' triples`` true by itself, so any
sequence of them, in any order, keeps it true.

On a SPARQL server (kg/store/remote.py) the merge lives in a named graph of its own, the store's
``mirror_graph``: pass it as ``mirror`` and each operation writes that graph where it would write
the default graph, and never counts it as one of the graphs that still state a triple
(docs/adr/0018). Without ``mirror`` (the embedded store) the text is the default graph's.

``RESYNC`` recomputes the default graph from scratch (an existing store from before ADR 0010, a
test's reference).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

OTHER_GRAPH = "?unionOtherGraph"  # a variable name no rule or derivation uses

RESYNC = [
    "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }",
    "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
]


class UnionTemplateError(ValueError):
    """Raised when an update rule does not have the one ``INSERT { GRAPH <g> { ... } }`` template mirrored() needs."""


def _merge(mirror: ox.NamedNode | None, triples: str) -> str:
    """``triples`` (a template or data block) placed in the merge: the default graph, or the ``mirror`` graph."""
    return triples if mirror is None else f"GRAPH {mirror} {{ {triples} }}"


def _other(graph: str, mirror: ox.NamedNode | None) -> str:
    """The condition on OTHER_GRAPH: another graph than ``graph``, and not the mirror."""
    condition = f"{OTHER_GRAPH} != {graph}"
    return condition if mirror is None else f"{condition} && {OTHER_GRAPH} != {mirror}"


def insert_data(graph: ox.NamedNode, data: str, *, mirror: ox.NamedNode | None = None) -> str:
    """One operation inserting ``data`` (ground N-Triples text) into ``graph`` and into the merge."""
    return f"INSERT DATA {{ GRAPH {graph} {{ {data} }} {_merge(mirror, data)} }}"


def delete_data(graph: ox.NamedNode, triples: Iterable[ox.Triple], *, mirror: ox.NamedNode | None = None) -> list[str]:
    """The operations removing ``triples`` from ``graph``, and from the merge unless still stated.

    The triples must be ground and hold no triple term (kg.gate.changes refuses both in changesets).
    """
    ground = sorted(triples, key=str)
    if not ground:
        return []
    rows = " ".join(f"({t.subject} {t.predicate} {t.object})" for t in ground)
    elsewhere = "" if mirror is None else f" FILTER({OTHER_GRAPH} != {mirror})"
    return [
        f"DELETE DATA {{ GRAPH {graph} {{ {_nt(ground)} }} }}",
        f"DELETE {{ {_merge(mirror, '?s ?p ?o')} }} WHERE {{ VALUES (?s ?p ?o) {{ {rows} }} "
        f"FILTER NOT EXISTS {{ GRAPH {OTHER_GRAPH} {{ ?s ?p ?o }}{elsewhere} }} }}",
    ]


def _nt(triples: Iterable[ox.Triple]) -> str:
    """Triples as N-Triples lines."""
    return "".join(f"{triple} .\n" for triple in triples)


def _sweep(graph: str, pattern: str, triple: str, mirror: ox.NamedNode | None) -> str:
    """Drop from the merge each ``triple`` matched by ``pattern`` in ``graph`` that no other graph states."""
    return (
        f"DELETE {{ {_merge(mirror, triple)} }} WHERE {{ GRAPH {graph} {{ {pattern} }} "
        f"FILTER NOT EXISTS {{ GRAPH {OTHER_GRAPH} {{ {triple} }} FILTER({_other(graph, mirror)}) }} }}"
    )


def drop_graph(graph: str, *, mirror: ox.NamedNode | None = None) -> list[str]:
    """The operations dropping ``graph`` (an IRI in brackets; silent when absent), the merge kept right."""
    return [_sweep(graph, "?s ?p ?o", "?s ?p ?o", mirror), f"DROP SILENT GRAPH {graph}"]


def delete_where(graph: str, patterns: list[str], *, mirror: ox.NamedNode | None = None) -> list[str]:
    """The operations of ``DELETE WHERE { GRAPH graph { patterns } }``, the default graph kept right.

    ``patterns`` are the triple patterns (without the final dot), e.g. ``["<x> ?p ?o"]``.
    """
    pattern = " . ".join(patterns)
    return [
        *(_sweep(graph, pattern, triple, mirror) for triple in patterns),
        f"DELETE WHERE {{ GRAPH {graph} {{ {pattern} }} }}",
    ]


def _closing_brace(text: str, opening: int) -> int:
    """The index of the brace that closes the one at ``opening`` (templates hold no braces in strings)."""
    depth = 0
    for index in range(opening, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    raise UnionTemplateError("unbalanced braces in an INSERT template")


def mirrored(rule: str, *, mirror: ox.NamedNode | None = None) -> str:
    """``rule`` with its ``INSERT { GRAPH <g> { T } }`` template made ``INSERT { GRAPH <g> { T } T }``.

    With ``mirror``, ``T`` goes into ``GRAPH <mirror> { T }`` instead of the default graph, and the
    WHERE group becomes a sub-select (``_subselect``).

    Raises UnionTemplateError unless the rule has exactly one INSERT template and it is one
    GRAPH block (the shape of kg/gate/rules/*.ru and kg/gate/derivations/*.ru).
    """
    start = rule.find("INSERT {")
    if start < 0 or rule.find("INSERT {", start + 1) >= 0:
        raise UnionTemplateError("a rule must have exactly one INSERT { GRAPH <g> { ... } } template")
    outer = start + len("INSERT ")
    end = _closing_brace(rule, outer)
    inner = rule[outer + 1 : end].strip()
    if not inner.startswith("GRAPH ") or "{" not in inner:
        raise UnionTemplateError("the INSERT template of a rule must be one GRAPH <g> { ... } block")
    block_open = inner.index("{")
    if _closing_brace(inner, block_open) != len(inner) - 1:
        raise UnionTemplateError("the INSERT template of a rule must be one GRAPH <g> { ... } block")
    body = inner[block_open + 1 : -1]
    rest = rule[end + 1 :] if mirror is None else _subselect(rule[end + 1 :])
    return f"{rule[:outer]}{{ {inner}\n{_merge(mirror, body)} }}{rest}"


def _subselect(rest: str) -> str:
    """``WHERE { P } ...`` as ``WHERE { SELECT * WHERE { P } } ...``: the same solutions.

    For a template of two GRAPH blocks (a rule and its mirror): Virtuoso 7.2 writes both, then
    answers 500 (SR002, while reporting), unless the WHERE is a sub-select (docs/adr/0018).
    Raises UnionTemplateError when ``rest`` has no WHERE group.
    """
    start = rest.find("WHERE {")
    if start < 0:
        raise UnionTemplateError("a rule must have a WHERE { ... } group after its INSERT template")
    opening = start + len("WHERE ")
    closing = _closing_brace(rest, opening)
    return f"{rest[:opening]}{{ SELECT * WHERE {rest[opening : closing + 1]} }}{rest[closing + 1 :]}"
