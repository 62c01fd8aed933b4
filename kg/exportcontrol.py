"""Export-control reasoning: a chip's metrics, its classification on a date, and its status.

The metrics (TPP, performance density) are computed at every merge into the derived graph
(kg/gate/derivations/); here they are read with the stated facts they came from. Thresholds, dates,
destinations and Entity List entries are data (kg/rulebook.py). ``export_status`` answers "may
this chip go to that country on that date" as findings, each naming its rule and the source of
every fact it used, and a verdict: licence-required, not-required or undetermined (naming what is
missing). Nothing is assumed: an unknown figure makes a test undetermined, never zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from kg.catalog import entity_id
from kg.namespaces import ONTOLOGY_NS
from kg.rdf import fill, sparql_iri
from kg.rulebook import Node, Rulebook, query
from kg.store import AnyStore, term_text

CG = ONTOLOGY_NS
# What each threshold property of a criterion tests: (figure, comparison).
BOUNDS = {
    "minTPP": ("tpp", ">="),
    "maxTPP": ("tpp", "<"),
    "minPerformanceDensity": ("performance_density", ">="),
    "maxPerformanceDensity": ("performance_density", "<"),
    "minInterconnectBandwidthGBps": ("interconnect_gbps", ">="),
}
FIGURE_NAMES = {
    "tpp": "total processing performance",
    "performance_density": "performance density",
    "interconnect_gbps": "chip-to-chip bandwidth (GB/s)",
}
MISSING = {
    "tpp": "dense throughput figures (cg:denseFP16TFLOPS, cg:denseINT8TOPS, ...) to compute the TPP",
    "performance_density": "die area (cg:dieAreaMm2) to compute the performance density",
    "interconnect_gbps": "chip-to-chip bandwidth (cg:interconnectBandwidthGBps)",
}
OUTCOME = {True: "applies", False: "does-not-apply", None: "undetermined"}
SEGMENT_LIMITS = ["onlyForMarketSegment", "excludedMarketSegment"]
SEGMENT_MISSING = (
    "the chip's market segment (cg:marketSegment): whether it is designed or marketed for use in datacenters"
)


@dataclass(frozen=True)
class FactUse:
    """One stated fact a conclusion used: whose, which property, which value, which graph."""

    subject: str
    prop: str
    value: str
    graph: str

    def to_json(self, book: Rulebook) -> dict[str, Any]:
        """The fact with its source, as the API shows it."""
        return {
            "subject": entity_id(self.subject),
            "property": _short(self.prop),
            "value": self.value,
            "graph": self.graph,
            "source": book.source_of(self.graph),
            "confidence": book.confidence.describe(self.subject, self.prop, self.value, self.graph),
        }


def _short(prop: str) -> str:
    return "cg:" + prop[len(CG) :] if prop.startswith(CG) else prop


@dataclass
class Figure:
    """A figure the rules test: its value (None when unknown), the facts behind it, how it was got."""

    name: str
    value: Decimal | None
    facts: list[FactUse] = field(default_factory=list)
    method: str = ""
    # When sources disagree: every stated value with the statements of it (empty otherwise).
    alternatives: dict[Decimal, list[FactUse]] = field(default_factory=dict)

    @property
    def disputed(self) -> bool:
        """Whether sources state different values of this figure."""
        return len(self.alternatives) > 1

    def dispute_text(self) -> str:
        """The values sources give, each with its graphs, e.g. '300 (graph:a), 400 (graph:b)'."""
        return ", ".join(
            f"{_number(value)} ({', '.join(sorted({fact.graph.rsplit('/', 1)[-1] for fact in facts}))})"
            for value, facts in sorted(self.alternatives.items())
        )

    def to_json(self, book: Rulebook) -> dict[str, Any]:
        """The figure as the API shows it."""
        return {
            "name": self.name,
            "value": float(self.value) if self.value is not None else None,
            "status": "known" if self.value is not None else "undetermined",
            "method": self.method,
            "missing": [] if self.value is not None else [MISSING[self.name]],
            "facts": [fact.to_json(book) for fact in self.facts],
            "disputed": [
                {"value": float(value), "facts": [fact.to_json(book) for fact in facts]}
                for value, facts in sorted(self.alternatives.items())
            ]
            if self.disputed
            else [],
        }


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def chip_figures(store: AnyStore, chip: str) -> dict[str, Figure]:
    """TPP, performance density and chip-to-chip bandwidth of ``chip`` with the facts behind each."""
    rows = store.select(fill(query("figures"), {"CHIP": sparql_iri(chip)}))
    found: dict[str, tuple[Decimal, list[FactUse]]] = {}
    links: dict[Decimal, list[FactUse]] = {}
    for row in rows:
        name, value = term_text(row["figure"]), _decimal(term_text(row["value"]))
        if value is None:
            continue
        fact = FactUse(chip, term_text(row["p"]), term_text(row["v"]), term_text(row["g"]))
        if name == CG + "interconnectBandwidthGBps" and fact not in links.setdefault(value, []):
            links[value].append(fact)
        best = found.get(name)
        if best is None or value > best[0]:
            found[name] = (value, [fact])
        elif value == best[0] and fact not in best[1]:
            best[1].append(fact)
    figures = _figures(found)
    if len(links) > 1:
        link = figures["interconnect_gbps"]
        link.alternatives = links
        link.facts = [fact for value in sorted(links) for fact in links[value]]
        link.method = (
            f"sources disagree ({link.dispute_text()}): each value is tested; where the choice changes a test, "
            "the test is undetermined"
        )
    return figures


def _figures(found: dict[str, tuple[Decimal, list[FactUse]]]) -> dict[str, Figure]:
    figures = {name: Figure(name, None) for name in FIGURE_NAMES}
    if CG + "computedTPP" in found:
        value, facts = found[CG + "computedTPP"]
        figures["tpp"] = Figure("tpp", value, facts, "max over dense throughput figures of TOPS x operand bit length")
    elif CG + "statedTPP" in found:
        value, facts = found[CG + "statedTPP"]
        figures["tpp"] = Figure("tpp", value, facts, "stated by a source; no throughput figures to compute it from")
    if CG + "computedPerformanceDensity" in found and CG + "computedTPP" in found:
        value, facts = found[CG + "computedPerformanceDensity"]
        tpp_facts = found[CG + "computedTPP"][1]
        figures["performance_density"] = Figure(
            "performance_density", value, facts + tpp_facts, "computed TPP / smallest stated die area (mm2)"
        )
    if CG + "interconnectBandwidthGBps" in found:
        value, facts = found[CG + "interconnectBandwidthGBps"]
        figures["interconnect_gbps"] = Figure("interconnect_gbps", value, facts, "largest stated figure")
    return figures


# A chip's stated market segments: segment IRI -> the statements of it (empty: no segment stated).
Segments = dict[str, list[FactUse]]


def chip_segments(store: AnyStore, chip: str) -> Segments:
    """The market segments sources state for ``chip``, each with its statements."""
    segments: Segments = {}
    for row in store.select(fill(query("segments"), {"CHIP": sparql_iri(chip)})):
        segment = term_text(row["segment"])
        segments.setdefault(segment, []).append(FactUse(chip, CG + "marketSegment", segment, term_text(row["g"])))
    return segments


def segments_from_facts(chip: str, facts: dict[str, list[dict[str, Any]]]) -> Segments:
    """The market segments from an entity's facts as kg.catalog.facts gives them."""
    return {
        fact["value"]: [FactUse(chip, CG + "marketSegment", fact["value"], graph) for graph in fact["graphs"]]
        for fact in facts.get("cg:marketSegment", [])
    }


