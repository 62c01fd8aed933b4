"""The competency questions: read from ``questions.toml``, asked through the HTTP API, checked by kind.

A question asks one REST route (``get``) or one SPARQL query (``sparql``, sent to ``POST /sparql``)
and says how to read its answer (``kind``):

- ``fact``: a detail page (``/chips/{id}``, ``/companies/{id}``, ...); the values of one fact
  (``property``, e.g. ``cg:designedBy``; a link counts as its id, ``organization/nvidia``).
- ``number``: one numeric fact of a detail page (``property``), or one ``column`` of a SPARQL
  answer; any value within ``tolerance`` (relative) of ``expected`` answers.
- ``figure``: a figure (``property`` = ``tpp`` or ``performance_density``) of an export-status answer.
- ``ids``: the ids of a list (``items`` of a page, or the hits of ``/search``).
- ``total``: the ``total`` of a page.
- ``verdict``: the verdict of an export-status answer and, if ``rule`` is given, an applying
  finding whose act's citation or id contains it.
- ``verdicts``: the (chip id, verdict) pairs of a many-chip export-status page (``/export-status``).
- ``rows``: the ``columns`` of a SPARQL answer, as tuples of text (our IRIs shortened to
  ``kind/slug``).

Sets are compared by ``match``: ``equal`` (the default), ``contains`` (at least the expected ones)
or ``excludes`` (none of them). Every answer must also carry its source: ``source`` (a URL or a
citation) must be a part (case-insensitive) of the URL, citation or title of one of the sources
the answer names: those of the fact's graphs on a detail page, those of the findings and figures
of an export status, those of the detail pages of the listed items, and for SPARQL those of the
graphs bound to ``?g`` as the metadata graph describes them. ``source_match``, when given, is
another part that names the same document (e.g. an FR document number, which both its
federalregister.gov URL and its citation contain). SPARQL queries get the PREFIXES below (cg,
rdfs, skos, xsd, prov, dcterms, and chip, org, country, act, input for our entities).

A question with ``known_gap = "why"`` is one the graph cannot answer yet: the test expects it to
fail, and fails when it passes, so that the fix is noticed and the mark removed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

QUESTIONS = Path(__file__).with_name("questions.toml")
ID_PREFIX = "https://w3id.org/chipgraph/id/"
META_GRAPH = "https://w3id.org/chipgraph/graph/meta"
CATEGORIES = (
    "look-up",
    "multi-hop",
    "as-of-date",
    "threshold",
    "provenance",
    "count",
    "china-measures",
    "supply-chain",
)
KINDS = ("fact", "number", "figure", "ids", "total", "verdict", "verdicts", "rows")
MATCHES = ("equal", "contains", "excludes")
PREFIXES = """PREFIX cg: <https://w3id.org/chipgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX chip: <https://w3id.org/chipgraph/id/chip/>
PREFIX org: <https://w3id.org/chipgraph/id/organization/>
PREFIX country: <https://w3id.org/chipgraph/id/country/>
PREFIX act: <https://w3id.org/chipgraph/id/act/>
PREFIX input: <https://w3id.org/chipgraph/id/supply-chain-input/>
"""
SOURCE_LOOKUP = """SELECT ?url ?citation ?title WHERE {
  VALUES ?g { %s }
  GRAPH <%s> {
    ?g prov:hadPrimarySource ?s .
    OPTIONAL { ?s cg:url ?url } OPTIONAL { ?s cg:sourceCitation ?citation } OPTIONAL { ?s dcterms:title ?title }
  }
}"""

Source = dict[str, Any]


@dataclass(frozen=True)
class Question:
    """One competency question with its expected answer and the public source of that answer."""

    id: str
    category: str
    persona: str
    question: str
    kind: str
    source: str
    get: str | None = None
    sparql: str | None = None
    expected: Any = None
    match: str = "equal"
    property: str | None = None
    column: str | None = None
    columns: tuple[str, ...] = ()
    tolerance: float = 0.005
    rule: str | None = None
    source_match: str | None = None
    known_gap: str | None = None
    note: str | None = None


@dataclass
class Answer:
    """What the API answered, reduced to comparable values, and the sources it names for them."""

    values: Any
    sources: list[Source] = field(default_factory=list)


def load(path: Path = QUESTIONS) -> list[Question]:
    """The questions of ``path``, in file order.

    Raises ValueError for a question with an unknown field, kind, category or match, without a
    source, or asking neither (or both) a route and a query.
    """
    with path.open("rb") as handle:
        raw = tomllib.load(handle)["question"]
    questions = [_question(entry) for entry in raw]
    ids = [question.id for question in questions]
    duplicates = sorted({qid for qid in ids if ids.count(qid) > 1})
    if duplicates:
        raise ValueError(f"duplicate question ids: {duplicates}")
    return questions


def _question(entry: dict[str, Any]) -> Question:
    """One validated question from its TOML table."""
    if "columns" in entry:
        entry = {**entry, "columns": tuple(entry["columns"])}
    question = Question(**entry)
    problems = [
        f"kind {question.kind!r}" if question.kind not in KINDS else "",
        f"category {question.category!r}" if question.category not in CATEGORIES else "",
        f"match {question.match!r}" if question.match not in MATCHES else "",
        "no source" if not question.source.strip() else "",
        "ask exactly one of get and sparql" if (question.get is None) == (question.sparql is None) else "",
    ]
    problems = [problem for problem in problems if problem]
    if problems:
        raise ValueError(f"question {question.id}: {', '.join(problems)}")
    return question


# Asking


def ask(client: TestClient, question: Question) -> Answer:
    """Ask ``question`` through the API and read its answer by the question's kind.

    Raises AssertionError when the API does not answer 200 or the answer lacks what the kind reads.
    """
    reader = READERS[question.kind]
    return reader(client, question)


def get_json(client: TestClient, path: str) -> Any:
    """The JSON body of a GET that must answer 200."""
    response = client.get(path)
    assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text[:300]}"
    return response.json()


def sparql_rows(client: TestClient, query: str) -> list[dict[str, str]]:
    """The rows of a SELECT sent to ``POST /sparql`` after our PREFIXES, each value as text (our IRIs shortened)."""
    response = client.post(
        "/sparql",
        content=(PREFIXES + query).encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, f"SPARQL: {response.status_code} {response.text[:300]}"
    bindings = response.json()["results"]["bindings"]
    return [{name: shorten(term["value"]) for name, term in row.items()} for row in bindings]


def shorten(value: str) -> str:
    """``kind/slug`` for our entity IRIs, the value itself otherwise."""
    return value.removeprefix(ID_PREFIX)


def graph_sources(client: TestClient, graphs: Iterable[str]) -> list[Source]:
    """The sources the metadata graph names for the named graphs ``graphs`` (full IRIs)."""
    wanted = sorted({graph for graph in graphs if graph.startswith("https://")})
    if not wanted:
        return []
    values = " ".join(f"<{graph}>" for graph in wanted)
    return sparql_rows(client, SOURCE_LOOKUP % (values, META_GRAPH))


def fact_values(entity: dict[str, Any], prop: str) -> list[dict[str, Any]]:
    """The statements of one fact of a detail page, each with its value read as id or literal."""
    statements = entity["facts"].get(prop, [])
    return [
        {**statement, "text": (statement.get("ref") or {}).get("id", statement["value"])} for statement in statements
    ]


def sources_of_graphs(entity: dict[str, Any], graphs: Iterable[str]) -> list[Source]:
    """The sources of a detail page that describe the given graphs."""
    wanted = set(graphs)
    return [source for source in entity["sources"] if source["graph"] in wanted]


def read_fact(client: TestClient, question: Question) -> Answer:
    """The values of ``property`` on a detail page; sources: those of the graphs stating the expected values."""
    assert question.get and question.property
    entity = get_json(client, question.get)
    statements = fact_values(entity, question.property)
    expected = {str(value) for value in question.expected}
    relevant = [s for s in statements if s["text"] in expected] if question.match != "excludes" else statements
    graphs = {graph for statement in relevant for graph in statement["graphs"]}
    sources = sources_of_graphs(entity, graphs) if relevant else entity["sources"]
    return Answer({s["text"] for s in statements}, sources)


def read_number(client: TestClient, question: Question) -> Answer:
    """The numbers of ``property`` on a detail page, or of ``column`` in a SPARQL answer, with their sources."""
    if question.sparql is not None:
        assert question.column, "a SPARQL number names its column"
        rows = sparql_rows(client, question.sparql)
        return Answer([float(row[question.column]) for row in rows], sparql_sources(client, rows))
    assert question.get and question.property
    entity = get_json(client, question.get)
    statements = fact_values(entity, question.property)
    near = [s for s in statements if within(float(s["value"]), question.expected, question.tolerance)]
    graphs = {graph for statement in near for graph in statement["graphs"]}
    return Answer([float(s["value"]) for s in statements], sources_of_graphs(entity, graphs))


def read_figure(client: TestClient, question: Question) -> Answer:
    """One figure of an export-status answer and the sources of the facts it was computed from."""
    assert question.get and question.property
    status = get_json(client, question.get)
    figures = [figure for figure in status["figures"] if figure["name"] == question.property]
    values = [figure["value"] for figure in figures if figure["value"] is not None]
    sources = [fact["source"] for figure in figures for fact in figure["facts"] if fact.get("source")]
    return Answer([float(value) for value in values], sources)


def read_ids(client: TestClient, question: Question) -> Answer:
    """The ids of a page's items or of search hits; sources: the detail pages of (up to 3) expected ids."""
    assert question.get
    body = get_json(client, question.get)
    items = body if isinstance(body, list) else body["items"]
    ids = [item["id"] for item in items]
    if question.match == "excludes":
        chosen = list(question.expected)
    else:
        chosen = [value for value in question.expected if value in ids] or ids
    return Answer(set(ids), entity_sources(client, chosen[:3]))


