"""Replaying the W3C SPARQL 1.1 Protocol and Graph Store Protocol manifests against a live server.

A manifest (``mf:Manifest``) lists its tests in ``mf:entries``; each test's ``mf:action`` is an
``ht:Connection`` whose ``ht:requests`` list holds ``ht:Request``s (``ht:methodName``,
``ht:absolutePath`` with its query string, ``ht:headers`` of ``ht:fieldName``/``ht:fieldValue``,
an ``ht:body`` with ``cnt:chars`` in ``cnt:characterEncoding``) and, on each, ``ht:resp``: the
expected ``mf:expectedStatus`` (``hts:StatusCode2xx`` classes or named codes such as
``hts:Created``), ``mf:expectedFormat`` (``boolean``, ``tabular``, ``RDF``), ``mf:expectedBoolean``,
response ``ht:headers`` and an ``ht:body`` whose graph must be isomorphic to the answer's.
``ut:graphData`` names the data a test assumes (a file, and the graph IRI as its ``rdfs:label``).

Everything here is read from the manifest; nothing is written per test. Two rules adapt the
tests to chipgraph's data model, both stated once:

- **Graph names.** The tests reuse the same graph IRIs (``data1.rdf``...) and each assumes it
  starts afresh, while they run one after another against one server. So every IRI a test uses as
  a graph name (a ``ut:graphData`` label, a dataset parameter value, a ``FROM``/``FROM NAMED``/
  ``GRAPH``/``WITH``/``CLEAR``... graph of a query or update, found with rdflib's SPARQL grammar)
  is renamed to a graph of the test's own, ``GRAPH_BASE + slug(test) + slug(iri)``, everywhere in
  the test (data, parameters, bodies): a consistent renaming of IRIs, which keeps each test's
  meaning, and maps the Graph Store Protocol's direct URLs onto ``/rdf-graphs/SLUG``.
  ``setup_update`` describes each such graph's source and loads the ``ut:graphData`` files into
  their renamed graphs. (Graphs of other IRIs are writable too once their source is described,
  kg/gate/graph_sources.py; tests/test_update.py and tests/http/test_graph_store.py show it.)
- **A graph named by the server.** ``POST /gsp`` (a new graph whose name the server chooses)
  gets ``?source=`` the IRI of a described source, which chipgraph requires of every new graph.
- **The default graph.** chipgraph's unnamed default graph is a read-only view, the merge of the
  named graphs (docs/adr/0010, 0013). A request whose update writes it (``CLEAR``/``DROP``
  ``DEFAULT`` or ``ALL``, ``INSERT``/``DELETE DATA`` triples outside ``GRAPH``, a ``DELETE``/
  ``INSERT`` template's triples outside ``GRAPH`` without ``WITH``, ``ADD``/``COPY``/``MOVE ... TO
  DEFAULT``, ``MOVE DEFAULT``) expects the documented refusal instead of the manifest's
  status: 403, code ``forbidden-update``, reason ``default-graph`` (or ``all-graphs`` for ALL).
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.parse
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

from pyparsing import ParseResults
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.plugins.sparql import parser
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node

from kg.namespaces import GRAPH_BASE, META_GRAPH, ONTOLOGY_NS, SOURCE_BASE
from kg.update.plan import SKOLEM_BASE

HERE = Path(__file__).resolve().parent
PROTOCOL = HERE / "protocol" / "manifest.ttl"
GSP = HERE / "graph-store-protocol" / "manifest.ttl"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")

SPARQL_PREFIX = "/sparql/"  # the manifest's endpoint prefix (its rdfs:comment): ours is /sparql
GSP_PREFIX = "/gsp"  # the Graph Store Protocol manifests' prefix: ours is /rdf-graphs
POSTED_SOURCE = SOURCE_BASE + "w3c-posted"  # the source of graphs created by POST /rdf-graphs (?source=)

BOOLEAN_TYPES = {"application/sparql-results+json", "application/sparql-results+xml"}
TABULAR_TYPES = BOOLEAN_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {
    "text/turtle",
    "application/n-triples",
    "application/rdf+xml",
    "application/ld+json",
    "text/n3",
    "application/n-quads",
    "application/trig",
}
FORMATS = {"boolean": BOOLEAN_TYPES, "tabular": TABULAR_TYPES, "RDF": RDF_TYPES}
RDFLIB_FORMAT = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "text/n3": "n3",
}
GRAPH_KEYS = {"graphiri", "withClause", "default", "named"}  # rdflib grammar keys that hold a graph IRI
GRAPH_NODES = {"QuadsNotTriples", "GraphGraphPattern"}  # grammar nodes whose ``term`` is a graph
REFUSAL_STATUS, REFUSAL_CODE, REFUSAL_REASONS = 403, "forbidden-update", {"default-graph", "all-graphs"}  # ADR 0013


@dataclass
class Expected:
    """What one response must be."""

    statuses: list[str]  # hts local names: StatusCode2xx or a code's name (Created, NoContent)
    format: str | None = None
    boolean: bool | None = None
    content_type: str | None = None
    body: str | None = None
    location: str | None = None


@dataclass
class Exchange:
    """One request of a test, as the manifest writes it, and its expected response."""

    method: str
    path: str  # with the query string, percent-encoded, as in the manifest
    headers: list[tuple[str, str]]
    body: bytes | None
    expected: Expected
    authority: str = "www.example"  # the manifest's ht:connectionAuthority: the host of a direct graph IRI


@dataclass
class Case:
    """One manifest entry."""

    manifest: str
    name: str  # the entry's local name (its pytest id)
    title: str  # mf:name
    exchanges: list[Exchange]
    data: list[tuple[Path, str]] = field(default_factory=list)  # (file, graph IRI)
    requires: list[str] = field(default_factory=list)


def _items(graph: Graph, head: Node | None) -> list[Node]:
    return list(Collection(graph, head)) if head is not None else []


def _text(graph: Graph, subject: Node | None, predicate: URIRef) -> str | None:
    value = graph.value(subject, predicate)
    return None if value is None else str(value)


def _headers(graph: Graph, owner: Node | None) -> list[tuple[str, str]]:
    return [
        (str(graph.value(header, HT.fieldName)), str(graph.value(header, HT.fieldValue)))
        for header in _items(graph, graph.value(owner, HT.headers))
    ]


def _body(graph: Graph, owner: Node | None) -> tuple[str, str] | None:
    body = graph.value(owner, HT.body)
    if body is None:
        return None
    return str(graph.value(body, CNT.chars)), str(graph.value(body, CNT.characterEncoding) or "UTF-8")


def _local(node: Node) -> str:
    return str(node).rsplit("#", 1)[-1]


def read_manifest(path: Path) -> list[Case]:
    """The tests of the manifest at ``path`` and of the manifests it includes (``mf:include``), in order."""
    graph = Graph().parse(path, format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    cases: list[Case] = []
    for included in _items(graph, graph.value(manifest, MF.include)):
        cases += read_manifest(path.parent / Path(urllib.parse.urlparse(str(included)).path).name)
    for entry in _items(graph, graph.value(manifest, MF.entries)):
        action = graph.value(entry, MF.action)
        authority = _text(graph, action, HT.connectionAuthority) or "www.example"
        exchanges = []
        for request in _items(graph, graph.value(action, HT.requests)):
            response = graph.value(request, HT.resp)
            body = _body(graph, request)
            boolean = graph.value(response, MF.expectedBoolean)
            expected_body = _body(graph, response)
            content_types = [value for name, value in _headers(graph, response) if name.lower() == "content-type"]
            expected = Expected(
                statuses=sorted(_local(status) for status in graph.objects(response, MF.expectedStatus)),
                format=_text(graph, response, MF.expectedFormat),
                boolean=bool(boolean.toPython()) if isinstance(boolean, Literal) else None,
                content_type=content_types[0] if content_types else None,
                body=expected_body[0] if expected_body else None,
                location=_text(graph, response, MF.expectedLocation),
            )
            exchanges.append(
                Exchange(
                    method=str(graph.value(request, HT.methodName)),
                    path=str(graph.value(request, HT.absolutePath)),
                    headers=_headers(graph, request),
                    body=None if body is None else body[0].encode(body[1]),
                    expected=expected,
                    authority=authority,
                )
            )
        data = [
            (
                path.parent / Path(urllib.parse.urlparse(str(graph.value(item, UT.graph))).path).name,
                str(graph.value(item, RDFS.label)),
            )
            for item in graph.objects(entry, UT.graphData)
        ]
        cases.append(
            Case(
                manifest=path.parent.name,
                name=_local(entry),
                title=str(graph.value(entry, MF.name)),
                exchanges=exchanges,
                data=sorted(data),
                requires=[_local(r) for r in graph.objects(entry, MF.requires)],
            )
        )
    return cases


# --- SPARQL text: graph names and default-graph writes, from rdflib's grammar ---------------------


def _nodes(root: object) -> list[CompValue]:
    found: list[CompValue] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            found.append(node)
            stack.extend(node.values())
        elif isinstance(node, (list, tuple, ParseResults)):
            stack.extend(node)
    return found


def _parsed(text: str, kind: str) -> object | None:
    try:
        return parser.parseUpdate(text).request if kind == "update" else parser.parseQuery(text)
    except Exception:  # a test of a syntax error: no graph names in it
        return None


def graph_names(text: str, kind: str) -> set[str]:
    """The IRIs ``text`` (a query or an update) uses as graph names."""
    names: set[str] = set()
    for node in _nodes(_parsed(text, kind)):
        for key, value in node.items():
            graphish = key in GRAPH_KEYS or (key == "term" and node.name in GRAPH_NODES)
            if graphish and isinstance(value, URIRef):
                names.add(str(value))
            if key == "graph" and node.name in ("Add", "Copy", "Move"):  # [source, target]
                names |= {str(graph) for graph in value if isinstance(graph, URIRef)}
    return names


def _field(node: object, key: str) -> object:
    """A grammar node's field, or None (CompValue.get answers a missing key with the key's name)."""
    return dict.get(node, key) if isinstance(node, CompValue) else None


def _outside_graph(quads: object) -> bool:
    """Whether a Quads/QuadData node holds triples outside any GRAPH block."""
    if not isinstance(quads, CompValue):
        return False
    return any(key == "triples" and value for key, value in quads.items())


def writes_default_graph(text: str) -> bool:
    """Whether an update writes chipgraph's read-only default graph (the module docstring's rule)."""
    request = _parsed(text, "update")
    for operation in request if isinstance(request, list) else []:
        name = operation.name
        target = _field(operation, "graphiri")
        if name in ("Clear", "Drop") and target in ("ALL", "DEFAULT"):
            return True
        if name in ("InsertData", "DeleteData") and _outside_graph(_field(operation, "quads")):
            return True
        if name in ("Modify", "DeleteWhere") and _field(operation, "withClause") is None:
            clauses = [
                _field(operation, "quads"),
                *(_field(_field(operation, clause), "quads") for clause in ("delete", "insert")),
            ]
            if any(_outside_graph(clause) for clause in clauses):
                return True
        if name in ("Add", "Copy", "Move"):
            graphs = _field(operation, "graph")
            assert isinstance(graphs, list) and len(graphs) == 2, graphs
            source, target = graphs
            if target == "DEFAULT" or (name == "Move" and source == "DEFAULT"):
                return True
    return False


# --- Requests: renaming graph names, sending, checking ---------------------------------------------


def slug(iri: str) -> str:
    """A source-graph slug for a test's graph IRI."""
    return "w3c-" + re.sub(r"[^a-z0-9]+", "-", iri.lower().split("://", 1)[-1]).strip("-")


