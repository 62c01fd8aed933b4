"""Entity List entries with their act, citation, dates, review policy and the source of each fact.

Entries come from the Rulebook (read once and reused: kg.rulebook.Rulebook.read), so every fact
carries the graph that states it and that graph's source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from kg.catalog import CG, InvalidFilterError, LabelIndex, Page, entity_id, entity_iri, rest_query
from kg.exportcontrol import node_facts
from kg.namespaces import ID_BASE
from kg.rdf import fill, sparql_iris
from kg.rulebook import Node, Rulebook
from kg.store import AnyStore, term_text

ENTRY_FACTS = ["listedEntity", "addedBy", "validFrom", "validUntil", "reviewPolicy"]


@dataclass(frozen=True)
class EntryFilter:
    """The filters of the Entity List; None means not filtered.

    ``organisation``: id of the listed organisation; ``country``: ISO 3166-1 alpha-2 code of its
    headquarters; ``rule``: id of the act that added the entry; ``in_force_on``: validFrom <= date
    <= validUntil (open ends allowed).
    """

    organisation: str | None = None
    country: str | None = None
    rule: str | None = None
    in_force_on: date | None = None

    def iris(self) -> tuple[str | None, str | None, str | None]:
        """The IRIs of organisation, country and rule; raises InvalidFilterError for malformed ones."""
        organisation = entity_iri("organization", self.organisation) if self.organisation else None
        rule = entity_iri("act", self.rule) if self.rule else None
        country = None
        if self.country:
            if not re.fullmatch(r"[A-Z]{2}", self.country):
                raise InvalidFilterError("country is an ISO 3166-1 alpha-2 code, such as CN")
            country = f"{ID_BASE}country/{self.country}"
        return organisation, country, rule


def headquarters(store: AnyStore, organisations: set[str]) -> dict[str, dict[str, str]]:
    """The headquarters country (id and label) of each organisation that has one, by IRI."""
    if not organisations:
        return {}
    rows = store.select(fill(rest_query("headquarters"), {"ORGS": sparql_iris(sorted(organisations))}))
    found = {}
    for row in rows:
        country = term_text(row["country"])
        label = term_text(row["countryName"]) if "countryName" in row else entity_id(country)
        found[term_text(row["org"])] = {"id": entity_id(country), "label": label}
    return found


def _matches(
    entry: Node, iris: tuple[str | None, str | None, str | None], on: date | None, countries: dict[str, dict[str, str]]
) -> bool:
    organisation, country, rule = iris
    listed = entry.value("listedEntity")
    if organisation and listed != organisation:
        return False
    if country and (listed is None or countries.get(listed, {}).get("id") != entity_id(country)):
        return False
    if rule and rule not in entry.values("addedBy"):
        return False
    return on is None or entry.valid_on(on)


def entry_json(book: Rulebook, entry: Node, countries: dict[str, dict[str, str]], labels: LabelIndex) -> dict[str, Any]:
    """One entry: organisation, its country, act (with citation), dates, review policy, sourced facts."""
    listed = entry.value("listedEntity")
    return {
        "id": entity_id(entry.iri),
        "label": entry.label,
        "organisation": {"id": entity_id(listed), "label": labels.get(listed, entity_id(listed))} if listed else None,
        "country": countries.get(listed) if listed else None,
        "act": book.rule(entry.value("addedBy")),
        "valid_from": entry.value("validFrom"),
        "valid_until": entry.value("validUntil"),
        "review_policy": [policy.removeprefix(CG) for policy in entry.values("reviewPolicy")],
        "facts": node_facts(book, entry, ENTRY_FACTS),
    }


def entries(store: AnyStore, book: Rulebook, filters: EntryFilter, labels: LabelIndex) -> list[dict[str, Any]]:
    """The entries that match ``filters``, by start date then id; raises InvalidFilterError."""
    iris = filters.iris()
    listed = {iri for entry in book.entries.values() for iri in entry.values("listedEntity")}
    countries = headquarters(store, listed)
    chosen = [entry for entry in book.entries.values() if _matches(entry, iris, filters.in_force_on, countries)]
    chosen.sort(key=lambda entry: (entry.value("validFrom") or "", entry.iri))
    return [entry_json(book, entry, countries, labels) for entry in chosen]


def entry_page(
    store: AnyStore, book: Rulebook, filters: EntryFilter, labels: LabelIndex, offset: int, limit: int
) -> Page:
    """One page of ``entries`` and the total that match."""
    found = entries(store, book, filters, labels)
    return Page(total=len(found), items=found[offset : offset + limit])
