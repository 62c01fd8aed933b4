"""`chipgraph mcp`: a Model Context Protocol server over stdio, so that an AI assistant answers from the graph.

Six read-only tools, each a thin call of what the REST API uses (see ``build_server`` for their
descriptions): search (catalog.SearchIndex), describe an entity with the source of each fact
(ids.resolve_any, catalog.facts), SPARQL (the sandboxed, time-limited worker pool of /sparql,
kg.sparql.pool, with its row cap), the named queries (kg.queries) and the export status of a chip
(kg.export_status). Every result is one JSON object, sent both as structured content and as JSON
text. A failure the caller can fix (an unknown id, a malformed date, an invalid or refused query, a
busy pool) is a tool error with a one-line message; anything else is a tool error too, never a
traceback and never the end of the server.

The store is opened read-only, as the reading commands open it: it takes no lock, so the server
runs beside `chipgraph serve`, and it answers from the store as it was when opened (the query workers
open it at their first query): restart the server after a build or a merge.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, ParamSpec, TypeVar

import orjson
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from kg import catalog, ids
from kg.export_status import export_status
from kg.namespaces import ID_BASE
from kg.queries import QueryParameterError, UnknownQueryError, named_queries, named_query
from kg.rulebook import Rulebook
from kg.settings import Settings
from kg.sparql.pool import QueryError, QueryJob, QueryPool
from kg.store import AnyStore, StoreError

log = logging.getLogger("chipgraph.mcp")
JSON_RESULTS = "application/sparql-results+json"
GRAPH_RESULTS = "application/n-triples"
CLIENT = "mcp"  # the pool's client name: one assistant speaks to one server
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
READ_ONLY_QUERIES = (
    "this tool runs read-only queries (SELECT, ASK, CONSTRUCT, DESCRIBE); updates are refused, "
    "the graph changes only through validated changesets (chipgraph merge, POST /changes)"
)

P = ParamSpec("P")
R = TypeVar("R")


def tool_errors(function: Callable[P, R]) -> Callable[P, R]:
    """Wrap a tool so that every failure is a ToolError with a one-line message, never a traceback.

    ToolError passes unchanged; an unknown id names its suggestions; a malformed argument, an
    unknown named query or parameter, and a refused or failed query give their own message; any
    other exception is logged in one line to stderr and reported by its type and message.
    """

    @functools.wraps(function)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except ToolError:
            raise
        except ids.UnknownIdError as error:
            raise ToolError(unknown_id_message(error)) from None
        except catalog.NotFoundError as error:
            raise ToolError(f"no such entity: {catalog.entity_id(str(error))}") from None
        except (catalog.InvalidFilterError, QueryParameterError) as error:
            raise ToolError(str(error)) from None
        except UnknownQueryError as error:
            raise ToolError(str(error)) from None
        except QueryError as error:
            raise ToolError(query_error_message(error)) from None
        except (StoreError, OSError) as error:
            raise ToolError(f"the store could not be read: {error}") from None
        except Exception as error:
            log.error("tool %s failed: %s: %s", function.__name__, type(error).__name__, error)
            raise ToolError(f"internal error ({type(error).__name__}): {error}") from None

    return wrapped


def unknown_id_message(error: ids.UnknownIdError) -> str:
    """The message of an unknown id: what was asked, and up to five close ids to try instead."""
    hint = f"; did you mean {', '.join(error.suggestions)}" if error.suggestions else "; try search_entities"
    return f"no {error.kind} with id {error.text[:80]!r}{hint}"


def query_error_message(error: QueryError) -> str:
    """The message of a refused or failed query, with its code (as the HTTP API names it)."""
    message = f"{error.code}: {error}"
    return f"{message} ({READ_ONLY_QUERIES})" if error.code == "invalid-query" else message


def parse_day(text: str | None) -> date:
    """The date ``text`` names (YYYY-MM-DD), today when None or empty; ToolError when malformed."""
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ToolError(f"date must be YYYY-MM-DD, not {text[:40]!r}") from None


def select_rows(body: bytes) -> dict[str, Any]:
    """SPARQL JSON results as ``{"variables", "rows", "count"}`` (or ``{"boolean"}`` for ASK).

    A row maps each bound variable to its value: an IRI in full, a literal's lexical form (its
    datatype and language left out), a blank node's id; unbound variables are left out.
    """
    result = orjson.loads(body)
    if "boolean" in result:
        return {"form": "ask", "boolean": result["boolean"]}
    variables = result["head"].get("vars", [])
    rows = [{var: term["value"] for var, term in binding.items()} for binding in result["results"]["bindings"]]
    return {"form": "select", "variables": variables, "rows": rows, "count": len(rows)}


@dataclass
class GraphTools:
    """What the tools read: the read-only store, the indexes built from it once, and the query pool.

    The caller owns ``store`` and ``pool`` and closes them (``close``).
    """

    store: AnyStore
    pool: QueryPool
    settings: Settings
    _cache: dict[str, Any] = field(default_factory=dict)

    def _cached(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]

    def search_index(self) -> catalog.SearchIndex:
        """Names, aliases and citations of every entity (read once: the store does not change)."""
        index: catalog.SearchIndex = self._cached("search", lambda: catalog.SearchIndex.build(self.store))
        return index

    def rulebook(self) -> Rulebook:
        """The export-control rules of the graph (read once)."""
        book: Rulebook = self._cached("rulebook", lambda: Rulebook.read(self.store))
        return book

    def search(self, text: str, limit: int) -> dict[str, Any]:
        """Up to ``limit`` entities whose name, alias or citation contains ``text``, best first."""
        hits = self.search_index().search(text, limit)
        for hit in hits:
            hit["iri"] = ID_BASE + hit["id"]  # the index holds entities under ID_BASE only
        return {"query": text, "count": len(hits), "items": hits}

    def describe(self, entity: str) -> dict[str, Any]:
        """The facts of the entity ``entity`` names, each value with its graphs; ``sources`` describes them.

        Raises UnknownIdError (with suggestions) or InvalidFilterError.
        """
        iri = ids.resolve_any(self.store, entity, self.search_index())
        sources = self._cached("sources", lambda: catalog.source_index(self.store))
        return catalog.facts(self.store, iri, sources)

    def query(self, text: str, media_types: tuple[str, ...]) -> tuple[str, bytes]:
        """Run ``text`` in the query pool (sandboxed, time limit, row cap): its media type and whole result.

        Raises QueryError (QueryBusyError when the pool stays busy).
        """
        job = QueryJob(query=text, media_types=media_types, max_rows=self.settings.max_result_rows)
        answer = self.pool.run(job, CLIENT)
        try:
            chunks = [answer.first, *(answer.rest or ())]
        finally:
            answer.close()
        return answer.media_type, b"".join(chunks)

    def sparql(self, text: str) -> dict[str, Any]:
        """The answer to a SPARQL query: rows (SELECT), a boolean (ASK) or N-Triples (CONSTRUCT, DESCRIBE)."""
        if not text.strip():
            raise ToolError("give a non-empty SPARQL query")
        media, body = self.query(text, (JSON_RESULTS, GRAPH_RESULTS))
        if media == GRAPH_RESULTS:
            lines = [line for line in body.decode("utf-8").splitlines() if line.strip()]
            result: dict[str, Any] = {"form": "graph", "count": len(lines), "ntriples": "\n".join(lines)}
        else:
            result = select_rows(body)
        result["row_limit"] = self.settings.max_result_rows
        return result

    def named_query(self, name: str, parameters: dict[str, str]) -> dict[str, Any]:
        """Run the named query ``name`` with ``parameters`` bound (defaults for the others), in the pool.

        Raises UnknownQueryError, QueryParameterError or QueryError.
        """
        query = named_query(name)
        _, body = self.query(query.bind(parameters), (JSON_RESULTS,))
        rows = select_rows(body)
        return {"name": name, "question": query.question, **rows, "row_limit": self.settings.max_result_rows}

    def export_status(self, chip: str, destination: str, day: date, buyer: str | None) -> dict[str, Any]:
        """The verdict for ``chip`` going to ``destination`` on ``day`` (to ``buyer``), with its trail.

        Raises UnknownIdError, NotFoundError (destination, buyer) or InvalidFilterError.
        """
        slug = ids.slug_of(ids.resolve(self.store, "chip", chip, self.search_index()))
        status = export_status(self.store, slug, destination.strip().upper(), day, buyer=buyer, book=self.rulebook())
        return status.to_json()


def list_queries() -> dict[str, Any]:
    """Every named query: name, question and typed parameters with their defaults."""
    listed = []
    for query in named_queries().values():
        params = [{"name": name, "type": kind, "default": value} for name, (kind, value) in query.params.items()]
        listed.append({"name": query.name, "question": query.question, "parameters": params})
    return {"queries": listed}


INSTRUCTIONS = """chipgraph: a knowledge graph of AI chips (designers, foundries, process nodes, performance
figures), the companies behind them, and US export controls (rules, ECCNs, the Entity List, licence
requirements), every fact with its source. Answer from these tools rather than from memory and cite
the sources they return. Ids: a slug (nvidia-h20), kind/slug (chip/nvidia-h20), the full IRI
(https://w3id.org/chipgraph/id/chip/nvidia-h20) or an exact label; search_entities finds them.
SPARQL prefixes: cg: = https://w3id.org/chipgraph/ontology#, rdfs: must be declared in the query."""

SEARCH = """Find entities (chips, companies, countries, rules, ECCNs, Entity List entries, sources...) by
name, alias or citation ("84 FR 22961", "2023-23055"); case- and accent-insensitive. Returns
{"query", "count", "items": [{"id": "kind/slug", "label", "match": "prefix"|"word"|"substring",
"iri"}]}, whole-name prefix matches first, then word-prefix, then substring matches."""

DESCRIBE = """Every stated fact of one entity, with the source of each. `id` may be a slug (nvidia-h20),
kind/slug (chip/nvidia-h20), the full IRI or the exact label (any case). Returns {"iri", "id",
"label", "facts": {property: [{"value", "datatype" (literals) or "ref": {"id", "label"} (entities),
"graphs": [graph IRI...]}]}, "sources": [{"graph", "iri", "title", "url", "citation"}]}: a value's
"graphs" are the named graphs stating it, and "sources" describes each such graph. An unknown id is
an error naming up to five close ids."""

SPARQL = """Run one read-only SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or DESCRIBE) over the union of
all sources, inferred facts included; `GRAPH ?g { ... }` tells which source states a triple. The
same guards as the HTTP /sparql endpoint: sandboxed workers (SERVICE reaches nothing and is
refused), a time limit per query (CHIPGRAPH_QUERY_TIMEOUT, 30 s), at most CHIPGRAPH_MAX_RESULT_ROWS
rows or triples (100 000); updates (INSERT, DELETE, LOAD...) are refused. Returns for SELECT
{"form": "select", "variables", "rows": [{variable: value}], "count", "row_limit"}, values being
full IRIs or literals' lexical forms, unbound variables left out; for ASK {"form": "ask",
"boolean"}; for CONSTRUCT and DESCRIBE {"form": "graph", "count", "ntriples"}. Prefer a LIMIT."""

LIST_QUERIES = """List the named queries (tested competency questions). Returns {"queries": [{"name",
"question", "parameters": [{"name", "type": "decimal"|"date", "default"}]}]}; run one with
run_named_query."""

RUN_QUERY = """Run one named query (see list_named_queries) with its parameters; a parameter not given
takes its default. Values are strings: a date as YYYY-MM-DD, a decimal as 4800 or 2400.5. Runs with
the same guards as sparql_query. Returns {"name", "question", "form": "select", "variables", "rows":
[{variable: value}], "count", "row_limit"}."""

EXPORT_STATUS = """May a chip be exported from the US to a destination on a date (optionally to a given
buyer), and why. Returns {"chip": {"id", "label"}, "destination", "date", "buyer", "verdict":
"licence-required"|"notification-required"|"licence-exception"|"not-required"|"undetermined"|
"not-yet-public", "missing": [what is unknown], "figures": [TPP, performance density... with the
facts behind each], "findings": [{"kind", "subject", "outcome", "rule": {act, citation},
"valid_from", "valid_until", "explanation", "missing", "facts": [{"subject", "property", "value",
"graph", "source"}]}]}: the whole trail, every fact with its source. An unknown chip or buyer is an
error naming close ids."""

EntityId = Annotated[
    str,
    Field(min_length=1, max_length=300, description="nvidia-h20, chip/nvidia-h20, the full IRI, or the exact label"),
]


def build_server(tools: GraphTools) -> MCPServer:
    """The MCP server with its six read-only tools over ``tools``."""
    server: MCPServer = MCPServer("chipgraph", instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool(description=SEARCH, annotations=READ_ONLY)
    @tool_errors
    def search_entities(
        query: Annotated[str, Field(min_length=1, max_length=200, description="Text to look for, e.g. H20")],
        limit: Annotated[int, Field(ge=1, le=100, description="Most entities returned")] = 20,
    ) -> dict[str, Any]:
        return tools.search(query, limit)

    @server.tool(description=DESCRIBE, annotations=READ_ONLY)
    @tool_errors
    def describe_entity(id: EntityId) -> dict[str, Any]:
        return tools.describe(id)

    @server.tool(description=SPARQL, annotations=READ_ONLY)
    @tool_errors
    def sparql_query(
        query: Annotated[str, Field(min_length=1, max_length=100_000, description="The SPARQL query text")],
    ) -> dict[str, Any]:
        return tools.sparql(query)

    @server.tool(description=LIST_QUERIES, annotations=READ_ONLY)
    @tool_errors
    def list_named_queries() -> dict[str, Any]:
        return list_queries()

    @server.tool(description=RUN_QUERY, annotations=READ_ONLY)
    @tool_errors
    def run_named_query(
        name: Annotated[str, Field(min_length=1, max_length=200, description="A name from list_named_queries")],
        parameters: Annotated[
            dict[str, str] | None, Field(description='Parameter values by name, e.g. {"tpp": "2400"}')
        ] = None,
    ) -> dict[str, Any]:
        return tools.named_query(name, parameters or {})

    @server.tool(name="export_status", description=EXPORT_STATUS, annotations=READ_ONLY)
    @tool_errors
    def export_status_tool(
        chip: EntityId,
        destination: Annotated[
            str, Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2 code of the destination, e.g. CN")
        ],
        date: Annotated[str | None, Field(description="The date, YYYY-MM-DD (default: today)")] = None,
        buyer: Annotated[str | None, Field(max_length=300, description="Buyer organisation id, e.g. huawei")] = None,
    ) -> dict[str, Any]:
        return tools.export_status(chip, destination, parse_day(date), buyer)

    return server
