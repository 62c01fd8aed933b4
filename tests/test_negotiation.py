"""Content negotiation (api.negotiation.acceptable): q=0, invalid q values, wildcard ranking (RFC 9110 12.5.1)."""

from __future__ import annotations

import pytest

from api.negotiation import acceptable

OFFERED = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"]
JSON, XML, CSV, TSV = OFFERED


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, OFFERED),
        ("", OFFERED),
        ("*/*", OFFERED),  # equal quality: the order offered
        ("text/csv", [CSV]),
        # q=0 means "not acceptable", also when a wildcard would admit the type
        ("text/csv;q=0", []),
        ("*/*, text/csv;q=0", [JSON, XML, TSV]),
        ("text/*, text/csv;q=0", [TSV]),
        ("text/csv;q=0.0, text/csv;q=0.000", []),
        # the most specific range decides a type's quality, whatever its q
        ("text/*;q=0.9, text/csv;q=0.1", [TSV, CSV]),
        ("*/*;q=0.8, text/*;q=0.5, text/tab-separated-values;q=0.9", [TSV, JSON, XML, CSV]),
        ("application/*;q=0.2, */*;q=0.5", [CSV, TSV, JSON, XML]),
        # by quality, then the order offered; parameters and case do not change the type
        ("text/csv;q=0.2, application/sparql-results+xml;q=0.9", [XML, CSV]),
        ("TEXT/CSV; Q=0.7 , application/SPARQL-results+json;q=0.6", [CSV, JSON]),
        ("text/csv; charset=utf-8", [CSV]),
        # invalid q values: not a number admits nothing; out of range is clamped
        ("text/csv;q=abc, text/tab-separated-values;q=0.5", [TSV]),
        ("text/csv;q=, text/tab-separated-values", [TSV]),
        ("text/csv;q=nan, text/tab-separated-values;q=0.5", [TSV]),
        ("text/csv;q=inf, text/tab-separated-values;q=0.5", [TSV]),
        ("text/csv;q=-1, text/tab-separated-values;q=0.1", [TSV]),
        ("text/csv;q=7, text/tab-separated-values;q=0.9", [CSV, TSV]),
        # ranges that name nothing offered, and empty members
        ("image/png", []),
        (",, text/csv ,", [CSV]),
    ],
)
def test_acceptable(accept: str | None, expected: list[str]) -> None:
    assert acceptable(accept, OFFERED) == expected
