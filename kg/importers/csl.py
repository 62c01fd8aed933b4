"""The US Consolidated Screening List (trade.gov CSV): its Entity List rows as Entity List entries.

Only rows whose `source` is the BIS Entity List are imported; the others are skipped with the
reason. The listed organisation is reconciled by name and `alt_names` (semicolon-separated);
the act by its Federal Register citation (an act already in the graph citing it, else a new
rule); an existing entry for the same organisation and start date is matched, not duplicated.
The licence policy becomes a review policy where it says "presumption of denial" or
"case-by-case"; the requirement and policy texts are kept as a comment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyoxigraph as ox

from kg.catalog import entity_id
from kg.importers.common import (
    ALT_LABEL,
    LABEL,
    RDF_TYPE,
    XSD,
    Dataset,
    ImportReport,
    Reconciler,
    cg,
    count_rows,
    entity,
    parse_date,
    read_csv,
    slugify,
)
from kg.store import AnyStore, term_text

DATASET = Dataset(
    stem="csl",
    title="Consolidated Screening List (Entity List rows), imported",
    publisher="International Trade Administration, US Department of Commerce",
    licence="US Government work (public domain in the United States)",
    url="https://www.trade.gov/consolidated-screening-list",
    citation="Consolidated Screening List, trade.gov; rows of the Entity List (Bureau of Industry and Security).",
    confidence="Official",
)
ENTITY_LIST = "Entity List (EL) - Bureau of Industry and Security"
REQUIRED = ["source", "name", "alt_names", "federal_register_notice", "start_date", "end_date", "license_policy"]
LISTS = {"alt_names": ";"}  # a column naming several names, and its separator
POLICIES = {"presumption of denial": "PresumptionOfDenial", "case-by-case": "CaseByCase", "case by case": "CaseByCase"}
BIS, US = entity("organization", "bis"), entity("country", "US")


@dataclass
class Context:
    """What one import run shares between rows."""

    organisations: Reconciler
    acts: dict[str, str]  # citation -> act IRI
    entries: dict[tuple[str, str], str]  # (organisation IRI, start date) -> entry IRI
    report: ImportReport
    triples: set[ox.Triple]


def count(path: Path) -> int:
    """How many rows the file has (for the progress display)."""
    return count_rows(path, REQUIRED, LISTS)


def run(
    store: AnyStore, path: Path, report: ImportReport, tick: Callable[[], None]
) -> tuple[set[ox.Triple], date | None]:
    """The triples of the Entity List rows of a CSL file; raises ImportFileError if it cannot be read."""
    _, rows = read_csv(path, REQUIRED, LISTS)
    context = Context(Reconciler(store, "organization", "Organization"), acts(store), entries(store), report, set())
    for number, row in enumerate(rows, start=2):
        report.rows_read += 1
        convert_row(context, number, row)
        tick()
    return context.triples, None


def acts(store: AnyStore) -> dict[str, str]:
    """Every act's citation -> the act."""
    rows = store.select(f"SELECT ?act ?citation WHERE {{ ?act <{cg('citation').value}> ?citation }}")
    return {term_text(row["citation"]): term_text(row["act"]) for row in rows}


def entries(store: AnyStore) -> dict[tuple[str, str], str]:
    """Every Entity List entry by (listed organisation, start date)."""
    rows = store.select(
        f"SELECT ?entry ?org ?from WHERE {{ ?entry <{cg('listedEntity').value}> ?org ; "
        f"<{cg('validFrom').value}> ?from }}"
    )
    return {(term_text(row["org"]), term_text(row["from"])): term_text(row["entry"]) for row in rows}


def convert_row(context: Context, number: int, row: dict[str, str]) -> None:
    """One row: skip what is not an Entity List entry, else reconcile and state the entry."""
    name, report = (row.get("name") or "").strip(), context.report
    if (row.get("source") or "").strip() != ENTITY_LIST:
        report.skip(number, name, f"not an Entity List row (source: {row.get('source') or 'none'})")
        return
    if not name:
        report.skip(number, name, "no name")
        return
    citation = (row.get("federal_register_notice") or "").strip()
    try:
        start, end = parse_date(row.get("start_date") or ""), parse_date(row.get("end_date") or "")
    except ValueError as error:
        report.skip(number, name, f"a date is malformed: {error}")
        return
    if not citation or start is None:
        report.skip(number, name, "no Federal Register citation or start date")
        return
    organisation = listed(context, number, name, row)
    if organisation is not None:
        state_entry(context, organisation, name, citation, start, end, row)


