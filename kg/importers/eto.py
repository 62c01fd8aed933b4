"""ETO's Advanced Semiconductor Supply Chain Dataset (a folder of CSV files, CC BY-NC 4.0).

stages.csv and inputs.csv become supply-chain stages and inputs (tools, materials, processes,
design resources); sequence.csv says which input feeds into which and which is a kind of which;
providers.csv mixes countries (ISO alpha-3, matched to our countries or created with their
ISO codes) and organisations (matched by ETO id, the alias table, names and aliases, or created
with their headquarters country); provision.csv says who provides what, with the market share
(percent, given as text) and its year. Aggregates ("Various countries", "Europe") are skipped
with the reason, as are provisions whose provider or input was skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pycountry
import pyoxigraph as ox

from kg.importers.common import (
    ALT_LABEL,
    LABEL,
    RDF_TYPE,
    XSD,
    Dataset,
    ImportFileError,
    ImportReport,
    Reconciler,
    cg,
    decimal_literal,
    entity,
    parse_number,
    read_csv,
    slugify,
)
from kg.store import AnyStore, term_text

DATASET = Dataset(
    stem="eto-supply-chain",
    title="Advanced Semiconductor Supply Chain Dataset, imported",
    publisher="Emerging Technology Observatory, Center for Security and Emerging Technology, Georgetown University",
    licence="CC BY-NC 4.0",
    url="https://eto.tech/dataset-docs/chipexplorer",
    citation="ETO Advanced Semiconductor Supply Chain Dataset (stages, inputs, sequence, providers, provision), "
    "imported by chipgraph; shares in percent of the world market in the year given.",
)
FILES = {
    "stages.csv": ["stage_id", "stage_name"],
    "inputs.csv": ["input_id", "input_name", "type", "stage_id"],
    "sequence.csv": ["input_id", "goes_into_id", "is_type_of_id"],
    "providers.csv": ["provider_name", "alias", "provider_id", "provider_type", "country"],
    "provision.csv": ["provider_id", "provided_id", "share_provided", "year", "source"],
}
LISTS = {"alias": ";"}  # providers.csv: a column naming several names, and its separator
INPUT_CLASSES = {
    "tool_resource": "ProductionTool",
    "material_resource": "ProductionMaterial",
    "process": "ProductionProcess",
    "design_resource": "DesignResource",
}
COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")


@dataclass
class Context:
    """What one import run shares between files."""

    store: AnyStore
    report: ImportReport
    tick: Callable[[], None]
    triples: set[ox.Triple] = field(default_factory=set)
    stages: dict[str, ox.NamedNode] = field(default_factory=dict)
    inputs: dict[str, ox.NamedNode] = field(default_factory=dict)
    providers: dict[str, ox.NamedNode] = field(default_factory=dict)
    countries: dict[str, str] = field(default_factory=dict)  # alpha-3 -> IRI


def read_all(path: Path) -> dict[str, list[dict[str, str]]]:
    """Every file of the data set folder; raises ImportFileError if one is missing or malformed."""
    if not path.is_dir():
        raise ImportFileError(f"{path}: the ETO data set is a folder of CSV files ({', '.join(FILES)})")
    return {name: read_csv(path / name, columns, LISTS)[1] for name, columns in FILES.items()}


def count(path: Path) -> int:
    """How many rows the files have (for the progress display)."""
    return sum(len(rows) for rows in read_all(path).values())


def run(
    store: AnyStore, path: Path, report: ImportReport, tick: Callable[[], None]
) -> tuple[set[ox.Triple], date | None]:
    """The triples of the data set folder; raises ImportFileError if a file cannot be read."""
    files = read_all(path)
    context = Context(store, report, tick, countries=known_countries(store))
    stages(context, files["stages.csv"])
    inputs(context, files["inputs.csv"])
    sequence(context, files["sequence.csv"])
    providers(context, files["providers.csv"])
    provisions(context, files["provision.csv"])
    return context.triples, None


def known_countries(store: AnyStore) -> dict[str, str]:
    """Our countries by ISO alpha-3 code."""
    rows = store.select(f"SELECT ?c ?code WHERE {{ ?c <{cg('isoAlpha3').value}> ?code }}")
    return {term_text(row["code"]): term_text(row["c"]) for row in rows}


def _row(context: Context) -> None:
    context.report.rows_read += 1
    context.tick()


def stages(context: Context, rows: list[dict[str, str]]) -> None:
    """Supply-chain stages."""
    for row in rows:
        _row(context)
        node = entity("supply-chain-stage", slugify(row["stage_name"]))
        context.stages[row["stage_id"]] = node
        context.report.created["supply-chain-stage"] += 1
        context.triples |= {
            ox.Triple(node, RDF_TYPE, cg("SupplyChainStage")),
            ox.Triple(node, LABEL, ox.Literal(row["stage_name"])),
            ox.Triple(node, cg("etoId"), ox.Literal(row["stage_id"])),
        }


def inputs(context: Context, rows: list[dict[str, str]]) -> None:
    """Supply-chain inputs, typed by their ETO type, with their stage and description."""
    for number, row in enumerate(rows, start=2):
        _row(context)
        name = row["input_name"].strip()
        if not name or not row["input_id"].strip():
            context.report.skip(number, name, "inputs.csv: no name or id")
            continue
        node = entity("supply-chain-input", slugify(name))
        context.inputs[row["input_id"]] = node
        context.report.created["supply-chain-input"] += 1
        context.triples |= {
            ox.Triple(node, RDF_TYPE, cg(INPUT_CLASSES.get(row["type"], "SupplyChainInput"))),
            ox.Triple(node, LABEL, ox.Literal(name)),
            ox.Triple(node, cg("etoId"), ox.Literal(row["input_id"])),
        }
        if row["stage_id"] in context.stages:
            context.triples.add(ox.Triple(node, cg("inStage"), context.stages[row["stage_id"]]))
        if (row.get("description") or "").strip():
            context.triples.add(ox.Triple(node, COMMENT, ox.Literal(row["description"].strip())))


def sequence(context: Context, rows: list[dict[str, str]]) -> None:
    """Which input feeds into which, and which is a kind of which."""
    for number, row in enumerate(rows, start=2):
        _row(context)
        source = context.inputs.get(row["input_id"])
        if source is None:
            context.report.skip(number, row.get("input_name", ""), f"sequence.csv: unknown input {row['input_id']}")
            continue
        for column, prop in (("goes_into_id", "feedsInto"), ("is_type_of_id", "kindOf")):
            target = row[column].strip()
            if target and target in context.inputs:
                context.triples.add(ox.Triple(source, cg(prop), context.inputs[target]))
            elif target:
                context.report.skip(number, row.get("input_name", ""), f"sequence.csv: unknown input {target}")


def country(context: Context, code: str, alias: str = "") -> str | None:
    """Our country with this ISO alpha-3 code, created (with its alpha-2 code) if needed; None if not a country."""
    if code in context.countries:
        return context.countries[code]
    found = pycountry.countries.get(alpha_3=code) if len(code) == 3 else None
    if found is None:
        return None
    node = entity("country", found.alpha_2)
    context.countries[code] = node.value
    context.report.created["country"] += 1
    context.triples |= {
        ox.Triple(node, RDF_TYPE, cg("Country")),
        ox.Triple(node, LABEL, ox.Literal(alias or getattr(found, "common_name", found.name))),
        ox.Triple(node, cg("isoAlpha2"), ox.Literal(found.alpha_2)),
        ox.Triple(node, cg("isoAlpha3"), ox.Literal(found.alpha_3)),
    }
    return node.value


def providers(context: Context, rows: list[dict[str, str]]) -> None:
    """Providers: countries, and organisations reconciled by ETO id, alias table, names and aliases."""
    organisations = Reconciler(context.store, "organization", "Organization")
    by_eto_id = {
        term_text(row["o"]): term_text(row["id"])
        for row in context.store.select(
            f"SELECT ?o ?id WHERE {{ ?o a <{cg('Organization').value}> ; <{cg('etoId').value}> ?id }}"
        )
    }
    known_ids = {eto: iri for iri, eto in by_eto_id.items()}
    for number, row in enumerate(rows, start=2):
        _row(context)
        name, eto_id = row["provider_name"].strip(), row["provider_id"].strip()
        if row["provider_type"] == "country":
            iri = country(context, name, row["alias"].strip())
            if iri is None:
                context.report.skip(number, name, "providers.csv: not a country (an aggregate such as Europe)")
                continue
            context.providers[eto_id] = ox.NamedNode(iri)
            continue
        organisation(context, organisations, known_ids, number, row)


def organisation(
    context: Context, organisations: Reconciler, known_ids: dict[str, str], number: int, row: dict[str, str]
) -> None:
    """One organisation provider: matched (ETO id first) or created with its headquarters country."""
    name, eto_id, report = row["provider_name"].strip(), row["provider_id"].strip(), context.report
    names = [name] + [alias.strip() for alias in row["alias"].split(LISTS["alias"]) if alias.strip()]
    iri: str | None
    if eto_id in known_ids:
        iri, how = known_ids[eto_id], "id"
    else:
        matches = [organisations.match(candidate) for candidate in names]
        known = [match for match in matches if match.how in ("alias", "name")]
        if not known and any(match.how == "uncertain" for match in matches):
            candidates = sorted({c for match in matches for c in match.candidates})
            report.review.append({"row": number, "name": name, "kind": "organization", "candidates": candidates})
            report.skip(number, name, "providers.csv: uncertain organisation match: add it to data/aliases.csv")
            return
        iri, how = (known[0].iri, "name") if known else (matches[0].iri, "new")
    assert iri is not None
    node = ox.NamedNode(iri)
    context.providers[eto_id] = node
    context.triples.add(ox.Triple(node, cg("etoId"), ox.Literal(eto_id)))
    if how == "new":
        organisations.remember(name, iri)
        report.created["organization"] += 1
        context.triples |= {ox.Triple(node, RDF_TYPE, cg("Company")), ox.Triple(node, LABEL, ox.Literal(name))}
        home = country(context, row["country"].strip()) if row["country"].strip() else None
        if home is not None:
            context.triples.add(ox.Triple(node, cg("headquarteredIn"), ox.NamedNode(home)))
    else:
        report.matched["organization"] += 1
    for alias in names[1:]:
        if alias not in organisations.labels.get(iri, set()):
            context.triples.add(ox.Triple(node, ALT_LABEL, ox.Literal(alias)))


def provisions(context: Context, rows: list[dict[str, str]]) -> None:
    """Who provides which input (or a whole stage), with the market share (percent) and its year."""
    for number, row in enumerate(rows, start=2):
        _row(context)
        provider = context.providers.get(row["provider_id"])
        provided = context.inputs.get(row["provided_id"]) or context.stages.get(row["provided_id"])
        name = f"{row.get('provider_name', '')} -> {row.get('provided_name', '')}"
        if provider is None or provided is None:
            missing = row["provider_id"] if provider is None else row["provided_id"]
            context.report.skip(number, name, f"provision.csv: provider or input {missing} was not imported")
            continue
        year = row["year"].strip()
        node = entity("provision", f"eto-{row['provider_id']}-{row['provided_id']}-{year or 'undated'}".lower())
        context.report.created["provision"] += 1
        context.triples |= {
            ox.Triple(node, RDF_TYPE, cg("Provision")),
            ox.Triple(node, cg("provider"), provider),
            ox.Triple(node, cg("providedInput"), provided),
        }
        try:
            share = parse_number(row["share_provided"])
        except ValueError as error:
            context.report.notes.append(f"provision.csv row {number}: share: {error}; left out")
            share = None
        if share is not None:
            context.triples.add(ox.Triple(node, cg("marketSharePercent"), decimal_literal(share)))
        if year.isdigit():
            context.triples.add(
                ox.Triple(node, cg("shareYear"), ox.Literal(year, datatype=ox.NamedNode(XSD + "integer")))
            )
        if row["source"].strip():
            context.triples.add(ox.Triple(node, COMMENT, ox.Literal(f"Source of the share: {row['source'].strip()}")))