def read_total(client: TestClient, question: Question) -> Answer:
    """The ``total`` of a page; sources: the detail pages of its first 3 items."""
    assert question.get
    body = get_json(client, question.get)
    return Answer(body["total"], entity_sources(client, [item["id"] for item in body["items"][:3]]))


def entity_sources(client: TestClient, ids: list[str]) -> list[Source]:
    """The sources of the detail pages (``/entities/{kind}/{slug}``) of the entities with the given ids."""
    return [source for entity_id in ids for source in get_json(client, f"/entities/{entity_id}").get("sources", [])]


def read_verdict(client: TestClient, question: Question) -> Answer:
    """An export-status verdict with the acts of its applying findings; sources: every finding's and figure's."""
    assert question.get
    status = get_json(client, question.get)
    applying = [finding for finding in status["findings"] if finding["outcome"] == "applies"]
    acts = [" ".join(filter(None, (f["rule"]["id"], f["rule"].get("citation")))) for f in applying if f.get("rule")]
    facts = [fact for finding in status["findings"] for fact in finding["facts"]]
    facts += [fact for figure in status["figures"] for fact in figure["facts"]]
    return Answer({"verdict": status["verdict"], "acts": acts}, [f["source"] for f in facts if f.get("source")])


def read_verdicts(client: TestClient, question: Question) -> Answer:
    """The (chip id, verdict) pairs of an export-status page; sources: the acts (citations) of their reasons."""
    assert question.get
    items = get_json(client, question.get)["items"]
    pairs = {(item["chip"]["id"], item["verdict"]) for item in items}
    rules = [reason["rule"] for item in items for reason in item.get("reasons", []) if reason.get("rule")]
    return Answer(pairs, [{"citation": rule.get("citation"), "title": rule.get("label")} for rule in rules])


