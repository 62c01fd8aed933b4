"""Status as of a date: which restrictions apply to a chip going to a destination, and why.

Findings come from the classifications in force (kg/exportcontrol.py), the licence
requirements in force (by classification or naming the chip) with the licence exceptions to
them (kg/licence_exceptions.py), the chip-specific licensing policies (informational: how
licences are decided), the Entity List entries of the buyer (and its parents) and of the chip's
designer. The verdict: not-yet-public when the date lies before the chip's earliest announcement
or release date (kg/chip_existence.py); licence-required when a finding applies that no
exception lifts; notification-required (or licence-exception, when no notice is needed) when
every requirement that applies is lifted by an exception the chip qualifies for; undetermined
when none applies but some cannot be decided (with what is missing); not-required otherwise.
"""

from __future__ import annotations

import re
from datetime import date

from kg import ids
from kg.catalog import InvalidFilterError, NotFoundError, entity_id
from kg.chip_existence import NOT_YET_PUBLIC, chip_dates, existence_finding
from kg.confidence import rests_on, weakest
from kg.exportcontrol import (
    OUTCOME,
    ClassificationResult,
    ExportStatus,
    Figure,
    Finding,
    Segments,
    chip_figures,
    chip_segments,
    classification_finding,
    classify,
    node_facts,
    node_ref,
)
from kg.licence_exceptions import KIND, exception_findings, requires_notification
from kg.namespaces import ID_BASE, ONTOLOGY_NS
from kg.rdf import fill, sparql_iri
from kg.rulebook import Node, Rulebook, query
from kg.store import AnyStore, term_text

REQUIREMENT_FACTS = ["coversChip", "coversClassification", "destination", "destinationListComplete", "validFrom"]
STATE = {True: "is", False: "is not", None: "may be (undetermined)"}
ENTRY_FACTS = ["listedEntity", "addedBy", "validFrom", "validUntil", "reviewPolicy"]
POLICY_FACTS = ["licensedChip", "destination", "reviewPolicy", "licenceConditions", "validFrom", "validUntil"]


def country_iri(code: str) -> str:
    """The IRI of a destination given as an ISO 3166-1 alpha-2 code; raises InvalidFilterError."""
    if not re.fullmatch(r"[A-Z]{2}", code or ""):
        raise InvalidFilterError(f"destination {code[:80]!r} is not an ISO 3166-1 alpha-2 code such as CN")
    return f"{ID_BASE}country/{code}"


def _destination_outcome(requirement: Node, destination: str) -> tuple[bool | None, str]:
    if destination in requirement.values("destination"):
        return True, f"the destination {entity_id(destination)} is listed"
    if requirement.value("destinationListComplete") == "false":
        return None, f"{entity_id(destination)} is not among the destinations recorded, and that list is incomplete"
    return False, f"{entity_id(destination)} is not a destination of this requirement"


def requirement_finding(
    book: Rulebook, requirement: Node, chip: str, destination: str, classified: dict[str, ClassificationResult]
) -> Finding | None:
    """A finding for one licence requirement in force, or None when it neither names the chip nor its classes."""
    facts = node_facts(book, requirement, ["destination", "destinationListComplete", "validFrom", "validUntil"])
    reasons: list[str] = []
    outcomes: list[bool | None] = []
    if chip in requirement.values("coversChip"):
        outcomes.append(True)
        reasons.append("it names the chip")
        facts = node_facts(book, requirement, ["coversChip"], chip) + facts
    for covered in requirement.values("coversClassification"):
        for iri in sorted(book.covered(covered) & classified.keys()):
            outcome = classified[iri].outcome
            outcomes.append(outcome)
            reasons.append(f"the chip {STATE[outcome]} {classified[iri].classification.label}")
            facts = node_facts(book, requirement, ["coversClassification"], covered) + facts
    if not outcomes:
        return None
    coverage = True if True in outcomes else (None if None in outcomes else False)
    where, why = _destination_outcome(requirement, destination)
    outcome = _combine(coverage, where)
    return Finding(
        kind="licence-requirement",
        outcome=OUTCOME[outcome],
        rule=book.rule(requirement.value("imposedBy")),
        subject=node_ref(requirement),
        valid_from=requirement.value("validFrom"),
        valid_until=requirement.value("validUntil"),
        explanation=f"{requirement.label}: {'; '.join(reasons)}; {why}.",
        facts=facts,
        missing=[] if outcome is not None else _requirement_missing(coverage, where, classified),
    )


