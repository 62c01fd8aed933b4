"""The data of the charts: chips by TPP, performance density and date, and the 3A090-style thresholds.

Thresholds are the classification criteria of the graph (cg:minTPP, cg:maxTPP,
cg:minPerformanceDensity, cg:maxPerformanceDensity), each a region of the TPP x density plane
with the dates it is in force; nothing about the rules is written here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kg.catalog import entity_id, rest_query
from kg.exportcontrol import BOUNDS
from kg.namespaces import ONTOLOGY_NS
from kg.rulebook import Rulebook
from kg.store import AnyStore, term_text

PLANE = {"tpp", "performance_density"}  # the figures the TPP x density chart can draw


def chart_chips(store: AnyStore) -> list[dict[str, Any]]:
    """Every chip with a computed TPP: id, name, TPP, density, first date, designer and its country."""
    chips = []
    for row in store.select(rest_query("chart-chips")):
        text = {name: term_text(value) for name, value in row.items()}
        chips.append(
            {
                "id": entity_id(text["chip"]),
                "label": text.get("label", entity_id(text["chip"])),
                "tpp": float(text["tpp"]),
                "performance_density": float(text["density"]) if "density" in text else None,
                "date": text.get("date"),
                "designer": _ref(text.get("designer"), text.get("designerName")),
                "country": _ref(text.get("country"), text.get("countryName")),
            }
        )
    return chips


def _ref(iri: str | None, label: str | None) -> dict[str, str] | None:
    return None if iri is None else {"id": entity_id(iri), "label": label or entity_id(iri)}


def thresholds(book: Rulebook) -> list[dict[str, Any]]:
    """Every classification criterion that bounds TPP or density only: region, ECCN, dates, segments.

    A criterion that also tests another figure (such as chip-to-chip bandwidth) cannot be drawn on
    the plane and is left out.
    """
    regions = []
    for criterion in sorted(book.criteria.values(), key=lambda node: node.iri):
        bounds = {prop: float(value) for prop in BOUNDS if (value := criterion.value(prop)) is not None}
        if not bounds or {BOUNDS[prop][0] for prop in bounds} - PLANE:
            continue
        classification = book.classification_of(criterion)
        if classification is None:  # a licence exception's eligibility, not a classification
            continue
        regions.append(
            {
                "id": entity_id(criterion.iri),
                "label": criterion.label,
                "eccn": classification.value("eccnCode"),
                "bounds": bounds,
                "valid_from": criterion.value("validFrom"),
                "valid_until": criterion.value("validUntil"),
                "only_for_segment": [v.removeprefix(ONTOLOGY_NS) for v in criterion.values("onlyForMarketSegment")],
            }
        )
    return regions


def in_force(regions: list[dict[str, Any]], on: date) -> list[dict[str, Any]]:
    """The regions whose criterion is in force on ``on`` (both ends inclusive)."""
    day = on.isoformat()
    return [r for r in regions if (r["valid_from"] or day) <= day <= (r["valid_until"] or day)]