def _params(query_string: str) -> list[tuple[str, str]]:
    return urllib.parse.parse_qsl(query_string, keep_blank_values=True)


def _content_type(headers: list[tuple[str, str]]) -> str:
    return next((value for name, value in headers if name.lower() == "content-type"), "")


def _texts(exchange: Exchange) -> list[tuple[str, str]]:
    """The SPARQL texts of a request, each with its kind: ``query`` or ``update``."""
    query_string = exchange.path.partition("?")[2]
    found = [(value, name) for name, value in _params(query_string) if name in ("query", "update")]
    body = exchange.body.decode("utf-8", "replace") if exchange.body is not None else ""
    media = _content_type(exchange.headers).split(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        found += [(value, name) for name, value in _params(body) if name in ("query", "update")]
    elif media == "application/sparql-query":
        found.append((body, "query"))
    elif media == "application/sparql-update":
        found.append((body, "update"))
    return found


def _graph_parameter(name: str) -> bool:
    """Whether a query-string parameter names a graph: a dataset parameter, or the Graph Store Protocol's ``graph``."""
    return name.endswith("graph-uri") or name == "graph"


def direct_graph(exchange: Exchange) -> str | None:
    """The graph a Graph Store Protocol request names directly: the request URL (``http://AUTHORITY/gsp/...``)."""
    path = exchange.path.partition("?")[0]
    if path.startswith(GSP_PREFIX + "/"):
        return f"http://{exchange.authority}{path}"
    return None


def case_graph_names(case: Case) -> set[str]:
    """Every IRI the test uses as a graph name."""
    names = {graph for _, graph in case.data}
    for exchange in case.exchanges:
        _, _, query_string = exchange.path.partition("?")
        names |= {value for name, value in _params(query_string) if _graph_parameter(name) and "$" not in value}
        direct = direct_graph(exchange)
        if direct is not None:
            names.add(direct)
        for text, kind in _texts(exchange):
            names |= graph_names(text, kind)
    return names


def renaming(case: Case) -> dict[str, str]:
    """Each graph name of the test to its own chipgraph source graph (tests share no graph: each starts afresh)."""
    prefix = slug(case.name)
    return {iri: GRAPH_BASE + prefix + slug(iri)[len("w3c") :] for iri in sorted(case_graph_names(case))}


def rename_text(text: str, names: dict[str, str]) -> str:
    for old, new in names.items():
        text = text.replace(f"<{old}>", f"<{new}>")
    return text


def _rename_params(encoded: str, names: dict[str, str]) -> str:
    """The parameters with graph names renamed, re-encoded; unchanged (as sent) when nothing is renamed."""
    params = _params(encoded)
    renamed = [
        (name, names.get(value, value) if _graph_parameter(name) else rename_text(value, names))
        for name, value in params
    ]
    return encoded if renamed == params else urllib.parse.urlencode(renamed, quote_via=urllib.parse.quote)


@dataclass
class Sent:
    """A request as sent."""

    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes | None


@dataclass
class Answer:
    """A response as received."""

    request: Sent
    status_code: int
    headers: dict[str, str]  # lower-cased names
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> dict[str, Any]:
        value = json.loads(self.content)
        assert isinstance(value, dict)
        return value


def send(base: str, request: Sent) -> Answer:
    """Send ``request`` as is (no redirects followed, no header added) to the server at ``base``."""
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)
    try:
        connection.putrequest(request.method, request.path, skip_accept_encoding=True)
        for name, value in request.headers:
            connection.putheader(name, value)
        if request.body is not None:
            connection.putheader("content-length", str(len(request.body)))
        connection.endheaders(request.body)
        response = connection.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return Answer(request, response.status, headers, response.read())
    finally:
        connection.close()