@dataclass
class CriterionCheck:
    """One criterion tested against a chip's figures: met (True), not met (False) or undetermined (None)."""

    criterion: Node
    met: bool | None
    tests: list[str]
    missing: list[str]
    figures_used: list[Figure]
    facts_used: list[FactUse] = field(default_factory=list)


def check_criterion(criterion: Node, figures: dict[str, Figure], segments: Segments | None = None) -> CriterionCheck:
    """Test every threshold of ``criterion``; a known failing test decides "not met" even if others are unknown.

    A criterion limited to a market segment (cg:onlyForMarketSegment) is met only by a chip stated
    to be of that segment, one excluding a segment (cg:excludedMarketSegment) only by a chip stated
    to be of another; with no segment stated (``segments`` empty or None) that test is undetermined.
    """
    tests: list[str] = []
    missing: list[str] = []
    used: list[Figure] = []
    outcomes: list[bool | None] = []
    facts: list[FactUse] = []
    limits = [(segment, True) for segment in criterion.values("onlyForMarketSegment")]
    limits += [(segment, False) for segment in criterion.values("excludedMarketSegment")]
    for segment, wanted in limits:
        holds, line = _segment_test(segment, segments or {}, wanted)
        tests.append(line)
        outcomes.append(holds)
        if holds is None:
            missing.append(SEGMENT_MISSING)
        facts += [fact for stated in (segments or {}).values() for fact in stated]
    for bound, (name, comparison) in BOUNDS.items():
        threshold = criterion.value(bound)
        if threshold is None:
            continue
        figure = figures[name]
        if figure.value is None:
            tests.append(f"{FIGURE_NAMES[name]} {comparison} {threshold}: unknown")
            missing.append(MISSING[name])
            outcomes.append(None)
            continue
        limit = Decimal(threshold)
        if figure.disputed:
            answers = {value >= limit if comparison == ">=" else value < limit for value in figure.alternatives}
            if len(answers) > 1:
                tests.append(
                    f"{FIGURE_NAMES[name]} {comparison} {threshold}: undetermined: sources disagree "
                    f"({figure.dispute_text()}) and the choice changes this test"
                )
                missing.append(
                    f"which {FIGURE_NAMES[name]} is right: sources disagree ({figure.dispute_text()}) "
                    f"and the answer depends on it"
                )
                outcomes.append(None)
            else:
                holds = answers.pop()
                tests.append(
                    f"{FIGURE_NAMES[name]} {comparison} {threshold}: {'yes' if holds else 'no'} with every value "
                    f"sources give ({figure.dispute_text()}): the disagreement does not change this test"
                )
                outcomes.append(holds)
            if figure not in used:
                used.append(figure)
            continue
        holds = figure.value >= limit if comparison == ">=" else figure.value < limit
        tests.append(
            f"{FIGURE_NAMES[name]} {_number(figure.value)} {comparison} {threshold}: {'yes' if holds else 'no'}"
        )
        outcomes.append(holds)
        if figure not in used:
            used.append(figure)
    met = False if False in outcomes else (None if None in outcomes else bool(outcomes))
    return CriterionCheck(criterion, met, tests, sorted(set(missing)), used, list(dict.fromkeys(facts)))