def read_rows(client: TestClient, question: Question) -> Answer:
    """The chosen columns of a SPARQL answer as a set of tuples; sources: those of the graphs bound to ``?g``."""
    assert question.sparql and question.columns
    rows = sparql_rows(client, question.sparql)
    values = {tuple(row.get(column, "") for column in question.columns) for row in rows}
    return Answer(values, sparql_sources(client, rows))


def sparql_sources(client: TestClient, rows: list[dict[str, str]]) -> list[Source]:
    """The sources of the graphs a SPARQL answer binds to ``?g`` (which every question query must bind)."""
    graphs = {row["g"] for row in rows if "g" in row}
    return graph_sources(client, graphs)


READERS: dict[str, Callable[[TestClient, Question], Answer]] = {
    "fact": read_fact,
    "number": read_number,
    "figure": read_figure,
    "ids": read_ids,
    "total": read_total,
    "verdict": read_verdict,
    "verdicts": read_verdicts,
    "rows": read_rows,
}


# Checking


def within(value: float, expected: float, tolerance: float) -> bool:
    """Whether ``value`` is within ``tolerance`` (relative, at least 1e-9 absolute) of ``expected``."""
    return abs(value - expected) <= max(abs(expected) * tolerance, 1e-9)


def compare_sets(found: set[Any], expected: set[Any], match: str) -> str | None:
    """Why the set ``found`` does not answer ``expected`` under ``match``, or None when it does."""
    if match == "equal" and found != expected:
        return f"missing {sorted(expected - found)}, unexpected {sorted(found - expected)}"
    if match == "contains" and not expected <= found:
        return f"missing {sorted(expected - found)}"
    if match == "excludes" and found & expected:
        return f"should not contain {sorted(found & expected)}"
    return None


