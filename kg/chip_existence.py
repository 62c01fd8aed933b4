"""When a chip became public, and what an export-status answer says on a date before that.

A chip is public from the earliest announcement or release date any source states for it. On an
earlier date there is nothing to export: the answer says so (verdict ``not-yet-public``) with
that date and its source, instead of classifying a chip that did not exist. A chip with no date
recorded is reasoned about as usual, with an informational finding saying its existence on the
date could not be checked.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from kg.catalog import entity_id
from kg.exportcontrol import FactUse, Finding
from kg.namespaces import ONTOLOGY_NS
from kg.rdf import fill, sparql_iri
from kg.rulebook import Rulebook, query
from kg.store import AnyStore, term_text

NOT_YET_PUBLIC = "chip-not-yet-public"
UNDATED = "chip-undated"
WHAT = {"announcementDate": "announcement", "releaseDate": "release"}


@dataclass(frozen=True)
class ChipDate:
    """One stated announcement or release date of a chip and the graph stating it."""

    day: datetime.date
    prop: str
    graph: str

    @property
    def what(self) -> str:
        """'announcement' or 'release'."""
        return WHAT[self.prop.removeprefix(ONTOLOGY_NS)]


def chip_dates(store: AnyStore, chip: str) -> list[ChipDate]:
    """Every announcement and release date stated for ``chip`` (well-formed dates only), earliest first."""
    dates = []
    for row in store.select(fill(query("dates"), {"CHIP": sparql_iri(chip)})):
        try:
            day = datetime.date.fromisoformat(term_text(row["day"]))
        except ValueError:
            continue
        dates.append(ChipDate(day, term_text(row["p"]), term_text(row["g"])))
    return sorted(dates, key=lambda d: (d.day, d.prop, d.graph))


def first_public(dates: list[ChipDate]) -> list[ChipDate]:
    """The statements of the earliest date (several when sources or properties agree on it)."""
    return [d for d in dates if d.day == dates[0].day] if dates else []


def existence_finding(
    book: Rulebook, chip: str, label: str, dates: list[ChipDate], on: datetime.date
) -> Finding | None:
    """A finding when ``chip`` (named ``label``) was not public yet on ``on``, or has no date at all; else None."""
    if not dates:
        return Finding(
            kind=UNDATED,
            outcome="informational",
            rule=book.rule(None),
            subject={"id": entity_id(chip), "label": label},
            valid_from=None,
            valid_until=None,
            explanation="No announcement or release date is recorded for the chip, so whether it existed "
            f"on {on.isoformat()} is not checked.",
            facts=[],
            missing=["the chip's announcement or release date (cg:announcementDate, cg:releaseDate)"],
        )
    earliest = first_public(dates)
    if on >= earliest[0].day:
        return None
    sources = "; ".join(f"{d.what} date stated by {book.source_of(d.graph)['title']}" for d in earliest)
    return Finding(
        kind=NOT_YET_PUBLIC,
        outcome="applies",
        rule=book.rule(None),
        subject={"id": entity_id(chip), "label": label},
        valid_from=earliest[0].day.isoformat(),
        valid_until=None,
        explanation=f"The chip was not public yet on {on.isoformat()}: the earliest date recorded for it is "
        f"{earliest[0].day.isoformat()} ({sources}). No rule is applied to a chip before it exists; ask for a "
        "date on or after that one.",
        facts=[FactUse(chip, d.prop, d.day.isoformat(), d.graph).to_json(book) for d in earliest],
    )
