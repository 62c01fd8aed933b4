"""Export status of many chips at once: the chips the /chips filters select, one verdict each.

Each row calls kg.export_status.export_status with one Rulebook read for the whole list, and
keeps the verdict, what is missing and the findings that decide it (with their rules).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kg.catalog import ChipFilter, NotFoundError, Page, entity_iri, list_chips
from kg.export_status import country_iri, export_status
from kg.exportcontrol import ExportStatus, Finding
from kg.namespaces import ONTOLOGY_NS
from kg.rdf import sparql_iri
from kg.rulebook import Rulebook
from kg.store import AnyStore

# The outcome of the findings that decide each verdict (the chip-not-yet-public finding "applies").
DECIDING = {
    "licence-required": "applies",
    "notification-required": "applies",
    "licence-exception": "applies",
    "not-yet-public": "applies",
    "undetermined": "undetermined",
}


def reasons(status: ExportStatus) -> list[Finding]:
    """The findings behind the verdict.

    Those that apply (a requirement, the exception that lifts it, a listed buyer, or the chip not
    being public yet) or, for an undetermined verdict, those that are undetermined.
    """
    outcome = DECIDING.get(status.verdict)
    return [finding for finding in status.findings if finding.kind != "classification" and finding.outcome == outcome]


def status_row(status: ExportStatus) -> dict[str, Any]:
    """One chip's row: the chip, its verdict, what is missing, and each deciding finding's rule."""
    return {
        "chip": status.chip,
        "verdict": status.verdict,
        "confidence": status.confidence,
        "missing": status.missing,
        "reasons": [
            {"kind": finding.kind, "outcome": finding.outcome, "subject": finding.subject, "rule": finding.rule}
            for finding in reasons(status)
        ],
    }


def _exists(store: AnyStore, iri: str, class_name: str) -> bool:
    return bool(store.query(f"ASK {{ {sparql_iri(iri)} a {sparql_iri(ONTOLOGY_NS + class_name)} }}"))


def check_parties(store: AnyStore, destination: str, buyer: str | None) -> None:
    """Raise InvalidFilterError for a malformed destination or buyer, NotFoundError for unknown ones."""
    where = country_iri(destination)
    if not _exists(store, where, "Country"):
        raise NotFoundError(where)
    if buyer is not None and not _exists(store, entity_iri("organization", buyer), "Organization"):
        raise NotFoundError(entity_iri("organization", buyer))


def export_statuses(
    store: AnyStore,
    filters: ChipFilter,
    destination: str,
    on: date,
    offset: int,
    limit: int,
    *,
    buyer: str | None = None,
    book: Rulebook | None = None,
) -> Page:
    """One page of the chips ``filters`` selects (sorted as /chips), each with its export status.

    Raises InvalidFilterError for a malformed filter, destination or buyer, NotFoundError for an
    unknown destination or buyer.
    """
    check_parties(store, destination, buyer)
    chips = list_chips(store, filters, offset, limit)
    book = book or Rulebook.read(store)
    rows = []
    for chip in chips.items:
        slug = chip["id"].removeprefix("chip/")
        rows.append(status_row(export_status(store, slug, destination, on, buyer=buyer, book=book)))
    return Page(total=chips.total, items=rows)
