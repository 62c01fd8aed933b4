"""Reading a SPARQL 1.1 update: its operations, the graphs each can write, and the refusals.

The update is parsed by rdflib's SPARQL grammar (``rdflib.plugins.sparql.parser``) and translated
to its algebra (``algebra.translateUpdate``); the operation types and their graph IRIs come from
that structure, never from scanning the text. The same grammar elements, wrapped to report where
each operation starts and ends, give the spans after which kg.update.evaluate re-derives the
default graph (the merge of the named graphs, docs/adr/0010) so that a later operation sees what
an earlier one wrote.

Refused here, before anything is evaluated (``UpdateError``):
- ``invalid-update``: text that is not a SPARQL 1.1 update;
- ``forbidden-update``: LOAD (nothing is fetched), SERVICE (nothing is queried elsewhere),
  writes to the default graph (a read-only view: the merge of the named graphs), to the system
  graphs, or to every graph at once (CLEAR/DROP ALL or NAMED). Any other graph may be written
  once its source is described (kg.gate.graph_sources, checked on the difference).
The parse gives the clear message; the guarantees are elsewhere: the evaluation cannot open a
socket (kg.sparql.sandbox), and the difference it returns is checked again graph by graph
(kg.update.gate), so a construct this parse misread can lose a write, never make a forbidden one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
import pyparsing as pp
from rdflib.plugins.sparql import algebra, parser
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Literal, URIRef, Variable

from kg.namespaces import CLOSED_GRAPHS, GRAPH_BASE, META_GRAPH

SKOLEM_BASE = "https://w3id.org/chipgraph/.well-known/genid/"
DEFAULT_GRAPH_IS_READ_ONLY = (
    "the default graph is a read-only view, the merge of the named graphs (docs/adr/0010): "
    f"write into a source graph instead, e.g. INSERT DATA {{ GRAPH <{GRAPH_BASE}SLUG> {{ ... }} }}"
)
_ESCAPE = re.compile(r"\\u([0-9a-f]{4}(?:[0-9a-f]{4})?)", re.IGNORECASE)  # rdflib's, a superset of Oxigraph's


def _negative_decimal(tokens: pp.ParseResults) -> Literal:
    """A negative decimal such as -5.0 (rdflib 7.6 negates the Literal, which fails for decimals)."""
    unsigned = tokens[0]
    return Literal("-" + str(unsigned), datatype=unsigned.datatype)


parser.DECIMAL_NEGATIVE.set_parse_action(_negative_decimal)  # a fix of rdflib's grammar, in place


class UpdateError(ValueError):
    """An update refused before it was merged; ``code`` is one of the API's error codes.

    ``context`` says more (e.g. ``reason``: load, service, default-graph, system-graph, ...).
    """

    def __init__(self, code: str, message: str, context: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.context = context or {}


def forbidden(reason: str, message: str, **context: Any) -> UpdateError:
    """The refusal of an update that would do what no update may do (status 403 in the API)."""
    return UpdateError("forbidden-update", message, {"reason": reason, **context})


@dataclass(frozen=True)
class Operation:
    """One operation of an update: its kind (rdflib's name, e.g. InsertData), where it is, what it touches.

    ``writes`` are the graphs it may write; ``any_graph`` is true when a template writes to a
    graph named by a variable; ``reads_default`` when it can read the default graph.
    """

    kind: str
    start: int
    end: int
    writes: frozenset[str]
    any_graph: bool
    reads_default: bool


@dataclass(frozen=True)
class Plan:
    """An update read and accepted: its text (codepoint escapes expanded) and its operations."""

    text: str
    operations: tuple[Operation, ...]

    @property
    def graphs(self) -> frozenset[str]:
        """The graphs the update may write, by name."""
        return frozenset(graph for operation in self.operations for graph in operation.writes)

    @property
    def any_graph(self) -> bool:
        """Whether some template writes to a graph named by a variable (then every graph must be compared)."""
        return any(operation.any_graph for operation in self.operations)

    def evaluation_text(self, between: list[str]) -> str:
        """The update with the operations ``between`` inserted after each operation that a later one may read after.

        ``between`` re-derives the default graph from the named graphs (kg.union.RESYNC).
        """
        cuts = [
            operation.end
            for index, operation in enumerate(self.operations)
            if any(later.reads_default for later in self.operations[index + 1 :])
        ]
        pieces, last = [], 0
        for cut in cuts:
            pieces.append(self.text[last:cut] + " ;\n" + " ;\n".join(between) + "\n")
            last = cut
        pieces.append(self.text[last:])
        return "".join(pieces)


@dataclass(frozen=True)
class UsingDataset:
    """The protocol's ``using-graph-uri`` and ``using-named-graph-uri`` parameters (SPARQL 1.1 Protocol §2.2.3).

    They give the dataset of every WHERE clause of the request, as USING and USING NAMED
    clauses would; an update that has its own USING, USING NAMED or WITH is then refused.
    """

    default: tuple[str, ...] = ()
    named: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.default or self.named)

    def clauses(self) -> str:
        """The USING and USING NAMED clauses, each IRI serialised by pyoxigraph; raises UpdateError for a non-IRI."""
        try:
            using = [f"USING {ox.NamedNode(iri)}" for iri in self.default]
            using += [f"USING NAMED {ox.NamedNode(iri)}" for iri in self.named]
        except ValueError as error:
            message = f"using-graph-uri and using-named-graph-uri take absolute IRIs: {error}"
            raise UpdateError("invalid-update", message) from error
        return " ".join(using)


@lru_cache(maxsize=1)
def _located_modify() -> pp.ParserElement:
    """The Modify rule of rdflib's grammar, with its WHERE keyword wrapped to report where it starts (``where_at``)."""
    keyword = pp.CaselessKeyword  # as in rdflib's grammar: SPARQL keywords ignore case
    grammar = (
        pp.Optional(keyword("WITH") + parser.iri)
        + (parser.DeleteClause + pp.Optional(parser.InsertClause) | parser.InsertClause)
        + pp.ZeroOrMore(parser.UsingClause)
        + pp.Located(keyword("WHERE"))("where_at")
        + parser.GroupGraphPattern
    )
    grammar.ignore("#" + pp.rest_of_line)
    return grammar


def _with_dataset(text: str, dataset: UsingDataset, base_iri: str | None) -> str:
    """``text`` with the dataset's USING clauses before the WHERE of each DELETE/INSERT ... WHERE.

    Raises UpdateError (invalid-update) when an operation has its own USING, USING NAMED or WITH:
    the protocol forbids giving the dataset twice.
    """
    expanded, operations, spans = _parsed(text, base_iri)
    clauses = dataset.clauses()
    pieces, last = [], 0
    for operation, (start, end) in zip(operations, spans, strict=True):
        if operation.name != "Modify":
            continue
        if _field(operation, "using") or _field(operation, "withClause") is not None:
            raise UpdateError(
                "invalid-update",
                "give the dataset once: using-graph-uri/using-named-graph-uri, or USING/WITH in the update, not both",
            )
        where = start + _located_modify().parse_string(expanded[start:end], parse_all=True)["where_at"][0]
        pieces.append(expanded[last:where] + clauses + " ")
        last = where
    pieces.append(expanded[last:])
    return "".join(pieces)


@lru_cache(maxsize=1)
def _located_grammar() -> pp.ParserElement:
    """The Update rule of rdflib's grammar, with each prologue and operation wrapped to report its span."""
    grammar = pp.Forward()
    grammar <<= pp.Located(parser.Prologue) + pp.Optional(
        pp.Located(parser.Update1) + pp.Optional(pp.Suppress(";") + grammar)
    )
    grammar.ignore("#" + pp.rest_of_line)
    return grammar


def _spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each operation of ``text`` (prologues and operations alternate in the parse)."""
    flat = list(_located_grammar().parse_string(text, parse_all=True))
    groups = [(flat[index], flat[index + 2]) for index in range(0, len(flat), 3)]
    return groups[1::2]


def _parsed(text: str, base_iri: str | None) -> tuple[str, list[CompValue], list[tuple[int, int]]]:
    """The expanded text, the algebra of its operations and their spans; raises UpdateError."""
    try:
        expanded = parser.expandUnicodeEscapes(text)
    except ValueError as error:
        raise UpdateError("invalid-update", f"the update is not SPARQL 1.1: {error}") from error
    if _ESCAPE.search(expanded):
        raise UpdateError(
            "invalid-update", "the update has codepoint escapes (\\u, \\U) that spell further escapes; write them out"
        )
    try:
        parsed = parser.UpdateUnit.parse_string(expanded, parse_all=True)[0]
        operations = list(algebra.translateUpdate(parsed, base=base_iri).algebra)
        spans = _spans(expanded)
    except pp.ParseBaseException as error:
        raise UpdateError("invalid-update", f"the update is not SPARQL 1.1: {error}") from error
    except RecursionError as error:
        raise UpdateError("invalid-update", "the update is nested too deeply to be read") from error
    except Exception as error:  # rdflib's translation rejects some updates with a plain Exception
        raise UpdateError("invalid-update", f"the update cannot be read: {error}") from error
    if len(spans) != len(operations):
        raise UpdateError("invalid-update", "the update could not be read consistently; simplify it")
    return expanded, operations, spans


def _nodes(root: object) -> Iterator[object]:
    """Every value inside an algebra tree (CompValues, dicts, lists, tuples), iteratively."""
    stack, seen = [root], 0
    while stack:
        node = stack.pop()
        seen += 1
        yield node
        if isinstance(node, dict):  # CompValue is an OrderedDict
            stack.extend(value for key, value in node.items() if key != "prologue")
        elif isinstance(node, (list, tuple, set, frozenset)):
            stack.extend(node)


def _uses_service(operation: CompValue) -> bool:
    return any(isinstance(node, CompValue) and node.name == "ServiceGraphPattern" for node in _nodes(operation))


def check_writable(graph: str) -> None:
    """Raise UpdateError (forbidden-update, system-graph) if ``graph`` is one that only merges write.

    Any other graph may be written once its source is described (kg.gate.graph_sources, checked on the
    update's difference).
    """
    if graph in CLOSED_GRAPHS:
        raise forbidden(
            "system-graph",
            f"{graph} is a system graph, written only by merges (history, inferences, derived figures, "
            f"ontology); updates write data graphs (e.g. {GRAPH_BASE}SLUG) or the metadata graph {META_GRAPH}",
            graph=graph,
        )


def _field(node: CompValue, key: str) -> Any:
    """A field of an algebra node, None when absent (CompValue.get returns the key itself then)."""
    return node[key] if key in node else None  # noqa: SIM401


def _template_graphs(template: Any, default: str | None) -> tuple[set[str], bool]:
    """The graphs a quad template writes, and whether one is a variable; ``default`` gets its default-graph triples."""
    graphs: set[str] = set()
    any_graph = False
    if template is None:
        return graphs, any_graph
    if _field(template, "triples"):
        if default is None:
            raise forbidden("default-graph", DEFAULT_GRAPH_IS_READ_ONLY)
        graphs.add(default)
    for graph, triples in (_field(template, "quads") or {}).items():
        if not triples:
            continue
        if isinstance(graph, Variable):
            any_graph = True
        elif isinstance(graph, URIRef):
            graphs.add(str(graph))
        else:
            raise UpdateError("invalid-update", f"a template names a graph that is no IRI: {str(graph)[:80]}")
    return graphs, any_graph


def _graph_of(value: object) -> str | None:
    """The IRI of a graph reference (None for DEFAULT)."""
    if value == "DEFAULT":
        return None
    if isinstance(value, URIRef):
        return str(value)
    raise UpdateError("invalid-update", f"not a graph: {str(value)[:80]}")


def _operation(operation: CompValue, span: tuple[int, int]) -> Operation:
    """The Operation of one algebra node; raises UpdateError for what no update may do."""
    kind = operation.name
    if kind == "Load":
        raise forbidden("load", "LOAD is refused: this server never fetches documents; send the triples in INSERT DATA")
    if _uses_service(operation):
        raise forbidden("service", "SERVICE is refused: this server never queries other endpoints")
    writes: set[str] = set()
    any_graph, reads_default = False, False
    if kind in ("InsertData", "DeleteData", "DeleteWhere"):
        writes, any_graph = _template_graphs(operation, None)
    elif kind == "Modify":
        with_clause = _field(operation, "withClause")
        with_graph = None if with_clause is None else str(with_clause)
        for template in (_field(operation, "delete"), _field(operation, "insert")):
            graphs, variable = _template_graphs(template, with_graph)
            writes |= graphs
            any_graph = any_graph or variable
        reads_default = True
    elif kind in ("Clear", "Drop", "Create"):
        target = operation.graphiri
        if target in ("ALL", "NAMED"):
            raise forbidden(
                "all-graphs",
                f"{kind.upper()} {target} would also clear the system graphs; "
                f"{kind.upper()} GRAPH <...> one source graph at a time",
            )
        graph = _graph_of(target)
        if graph is None:
            raise forbidden("default-graph", DEFAULT_GRAPH_IS_READ_ONLY)
        writes.add(graph)
    elif kind in ("Add", "Move", "Copy"):
        source, target = (_graph_of(value) for value in operation.graph)
        if target is None or (kind == "Move" and source is None):
            raise forbidden("default-graph", DEFAULT_GRAPH_IS_READ_ONLY)
        writes.add(target)
        if kind == "Move" and source is not None and source != target:
            writes.add(source)
        reads_default = source is None
    else:
        raise UpdateError("invalid-update", f"unknown update operation {kind}")
    for graph in writes:
        check_writable(graph)
    return Operation(kind, span[0], span[1], frozenset(writes), any_graph, reads_default)


def plan(text: str, base_iri: str | None = None, dataset: UsingDataset | None = None) -> Plan:
    """Read ``text`` as a SPARQL 1.1 update; raise UpdateError (invalid-update, forbidden-update).

    Relative IRIs resolve against ``base_iri`` (none: they are an error). A ``dataset`` (the
    protocol's using-graph-uri parameters) becomes USING clauses of each DELETE/INSERT ... WHERE.
    """
    if dataset:
        text = _with_dataset(text, dataset, base_iri)
    expanded, operations, spans = _parsed(text, base_iri)
    return Plan(expanded, tuple(_operation(op, span) for op, span in zip(operations, spans, strict=True)))


__all__ = ["SKOLEM_BASE", "Operation", "Plan", "UpdateError", "UsingDataset", "check_writable", "plan"]
