"""A store on a SPARQL 1.1 server over HTTP (Virtuoso first): the Query and Update protocols only.

Nothing server-specific is sent: queries go to the query endpoint (``CHIPGRAPH_STORE_URL``) as a
form POST, updates to the update endpoint (``CHIPGRAPH_UPDATE_URL``), with optional credentials
(HTTP basic or digest). Results come back as pyoxigraph objects, the same types the embedded
store returns: ``QuerySolutions`` and ``QueryBoolean`` parsed by ``pyoxigraph.parse_query_results``,
``QueryTriples`` for CONSTRUCT and DESCRIBE.

The default graph (docs/adr/0018). chipgraph's default graph is the RDF merge of the named graphs
(docs/adr/0010). A server's own default graph cannot be relied on (Virtuoso's is the bag of all
its graphs, its system graphs included, a triple once per graph that holds it), so the merge is
kept materialised in one dedicated named graph, the *mirror* (``urn:chipgraph:default`` unless
configured). ``query`` sends the dataset in the protocol: ``default-graph-uri=<mirror>`` and one
``named-graph-uri`` per named graph of chipgraph, so the default graph is exactly the merge, each
triple once, and ``GRAPH ?g`` never meets the mirror or the server's own graphs (``ignored_graphs``:
Virtuoso's system graphs by default). Writes keep the mirror through kg/union.py with
``mirror=store.mirror_graph``; ``add_quads`` does it itself.

Errors: every HTTP call has a timeout; an unreachable server, a timeout, a refused credential and a
server error raise StoreError naming the endpoint; a request the server rejects as invalid (HTTP
400) raises QuerySyntaxError with the server's message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Literal

import httpx2 as httpx
import pyoxigraph as ox

from kg.settings import VIRTUOSO_GRAPHS, Settings
from kg.store import QueryResult, QuerySyntaxError, Row, StoreError, StoreTimeoutError, Term, solution_rows, term_text
from kg.store.remote_terms import has_blank_node, oxigraph_json, pattern, query_triples, removed_by_text, statement
from kg.store.server_lock import LOCK_GRAPH, ServerLock
from kg.store.shape import shape, with_dataset

MIRROR_GRAPH = "urn:chipgraph:default"
NO_GRAPH = "urn:chipgraph:no-graph"  # the one named graph of a dataset that has none (never written)


RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
TURTLE = "text/turtle"
BLOCK_TRIPLES = 1000  # triples per GRAPH block of an INSERT DATA (Virtuoso 7.2's parser: "memory exhausted" at ~5 000)
DROPS_PER_REQUEST = 100
SUBJECTS_PER_QUERY = 200
QUADS_PER_REQUEST = 10_000  # quads per add_quads request of replace_all (text well under 10 MB)
MAX_UPDATE_BYTES = 9_000_000  # Virtuoso 7.2 refuses an update text past 10 MB
CANCELLED = "Virtuoso HY008"  # SQL state "operation cancelled" (SR203: killed by SQLCancel at the time limit)
MESSAGE_CHARS = 600  # how much of a server's error text goes into an error message

Auth = Literal["basic", "digest"]
GraphName = ox.NamedNode | ox.BlankNode | ox.DefaultGraph


class UpdateTooLargeError(StoreError):
    """Raised, before anything is sent, when a query or update is too large for one request to the server."""


class RemoteStore:
    """A chipgraph store on a SPARQL 1.1 Query + Update server.

    Holds one HTTP client (connection pool); ``close`` releases it. Safe to share between the
    threads of one process (httpx clients are).
    """

    # SPARQL 1.1 Update only says a request SHOULD be atomic; Virtuoso's endpoint commits operation by operation.
    atomic_updates = False

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        *,
        user: str | None = None,
        password: str | None = None,
        auth: Auth = "basic",
        mirror_graph: str = MIRROR_GRAPH,
        ignored_graphs: Iterable[str] = VIRTUOSO_GRAPHS,
        query_timeout: float = 30.0,
        update_timeout: float = 60.0,
        connect_timeout: float = 5.0,
        lock_ttl: float = 600.0,
        lock_wait: float = 60.0,
    ) -> None:
        """Talk to ``query_url`` for queries and ``update_url`` (default: the same) for updates.

        ``user`` and ``password`` are sent with every request (``auth``: HTTP basic or digest).
        ``query_timeout`` and ``update_timeout`` bound the wait for an answer, ``connect_timeout``
        the wait for a connection. Writers hold the server's write lock (``writing``): a claim older
        than ``lock_ttl`` seconds is stale; a writer gives up after ``lock_wait`` seconds. Nothing
        is sent until the first call.
        """
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.mirror_graph = ox.NamedNode(mirror_graph)
        self.ignored_graphs = frozenset(ignored_graphs) | {mirror_graph, LOCK_GRAPH}
        self._lock = ServerLock(self, ttl=lock_ttl, wait=lock_wait)
        self._query_timeout = httpx.Timeout(query_timeout, connect=connect_timeout)
        self._update_timeout = httpx.Timeout(update_timeout, connect=connect_timeout)
        credentials: httpx.Auth | None = None
        if user is not None:
            secret = password or ""
            credentials = httpx.DigestAuth(user, secret) if auth == "digest" else httpx.BasicAuth(user, secret)
        self._client = httpx.Client(auth=credentials, follow_redirects=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteStore:
        """The remote store the settings describe; raise StoreError when CHIPGRAPH_STORE_URL is not set."""
        if settings.store_url is None:
            raise StoreError("no SPARQL server configured: set CHIPGRAPH_STORE_URL (and CHIPGRAPH_UPDATE_URL)")
        return cls(
            settings.store_url,
            settings.update_url,
            user=settings.store_user,
            password=settings.store_password.get_secret_value() if settings.store_password else None,
            auth=settings.store_auth,
            mirror_graph=settings.store_mirror_graph,
            ignored_graphs=settings.store_ignored_graphs,
            query_timeout=settings.query_timeout,
            update_timeout=settings.update_timeout,
            lock_ttl=settings.store_lock_ttl,
            lock_wait=settings.store_lock_wait,
        )

    # The protocol.

    def _post(self, url: str, form: dict[str, str | list[str]], timeout: httpx.Timeout, accept: str) -> httpx.Response:
        """POST ``form`` to ``url``; return a 2xx response or raise StoreError / QuerySyntaxError.

        Raises UpdateTooLargeError, sending nothing, when the query or update text passes
        MAX_UPDATE_BYTES (Virtuoso 7.2 refuses a string past 10 MB in either).
        """
        text = form.get("update") or form.get("query") or ""
        size = len(str(text).encode("utf-8"))
        if size > MAX_UPDATE_BYTES:
            raise UpdateTooLargeError(
                f"the request is {size:,} bytes of SPARQL, more than the {MAX_UPDATE_BYTES:,} a request to {url} "
                "may hold: split the change into smaller changesets"
            )
        try:
            response = self._client.post(url, data=form, headers={"Accept": accept}, timeout=timeout)
        except httpx.TimeoutException as error:
            raise StoreTimeoutError(
                f"the SPARQL server at {url} did not answer in time ({error.__class__.__name__})"
            ) from error
        except (httpx.RemoteProtocolError, httpx.DecodingError) as error:  # e.g. headers past the client's limit
            raise StoreError(f"the SPARQL server at {url} sent an answer that cannot be read: {error}") from error
        except httpx.HTTPError as error:
            raise StoreError(f"cannot reach the SPARQL server at {url}: {error}") from error
        if response.is_success:
            if "X-SQL-State" in response.headers:  # Virtuoso's "anytime query": a partial result, cut at its time limit
                message = response.headers.get("X-SQL-Message", "")
                raise StoreTimeoutError(f"the SPARQL server at {url} returned a partial result: {message}")
            return response
        text = response.text.strip()[:MESSAGE_CHARS]
        if text.startswith(CANCELLED):  # Virtuoso's time limit can also end a query this way (under load)
            raise StoreTimeoutError(f"the SPARQL server at {url} cancelled the request at its time limit: {text}")
        if response.status_code == 400:
            raise QuerySyntaxError(text or f"the SPARQL server at {url} rejected the request (400)")
        if response.status_code in (401, 403):
            raise StoreError(
                f"the SPARQL server at {url} refused the request ({response.status_code}): check "
                f"CHIPGRAPH_STORE_USER, CHIPGRAPH_STORE_PASSWORD and the user's update permission. {text}"
            )
        raise StoreError(f"the SPARQL server at {url} failed ({response.status_code}): {text}")

    def query(self, sparql: str) -> QueryResult:
        """Run a SPARQL query over chipgraph's dataset: the mirror as default graph, its named graphs as named ones.

        The default graph is the mirror (``default-graph-uri``), the merge, each triple once. A
        query with a GRAPH pattern gets chipgraph's named graphs, listed by a first request and
        written into it as ``FROM <mirror> FROM NAMED <g>...`` (kg.store.shape.with_dataset; in the
        protocol when they cannot be placed for sure), so ``GRAPH ?g`` never meets the mirror or
        the server's own graphs; a query without one skips the listing. A query with its own FROM
        or FROM NAMED keeps that dataset (the server's semantics for it). Raises QuerySyntaxError
        if the query does not parse (here or on the server), StoreTimeoutError if the server does
        not answer in time, StoreError if it cannot be reached or fails.
        """
        return self._run(sparql, dataset=True)

    def run_query(self, sparql: str, *, timeout: float, parameters: dict[str, str] | None = None) -> QueryResult:
        """As ``query``, waiting at most ``timeout`` seconds for the answer, with extra protocol ``parameters``.

        For the guarded path of user queries (kg.sparql.remote), which sends the server's own time limit.
        """
        return self._run(sparql, dataset=True, timeout=timeout, parameters=parameters)

    def _dataset(self, sparql: str, form: dict[str, str | list[str]]) -> str:
        """The query to send with chipgraph's dataset, the protocol's part of it put in ``form``."""
        mirror = self.mirror_graph
        if not shape(sparql).uses_graph:
            form["default-graph-uri"] = mirror.value
            # No named-graph-uri at all leaves GRAPH to the server (Virtuoso: every graph): name an empty one.
            form["named-graph-uri"] = NO_GRAPH
            return sparql
        named = self._named_for(sparql) or [NO_GRAPH]
        written = with_dataset(sparql, mirror, [ox.NamedNode(graph) for graph in named])
        if written is not None:
            return written  # in the query: Virtuoso echoes protocol graphs in a header (too long past ~2 000)
        form["default-graph-uri"] = mirror.value
        form["named-graph-uri"] = named
        return sparql

    def _named_for(self, sparql: str) -> list[str]:
        """The named graphs of the dataset ``sparql`` runs on.

        Those its GRAPH patterns name when each names an IRI (no listing; the mirror and the server's
        graphs left out), else every graph of chipgraph (listed: one request).
        """
        named = shape(sparql).graph_iris
        if named is None:
            return self.named_graphs()
        return sorted(named - self.ignored_graphs)

    def _run(
        self,
        sparql: str,
        *,
        dataset: bool,
        timeout: float | None = None,
        parameters: dict[str, str] | None = None,
    ) -> QueryResult:
        """Run ``sparql``; with ``dataset``, over chipgraph's dataset unless the query names its own.

        Without it the server's default dataset applies: only for queries that name their graphs.
        """
        query_shape = shape(sparql)
        graph_form = query_shape.graph_form
        form: dict[str, str | list[str]] = dict(parameters or {})
        if dataset and not query_shape.has_dataset:
            sparql = self._dataset(sparql, form)
        form["query"] = sparql
        # Ask for the one format the form has (Virtuoso answers a CONSTRUCT in SPARQL JSON when that is allowed).
        accept = N_TRIPLES if graph_form else RESULTS_JSON
        wait = self._query_timeout if timeout is None else httpx.Timeout(timeout, connect=self._query_timeout.connect)
        response = self._post(self.query_url, form, wait, accept)
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if media == RESULTS_JSON and not graph_form:
                return ox.parse_query_results(oxigraph_json(response.content), ox.QueryResultsFormat.JSON)
            if media in (N_TRIPLES, TURTLE) and graph_form:
                rdf_format = ox.RdfFormat.N_TRIPLES if media == N_TRIPLES else ox.RdfFormat.TURTLE
                return query_triples(response.content, rdf_format)
        except (SyntaxError, ValueError) as error:
            message = f"the SPARQL server at {self.query_url} sent a result that does not parse: {error}"
            raise StoreError(message) from error
        raise StoreError(f"the SPARQL server at {self.query_url} answered in an unexpected format: {media or 'none'}")

    def select(self, sparql: str) -> list[Row]:
        """Run a SELECT query over chipgraph's dataset and return its rows (unbound variables are left out)."""
        return self._select(sparql, dataset=True)

    def select_unscoped(self, sparql: str) -> list[Row]:
        """Run a SELECT query on the server's own default dataset (for queries that name every graph they read)."""
        return self._select(sparql, dataset=False)

    def _select(self, sparql: str, *, dataset: bool) -> list[Row]:
        """The rows of a SELECT query (``dataset`` as for ``_run``); raise QuerySyntaxError for another form."""
        return solution_rows(self._run(sparql, dataset=dataset))

    def update(self, sparql: str) -> None:
        """Send a SPARQL update as one request; raise QuerySyntaxError if invalid, StoreError if it failed.

        Whether one request is one transaction depends on the server (Virtuoso: docs/adr/0018).
        The caller keeps the mirror: kg/union.py with ``mirror=self.mirror_graph``.
        """
        self._post(self.update_url, {"update": sparql}, self._update_timeout, "*/*")

    # Writing and reading quads.

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads of named graphs, and their triples to the mirror, in one update request.

        Ground quads are one ``INSERT DATA`` operation; quads with blank nodes, if any, a second
        operation (Virtuoso 7 refuses blank nodes in INSERT DATA), all of them together so that
        each blank node stays one node, in its graph and in the mirror. On a server that commits
        operation by operation (``atomic_updates`` False) a failure of the second leaves the first.
        Raises ValueError, sending nothing, for a quad in the default graph (state every triple in
        a named graph), in the mirror graph itself, or holding a triple term (SPARQL 1.1 servers
        have none).
        """
        named = list(quads)
        for quad in named:
            if isinstance(quad.graph_name, ox.DefaultGraph):
                raise ValueError("a quad in the default graph: state every triple in a named graph")
            if not isinstance(quad.graph_name, ox.NamedNode):
                raise ValueError("a graph named by a blank node: SPARQL Update cannot name it")
            if quad.graph_name == self.mirror_graph:
                raise ValueError(f"a quad in the mirror graph {self.mirror_graph}: it is the merge, kept by the store")
            if any(isinstance(term, ox.Triple) for term in (quad.subject, quad.object)):
                raise ValueError("a triple term: a SPARQL 1.1 server cannot store it")
        blank = [quad for quad in named if has_blank_node(quad)]
        ground = [quad for quad in named if not has_blank_node(quad)]
        operations = []
        if ground:
            operations.append(f"INSERT DATA {{ {self._blocks(ground)} }}")
        if blank:
            # A template may hold blank nodes: one fresh node per label for the one solution of its WHERE, a
            # sub-select of the empty solution (with a bare ``WHERE { }`` Virtuoso 7.2 writes a blank node shared
            # by two GRAPH blocks, then fails formatting its report: SR002, a 500 for a write that happened).
            operations.append(f"INSERT {{ {self._blocks(blank)} }} WHERE {{ SELECT * {{ }} }}")
        if operations:
            self.update(" ;\n".join(operations))

    def _blocks(self, quads: list[ox.Quad]) -> str:
        """The quads and their mirror as ``GRAPH <g> { ... }`` blocks (``_grouped``), terms written by ``statement``."""
        lines = [(quad.graph_name, statement(quad)) for quad in quads]
        return self._grouped(lines + [(self.mirror_graph, line) for _, line in lines])

    def _grouped(self, lines: list[tuple[GraphName, str]], names: dict[str, str] | None = None) -> str:
        """Statements as ``GRAPH <g> { ... }`` blocks of at most BLOCK_TRIPLES, the default graph's in the mirror.

        ``names`` gives a graph (as written) the variable that names it instead. Virtuoso 7.2's parser
        fails ("memory exhausted") at about 5 000 triples in one block.
        """
        by_graph: dict[str, list[str]] = {}
        for graph, line in lines:
            name = str(self._graph(graph))
            by_graph.setdefault((names or {}).get(name, name), []).append(line)
        return " ".join(
            f"GRAPH {graph} {{ {' '.join(lines[start : start + BLOCK_TRIPLES])} }}"
            for graph, lines in by_graph.items()
            for start in range(0, len(lines), BLOCK_TRIPLES)
        )

    def _graph(self, graph: GraphName) -> ox.NamedNode | ox.BlankNode:
        """Where a quad of ``graph`` is kept on the server: the mirror for the default graph."""
        return self.mirror_graph if isinstance(graph, ox.DefaultGraph) else graph

    def _graph_variables(self, graphs: Iterable[GraphName]) -> dict[str, str]:
        """A variable for each graph (as written), ``?graph0`` and on, in a stable order."""
        names = sorted({str(self._graph(graph)) for graph in graphs})
        return {name: f"?graph{index}" for index, name in enumerate(names)}

    def _graph_filter(self, variable: str) -> str:
        """A FILTER keeping ``variable`` off the mirror and the server's own graphs."""
        graphs = ", ".join(f"<{graph}>" for graph in sorted(self.ignored_graphs))
        return f"FILTER({variable} NOT IN ({graphs}))"

    # The readers below name their graphs and run on the server's default dataset: no listing first.

    def named_graphs(self) -> list[str]:
        """The IRIs of chipgraph's named graphs that hold a triple, sorted (not the mirror, not the server's own)."""
        rows = self._select(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self._graph_filter('?g')} }}", dataset=False
        )
        return sorted(term_text(row["g"]) for row in rows if isinstance(row.get("g"), ox.NamedNode))

    def has_graph(self, graph: str) -> bool:
        """Whether the named graph ``graph`` holds a triple."""
        return bool(self._run(f"ASK {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}", dataset=False))

    def quad_count(self, graph: str | None = None) -> int:
        """The number of quads in one named graph, or in all of chipgraph's named graphs (the mirror not counted)."""
        if graph is None:
            return self._count(f"GRAPH ?g {{ ?s ?p ?o }} {self._graph_filter('?g')}")
        return self._count(f"GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }}")

    def triple_count(self) -> int:
        """The number of distinct triples: the size of the mirror, the merge of the named graphs."""
        return self._count(f"GRAPH {self.mirror_graph} {{ ?s ?p ?o }}")

    def _count(self, pattern: str) -> int:
        """The number of solutions of ``pattern``."""
        rows = self._select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}", dataset=False)
        return int(term_text(rows[0]["n"]))

    def quads(self, graph: str) -> list[ox.Quad]:
        """Every quad of one named graph."""
        name = ox.NamedNode(graph)
        return [ox.Quad(triple.subject, triple.predicate, triple.object, name) for triple in self.triples(graph)]

    def triples(self, graph: str | None) -> list[ox.Triple]:
        """The triples of one named graph, or of the default graph (None: the mirror, the merge)."""
        name = self.mirror_graph if graph is None else ox.NamedNode(graph)
        rows = self._select(f"SELECT ?s ?p ?o WHERE {{ GRAPH {name} {{ ?s ?p ?o }} }}", dataset=False)
        return [ox.Triple(row["s"], row["p"], row["o"]) for row in rows]  # type: ignore[arg-type]

    def all_quads(self) -> list[ox.Quad]:
        """Every quad of chipgraph's named graphs (not the mirror, not the server's own graphs)."""
        rows = self._select(
            f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self._graph_filter('?g')} }}", dataset=False
        )
        return [ox.Quad(row["s"], row["p"], row["o"], row["g"]) for row in rows]  # type: ignore[arg-type]

    def contains(self, quad: ox.Quad) -> bool:
        """Whether the store holds ``quad``, a ground quad (in the default graph: in the mirror)."""
        graph = self.mirror_graph if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name
        sparql = f"ASK {{ GRAPH {graph} {{ {quad.subject} {quad.predicate} {quad.object} }} }}"
        return bool(self._run(sparql, dataset=False))

    def quads_matching(
        self, subject: ox.NamedNode | None, predicate: ox.NamedNode | None, obj: Term | None, graph: ox.NamedNode
    ) -> list[ox.Quad]:
        """The quads of ``graph`` that match the pattern (None matches anything)."""
        s, p, o = pattern(subject, predicate, obj)
        rows = self._select(f"SELECT * WHERE {{ GRAPH {graph} {{ {s} {p} {o} }} }}", dataset=False)
        return [
            ox.Quad(row.get("s", subject), row.get("p", predicate), row.get("o", obj), graph)  # type: ignore[arg-type]
            for row in rows
        ]

    def has_quads(
        self, subject: ox.NamedNode | None, predicate: ox.NamedNode | None, obj: Term | None, graph: ox.NamedNode
    ) -> bool:
        """Whether ``graph`` holds at least one quad matching the pattern (None matches anything)."""
        s, p, o = pattern(subject, predicate, obj)
        return bool(self._run(f"ASK {{ GRAPH {graph} {{ {s} {p} {o} }} }}", dataset=False))

    def quads_about(self, subjects: Iterable[str]) -> list[ox.Quad]:
        """Every quad of chipgraph's named graphs whose subject is one of the IRIs ``subjects``.

        Asked in batches of SUBJECTS_PER_QUERY, each IRI written by pyoxigraph (ValueError for one that is not an IRI).
        """
        ordered = sorted(set(subjects))
        found: list[ox.Quad] = []
        for start in range(0, len(ordered), SUBJECTS_PER_QUERY):
            values = " ".join(str(ox.NamedNode(iri)) for iri in ordered[start : start + SUBJECTS_PER_QUERY])
            rows = self._select(
                f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} "
                f"{self._graph_filter('?g')} }}",
                dataset=False,
            )
            found += [ox.Quad(row["s"], row["p"], row["o"], row["g"]) for row in rows]  # type: ignore[arg-type]
        return found

    def present(self, graph: str, triples: Iterable[ox.Triple]) -> dict[ox.Triple, ox.Triple]:
        """Those of ``triples`` that ``graph`` holds, each mapped to the triple as the server holds it.

        The server matches a literal by value and holds it in canonical form (``"1.50"^^xsd:decimal``
        is found as ``"1.5"``). One query per SUBJECTS_PER_QUERY triples, each numbered in a VALUES
        block and found by its number.
        """
        candidates = list(triples)
        found: dict[ox.Triple, ox.Triple] = {}
        name = ox.NamedNode(graph)
        for start in range(0, len(candidates), SUBJECTS_PER_QUERY):
            batch = candidates[start : start + SUBJECTS_PER_QUERY]
            rows = " ".join(
                f"({index} {statement(ox.Quad(t.subject, t.predicate, t.object)).removesuffix(' .')})"
                for index, t in enumerate(batch)
            )
            query = f"SELECT ?i ?o WHERE {{ VALUES (?i ?s ?p ?o) {{ {rows} }} GRAPH {name} {{ ?s ?p ?o }} }}"
            for row in self._select(query, dataset=False):
                index = term_text(row["i"]) if "i" in row else ""
                if not index.isdigit() or int(index) >= len(batch):
                    raise StoreError(f"the SPARQL server at {self.query_url} answered a row that was not asked for")
                given = batch[int(index)]
                found[given] = ox.Triple(given.subject, given.predicate, row.get("o", given.object))
        return found

    # Writing a computed change.

    def writing(self) -> AbstractContextManager[None]:
        """Hold the server's write lock for a block (kg/store/server_lock.py): one writer at a time, any process.

        Re-entrant within a thread. Raises StoreBusyError when another writer holds it past the wait.
        """
        return self._lock.held()

    def apply(self, removed: Iterable[ox.Quad], added: Iterable[ox.Quad], condition: str) -> None:
        """Remove then add ground quads in one DELETE/INSERT operation, written only where ``condition`` holds.

        One operation is one transaction on Virtuoso (docs/adr/0018): the change is applied whole
        or not at all. A quad of the default graph is written in the mirror (the caller computed the
        merge). A removed literal of a datatype Virtuoso does not delete by value is matched by its
        text and datatype (``_found_by_text``): removals name literals as the server holds them.
        ``condition`` is a group graph pattern (its solutions: none, nothing is written).
        Raises ValueError, sending nothing, for a quad with a blank node or a triple term (a server
        could not match it again), UpdateTooLargeError (sending nothing) when the text passes MAX_UPDATE_BYTES, and
        StoreError when the server fails (then whether it applied the change must be read back).
        """
        removals, additions = list(removed), list(added)
        for quad in (*removals, *additions):
            if has_blank_node(quad) or any(isinstance(t, ox.Triple) for t in (quad.subject, quad.object)):
                raise ValueError(f"a blank node or triple term cannot be written to a SPARQL server by value: {quad}")
        by_text = [quad for quad in removals if removed_by_text(quad)]
        ground = [(quad.graph_name, statement(quad)) for quad in removals if not removed_by_text(quad)]
        inserted = [(quad.graph_name, statement(quad)) for quad in additions]
        if not ground and not by_text and not inserted:
            return
        # Ground blocks name their graph by a variable bound once (``graphs``): with the by-text branch the WHERE has
        # a solution per quad found, and a ground block would be written once per solution.
        graphs = self._graph_variables([graph for graph, _ in (*ground, *inserted)])
        parts = []
        if ground or by_text:
            found = " GRAPH ?removedGraph { ?removedS ?removedP ?removedO }" if by_text else ""
            parts.append(f"DELETE {{ {self._grouped(ground, graphs)}{found} }}")
        if inserted:
            parts.append(f"INSERT {{ {self._grouped(inserted, graphs)} }}")
        binds = " ".join(f"BIND({graph} AS {variable})" for graph, variable in graphs.items())
        where = f"{{ {binds} }} UNION {{ {self._found_by_text(by_text)} }}" if by_text else binds
        # The sub-select: with a plain WHERE, Virtuoso 7.2 can write a two-GRAPH template and then fail (SR002).
        text = " ".join(parts) + f" WHERE {{ SELECT * {{ {condition} {where} }} }}"
        self.update(text)

    def _found_by_text(self, quads: list[ox.Quad]) -> str:
        """A pattern binding ?removedGraph, ?removedS, ?removedP, ?removedO to each of ``quads`` as the server holds it.

        Each quad's literal is found by its text and datatype: one solution per quad found (one VALUES
        block: Virtuoso 7.2 overflows its stack at about a hundred OPTIONALs, one per quad).
        """
        rows = []
        for quad in quads:
            literal = quad.object
            assert isinstance(literal, ox.Literal)
            text = ox.Literal(literal.value)
            rows.append(f"({self._graph(quad.graph_name)} {quad.subject} {quad.predicate} {text} {literal.datatype})")
        return (
            f"VALUES (?removedGraph ?removedS ?removedP ?removedText ?removedType) {{ {' '.join(rows)} }} "
            "GRAPH ?removedGraph { ?removedS ?removedP ?removedO } "
            "FILTER(isLiteral(?removedO) && STR(?removedO) = ?removedText && DATATYPE(?removedO) = ?removedType)"
        )

    def replace_all(self, quads: list[ox.Quad], on_step: Callable[[str], None] = lambda _step: None) -> None:
        """Make the server hold exactly ``quads`` (named graphs; the mirror follows), under the write lock.

        chipgraph's graphs are dropped, then the quads are added in requests of QUADS_PER_REQUEST
        (an update text is limited to 10 MB on Virtuoso). Not one transaction: readers see the graph
        fill, and a failure part-way leaves part of it (StoreError; send it again). ``on_step`` hears
        the progress.
        """
        with self.writing():
            on_step(f"empty the SPARQL server at {self.update_url}")
            self.clear()
            for start in range(0, len(quads), QUADS_PER_REQUEST):
                on_step(f"copy to the SPARQL server: {start:,} of {len(quads):,} quads")
                self.add_quads(quads[start : start + QUADS_PER_REQUEST])

    def clear(self) -> None:
        """Drop every named graph of chipgraph, then the mirror (the server's own graphs stay).

        In requests of DROPS_PER_REQUEST operations (Virtuoso refuses a request of a thousand:
        "Query too large"), so not atomic: a failure leaves some graphs dropped, none half.
        """
        drops = [f"DROP SILENT GRAPH <{graph}>" for graph in self.named_graphs()]
        drops.append(f"DROP SILENT GRAPH {self.mirror_graph}")
        for start in range(0, len(drops), DROPS_PER_REQUEST):
            self.update(" ;\n".join(drops[start : start + DROPS_PER_REQUEST]))

    def close(self) -> None:
        """Close the HTTP connections; the object must not be used afterwards."""
        self._client.close()
