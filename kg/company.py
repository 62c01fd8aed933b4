"""What an analyst asks about one organisation: chips, foundries, market shares, relatives.

Its Entity List entries come from kg.entity_list.

Every query is a kg/queries/rest/company-*.rq file; the organisation enters it as an IRI
written by pyoxigraph.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from kg.catalog import SourceIndex, entity_id, rest_query
from kg.rdf import fill, sparql_iri
from kg.store import AnyStore, Row, term_text


def _ref(row: Row, key: str, label: str) -> dict[str, str]:
    iri = term_text(row[key])
    return {"id": entity_id(iri), "label": term_text(row[label]) if label in row else entity_id(iri)}


def chips_and_foundries(store: AnyStore, org: str) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """The chips ``org`` designed (by label), and the foundries that make them with their chip ids."""
    rows = store.select(fill(rest_query("company-chips"), {"ORG": sparql_iri(org)}))
    chips = {term_text(row["chip"]): _ref(row, "chip", "label") for row in rows}
    made: dict[str, set[str]] = defaultdict(set)
    foundries: dict[str, dict[str, Any]] = {}
    for row in rows:
        if "foundry" in row:
            foundry = _ref(row, "foundry", "foundryLabel")
            foundries[foundry["id"]] = foundry
            made[foundry["id"]].add(entity_id(term_text(row["chip"])))
    chip_list = sorted(chips.values(), key=lambda chip: (chip["label"].casefold(), chip["id"]))
    foundry_list = [{**foundry, "chips": sorted(made[key])} for key, foundry in sorted(foundries.items())]
    return chip_list, foundry_list


def market_shares(store: AnyStore, org: str, sources: SourceIndex) -> list[dict[str, Any]]:
    """The inputs ``org`` provides, each with its market share, year and source when known.

    Sorted by input label, then year (newest first).
    """
    rows = store.select(fill(rest_query("company-market-shares"), {"ORG": sparql_iri(org)}))
    shares = []
    for row in rows:
        graph = term_text(row["g"]) if "g" in row else None
        source = sources.get(graph) if graph else None
        shares.append(
            {
                "provision": entity_id(term_text(row["provision"])),
                "input": _ref(row, "input", "inputLabel"),
                "share_percent": float(term_text(row["share"])) if "share" in row else None,
                "year": int(term_text(row["year"])) if "year" in row else None,
                "graph": graph,
                "source": source["title"] if source else None,
            }
        )
    return sorted(shares, key=lambda s: (s["input"]["label"].casefold(), -(s["year"] or 0), s["provision"]))


def relatives(store: AnyStore, org: str) -> dict[str, list[dict[str, str]]]:
    """The organisations ``org`` belongs to ("parents", transitively) and its "subsidiaries"."""
    found: dict[str, list[dict[str, str]]] = {"parents": [], "subsidiaries": []}
    for row in store.select(fill(rest_query("company-relatives"), {"ORG": sparql_iri(org)})):
        found["parents" if term_text(row["relation"]) == "parent" else "subsidiaries"].append(_ref(row, "org", "label"))
    return {key: sorted(value, key=lambda ref: ref["id"]) for key, value in found.items()}
