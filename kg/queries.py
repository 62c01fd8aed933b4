"""Named queries: the SPARQL files in kg/queries/, addressed by their file stem."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

QUERIES_DIR = Path(__file__).resolve().parent / "queries"


class UnknownQueryError(KeyError):
    """Raised when no named query has the requested name."""

    def __str__(self) -> str:
        return f"no named query {self.args[0]!r}; known: {', '.join(sorted(named_queries()))}"


@dataclass(frozen=True)
class NamedQuery:
    """A named query: its name, the question it answers (its first comment line) and its text."""

    name: str
    question: str
    text: str


def _read(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0] if text else ""
    question = first.lstrip("#").strip() if first.startswith("#") else ""
    return NamedQuery(path.stem, question, text)


def named_queries() -> dict[str, NamedQuery]:
    """Every named query, by name."""
    return {path.stem: _read(path) for path in sorted(QUERIES_DIR.glob("*.rq"))}


def named_query(name: str) -> NamedQuery:
    """The named query ``name``; raises UnknownQueryError if there is none."""
    path = QUERIES_DIR / f"{name}.rq"
    if not name or "/" in name or not path.is_file():
        raise UnknownQueryError(name)
    return _read(path)
