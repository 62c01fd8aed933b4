"""Ontology quality checks: each ontology/checks/*-violation.rq must return no rows."""

from __future__ import annotations

from kg import resources
from kg.store import Row, Store


def run_checks(store: Store) -> dict[str, list[Row]]:
    """Run every check over the store; return the rows of each, by check name (file stem)."""
    return {path.stem: store.select(path.read_text(encoding="utf-8")) for path in resources.check_files()}
