"""kg.bounds: the scans that measure untrusted documents before a parser sees them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg import bounds
from kg.gate.changes import ChangesetError, from_envelope, from_files
from kg.queries import QueryParameterError, named_query

G = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b"1", 0),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'["[[[[", "{{{"]', 1),  # brackets in strings do not count
        (b'["\\"[[[[", "\\\\", [[]]]', 3),  # nor after escaped quotes; an escaped backslash ends its escape
        (b'"unterminated [[[[', 0),
        (b"[[[" + "é".encode() + b"]]]", 3),
        (b"]]]][[", 2),  # a stray closing bracket does not lower the count below zero
    ],
)
def test_json_depth_counts_brackets_outside_strings(text: bytes, depth: int) -> None:
    assert bounds.json_depth(text, stop_above=100) == depth


def test_deep_json_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(ChangesetError, match="deeper than 64"):
        from_envelope(b"[" * 100_000)
    with pytest.raises(ChangesetError, match="not UTF-8"):
        from_envelope(json.dumps({"graph": G}).encode("utf-16"))
    with pytest.raises(ChangesetError, match="not JSON"):
        from_envelope(b'{"author": ' + b"9" * 5000 + b"}")


def test_json_ld_context_terms_count_duplicates_and_nested_contexts() -> None:
    members = ", ".join(f'"t": "http://a/{i}"' for i in range(300))  # one key, 300 times
    with pytest.raises(bounds.BoundsError, match="256 terms"):
        bounds.check_json_ld(('{"@context": {' + members + '}, "@id": "http://a/s"}').encode())
    nested = {"@context": {"a": {"@id": "http://a/a", "@context": {f"t{i}": "http://a/" for i in range(300)}}}}
    with pytest.raises(bounds.BoundsError):
        bounds.check_json_ld(json.dumps(nested).encode())
    bounds.check_json_ld(json.dumps({"@context": {"@vocab": "http://a/"}, "p": 1}).encode())


DEEP_TRIPLE_TERMS = "<a:s> <a:p> " + "<<( <a:s> <a:p> " * 100_000 + "<a:o>" + " )>>" * 100_000 + " ."
RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://e/"'
LAUGHS = (  # ten entity levels: pyoxigraph would expand the one reference into 300 MB
    '<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY a0 "lol">'
    + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 9))
    + f']><rdf:RDF {RDF}><rdf:Description rdf:about="http://a/b"><e:p>&a8;</e:p></rdf:Description></rdf:RDF>'
)
DEEP_XML = f"<rdf:RDF {RDF}>" + "<rdf:Description><e:p>" * 100_000 + "</e:p></rdf:Description>" * 100_000 + "</rdf:RDF>"


@pytest.mark.parametrize(
    ("suffix", "text", "refusal"),
    [
        (".ttl", DEEP_TRIPLE_TERMS, "more than 64 '<<'"),
        (".nq", DEEP_TRIPLE_TERMS.replace(" .", " <a:g> ."), "more than 64 '<<'"),
        (".nt", "<a:s> <a:p> <<( <a:s> <a:p> <a:o> )>> .", "triple terms cannot be merged"),
        (".jsonld", json.dumps({"@context": {f"t{i}": f"t{i + 1}:" for i in range(20_000)}}), "256 terms"),
        (".jsonld", '{"a:p": ' + "[" * 20_000 + "]" * 20_000 + "}", "deeper than 64"),
        (".rdf", LAUGHS, "declares a DOCTYPE"),
        (".rdf", DEEP_XML, "deeper than 256 levels"),
        (".rdf", f"<rdf:RDF {RDF}><!-- </rdf:RDF> -->" + "<rdf:Description><e:p>" * 300, "deeper than 256 levels"),
    ],
)
def test_changeset_files_beyond_the_bounds_are_refused(tmp_path: Path, suffix: str, text: str, refusal: str) -> None:
    """Input that would crash, swell or stall pyoxigraph is refused before it parses; one triple term after."""
    path = tmp_path / f"change{suffix}"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ChangesetError, match=refusal):
        from_files([path], [], author="a", message="m", graph=G)


@pytest.mark.parametrize("value", ["Infinity", "NaN", "1e999999999", '1" } ; DROP ALL ; #'])
def test_named_query_parameters_are_finite_terms(value: str) -> None:
    with pytest.raises(QueryParameterError):
        named_query("chips-above-tpp").bind({"tpp": value})


def test_plain_rdf_xml_is_read(tmp_path: Path) -> None:
    path = tmp_path / "change.rdf"
    path.write_text(f'<rdf:RDF {RDF}><rdf:Description rdf:about="http://a/b"><e:p>x</e:p></rdf:Description></rdf:RDF>')
    change = from_files([path], [], author="a", message="m", graph=G)
    assert [(t.subject.value, t.predicate.value, t.object.value) for t in change.add] == [
        ("http://a/b", "http://e/p", "x")
    ]