def _combine(coverage: bool | None, where: bool | None) -> bool | None:
    if coverage is False or where is False:
        return False
    if coverage is None or where is None:
        return None
    return True


def _requirement_missing(
    coverage: bool | None, where: bool | None, classified: dict[str, ClassificationResult]
) -> list[str]:
    missing = []
    if coverage is None:
        missing += sorted({m for result in classified.values() for check in result.checks for m in check.missing})
    if where is None:
        missing.append("the complete destination list of the requirement (country groups not recorded)")
    return missing


def unrecorded_requirement_findings(
    book: Rulebook, classified: dict[str, ClassificationResult], on: date
) -> list[Finding]:
    """Classifications the chip meets on ``on`` for which no licence requirement in force is recorded."""
    covered = set()
    for requirement in book.requirements.values():
        if requirement.valid_on(on):
            for iri in requirement.values("coversClassification"):
                covered |= book.covered(iri)
    findings = []
    for iri, result in classified.items():
        if result.outcome is True and iri not in covered:
            criterion = result.checks[0].criterion
            findings.append(
                Finding(
                    kind="unrecorded-requirement",
                    outcome=OUTCOME[None],
                    rule=book.rule(criterion.value("definedBy")),
                    subject=node_ref(result.classification),
                    valid_from=criterion.value("validFrom"),
                    valid_until=criterion.value("validUntil"),
                    explanation=f"The chip is {result.classification.label}, but no licence requirement for it "
                    "is recorded in the graph for this date.",
                    facts=[],
                    missing=[f"the licence requirement that applies to {result.classification.label}"],
                )
            )
    return findings


def licensing_policy_findings(book: Rulebook, chip: str, destination: str, on: date) -> list[Finding]:
    """The licensing policies in force on ``on`` for ``chip`` going to ``destination``: informational.

    A policy does not lift a licence requirement; it says how the applications are decided
    (granted under conditions, case by case, denied).
    """
    findings = []
    for policy in sorted(book.policies.values(), key=lambda node: node.iri):
        if chip not in policy.values("licensedChip") or destination not in policy.values("destination"):
            continue
        if not policy.valid_on(on):
            continue
        review = ", ".join(_policy_name(book, iri) for iri in policy.values("reviewPolicy")) or "not recorded"
        conditions = "; ".join(policy.values("licenceConditions")) or "none recorded"
        findings.append(
            Finding(
                kind="licensing-policy",
                outcome="informational",
                rule=book.rule(policy.value("decidedBy")),
                subject=node_ref(policy),
                valid_from=policy.value("validFrom"),
                valid_until=policy.value("validUntil"),
                explanation=f"{policy.label}: licences for this chip to {entity_id(destination)} are decided by "
                f"{review}; conditions: {conditions}. A licence is still needed where a requirement applies.",
                facts=node_facts(book, policy, POLICY_FACTS, None),
            )
        )
    return findings


def _policy_name(book: Rulebook, iri: str) -> str:
    """A licence review policy's local name, e.g. 'ApprovalWithConditions'."""
    return iri.rsplit("#", 1)[-1]


