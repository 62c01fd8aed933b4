"""Licence exceptions: when a chip that a requirement covers may go without a licence, and on what condition.

An exception (cg:LicenceException, e.g. License Exception NAC of the October 2023 rule) names the
requirements it is an exception to, its destinations, the criteria that make an item eligible
(any one suffices: thresholds and market-segment limits, tested like classification criteria),
and whether the exporter must notify the authority first. Each exception in force is a finding:
applies (the chip qualifies), does-not-apply, or undetermined (with what is missing).
"""

from __future__ import annotations

from datetime import date

from kg.exportcontrol import (
    OUTCOME,
    CriterionCheck,
    Figure,
    Finding,
    Segments,
    check_criterion,
    node_facts,
    node_ref,
)
from kg.rulebook import Node, Rulebook

EXCEPTION_FACTS = ["exceptionTo", "eligibleWhen", "requiresNotification", "destination", "validFrom", "validUntil"]
KIND = "licence-exception"


def exception_findings(
    book: Rulebook,
    requirement: Node,
    destination: str,
    on: date,
    figures: dict[str, Figure],
    segments: Segments,
) -> list[Finding]:
    """The exceptions to ``requirement`` in force on ``on`` for ``destination``, each tested against the chip."""
    findings = []
    for exception in sorted(book.exceptions.values(), key=lambda node: node.iri):
        if requirement.iri not in exception.values("exceptionTo"):
            continue
        if destination not in exception.values("destination") or not exception.valid_on(on):
            continue
        checks = [
            check_criterion(book.criteria[iri], figures, segments)
            for iri in exception.values("eligibleWhen")
            if iri in book.criteria
        ]
        findings.append(_finding(book, exception, requirement, checks))
    return findings


def requires_notification(exception: Node) -> bool:
    """Whether the exporter must notify the authority before using ``exception``."""
    return exception.value("requiresNotification") == "true"


def _finding(book: Rulebook, exception: Node, requirement: Node, checks: list[CriterionCheck]) -> Finding:
    outcomes = [check.met for check in checks]
    met = True if True in outcomes else (None if None in outcomes else False)
    tests = [f"{check.criterion.label}: {'; '.join(check.tests)}" for check in checks]
    condition = "after notifying the authority" if requires_notification(exception) else "without notification"
    verdict = {
        True: f"the chip qualifies, so it may be exported under the exception {condition}",
        False: "the chip does not qualify",
        None: "whether the chip qualifies is undetermined",
    }[met]
    facts = node_facts(book, exception, EXCEPTION_FACTS)
    for check in checks:
        facts += node_facts(book, check.criterion, ["minTPP", "onlyForMarketSegment", "excludedMarketSegment"])
        facts += [fact.to_json(book) for figure in check.figures_used for fact in figure.facts]
        facts += [fact.to_json(book) for fact in check.facts_used]
    return Finding(
        kind=KIND,
        outcome=OUTCOME[met],
        rule=book.rule(exception.value("definedBy")),
        subject=node_ref(exception),
        valid_from=exception.value("validFrom"),
        valid_until=exception.value("validUntil"),
        explanation=f"{exception.label}, an exception to {requirement.label}: {verdict} ({' | '.join(tests)}).",
        facts=list({(f["subject"], f["property"], f["value"], f["graph"]): f for f in facts}.values()),
        missing=sorted({m for check in checks for m in check.missing}) if met is None else [],
    )
