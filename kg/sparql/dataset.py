"""What a user query's text says about how to run it: its own dataset, and where a row cap fits.

These are conveniences, not guarantees: nothing here decides whether a query is safe. Safety is
enforced where harm would happen (kg.sparql.sandbox: a query worker cannot open a socket, so
SERVICE reaches nothing; FROM and FROM NAMED only name graphs of the store in Oxigraph). A
query that fools the scanner below gets a syntax error, the union default graph where it named
its own dataset, or more rows than the cap (still within the time limit).
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
_FROM = re.compile(r"(?<![\w:?$])FROM(?![\w:])", re.IGNORECASE)


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda match: chr(int(match.group(1) or match.group(2), 16)), text)


def _code(text: str) -> str:
    """The query with escapes decoded and strings, IRIs and comments blanked: keywords only."""
    return _NOISE.sub(" ", _unescape(text))


def _blanked(text: str) -> str:
    """The query with strings, IRIs and comments replaced by spaces of the same length."""
    return _NOISE.sub(lambda match: re.sub(r"[^\n]", " ", match.group(0)), text)


_FORM = re.compile(r"(?<![\w:?$])(SELECT|CONSTRUCT|DESCRIBE|ASK)(?![\w:])", re.IGNORECASE)
_LIMIT = re.compile(r"(?<![\w:?$])LIMIT\s+(\d+)", re.IGNORECASE)
_VALUES = re.compile(r"(?<![\w:?$])VALUES(?![\w:])", re.IGNORECASE)


def with_row_limit(text: str, limit: int) -> str | None:
    """The SELECT query with at most ``limit`` solutions (a LIMIT added or lowered), else None.

    None for other query forms and for text this scanner cannot place a LIMIT in with certainty
    (codepoint escapes): the caller then caps rows itself.
    """
    if "\\u" in text or "\\U" in text:
        return None
    code = _blanked(text)
    form = _FORM.search(code)
    if form is None or form.group(1).upper() != "SELECT":
        return None
    start = code.find("{", form.end())
    depth, end = 0, -1
    for index in range(start, len(code)):
        if code[index] == "{":
            depth += 1
        elif code[index] == "}":
            depth -= 1
            if depth == 0:
                end = index
                break
    if start < 0 or end < 0:
        return None
    tail_start = end + 1
    values = _VALUES.search(code, tail_start)
    modifiers_end = values.start() if values else len(code.rstrip())
    existing = _LIMIT.search(code, tail_start, modifiers_end)
    if existing:
        if int(existing.group(1)) <= limit:
            return text
        return text[: existing.start(1)] + str(limit) + text[existing.end(1) :]
    return text[:modifiers_end] + f" LIMIT {limit} " + text[modifiers_end:]


def has_dataset_clause(text: str) -> bool:
    """Whether the query names its own dataset (FROM or FROM NAMED)."""
    return bool(_FROM.search(_code(text)))
