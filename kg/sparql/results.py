"""Streaming writers for SPARQL query results, with a cap on rows.

SELECT results are written row by row in the W3C formats (JSON, XML, CSV, TSV) so that they can
be streamed and cut at a row cap with a well-formed document; ASK results and graph results use
Oxigraph's serialisers (graph results in batches for the line-based formats). The caller
(kg.sparql.worker.run) reads at most cap + 1 rows first, so the writers know before the first
byte whether the cap cut the result, and mark it in the body where the format allows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
# What a result cut at the row cap carries in its body: this IRI as a link (SPARQL JSON and XML
# results), a comment (Turtle, N-Triples, RDF/XML).
TRUNCATED_LINK = "https://w3id.org/chipgraph/ontology#TruncatedResult"
TRUNCATED_COMMENT = "chipgraph: truncated: the result was cut at {max_rows} rows (CHIPGRAPH_MAX_RESULT_ROWS) <{link}>"
BATCH_ROWS = 500

SELECT_TYPES = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
ASK_TYPES = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
STREAMABLE_GRAPH_FORMATS = {ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES}

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def _json_term(term: Term) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        result: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            result["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            result["datatype"] = term.datatype.value
        return result
    return {"type": "triple", "value": {k: _json_term(getattr(term, k)) for k in ("subject", "predicate", "object")}}


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)


def _csv_line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


def select_chunks(
    names: list[str], solutions: Sequence[ox.QuerySolution], kind: str, *, truncated: bool
) -> Iterator[str]:
    """The SELECT results ``solutions`` (already capped) as text chunks in ``kind`` (json, xml, csv, tsv).

    When the row cap cut the results (``truncated``), the body says so where the format allows
    (TRUNCATED_LINK): JSON in head ("link") and with a top-level "truncated": true, XML with a
    <link> in its head; CSV and TSV cannot (the response header X-Result-Truncated still does).
    """
    rows: list[str] = [_select_head(names, kind, truncated)]  # the head travels with the first rows
    for count, solution in enumerate(solutions):
        rows.append(_select_row(names, solution, kind, first=count == 0))
        if len(rows) >= BATCH_ROWS:
            yield "".join(rows)
            rows = []
    yield "".join(rows) + _select_tail(kind, truncated)


def _select_head(names: list[str], kind: str, truncated: bool) -> str:
    if kind == "json":
        # "truncated" comes before "results": streaming parsers (Oxigraph's) refuse members after the bindings
        link = ',"link":' + json.dumps([TRUNCATED_LINK]) if truncated else ""
        flag = ',"truncated":true' if truncated else ""
        return '{"head":{"vars":' + json.dumps(names) + link + "}" + flag + ',"results":{"bindings":['
    if kind == "xml":
        variables = "".join(f"<variable name={quoteattr(name)}/>" for name in names)
        link = f"<link href={quoteattr(TRUNCATED_LINK)}/>" if truncated else ""
        return f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>{variables}{link}</head><results>'
    if kind == "csv":
        return _csv_line(names)
    return "\t".join(f"?{name}" for name in names) + "\n"


def _select_row(names: list[str], solution: ox.QuerySolution, kind: str, *, first: bool) -> str:
    if kind == "json":
        row = {name: _json_term(solution[name]) for name in names if solution[name] is not None}
        return ("" if first else ",") + json.dumps(row, ensure_ascii=False)
    if kind == "xml":
        bindings = "".join(
            f"<binding name={quoteattr(name)}>{_xml_term(solution[name])}</binding>"
            for name in names
            if solution[name] is not None
        )
        return f"<result>{bindings}</result>"
    if kind == "csv":
        return _csv_line([_csv_value(solution[name]) for name in names])
    return "\t".join("" if solution[name] is None else str(solution[name]) for name in names) + "\n"


def _select_tail(kind: str, truncated: bool) -> str:
    if kind == "json":
        return "]}}"
    if kind == "xml":
        return "</results></sparql>\n"
    return ""


def graph_chunks(
    triples: Sequence[ox.Triple], rdf_format: ox.RdfFormat, *, truncated: bool, max_rows: int
) -> Iterator[bytes]:
    """Graph results ``triples`` (already capped) in ``rdf_format``; line formats stream in batches.

    When the row cap cut the result (``truncated``), Turtle and N-Triples begin with a comment
    line and RDF/XML ends with an XML comment that say so (TRUNCATED_COMMENT); JSON-LD cannot.
    """
    note = TRUNCATED_COMMENT.format(max_rows=max_rows, link=TRUNCATED_LINK)
    prefix = f"# {note}\n".encode() if truncated and rdf_format in STREAMABLE_GRAPH_FORMATS else b""
    if rdf_format in STREAMABLE_GRAPH_FORMATS:
        for start in range(0, max(len(triples), 1), BATCH_ROWS):
            yield prefix + (ox.serialize(triples[start : start + BATCH_ROWS], format=rdf_format) or b"")
            prefix = b""
    else:
        yield ox.serialize(triples, format=rdf_format) or b""
    if truncated and rdf_format == ox.RdfFormat.RDF_XML:
        yield f"<!-- {note} -->\n".encode()
