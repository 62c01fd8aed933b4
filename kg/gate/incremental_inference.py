"""Incremental upkeep of the inferred graph inside a merge's one update (DRed; docs/adr/0015).

A merge changes a few stated triples; recomputing every inference from scratch costs what the
whole graph costs. The operations built here bring the inferred graph from the closure of the
old stated triples to the closure of the new ones by looking only at what changed:

1. *overdelete*: every inferred triple with a derivation that uses a triple no longer stated,
   followed through the rules (semi-naively) until nothing new is reached;
2. *delete* those from the inferred graph;
3. *rederive* the deleted ones that still have a one-step derivation from what is left, plus
   the removed stated triples that the rules still derive;
4. *insert* the consequences of the rederived and of the newly stated triples, semi-naively.

Each loop runs a fixed number of rounds and then proves that its frontier is empty: otherwise a
marker graph is written and the update fails on purpose (kg/gate/merge.py retries with more rounds).

"Stated" is every named graph but the inferred one; the rules read the default graph, which is
the union of the named graphs (kg/union.py), so a triple removed from one source but stated in
another keeps its consequences. The scratch sets (removed, added, over-deleted, frontier) live
in scratch graphs as triple terms (``<u> <u> <<( s p o )>>``), so no ``GRAPH ?g`` pattern and
no union upkeep ever mistakes them for data; they exist only inside the update.

RULES mirrors kg/gate/rules/*.ru one for one; ``covers_rule_files`` says whether it still does (a
merge falls back to the full recompute when it does not).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from kg.gate import inference
from kg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH, ONTOLOGY_NS

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
SUBCLASS = "<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
SUBPROPERTY = "<http://www.w3.org/2000/01/rdf-schema#subPropertyOf>"
INVERSE = "<http://www.w3.org/2002/07/owl#inverseOf>"
TRANSITIVE = "<http://www.w3.org/2002/07/owl#TransitiveProperty>"
ONT = f"<{ONTOLOGY_GRAPH}>"
INF = f"<{INFERRED_GRAPH}>"
SCRATCH = "urn:chipgraph:inference:"
REMOVED, ADDED = f"<{SCRATCH}removed>", f"<{SCRATCH}added>"  # candidates, recorded by the merge
GONE, OVER = f"<{SCRATCH}gone>", f"<{SCRATCH}over>"  # no longer stated; over-deleted (gone included)
FRONT, NEXT = f"<{SCRATCH}front>", f"<{SCRATCH}next>"  # the semi-naive frontier and the round's new triples
SCRATCH_GRAPHS = (REMOVED, ADDED, GONE, OVER, FRONT, NEXT)
MARK = f"<{SCRATCH}t>"


@dataclass(frozen=True)
class Rule:
    """One inference rule: schema pattern (ontology graph), fact atoms, filters, head."""

    file: str
    schema: str
    atoms: tuple[str, ...]
    head: str
    filters: str = ""


RULES = (
    Rule(
        "10-subclass-types.ru",
        f"GRAPH {ONT} {{ ?class {SUBCLASS}+ ?super }} FILTER(isIRI(?super))",
        (f"?x {RDF_TYPE} ?class",),
        f"?x {RDF_TYPE} ?super",
    ),
    Rule(
        "20-inverse-properties.ru",
        f"GRAPH {ONT} {{ {{ ?p {INVERSE} ?inverse }} UNION {{ ?inverse {INVERSE} ?p }} }}",
        ("?s ?p ?o",),
        "?o ?inverse ?s",
        "FILTER(isIRI(?o) || isBlank(?o))",
    ),
    Rule(
        "30-transitive-properties.ru",
        f"GRAPH {ONT} {{ ?p {RDF_TYPE} {TRANSITIVE} }}",
        ("?a ?p ?b", "?b ?p ?c"),
        "?a ?p ?c",
        "FILTER(?a != ?c)",
    ),
    Rule(
        "40-subproperties.ru",
        f'GRAPH {ONT} {{ ?p {SUBPROPERTY}+ ?super }} FILTER(STRSTARTS(STR(?super), "{ONTOLOGY_NS}"))',
        ("?s ?p ?o",),
        "?s ?super ?o",
    ),
)


def covers_rule_files() -> bool:
    """Whether RULES mirrors exactly the rule files kg/gate/inference.py runs (by file name)."""
    return [rule.file for rule in RULES] == [path.name for path in inference.rule_files()]


def held(graph: str, pattern: str) -> str:
    """The pattern matching a triple ``pattern`` held (as a triple term) in scratch ``graph``."""
    return f"GRAPH {graph} {{ {MARK} {MARK} <<( {pattern} )>> }}"


def record(graph: str, triples: Iterable[ox.Triple]) -> list[str]:
    """The operations recording ground ``triples`` in scratch ``graph`` (none for no triples)."""
    terms = " ".join(f"{MARK} {MARK} <<( {t} )>> ." for t in sorted(triples, key=str))
    return [f"INSERT DATA {{ GRAPH {graph} {{ {terms} }} }}"] if terms else []


def record_matching(graph: str, source: str, patterns: list[str]) -> list[str]:
    """The operations recording in scratch ``graph`` each triple of ``patterns`` matched in ``source``."""
    template = " ".join(f"{MARK} {MARK} <<( {pattern} )>> ." for pattern in patterns)
    return [f"INSERT {{ GRAPH {graph} {{ {template} }} }} WHERE {{ GRAPH {source} {{ {' . '.join(patterns)} }} }}"]


def _others(rule: Rule, index: int, old: bool) -> str:
    """The rule's atoms but ``index``, read from the default graph (or the removed triples, if ``old``)."""
    atoms = [atom for position, atom in enumerate(rule.atoms) if position != index]
    if old:
        return " ".join(f"{{ {atom} }} UNION {{ {held(GONE, atom)} }}" for atom in atoms)
    return " ".join(f"{atom} ." for atom in atoms)