def request_of(exchange: Exchange, names: dict[str, str], token: str) -> Sent:
    """The HTTP request the manifest describes, with the graph names renamed and the write token."""
    path, _, query_string = exchange.path.partition("?")
    if path.startswith(SPARQL_PREFIX):
        path = "/sparql" + path[len(SPARQL_PREFIX) :]
    elif path.startswith(GSP_PREFIX):
        direct = direct_graph(exchange)
        path = "/rdf-graphs" + ("/" + names[direct][len(GRAPH_BASE) :] if direct in names else path[len(GSP_PREFIX) :])
    if query_string:
        path += "?" + _rename_params(query_string, names)
    elif exchange.method == "POST" and exchange.path == GSP_PREFIX:  # a new graph, named by the server
        path += "?" + urllib.parse.urlencode({"source": POSTED_SOURCE})
    body = exchange.body
    media = _content_type(exchange.headers).split(";")[0].strip().lower()
    if body is not None and media in ("application/sparql-query", "application/sparql-update"):
        text = body.decode("utf-8", "replace")
        renamed = rename_text(text, names)
        body = renamed.encode("utf-8") if renamed != text else body
    elif body is not None and media == "application/x-www-form-urlencoded":
        body = _rename_params(body.decode("ascii"), names).encode("ascii")
    headers = [*exchange.headers, ("authorization", f"Bearer {token}")]
    return Sent(exchange.method, path, headers, body)


