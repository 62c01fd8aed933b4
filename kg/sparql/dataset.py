"""What a user query's text says about how to run it: where a row cap fits.

A convenience, not a guarantee: nothing here decides whether a query is safe. Safety is
enforced where harm would happen (kg.sparql.sandbox: a query worker cannot open a socket, so
SERVICE reaches nothing; FROM and FROM NAMED only name graphs of the store in Oxigraph). A
query that fools the scanner below gets a syntax error or more rows than the cap (still within
the time limit). The dataset needs no scanning: a query without FROM runs over the store's
default graph, the merge of the named graphs (docs/adr/0010), and Oxigraph applies FROM itself.
"""

from __future__ import annotations

import re

_NOISE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'  # long strings
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'  # strings
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"  # IRIs
    r"|#[^\n]*",  # comments
    re.DOTALL,
)


def blanked(text: str) -> str:
    """The query with strings, IRIs and comments replaced by spaces of the same length (offsets kept)."""
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
    code = blanked(text)
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