def _overdelete_round() -> list[str]:
    """One round: inferred triples derivable with a frontier triple, not yet over-deleted, into NEXT."""
    operations = [
        f"INSERT {{ {held(NEXT, rule.head)} }} WHERE {{ {held(FRONT, atom)} {rule.schema} "
        f"{_others(rule, index, old=True)} {rule.filters} GRAPH {INF} {{ {rule.head} }} "
        f"FILTER NOT EXISTS {{ {held(OVER, rule.head)} }} }}"
        for rule in RULES
        for index, atom in enumerate(rule.atoms)
    ]
    return operations + _advance(also=OVER)


def _insert_round() -> list[str]:
    """One round: triples derivable with a frontier triple and absent everywhere, inferred (and into NEXT)."""
    operations = [
        f"INSERT {{ GRAPH {INF} {{ {rule.head} }} {rule.head} . {held(NEXT, rule.head)} }} "
        f"WHERE {{ {held(FRONT, atom)} {rule.schema} {_others(rule, index, old=False)} {rule.filters} "
        f"FILTER NOT EXISTS {{ {rule.head} }} }}"
        for rule in RULES
        for index, atom in enumerate(rule.atoms)
    ]
    return operations + _advance()


def _advance(also: str | None = None) -> list[str]:
    """NEXT becomes the frontier (and is added to ``also``); NEXT is emptied."""
    targets = held(FRONT, "?s ?p ?o") + ("" if also is None else " " + held(also, "?s ?p ?o"))
    return [
        f"DROP SILENT GRAPH {FRONT}",
        f"INSERT {{ {targets} }} WHERE {{ {held(NEXT, '?s ?p ?o')} }}",
        f"DROP SILENT GRAPH {NEXT}",
    ]


def _prove_empty_frontier(marker: str) -> str:
    """An operation writing into ``marker`` graph if the frontier still holds anything (not at fixpoint)."""
    return f"INSERT {{ GRAPH <{marker}> {{ <{marker}> <{marker}> true }} }} WHERE {{ {held(FRONT, '?s ?p ?o')} }}"


def _start() -> list[str]:
    """Removed triples no longer stated become GONE (and start OVER and the frontier); added ones leave INF."""
    gone = f"{held(GONE, '?s ?p ?o')} {held(OVER, '?s ?p ?o')} {held(FRONT, '?s ?p ?o')}"
    return [
        f"INSERT {{ {gone} }} WHERE {{ {held(REMOVED, '?s ?p ?o')} FILTER NOT EXISTS {{ ?s ?p ?o }} }}",
        f"DELETE {{ GRAPH {INF} {{ ?s ?p ?o }} }} WHERE {{ {held(ADDED, '?s ?p ?o')} GRAPH {INF} {{ ?s ?p ?o }} "
        f"FILTER EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != {INF}) }} }}",
    ]


def _delete_overdeleted() -> str:
    """The operation removing the over-deleted triples from the inferred graph and the default graph."""
    return (
        f"DELETE {{ GRAPH {INF} {{ ?s ?p ?o }} ?s ?p ?o }} WHERE {{ {held(OVER, '?s ?p ?o')} "
        f"GRAPH {INF} {{ ?s ?p ?o }} FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != {INF}) }} }}"
    )


def _rederive() -> list[str]:
    """Over-deleted triples with a one-step derivation from what is left are inferred again (and frontier)."""
    operations = [
        f"INSERT {{ GRAPH {INF} {{ {rule.head} }} {rule.head} . {held(FRONT, rule.head)} }} "
        f"WHERE {{ {held(OVER, rule.head)} {rule.schema} {' . '.join(rule.atoms)} . {rule.filters} "
        f"FILTER NOT EXISTS {{ {rule.head} }} }}"
        for rule in RULES
    ]
    added = f"INSERT {{ {held(FRONT, '?s ?p ?o')} }} WHERE {{ {held(ADDED, '?s ?p ?o')} ?s ?p ?o }}"
    return [*operations, added]


def maintain(rounds: int, marker: str) -> list[str]:
    """The operations bringing the inferred graph up to date with the triples recorded in REMOVED and ADDED.

    Before them, the store's named graphs hold the new stated triples and the old inferences
    (the closure of the old stated triples, minus those stated); after them, the inferred graph
    is the closure of the new stated triples minus the stated ones, the default graph their
    union, and the scratch graphs are gone. Each of the two loops runs ``rounds`` rounds; if one
    has not reached its fixpoint, a triple is written into the graph ``marker`` (the caller makes
    the update fail then). The recorded sets may be larger than the change (they are filtered).
    """
    operations = _start()
    for _ in range(rounds):
        operations += _overdelete_round()
    operations.append(_prove_empty_frontier(marker))
    operations.append(_delete_overdeleted())
    operations += _rederive()
    for _ in range(rounds):
        operations += _insert_round()
    operations.append(_prove_empty_frontier(marker))
    operations += [f"DROP SILENT GRAPH {graph}" for graph in SCRATCH_GRAPHS]
    return operations
