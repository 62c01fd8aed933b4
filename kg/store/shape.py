"""What a parsed query is made of, and its dataset written into it: read by a real SPARQL parser (rdflib's).

``shape(sparql)`` parses the query once (cached) and tells its form, whether it names its own
dataset (FROM, FROM NAMED), whether it reads named graphs (a GRAPH pattern anywhere: in a
sub-select, an OPTIONAL, a UNION, a FILTER EXISTS) and whether it calls another endpoint (a
SERVICE pattern anywhere, with an IRI or a variable). A query the parser cannot read raises
QuerySyntaxError: callers refuse what they cannot inspect.

``with_dataset(sparql, default, named)`` is the query with ``FROM <default>`` and one
``FROM NAMED <g>`` per graph. The clauses are written by pyoxigraph (``NamedNode``, so an IRI
cannot break out of its brackets); where they go, the start of the WHERE clause, is found on
the query with its strings, IRIs and comments blanked out, and checked by parsing the query with
one probe clause at that place: the parser must read exactly that dataset, else None (the caller
then sends the dataset in the protocol).
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from pyparsing import ParseException, ParseResults
from rdflib import URIRef
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from kg.sparql.dataset import blanked
from kg.store import QuerySyntaxError

_PARSING = threading.Lock()  # pyparsing keeps state of its own while it parses
PROBE = "urn:chipgraph:probe"


@dataclass(frozen=True)
class QueryShape:
    """What one query is: its form, and which parts of the SPARQL language it uses."""

    form: str  # "SelectQuery", "ConstructQuery", "DescribeQuery" or "AskQuery"
    has_dataset: bool  # it has FROM or FROM NAMED
    uses_graph: bool  # a GRAPH pattern somewhere
    uses_service: bool  # a SERVICE pattern somewhere
    graph_iris: frozenset[str] | None = None  # the IRIs of its GRAPH patterns when each names an absolute IRI

    @property
    def graph_form(self) -> bool:
        """Whether the query returns a graph (CONSTRUCT, DESCRIBE)."""
        return self.form in ("ConstructQuery", "DescribeQuery")


def _parse(sparql: str) -> Any:
    """The parse tree of ``sparql`` (the query itself, without its prologue); raise QuerySyntaxError."""
    try:
        with _PARSING:
            parsed = parseQuery(sparql)
    except ParseException as error:
        raise QuerySyntaxError(str(error)) from error
    except Exception as error:  # rdflib raises others on some invalid input (an undefined prefix...)
        raise QuerySyntaxError(str(error) or "the query is not valid SPARQL") from error
    return parsed[1]


def _nodes(node: Any) -> Iterable[CompValue]:
    """Every parse-tree node under ``node`` (``ServiceGraphPattern``, ``GraphGraphPattern``...)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, ParseResults | list | tuple):
            stack.extend(item)


def _graph_iris(nodes: list[CompValue]) -> frozenset[str] | None:
    """The IRIs the GRAPH patterns name, or None when one names a variable, a prefixed or a relative IRI."""
    iris = set()
    for node in nodes:
        if node.name != "GraphGraphPattern":
            continue
        term = node.get("term")
        if not isinstance(term, URIRef):
            return None
        try:
            iris.add(ox.NamedNode(str(term)).value)
        except ValueError:  # relative: resolved against a base only the server knows
            return None
    return frozenset(iris)


@functools.lru_cache(maxsize=1024)
def shape(sparql: str) -> QueryShape:
    """The shape of ``sparql``; raise QuerySyntaxError when rdflib's parser cannot read it."""
    query = _parse(sparql)
    nodes = list(_nodes(query))
    names = {node.name for node in nodes}
    return QueryShape(
        form=query.name,
        has_dataset="datasetClause" in query,
        uses_graph="GraphGraphPattern" in names,
        uses_service="ServiceGraphPattern" in names,
        graph_iris=_graph_iris(nodes),
    )


_FORM = re.compile(r"(?<![\w:?$])(SELECT|CONSTRUCT|DESCRIBE|ASK)(?![\w:])", re.IGNORECASE)
_WHERE = re.compile(r"(?<![\w:?$])WHERE(?![\w:])", re.IGNORECASE)


def _dataset_place(sparql: str) -> int | None:
    """Where dataset clauses go in ``sparql`` (the start of its WHERE clause), or None if not found for sure."""
    if "\\u" in sparql or "\\U" in sparql:
        return None  # codepoint escapes can hide keywords from the scan
    code = blanked(sparql)
    form = _FORM.search(code)
    if form is None:
        return None
    keyword = form.group(1).upper()
    index = form.end()
    if keyword == "CONSTRUCT":
        rest = code[index:].lstrip()
        if not rest.startswith("{"):
            return index  # CONSTRUCT WHERE { ... }: the dataset goes between the two keywords
        depth = 0
        for position in range(code.index("{", index), len(code)):
            depth += {"{": 1, "}": -1}.get(code[position], 0)
            if depth == 0:
                return position + 1  # after the template
        return None
    depth = 0
    for position in range(index, len(code)):
        char = code[position]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and (char == "{" or _WHERE.match(code, position)):
            return position
    return None


@functools.lru_cache(maxsize=1024)
def _proved_place(sparql: str, default: str) -> int | None:
    """Where dataset clauses go in ``sparql``, proved by parsing it with a probe dataset there; else None."""
    place = _dataset_place(sparql)
    if place is None:
        return None
    probe = f"{sparql[:place]} FROM {ox.NamedNode(default)} FROM NAMED <{PROBE}> {sparql[place:]}"
    try:
        clauses = _parse(probe).get("datasetClause", [])
    except QuerySyntaxError:
        return None
    found = [("named" in clause, str(clause["named" if "named" in clause else "default"])) for clause in clauses]
    return place if found == [(False, default), (True, PROBE)] else None


def with_dataset(sparql: str, default: ox.NamedNode, named: list[ox.NamedNode]) -> str | None:
    """``sparql`` with ``FROM <default>`` and ``FROM NAMED`` each of ``named``, or None if they cannot be placed.

    None also when the query names a dataset already. Raises QuerySyntaxError when it does not parse.
    """
    if shape(sparql).has_dataset:
        return None
    place = _proved_place(sparql, default.value)
    if place is None:
        return None
    dataset = " ".join([f"FROM {default}", *(f"FROM NAMED {graph}" for graph in named)])
    return f"{sparql[:place]} {dataset} {sparql[place:]}"
