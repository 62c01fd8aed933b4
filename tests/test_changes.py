"""Reading changesets: every RDF format, the JSON envelope, and clear errors on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.gate.changes import Changeset, ChangesetError, from_envelope, from_files, nt_text, parse_nt

G = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"
CHIP = "https://w3id.org/chipgraph/id/chip/x"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
TRIPLE = ox.Triple(ox.NamedNode(CHIP), ox.NamedNode(LABEL), ox.Literal('X "1"\nnew line'))

SERIALISATIONS = {
    ".ttl": f'<{CHIP}> <{LABEL}> "X \\"1\\"\\nnew line" .',
    ".nt": f'<{CHIP}> <{LABEL}> "X \\"1\\"\\nnew line" .\n',
    ".trig": f'<{G}> {{ <{CHIP}> <{LABEL}> "X \\"1\\"\\nnew line" . }}',
    ".nq": f'<{CHIP}> <{LABEL}> "X \\"1\\"\\nnew line" <{G}> .\n',
    ".jsonld": json.dumps({"@id": CHIP, LABEL: 'X "1"\nnew line'}),
}


@pytest.mark.parametrize("suffix", sorted(SERIALISATIONS))
def test_every_rdf_format_reads_to_the_same_changeset(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"change{suffix}"
    path.write_text(SERIALISATIONS[suffix], encoding="utf-8")
    change = from_files([path], [], author="a", message="m", graph=None if suffix in (".trig", ".nq") else G)
    assert change.graph == G
    assert change.add == frozenset({TRIPLE})
    assert change.remove == frozenset()


def test_removals_come_from_their_own_files(tmp_path: Path) -> None:
    add, remove = tmp_path / "add.nt", tmp_path / "remove.ttl"
    add.write_text(SERIALISATIONS[".nt"], encoding="utf-8")
    remove.write_text(f"<{CHIP}> a <https://w3id.org/chipgraph/ontology#GPU> .", encoding="utf-8")
    change = from_files([add], [remove], author="a", message="m", graph=G)
    assert len(change.add) == 1 and len(change.remove) == 1


def test_envelope() -> None:
    change = from_envelope(
        json.dumps(
            {
                "graph": G,
                "author": "curator",
                "message": "fix",
                "add": {"format": "text/turtle", "data": SERIALISATIONS[".ttl"]},
                "remove": {"format": "application/n-triples", "data": f'<{CHIP}> <{LABEL}> "old" .\n'},
            }
        )
    )
    assert change.add == frozenset({TRIPLE})
    assert [t.object.value for t in change.remove] == ["old"]  # type: ignore[union-attr]
    assert change.source_iri == "https://w3id.org/chipgraph/id/source/epoch-ml-hardware"


def test_history_form_round_trips() -> None:
    assert parse_nt(nt_text({TRIPLE})) == frozenset({TRIPLE})


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "not JSON: .* line 1 column 2"),
        (json.dumps({"graph": G, "message": "m"}), "field author"),
        (json.dumps({"graph": G, "author": "a", "message": "m", "oops": 1}), "field oops"),
        (
            json.dumps({"graph": G, "author": "a", "message": "m", "add": {"format": "rdf/xml", "data": ""}}),
            "unknown RDF format",
        ),
        (
            json.dumps({"graph": G, "author": "a", "message": "m", "add": {"data": "<a> <b> ."}}),
            "field add.data: .*line 1",
        ),
        (
            json.dumps(
                {
                    "graph": G,
                    "author": "a",
                    "message": "m",
                    "add": {
                        "format": "json-ld",
                        "data": json.dumps({"@context": "http://example.org/c.jsonld", "@id": CHIP}),
                    },
                }
            ),
            "remote contexts",
        ),
        (json.dumps({"author": "a", "message": "m", "add": {"data": SERIALISATIONS[".ttl"]}}), "field graph"),
        (
            json.dumps({"graph": G, "author": "a", "message": "m", "add": {"data": f"<{CHIP}> <{LABEL}> _:b ."}}),
            "blank nodes",
        ),
        (json.dumps({"graph": G, "author": "a", "message": "m"}), "adds and removes nothing"),
        (
            json.dumps(
                {
                    "graph": "https://w3id.org/chipgraph/graph/inferred",
                    "author": "a",
                    "message": "m",
                    "add": {"data": SERIALISATIONS[".ttl"]},
                }
            ),
            "https://w3id.org/chipgraph/graph/inferred is a system graph",
        ),
        (
            json.dumps(
                {
                    "graph": G,
                    "author": "a",
                    "message": "m",
                    "add": {"format": "trig", "data": f'<urn:other> {{ <{CHIP}> <{LABEL}> "x" }}'},
                }
            ),
            "one named graph",
        ),
        (
            json.dumps(
                {
                    "graph": G,
                    "author": "a",
                    "message": "m",
                    "add": {"data": SERIALISATIONS[".ttl"]},
                    "remove": {"data": SERIALISATIONS[".ttl"]},
                }
            ),
            "both added and removed",
        ),
    ],
)
def test_bad_envelopes_are_refused_with_the_field_named(document: str, message: str) -> None:
    with pytest.raises(ChangesetError, match=message):
        from_envelope(document)


def test_syntax_error_in_a_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.ttl"
    path.write_text(f'<{CHIP}> <{LABEL}> "ok" .\n<{CHIP}> <{LABEL}> .\n', encoding="utf-8")
    with pytest.raises(ChangesetError, match=r"bad.ttl: .*line 2"):
        from_files([path], [], author="a", message="m", graph=G)


def test_unknown_file_type_and_missing_graph_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "change.xml"
    path.write_text("<x/>", encoding="utf-8")
    with pytest.raises(ChangesetError, match="unknown file type"):
        from_files([path], [], author="a", message="m", graph=G)
    turtle = tmp_path / "change.ttl"
    turtle.write_text(SERIALISATIONS[".ttl"], encoding="utf-8")
    with pytest.raises(ChangesetError, match="--graph"):
        from_files([turtle], [], author="a", message="m")


def test_a_changeset_needs_an_author_and_a_message() -> None:
    with pytest.raises(ChangesetError, match="author"):
        Changeset(G, frozenset({TRIPLE}), frozenset(), " ", "m")
    with pytest.raises(ChangesetError, match="message"):
        Changeset(G, frozenset({TRIPLE}), frozenset(), "a", "")