def _segment_test(segment: str, segments: Segments, wanted: bool) -> tuple[bool | None, str]:
    """Whether the chip is (``wanted``) or is not of ``segment``; None when no segment is stated; the test as a line."""
    name = ("" if wanted else "not ") + f"designed or marketed for {_local(segment)}"
    if not segments:
        return None, f"{name}: unknown (no market segment stated)"
    holds = (segment in segments) == wanted
    stated = ", ".join(sorted(_local(iri) for iri in segments))
    return holds, f"{name}: {'yes' if holds else 'no'} (stated: {stated})"


def _local(iri: str) -> str:
    """The local name of a segment IRI without its 'Segment' suffix, e.g. 'Datacenter'."""
    return iri.rsplit("#", 1)[-1].removesuffix("Segment")


def _number(value: Decimal) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


@dataclass
class ClassificationResult:
    """A chip under one classification on one date: the checks of its criteria in force then."""

    classification: Node
    checks: list[CriterionCheck]

    @property
    def outcome(self) -> bool | None:
        """True if any criterion is met; None if none is but some are undetermined; else False."""
        outcomes = [check.met for check in self.checks]
        return True if True in outcomes else (None if None in outcomes else False)


def classify(
    book: Rulebook, figures: dict[str, Figure], on: date, segments: Segments | None = None
) -> list[ClassificationResult]:
    """The classifications that have criteria in force on ``on``, each tested against ``figures``.

    ``segments`` are the chip's stated market segments (for criteria limited to one).
    """
    results: dict[str, ClassificationResult] = {}
    for criterion in sorted(book.criteria.values(), key=lambda node: node.iri):
        classification = book.classification_of(criterion)
        if classification is None or not criterion.valid_on(on):
            continue
        result = results.setdefault(classification.iri, ClassificationResult(classification, []))
        result.checks.append(check_criterion(criterion, figures, segments))
    return sorted(results.values(), key=lambda result: result.classification.value("eccnCode") or "")


@dataclass
class Finding:
    """One step of an answer: a rule, whether it applies, why, and the sourced facts it used."""

    kind: str
    outcome: str
    rule: dict[str, str | None]
    subject: dict[str, str]
    valid_from: str | None
    valid_until: str | None
    explanation: str
    facts: list[dict[str, Any]]
    missing: list[str] = field(default_factory=list)
    # The weakest confidence level of the facts it rests on, and a sentence saying so (docs/adr/0014).
    confidence: str = "unknown"
    confidence_note: str = ""