def writes_default_graph_store(exchange: Exchange) -> bool:
    """Whether a Graph Store Protocol request writes the default graph (``?default`` with PUT, POST or DELETE)."""
    path, _, query_string = exchange.path.partition("?")
    named_default = path.startswith(GSP_PREFIX) and "default" in dict(_params(query_string))
    return named_default and exchange.method in ("PUT", "POST", "DELETE", "PATCH")


def expects_refusal(exchange: Exchange) -> bool:
    """Whether our documented refusal replaces the manifest's expected success.

    That is when the manifest expects success and the request's update writes the default graph.
    """
    if not any(name in ("StatusCode2xx", "OK", "Created", "NoContent") for name in exchange.expected.statuses):
        return False  # the manifest expects a failure anyway: its own expectation is checked
    if writes_default_graph_store(exchange):
        return True
    return any(kind == "update" and writes_default_graph(text) for text, kind in _texts(exchange))


def status_matches(status: int, expected: list[str]) -> bool:
    for name in expected:
        if name.startswith("StatusCode") and name.endswith("xx"):
            if str(status)[0] == name[len("StatusCode")]:
                return True
        elif HTTPStatus(status).phrase.replace(" ", "").lower() == name.lower():
            return True
    return False


def _media(response: Answer) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def answer_boolean(response: Answer) -> bool:
    media = _media(response)
    if media == "application/sparql-results+json":
        return bool(json.loads(response.content)["boolean"])
    if media == "application/sparql-results+xml":
        root = ElementTree.fromstring(response.content)
        value = root.find("{http://www.w3.org/2005/sparql-results#}boolean")
        assert value is not None and value.text is not None, response.text[:500]
        return value.text.strip() == "true"
    raise AssertionError(f"an ASK answer in {media!r}: {response.text[:300]}")


