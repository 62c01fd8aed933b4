"""Named queries: the SPARQL files in kg/queries/, addressed by their file stem."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from kg.rdf import fill, sparql_literal

QUERIES_DIR = Path(__file__).resolve().parent / "queries"


class UnknownQueryError(KeyError):
    """Raised when no named query has the requested name."""

    def __str__(self) -> str:
        return f"no named query {self.args[0]!r}; known: {', '.join(sorted(named_queries()))}"


class QueryParameterError(ValueError):
    """Raised when a parameter of a named query is unknown or its value has the wrong type."""


XSD = "http://www.w3.org/2001/XMLSchema#"
# A parameter is declared in a comment line: "# param NAME: decimal|date = DEFAULT".
PARAM = re.compile(r"^#\s*param\s+([a-z][a-z0-9_]*)\s*:\s*(decimal|date)\s*=\s*(\S+)\s*$")


MAX_EXPONENT = 100  # a decimal parameter lies within 10^±100 (written out, 1e999999999 has a billion digits)


def _literal(kind: str, name: str, value: str) -> str:
    """The typed literal of a parameter value, written by pyoxigraph; raises QueryParameterError."""
    try:
        if kind == "date":
            return sparql_literal(date.fromisoformat(value).isoformat(), XSD + "date")
        number = Decimal(value)
        if not number.is_finite() or (number and abs(number.adjusted()) > MAX_EXPONENT):
            raise ValueError("not a finite decimal within range")
        return sparql_literal(format(number, "f"), XSD + "decimal")
    except (InvalidOperation, ValueError) as error:
        raise QueryParameterError(f"parameter {name} must be a {kind}, not {value[:80]!r}") from error


@dataclass(frozen=True)
class NamedQuery:
    """A named query: name, question (its first comment line), text, parameters.

    Parameters (name -> (type, default)) are written $name in the text.
    """

    name: str
    question: str
    text: str
    params: dict[str, tuple[str, str]] = field(default_factory=dict)

    def bind(self, values: dict[str, str] | None = None) -> str:
        """The text with every parameter replaced by a typed literal (the default when not given).

        Raises QueryParameterError for an unknown parameter or a value of the wrong type.
        """
        given = values or {}
        unknown = set(given) - set(self.params)
        if unknown:
            known = ", ".join(sorted(self.params)) or "none"
            raise QueryParameterError(f"{self.name} has no parameter {', '.join(sorted(unknown))}; it has: {known}")
        literals = {name: _literal(kind, name, given.get(name, value)) for name, (kind, value) in self.params.items()}
        return fill(self.text, literals)


def _read(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    first = lines[0] if lines else ""
    question = first.lstrip("#").strip() if first.startswith("#") else ""
    params = {m.group(1): (m.group(2), m.group(3)) for m in map(PARAM.match, lines) if m}
    return NamedQuery(path.stem, question, text, params)


def named_queries() -> dict[str, NamedQuery]:
    """Every named query, by name."""
    return {path.stem: _read(path) for path in sorted(QUERIES_DIR.glob("*.rq"))}


def named_query(name: str) -> NamedQuery:
    """The named query ``name``; raises UnknownQueryError if there is none.

    ``name`` is looked up among the files' names, never used as a path: any text is safe.
    """
    known = {path.stem: path for path in QUERIES_DIR.glob("*.rq")}
    if name not in known:
        raise UnknownQueryError(name[:200])
    return _read(known[name])