@dataclass
class ExportStatus:
    """The answer to "may this chip go to that country on that date": verdict, missing inputs, findings."""

    chip: dict[str, str]
    destination: str
    date: str
    buyer: dict[str, str] | None
    verdict: str
    missing: list[str]
    figures: list[dict[str, Any]]
    findings: list[Finding]
    confidence: str = "unknown"
    confidence_note: str = ""

    def to_json(self) -> dict[str, Any]:
        """The answer as plain JSON values."""
        return {
            "chip": self.chip,
            "destination": self.destination,
            "date": self.date,
            "buyer": self.buyer,
            "verdict": self.verdict,
            "missing": self.missing,
            "confidence": self.confidence,
            "confidence_note": self.confidence_note,
            "figures": self.figures,
            "findings": [vars(finding) for finding in self.findings],
        }


def node_ref(node: Node) -> dict[str, str]:
    """A node as findings name it: id and label."""
    return {"id": entity_id(node.iri), "label": node.label}


def node_facts(book: Rulebook, node: Node, props: list[str], value: str | None = None) -> list[dict[str, Any]]:
    """The stated facts of ``node`` for ``props`` (of one value only, if given), with their sources."""
    facts = []
    for prop in props:
        for stated in node.stated(prop, value):
            facts.append(FactUse(node.iri, prop if ":" in prop else CG + prop, stated.value, stated.graph))
    return [fact.to_json(book) for fact in dict.fromkeys(facts)]


def classification_finding(book: Rulebook, result: ClassificationResult) -> Finding:
    """A finding for one classification on the date: which criteria were tested, with what figures."""
    lines, missing, facts = [], [], []
    for check in result.checks:
        state = {True: "met", False: "not met", None: "undetermined"}[check.met]
        lines.append(f"{check.criterion.label}: {state} ({'; '.join(check.tests)})")
        if check.criterion.value("http://www.w3.org/2000/01/rdf-schema#comment"):
            lines.append(f"  note: {check.criterion.value('http://www.w3.org/2000/01/rdf-schema#comment')}")
        missing += check.missing
        facts += node_facts(book, check.criterion, [*BOUNDS, *SEGMENT_LIMITS, "validFrom", "validUntil"])
        for figure in check.figures_used:
            facts += [fact.to_json(book) for fact in figure.facts]
        facts += [fact.to_json(book) for fact in check.facts_used]
    first = result.checks[0].criterion
    return Finding(
        kind="classification",
        outcome=OUTCOME[result.outcome],
        rule=book.rule(first.value("definedBy")),
        subject=node_ref(result.classification),
        valid_from=first.value("validFrom"),
        valid_until=first.value("validUntil"),
        explanation="\n".join(lines),
        facts=_dedupe(facts),
        missing=sorted(set(missing)),
    )


def _dedupe(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, unique = set(), []
    for fact in facts:
        key = (fact["subject"], fact["property"], fact["value"], fact["graph"])
        if key not in seen:
            seen.add(key)
            unique.append(fact)
    return unique


def figures_from_facts(facts: dict[str, list[dict[str, Any]]]) -> dict[str, Figure]:
    """The figures from an entity's facts as kg.catalog.facts gives them (values only, no inputs)."""
    found: dict[str, tuple[Decimal, list[FactUse]]] = {}
    for name in ("computedTPP", "statedTPP", "computedPerformanceDensity", "interconnectBandwidthGBps"):
        values = [v for v in (_decimal(fact["value"]) for fact in facts.get(f"cg:{name}", [])) if v is not None]
        if values:
            found[CG + name] = (max(values), [])
    return _figures(found)


def classification_summary(results: list[ClassificationResult], on: date) -> list[dict[str, Any]]:
    """Classifications on ``on`` as the chip resource shows them: outcome and each criterion's tests."""
    return [
        {
            "eccn": {"id": entity_id(result.classification.iri), "label": result.classification.label},
            "on": on.isoformat(),
            "outcome": OUTCOME[result.outcome],
            "criteria": [
                {
                    "id": entity_id(check.criterion.iri),
                    "label": check.criterion.label,
                    "outcome": OUTCOME[check.met],
                    "tests": check.tests,
                    "missing": check.missing,
                }
                for check in result.checks
            ],
        }
        for result in results
    ]