def entity_list_findings(
    book: Rulebook, organisations: list[str], on: date, *, kind: str, outcome: str, reason: str
) -> list[Finding]:
    """Entity List entries in force on ``on`` that name one of ``organisations``."""
    findings = []
    for entry in sorted(book.entries.values(), key=lambda node: node.iri):
        listed = set(entry.values("listedEntity")) & set(organisations)
        if not listed or not entry.valid_on(on):
            continue
        policies = ", ".join(entity_id(p).split("#")[-1] for p in entry.values("reviewPolicy")) or "not recorded"
        findings.append(
            Finding(
                kind=kind,
                outcome=outcome,
                rule=book.rule(entry.value("addedBy")),
                subject=node_ref(entry),
                valid_from=entry.value("validFrom"),
                valid_until=entry.value("validUntil"),
                explanation=f"{entry.label}: {reason} Licence review policy: {policies}.",
                facts=node_facts(book, entry, ENTRY_FACTS),
            )
        )
    return findings


def organisations_with_parents(store: AnyStore, organisation: str) -> list[str]:
    """An organisation and the organisations it belongs to, transitively."""
    rows = store.select(fill(query("organisations"), {"ORG": sparql_iri(organisation)}))
    return sorted(term_text(row["org"]) for row in rows)


def _is_a(store: AnyStore, iri: str, class_name: str) -> bool:
    """Whether the entity ``iri`` is of the chipgraph class ``class_name``."""
    return bool(store.query(f"ASK {{ {sparql_iri(iri)} a {sparql_iri(ONTOLOGY_NS + class_name)} }}"))


def _chip(store: AnyStore, chip_id: str) -> tuple[str, str, list[str]]:
    chip = ids.resolve(store, "chip", chip_id)
    rows = store.select(fill(query("chip"), {"CHIP": sparql_iri(chip)}))
    if not rows:
        raise NotFoundError(chip)
    label = min((term_text(row["label"]) for row in rows if "label" in row), default=chip_id)  # any store: the same
    designers = sorted({term_text(row["designer"]) for row in rows if "designer" in row})
    return chip, label, designers


def _exempted(book: Rulebook, findings: list[Finding]) -> tuple[set[str], bool]:
    """The ids of the requirements an applying exception exempts the chip from, and whether one needs notice."""
    exempted: set[str] = set()
    notify = False
    for finding in findings:
        if finding.kind == KIND and finding.outcome == "applies":
            exception = book.exceptions[ID_BASE + finding.subject["id"]]
            exempted |= {entity_id(iri) for iri in exception.values("exceptionTo")}
            notify = notify or requires_notification(exception)
    return exempted, notify


def rule_findings(
    book: Rulebook, chip: str, where: str, on: date, figures: dict[str, Figure], segments: Segments
) -> list[Finding]:
    """What the rules in force on ``on`` say of ``chip`` going to ``where``.

    The classifications, the licence requirements (each that applies followed by the exceptions
    to it), the classifications met without a recorded requirement, and the licensing policies.
    """
    classified = {result.classification.iri: result for result in classify(book, figures, on, segments)}
    findings = [classification_finding(book, result) for result in classified.values()]
    for requirement in sorted(book.requirements.values(), key=lambda node: node.iri):
        if requirement.valid_on(on):
            finding = requirement_finding(book, requirement, chip, where, classified)
            findings += [finding] if finding else []
            if finding is not None and finding.outcome == "applies":
                findings += exception_findings(book, requirement, where, on, figures, segments)
    findings += unrecorded_requirement_findings(book, classified, on)
    return findings + licensing_policy_findings(book, chip, where, on)


def _buyer(store: AnyStore, buyer: str | None) -> str | None:
    """The IRI of the buyer organisation ``buyer`` (None when not given); raises NotFoundError if unknown."""
    if buyer is None:
        return None
    iri = ids.resolve(store, "organization", buyer)
    if not _is_a(store, iri, "Organization"):
        raise NotFoundError(iri)
    return iri


