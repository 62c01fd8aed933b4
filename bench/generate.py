"""A synthetic AI-chip ecosystem of a chosen size that conforms to chipgraph's shapes.

Used by every benchmark: countries, chip designers (some owned by others), foundries with
process nodes, chips with figures, legal acts and Entity List entries, spread over source
graphs of about 20 000 triples, each source described in the metadata graph. Deterministic for a
given size and seed.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from kg.gate.changes import Changeset
from kg.namespaces import GRAPH_BASE, ID_BASE, META_GRAPH, ONTOLOGY_NS, SOURCE_BASE

CG = ONTOLOGY_NS
XSD = "http://www.w3.org/2001/XMLSchema#"
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
TRIPLES_PER_CHIP = 13
TRIPLES_PER_GRAPH = 20_000


def node(kind: str, slug: str) -> ox.NamedNode:
    """The entity IRI of a kind and slug."""
    return ox.NamedNode(f"{ID_BASE}{kind}/{slug}")


def cg(name: str) -> ox.NamedNode:
    """An ontology term."""
    return ox.NamedNode(CG + name)


def decimal(value: float) -> ox.Literal:
    """An xsd:decimal literal with one decimal place."""
    return ox.Literal(f"{value:.1f}", datatype=ox.NamedNode(XSD + "decimal"))


def date(year: int, month: int, day: int) -> ox.Literal:
    """An xsd:date literal."""
    return ox.Literal(f"{year:04d}-{month:02d}-{day:02d}", datatype=ox.NamedNode(XSD + "date"))


@dataclass(frozen=True)
class Ecosystem:
    """The synthetic entities a changeset can refer to."""

    designers: list[ox.NamedNode]
    foundries: list[ox.NamedNode]
    nodes: dict[ox.NamedNode, list[ox.NamedNode]]
    countries: list[ox.NamedNode]


def countries() -> Iterator[ox.Triple]:
    """Countries QA, QB, ... (user-assigned ISO codes, so none clashes with a real country)."""
    for letter in string.ascii_uppercase:
        code = "Q" + letter
        country = node("country", code)
        yield from (
            ox.Triple(country, TYPE, cg("Country")),
            ox.Triple(country, LABEL, ox.Literal(f"Country {code}")),
            ox.Triple(country, cg("isoAlpha2"), ox.Literal(code)),
        )


def chip_triples(chip: ox.NamedNode, rng: random.Random, eco: Ecosystem, label: str) -> list[ox.Triple]:
    """The 13 facts of one chip, consistent with each other (stated TPP = FP16 TFLOPS x 16)."""
    foundry = rng.choice(eco.foundries)
    fp16 = rng.uniform(50, 2000)
    return [
        ox.Triple(chip, TYPE, cg(rng.choice(["GPU", "NPU", "AIAccelerator"]))),
        ox.Triple(chip, LABEL, ox.Literal(label)),
        ox.Triple(chip, cg("designedBy"), rng.choice(eco.designers)),
        ox.Triple(chip, cg("manufacturedBy"), foundry),
        ox.Triple(chip, cg("processNode"), rng.choice(eco.nodes[foundry])),
        ox.Triple(chip, cg("releaseDate"), date(rng.randint(2016, 2025), rng.randint(1, 12), rng.randint(1, 28))),
        ox.Triple(chip, cg("denseFP16TFLOPS"), decimal(fp16)),
        ox.Triple(chip, cg("denseINT8TOPS"), decimal(fp16 * 2)),
        ox.Triple(chip, cg("statedTPP"), decimal(round(fp16, 1) * 2 * 8)),
        ox.Triple(chip, cg("memoryGB"), decimal(rng.choice([16, 32, 48, 64, 80, 96, 128, 192]))),
        ox.Triple(chip, cg("memoryBandwidthGBps"), decimal(rng.uniform(300, 8000))),
        ox.Triple(chip, cg("dieAreaMm2"), decimal(rng.uniform(100, 850))),
        ox.Triple(chip, cg("tdpW"), decimal(rng.uniform(50, 1000))),
    ]


def organisations(
    designer_count: int, rng: random.Random, country_nodes: list[ox.NamedNode]
) -> tuple[Ecosystem, list[ox.Triple]]:
    """Designers (a tenth owned by the previous one), foundries with four process nodes each."""
    triples: list[ox.Triple] = []
    designers: list[ox.NamedNode] = []
    foundries: list[ox.NamedNode] = []
    nodes: dict[ox.NamedNode, list[ox.NamedNode]] = {}
    for index in range(designer_count):
        designer = node("organization", f"designer-{index}")
        designers.append(designer)
        triples += [
            ox.Triple(designer, TYPE, cg("ChipDesigner")),
            ox.Triple(designer, LABEL, ox.Literal(f"Designer {index}")),
            ox.Triple(designer, cg("headquarteredIn"), rng.choice(country_nodes)),
        ]
        if index and rng.random() < 0.1:
            triples.append(ox.Triple(designer, cg("subsidiaryOf"), designers[index - 1]))
    for index in range(max(3, designer_count // 20)):
        foundry = node("organization", f"foundry-{index}")
        foundries.append(foundry)
        triples += [
            ox.Triple(foundry, TYPE, cg("Foundry")),
            ox.Triple(foundry, LABEL, ox.Literal(f"Foundry {index}")),
            ox.Triple(foundry, cg("headquarteredIn"), rng.choice(country_nodes)),
        ]
        nodes[foundry] = []
        for size in (3, 5, 7, 14):
            process = node("process-node", f"foundry-{index}-{size}nm")
            nodes[foundry].append(process)
            triples += [
                ox.Triple(process, TYPE, cg("ProcessNode")),
                ox.Triple(process, LABEL, ox.Literal(f"Foundry {index} {size} nm")),
                ox.Triple(process, cg("offeredBy"), foundry),
                ox.Triple(process, cg("nominalSizeNm"), decimal(size)),
            ]
    return Ecosystem(designers, foundries, nodes, country_nodes), triples


def ecosystem(target_triples: int, seed: int = 0) -> tuple[list[ox.Quad], Ecosystem]:
    """About ``target_triples`` stated quads of a conforming ecosystem, and its entities."""
    rng = random.Random(seed)
    chip_count = max(10, target_triples // (TRIPLES_PER_CHIP + 1))
    triples = list(countries())
    country_nodes = [node("country", "Q" + letter) for letter in string.ascii_uppercase[:26]]
    eco, org_triples = organisations(max(5, chip_count // 200), rng, country_nodes)
    triples += org_triples
    for index in range(chip_count):
        triples += chip_triples(node("chip", f"synthetic-{index}"), rng, eco, f"Synthetic chip {index}")
    for index in range(max(1, len(eco.designers) // 20)):
        act = node("act", f"synthetic-act-{index}")
        entry = node("entity-list-entry", f"synthetic-{index}")
        triples += [
            ox.Triple(act, TYPE, cg("Rule")),
            ox.Triple(act, LABEL, ox.Literal(f"Synthetic rule {index}")),
            ox.Triple(act, cg("jurisdiction"), country_nodes[0]),
            ox.Triple(act, cg("publicationDate"), date(2020 + index % 5, 1 + index % 12, 10)),
            ox.Triple(entry, TYPE, cg("EntityListEntry")),
            ox.Triple(entry, cg("listedEntity"), eco.designers[index * 20]),
            ox.Triple(entry, cg("addedBy"), act),
            ox.Triple(entry, cg("validFrom"), date(2020 + index % 5, 1 + index % 12, 10)),
        ]
    return _into_graphs(triples), eco


def _into_graphs(triples: list[ox.Triple]) -> list[ox.Quad]:
    """Spread the triples over source graphs of TRIPLES_PER_GRAPH, each source described."""
    quads: list[ox.Quad] = []
    meta = ox.NamedNode(META_GRAPH)
    for start in range(0, len(triples), TRIPLES_PER_GRAPH):
        slug = f"synthetic-{start // TRIPLES_PER_GRAPH}"
        graph, source = ox.NamedNode(GRAPH_BASE + slug), ox.NamedNode(SOURCE_BASE + slug)
        quads += [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples[start : start + TRIPLES_PER_GRAPH]]
        quads += [
            ox.Quad(source, TYPE, cg("Dataset"), meta),
            ox.Quad(source, TITLE, ox.Literal(f"Synthetic data set {slug}"), meta),
            ox.Quad(source, cg("sourceCitation"), ox.Literal("chipgraph benchmark generator"), meta),
            ox.Quad(graph, ox.NamedNode("http://www.w3.org/ns/prov#hadPrimarySource"), source, meta),
        ]
    return quads


def changeset(eco: Ecosystem, size: int, seed: int) -> Changeset:
    """A changeset of about ``size`` triples: new chips, plus one figure corrected (removed, added)."""
    rng = random.Random(seed)
    add: list[ox.Triple] = []
    index = 0
    while len(add) + TRIPLES_PER_CHIP <= max(size - 2, TRIPLES_PER_CHIP):
        add += chip_triples(node("chip", f"new-{seed}-{index}"), rng, eco, f"New chip {seed}-{index}")
        index += 1
    renamed = eco.designers[seed % len(eco.designers)]
    remove = [ox.Triple(renamed, LABEL, ox.Literal(f"Designer {seed % len(eco.designers)}"))]
    add.append(ox.Triple(renamed, LABEL, ox.Literal(f"Designer {seed % len(eco.designers)} (renamed)")))
    return Changeset(GRAPH_BASE + "synthetic-0", frozenset(add), frozenset(remove), "bench", "synthetic change")