def unskolemized(graph: Graph) -> Graph:
    """``graph`` with the server's skolem IRIs (``.well-known/genid/``, docs/adr/0013) as blank nodes again.

    The server writes each blank node as a genid IRI so that it can be removed again (RDF 1.1
    Concepts §3.5 allows it); the expected graphs of the manifests have blank nodes.
    """
    nodes: dict[str, BNode] = {}

    def term(node: Node) -> Node:
        if isinstance(node, URIRef) and str(node).startswith(SKOLEM_BASE):
            return nodes.setdefault(str(node), BNode())
        return node

    result = Graph()
    for s, p, o in graph:
        result.add((term(s), term(p), term(o)))
    return result


def check(exchange: Exchange, response: Answer, where: str) -> bool:
    """Assert that ``response`` is what the manifest expects of ``exchange`` (or our documented refusal).

    Returns whether it was the documented refusal.
    """
    expected = exchange.expected
    said = f"{where}: {exchange.method} {response.request.path} -> {response.status_code} {response.text[:400]!r}"
    if expects_refusal(exchange) and writes_default_graph_store(exchange):
        assert response.status_code == 405, said  # the graph store's default graph: read-only (Allow: GET, HEAD)
        assert set(response.headers.get("allow", "").replace(" ", "").split(",")) == {"GET", "HEAD"}, said
        return True
    if expects_refusal(exchange):
        assert response.status_code == REFUSAL_STATUS, said
        error: dict[str, Any] = response.json()
        assert error["code"] == REFUSAL_CODE, said
        assert error.get("context", {}).get("reason") in REFUSAL_REASONS, said
        return True
    assert status_matches(response.status_code, expected.statuses), f"expected {expected.statuses}; {said}"
    if expected.format is not None:
        assert _media(response) in FORMATS[expected.format], f"expected a {expected.format} type; {said}"
    if expected.boolean is not None:
        assert answer_boolean(response) is expected.boolean, f"expected {expected.boolean}; {said}"
    if expected.content_type is not None:
        assert _media(response) == expected.content_type.split(";")[0].strip().lower(), said
    if expected.body is not None:
        form = RDFLIB_FORMAT[(expected.content_type or "text/turtle").split(";")[0].strip().lower()]
        wanted = Graph().parse(data=expected.body, format=form)
        got = unskolemized(Graph().parse(data=response.text, format=RDFLIB_FORMAT.get(_media(response), "turtle")))
        assert isomorphic(wanted, got), f"graphs differ; {said}"
    return False