def answer_problem(question: Question, answer: Answer) -> str | None:
    """Why ``answer`` does not answer ``question``, or None when it does."""
    kind, expected = question.kind, question.expected
    if kind in ("number", "figure"):
        if not any(within(value, float(expected), question.tolerance) for value in answer.values):
            return f"expected {expected} (±{question.tolerance:.1%}), got {answer.values}"
        return None
    if kind == "total":
        return None if answer.values == expected else f"expected total {expected}, got {answer.values}"
    if kind == "verdict":
        return verdict_problem(question, answer.values)
    if kind in ("rows", "verdicts"):
        return compare_sets(answer.values, {tuple(str(cell) for cell in row) for row in expected}, question.match)
    return compare_sets(answer.values, {str(value) for value in expected}, question.match)


def verdict_problem(question: Question, found: dict[str, Any]) -> str | None:
    """Why an export status does not give the expected verdict (and act), or None."""
    if found["verdict"] != question.expected:
        return f"expected verdict {question.expected}, got {found['verdict']}"
    rule = question.rule
    if rule and not any(rule.casefold() in act.casefold() for act in found["acts"]):
        return f"no applying finding cites {rule!r}: {found['acts']}"
    return None


def source_problem(question: Question, answer: Answer) -> str | None:
    """Why the answer names neither the question's source nor its ``source_match``, or None when it names one."""
    wanted = [part.casefold() for part in (question.source, question.source_match) if part]
    for source in answer.sources:
        described = " ".join(str(source.get(key) or "") for key in ("url", "citation", "title")).casefold()
        if any(part in described for part in wanted):
            return None
    named = sorted({str(s.get("url") or s.get("citation") or s.get("title")) for s in answer.sources})
    return f"source {question.source!r} not among the answer's sources {named}"


def check(client: TestClient, question: Question) -> None:
    """Ask ``question`` and assert the answer and its source.

    Raises AssertionError naming what is wrong.
    """
    answer = ask(client, question)
    problem = answer_problem(question, answer) or source_problem(question, answer)
    assert problem is None, f"{question.id}: {problem}"


# The README's table


def summary(questions: list[Question]) -> str:
    """A Markdown table of the questions per category (asked, answered today, known gaps), then the gaps."""
    lines = ["| category | questions | answered | known gaps |", "|---|---:|---:|---:|"]
    for category in CATEGORIES:
        asked = [question for question in questions if question.category == category]
        gaps = [question for question in asked if question.known_gap]
        lines.append(f"| {category} | {len(asked)} | {len(asked) - len(gaps)} | {len(gaps)} |")
    gaps = [question for question in questions if question.known_gap]
    lines.append(f"| **all** | **{len(questions)}** | **{len(questions) - len(gaps)}** | **{len(gaps)}** |")
    lines += ["", *(f"- `{question.id}`: {question.known_gap}" for question in gaps)]
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(load()))
