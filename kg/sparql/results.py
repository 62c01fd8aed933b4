"""Streaming writers for SPARQL query results, with a cap on rows.

SELECT results are written row by row in the W3C formats (JSON, XML, CSV, TSV) so that they can
be streamed and cut at a row cap with a well-formed document; ASK results and graph results use
Oxigraph's serialisers (graph results in batches for the line-based formats).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
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


def select_chunks(solutions: ox.QuerySolutions, kind: str, max_rows: int) -> Iterator[str]:
    """The SELECT results as text chunks in ``kind`` (json, xml, csv, tsv), at most ``max_rows`` rows.

    When the cap cuts the results, the document still ends properly; JSON says so with a
    top-level "truncated": true.
    """
    names = [variable.value for variable in solutions.variables]
    yield _select_head(names, kind)
    rows: list[str] = []
    truncated = False
    for count, solution in enumerate(solutions):
        if count == max_rows:
            truncated = True
            break
        rows.append(_select_row(names, solution, kind, first=count == 0))
        if len(rows) == BATCH_ROWS:
            yield "".join(rows)
            rows = []
    yield "".join(rows) + _select_tail(kind, truncated)


def _select_head(names: list[str], kind: str) -> str:
    if kind == "json":
        return '{"head":{"vars":' + json.dumps(names) + '},"results":{"bindings":['
    if kind == "xml":
        variables = "".join(f"<variable name={quoteattr(name)}/>" for name in names)
        return f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>{variables}</head><results>'
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
        return "]}" + (',"truncated":true' if truncated else "") + "}"
    if kind == "xml":
        return "</results></sparql>\n"
    return ""


def graph_chunks(triples: ox.QueryTriples, rdf_format: ox.RdfFormat, max_rows: int) -> Iterator[bytes]:
    """Graph results in ``rdf_format``, at most ``max_rows`` triples; line formats stream in batches."""
    batch: list[ox.Triple] = []
    for index, triple in enumerate(triples):
        if index == max_rows:
            break
        batch.append(triple)
        if rdf_format in STREAMABLE_GRAPH_FORMATS and len(batch) == BATCH_ROWS:
            yield ox.serialize(batch, format=rdf_format) or b""
            batch = []
    if batch or rdf_format not in STREAMABLE_GRAPH_FORMATS:
        yield ox.serialize(batch, format=rdf_format) or b""
