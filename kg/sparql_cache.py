"""A SPARQL processor for rdflib that parses each query text once.

pyshacl runs a SHACL-SPARQL constraint once per focus node, and rdflib parses the query text
every time: measured 16 ms a run parsed, 0.65 ms prepared (a 25x difference that dominates
validation). This processor keeps the parsed, translated query per text (and base and
namespaces); evaluation is rdflib's own, so results are unchanged. ``install()`` registers it as
rdflib's "sparql" processor; it is idempotent.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import rdflib.plugin
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.evaluate import evalQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Processor
from rdflib.term import Identifier


@lru_cache(maxsize=512)
def _prepared(text: str, base: str | None, namespaces: tuple[tuple[str, Any], ...]) -> Query:
    return translateQuery(parseQuery(text), base, dict(namespaces) or None)


class CachingSPARQLProcessor(SPARQLProcessor):
    """rdflib's SPARQL processor, with the parse of each query text cached."""

    def query(  # type: ignore[override]
        self,
        strOrQuery: str | Query,  # noqa: N803 (rdflib's parameter name)
        initBindings: Mapping[str, Identifier] | None = None,  # noqa: N803
        initNs: Mapping[str, Any] | None = None,  # noqa: N803
        base: str | None = None,
        DEBUG: bool = False,  # noqa: N803
    ) -> Mapping[str, Any]:
        """Evaluate the query; a text is parsed once per process and then reused."""
        query = strOrQuery
        if isinstance(query, str):
            query = _prepared(query, base, tuple(sorted((initNs or {}).items())))
        return evalQuery(self.graph, query, initBindings or {}, base)


def install() -> None:
    """Make the caching processor rdflib's "sparql" processor (process-wide, idempotent)."""
    rdflib.plugin.register("sparql", Processor, __name__, "CachingSPARQLProcessor")