def export_status(
    store: AnyStore,
    chip_id: str,
    destination: str,
    on: date,
    *,
    buyer: str | None = None,
    book: Rulebook | None = None,
) -> ExportStatus:
    """Which restrictions apply to chip ``chip_id`` going to ``destination`` (ISO code) on ``on``.

    ``buyer`` is an organisation id whose Entity List entries (and its parents') count too.
    ``book`` is a Rulebook to reuse. Raises NotFoundError for an unknown chip or buyer and
    InvalidFilterError for a malformed id or destination.
    """
    where = country_iri(destination)
    if not _is_a(store, where, "Country"):
        raise NotFoundError(where)
    chip, label, designers = _chip(store, chip_id)
    buyer_iri = _buyer(store, buyer)
    buyer_ref = {"id": entity_id(buyer_iri), "label": buyer} if buyer_iri and buyer else None
    book = book or Rulebook.read(store)
    figures = chip_figures(store, chip)
    existence = existence_finding(book, chip, label, chip_dates(store, chip), on)
    if existence is not None and existence.kind == NOT_YET_PUBLIC:
        return _status(book, chip, label, destination, on, buyer_ref, figures, [existence])
    findings = [existence] if existence else []
    findings += rule_findings(book, chip, where, on, figures, chip_segments(store, chip))
    if buyer_iri is not None:
        findings += entity_list_findings(
            book,
            organisations_with_parents(store, buyer_iri),
            on,
            kind="buyer-entity-list",
            outcome="applies",
            reason="the buyer (or an organisation it belongs to) is on the Entity List: "
            "items subject to the EAR need a licence.",
        )
    for designer in designers:
        findings += entity_list_findings(
            book,
            organisations_with_parents(store, designer),
            on,
            kind="designer-entity-list",
            outcome="informational",
            reason="the chip's designer (or its parent) is on the Entity List, which limits its access to "
            "foundries and tools subject to the EAR; it does not by itself decide this export.",
        )
    return _status(book, chip, label, destination, on, buyer_ref, figures, findings)


def _status(
    book: Rulebook,
    chip: str,
    label: str,
    destination: str,
    on: date,
    buyer: dict[str, str] | None,
    figures: dict[str, Figure],
    findings: list[Finding],
) -> ExportStatus:
    exempted, notify = _exempted(book, findings)
    deciding = [f for f in findings if f.kind not in ("classification", KIND) and f.outcome != "informational"]
    missing: list[str] = []
    if any(f.kind == NOT_YET_PUBLIC for f in findings):
        verdict = "not-yet-public"
    elif any(f.outcome == "applies" and f.subject["id"] not in exempted for f in deciding):
        verdict = "licence-required"
    elif any(f.outcome == "applies" for f in deciding):
        verdict = "notification-required" if notify else "licence-exception"
    elif any(f.outcome == "undetermined" for f in deciding):
        verdict = "undetermined"
        missing = sorted({m for f in deciding if f.outcome == "undetermined" for m in f.missing})
    else:
        verdict = "not-required"
    for finding in findings:
        finding.confidence, finding.confidence_note = rests_on(finding.facts)
    # The verdict is as sure as the findings that decide it (and the classifications they test).
    basis = [f for f in findings if f.outcome != "informational" and f.kind != KIND] or findings
    confidence = weakest(f.confidence for f in basis) if basis else "unknown"
    weak = [f for f in basis if f.confidence == confidence]
    if not basis:
        note = "No finding: the confidence is not known."
    elif confidence == "official":
        note = "Every finding behind the verdict rests on official facts only."
    else:
        note = (
            f"The verdict is {confidence}: the weakest finding behind it ({weak[0].subject['label']}) "
            f"rests on {confidence} facts. {weak[0].confidence_note}"
        )
    return ExportStatus(
        chip={"id": entity_id(chip), "label": label},
        destination=destination,
        date=on.isoformat(),
        buyer=buyer,
        verdict=verdict,
        missing=missing,
        figures=[figure.to_json(book) for figure in figures.values()],
        findings=findings,
        confidence=confidence,
        confidence_note=note,
    )
