"""Checks on user SPARQL before it runs: no SERVICE (pyoxigraph would fetch the remote endpoint).

FROM and FROM NAMED only name graphs of the store in Oxigraph (nothing is fetched), and updates
(LOAD included) are refused by the query operation itself.
"""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_NOISE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'  # long strings
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'  # strings
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"  # IRIs
    r"|#[^\n]*",  # comments
    re.DOTALL,
)
_SERVICE = re.compile(r"(?<![\w:?$])SERVICE(?![\w:])", re.IGNORECASE)
_FROM = re.compile(r"(?<![\w:?$])FROM(?![\w:])", re.IGNORECASE)


class ForbiddenQueryError(ValueError):
    """Raised for a query that uses a feature the endpoint refuses (SERVICE)."""


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda match: chr(int(match.group(1) or match.group(2), 16)), text)


def _code(text: str) -> str:
    """The query with escapes decoded and strings, IRIs and comments blanked: keywords only."""
    return _NOISE.sub(" ", _unescape(text))


def has_dataset_clause(text: str) -> bool:
    """Whether the query names its own dataset (FROM or FROM NAMED)."""
    return bool(_FROM.search(_code(text)))


def check_query(text: str) -> None:
    """Raise ForbiddenQueryError if the query uses SERVICE (codepoint escapes decoded first)."""
    if _SERVICE.search(_code(text)):
        raise ForbiddenQueryError("SERVICE is not allowed: this endpoint never sends requests to other servers")