def listed(context: Context, number: int, name: str, row: dict[str, str]) -> str | None:
    """The listed organisation, matched by name then alternative names, or created."""
    aliases = [alias.strip() for alias in (row.get("alt_names") or "").split(LISTS["alt_names"]) if alias.strip()]
    matches = [context.organisations.match(candidate) for candidate in [name, *aliases]]
    known = [match for match in matches if match.how in ("alias", "name")]
    report = context.report
    if known:
        report.matched["organization"] += 1
        iri = known[0].iri
        assert iri is not None
    elif any(match.how == "uncertain" for match in matches):
        candidates = sorted({c for match in matches for c in match.candidates})
        report.review.append({"row": number, "name": name, "kind": "organization", "candidates": candidates})
        report.skip(number, name, f"uncertain organisation match ({', '.join(map(entity_id, candidates))})")
        return None
    else:
        iri = f"{entity('organization', slugify(name)).value}"
        report.created["organization"] += 1
        node = ox.NamedNode(iri)
        context.triples |= {ox.Triple(node, RDF_TYPE, cg("Company")), ox.Triple(node, LABEL, ox.Literal(name))}
        context.organisations.remember(name, iri)
    node = ox.NamedNode(iri)
    for alias in aliases:
        if alias not in context.organisations.labels.get(iri, set()):
            context.triples.add(ox.Triple(node, ALT_LABEL, ox.Literal(alias)))
    return iri


def act_for(context: Context, citation: str, start: date) -> ox.NamedNode:
    """The act with this citation, or a new rule naming it."""
    if citation in context.acts:
        return ox.NamedNode(context.acts[citation])
    node = entity("act", "fr-" + slugify(citation))
    context.acts[citation] = node.value
    context.triples |= {
        ox.Triple(node, RDF_TYPE, cg("Rule")),
        ox.Triple(node, LABEL, ox.Literal(f"Entity List rule {citation}")),
        ox.Triple(node, cg("citation"), ox.Literal(citation)),
        ox.Triple(node, cg("issuedBy"), BIS),
        ox.Triple(node, cg("jurisdiction"), US),
        ox.Triple(node, cg("effectiveDate"), ox.Literal(start.isoformat(), datatype=ox.NamedNode(XSD + "date"))),
    }
    return node


def state_entry(
    context: Context, organisation: str, name: str, citation: str, start: date, end: date | None, row: dict[str, str]
) -> None:
    """The Entity List entry: matched with an existing one for the same organisation and date, or new."""
    key = (organisation, start.isoformat())
    existing = context.entries.get(key)
    report = context.report
    if existing is None:
        node = entity("entity-list-entry", f"{slugify(entity_id(organisation).split('/')[-1])}-{start.year}-csl")
        context.entries[key] = node.value
        report.created["entity-list-entry"] += 1
        context.triples |= {
            ox.Triple(node, RDF_TYPE, cg("EntityListEntry")),
            ox.Triple(node, LABEL, ox.Literal(f"Entity List entry: {name} ({start.year})")),
            ox.Triple(node, cg("listedEntity"), ox.NamedNode(organisation)),
            ox.Triple(node, cg("addedBy"), act_for(context, citation, start)),
            ox.Triple(node, cg("validFrom"), ox.Literal(start.isoformat(), datatype=ox.NamedNode(XSD + "date"))),
        }
    else:
        node = ox.NamedNode(existing)
        report.matched["entity-list-entry"] += 1
    if end is not None:
        context.triples.add(
            ox.Triple(node, cg("validUntil"), ox.Literal(end.isoformat(), datatype=ox.NamedNode(XSD + "date")))
        )
    policy = (row.get("license_policy") or "").strip()
    for words, individual in POLICIES.items():
        if words in policy.lower():
            context.triples.add(ox.Triple(node, cg("reviewPolicy"), cg(individual)))
    requirement = (row.get("license_requirement") or "").strip()
    if policy or requirement:
        text = f"Licence requirement: {requirement or 'not given'} Licence policy: {policy or 'not given'}"
        context.triples.add(
            ox.Triple(node, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"), ox.Literal(text))
        )