def run(case: Case, base: str, token: str) -> None:
    """Send the test's requests in order and check each response (``mf:expectedLocation`` is substituted).

    After the documented refusal of a default-graph write the test ends: its later requests would
    check what the refused update wrote.
    """
    names = renaming(case)
    locations: dict[str, str] = {}
    for index, exchange in enumerate(case.exchanges):
        for template, value in locations.items():
            exchange = Exchange(
                exchange.method,
                exchange.path.replace(template, value),
                exchange.headers,
                None if exchange.body is None else exchange.body.replace(template.encode(), value.encode()),
                exchange.expected,
            )
        response = send(base, request_of(exchange, names, token))
        if check(exchange, response, f"{case.name} request {index + 1}"):
            return  # refused by design: the later requests would check what the refused update wrote
        if exchange.expected.location is not None:
            assert "location" in response.headers, f"{case.name}: no Location"
            locations[exchange.expected.location] = response.headers["location"]


def loaded_graphs(cases: list[Case]) -> dict[str, int]:
    """Each graph the setup loads, with its number of triples."""
    counts: dict[str, int] = {}
    for case in cases:
        names = renaming(case)
        for file, graph in case.data:
            counts[names[graph]] = len(Graph().parse(file, format="nt"))
    return counts


def count_query(graphs: list[str]) -> str:
    """A query counting the triples of ``graphs`` (each named: cheap on a large store)."""
    values = " ".join(f"<{graph}>" for graph in graphs)
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"


def setup_update(cases: list[Case]) -> str:
    """One update: each test's graphs' sources described in the metadata graph, and each test's data loaded."""
    meta = []
    graphs = sorted({graph for case in cases for graph in renaming(case).values()})
    for source in [SOURCE_BASE + graph[len(GRAPH_BASE) :] for graph in graphs] + [POSTED_SOURCE]:
        meta.append(
            f'<{source}> a <{ONTOLOGY_NS}Source> ; <http://purl.org/dc/terms/title> "W3C SPARQL 1.1 test graph" ; '
            f'<{ONTOLOGY_NS}url> "https://github.com/w3c/rdf-tests"^^<http://www.w3.org/2001/XMLSchema#anyURI> .'
        )
    blocks = [f"GRAPH <{META_GRAPH}> {{\n" + "\n".join(meta) + "\n}"]
    loaded = sorted({(file, graph, case.name) for case in cases for file, graph in case.data})
    for file, graph, name in loaded:
        names = renaming(next(case for case in cases if case.name == name))
        triples = Graph().parse(file, format="nt")
        renamed = Graph()
        for triple in triples:
            renamed.add(tuple(URIRef(names.get(str(t), str(t))) if isinstance(t, URIRef) else t for t in triple))  # type: ignore[arg-type]
        assert not any(isinstance(t, BNode) for triple in renamed for t in triple)
        lines = renamed.serialize(format="nt").strip()
        blocks.append(f"GRAPH <{names[graph]}> {{\n{lines}\n}}")
    return "INSERT DATA {\n" + "\n".join(blocks) + "\n}"
