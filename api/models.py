"""The documented JSON shapes of the REST resources (visible on the OpenAPI page, /docs)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, JsonValue

from api.errors import STATUS


class Ref(BaseModel):
    """A linked entity: its id (kind/slug), its name, and where to read it."""

    id: str = Field(examples=["organization/nvidia"])
    label: str
    href: str = Field("", description="The entity's URL on this server")


class Confidence(BaseModel):
    """How sure the graph is of one statement (docs/adr/0014)."""

    level: str = Field(examples=["official", "reported", "estimated", "rumoured", "unknown"])
    basis: str = Field(
        examples=["source", "statement", "none"],
        description="source: the level of the source's whole graph; statement: this statement's own level",
    )
    estimated_by: str | None = Field(None, description="Who worked out an estimated statement, and how")
    derived_from: list[str] | None = Field(None, description="The qualified statements it was derived from")
    denied_in: list[str] | None = Field(None, description="Sources reporting a denial of a rumoured statement")
    note: str | None = None


class Fact(BaseModel):
    """One value of a property, with the named graphs (sources) that state it."""

    value: str
    datatype: str | None = None
    ref: Ref | None = Field(None, description="Set when the value is another entity")
    graphs: list[str] = Field(description="Named graphs stating the value; see sources")
    confidence: dict[str, Confidence] = Field(
        default_factory=dict, description="The confidence of the value as each source graph states it, by graph"
    )


class Source(BaseModel):
    """Where facts come from."""

    iri: str
    graph: str
    title: str | None
    url: str | None
    citation: str | None


class Entity(BaseModel):
    """Any entity: its facts by property (prefixed names, cg: = chipgraph) and their sources."""

    id: str
    iri: str
    label: str
    facts: dict[str, list[Fact]]
    sources: list[Source]


class ExportFact(BaseModel):
    """An export-control fact known for a chip: a licence requirement, a classification, a listing."""

    kind: str = Field(examples=["licence-requirement", "classification", "entity-list-entry"])
    id: str
    label: str
    valid_from: str | None
    valid_until: str | None
    act: Ref | None


class CriterionOutcome(BaseModel):
    """One criterion of a classification tested against the chip's figures."""

    id: str
    label: str
    outcome: str = Field(examples=["applies", "does-not-apply", "undetermined"])
    tests: list[str] = Field(examples=[["total processing performance 4992 >= 4800: yes"]])
    missing: list[str]


class Classification(BaseModel):
    """The chip under one export control classification on a date (criteria in force then)."""

    eccn: Ref
    on: str
    outcome: str = Field(examples=["applies", "does-not-apply", "undetermined"])
    criteria: list[CriterionOutcome]


class Chip(Entity):
    """A chip: facts, sources, export-control facts known so far, classification today.

    cg:computedTPP and cg:computedPerformanceDensity come from graph/derived.
    """

    export_control: list[ExportFact]
    classification: list[Classification]


class FactSource(BaseModel):
    """The source of a fact used by a finding."""

    id: str | None
    title: str | None
    url: str | None
    citation: str | None


class UsedFact(BaseModel):
    """A stated fact a finding or figure used, with its graph and source."""

    subject: str
    property: str
    value: str
    graph: str
    source: FactSource
    confidence: Confidence


class DisputedValue(BaseModel):
    """One of the values sources give for a disputed figure."""

    value: float
    facts: list[UsedFact]


class FigureModel(BaseModel):
    """A figure the rules test (tpp, performance_density, interconnect_gbps) and where it comes from."""

    name: str
    value: float | None
    status: str = Field(examples=["known", "undetermined"])
    method: str
    missing: list[str]
    facts: list[UsedFact]
    disputed: list[DisputedValue] = Field(
        default_factory=list, description="When sources disagree: each value with the facts stating it"
    )


Verdict = Literal[
    "licence-required", "notification-required", "licence-exception", "not-required", "undetermined", "not-yet-public"
]


class RuleRef(BaseModel):
    """The act a finding rests on."""

    id: str | None
    label: str | None
    citation: str | None


class FindingModel(BaseModel):
    """One step of an export-status answer."""

    kind: Literal[
        "classification",
        "licence-requirement",
        "unrecorded-requirement",
        "licensing-policy",
        "licence-exception",
        "buyer-entity-list",
        "designer-entity-list",
        "chip-not-yet-public",
        "chip-undated",
    ]
    outcome: str = Field(examples=["applies", "does-not-apply", "undetermined", "informational"])
    rule: RuleRef
    subject: dict[str, str]
    valid_from: str | None
    valid_until: str | None
    explanation: str
    facts: list[UsedFact]
    missing: list[str]
    confidence: str = Field(description="The weakest confidence level of the facts the finding rests on")
    confidence_note: str = Field(description="Which facts make it that level")


class ExportStatusModel(BaseModel):
    """May the chip go to the destination on the date: verdict, what is missing, figures, findings."""

    chip: dict[str, str]
    destination: str
    date: str
    buyer: dict[str, str] | None
    verdict: Verdict = Field(
        description="notification-required: a licence exception the chip qualifies for (e.g. NAC) lifts every "
        "requirement that applies, once the exporter notifies the authority; licence-exception: the same without "
        "notice; not-yet-public: the date lies before the chip's earliest announcement or release date"
    )
    missing: list[str]
    confidence: str = Field(
        description="The weakest confidence level of the findings behind the verdict: official, reported, "
        "estimated, rumoured or unknown"
    )
    confidence_note: str
    figures: list[FigureModel]
    findings: list[FindingModel]


class ChipItem(BaseModel):
    """A chip in a list."""

    id: str
    label: str
    href: str
    designer: Ref | None
    release_date: str | None
    tpp: float | None = Field(description="Highest TOPS x bit length of the stated figures")


class Item(BaseModel):
    """An entity in a list."""

    id: str
    label: str
    href: str


class ChipPage(BaseModel):
    """A page of chips and the total that match."""

    total: int
    offset: int
    limit: int
    items: list[ChipItem]


class Page(BaseModel):
    """A page of entities and the total that match."""

    total: int
    offset: int
    limit: int
    items: list[Item]


class SearchHit(BaseModel):
    """A search result: prefix matches of the whole name rank first, then word prefixes."""

    id: str
    label: str
    href: str
    match: str = Field(examples=["prefix", "word", "substring"])


class NamedQueryParam(BaseModel):
    """A parameter of a named query: a query-string field of its run."""

    name: str = Field(examples=["on"])
    type: Literal["decimal", "date"]
    default: str = Field(examples=["2025-05-01"])


class NamedQueryInfo(BaseModel):
    """A named query (kg/queries/NAME.rq): the question it answers and its parameters."""

    name: str = Field(examples=["chips-restricted-between"])
    question: str
    parameters: list[NamedQueryParam]
    href: str = Field(examples=["/queries/chips-restricted-between"])


class NamedQueryRow(BaseModel):
    """One result row: values by variable (IRI or lexical form; unbound ones left out)."""

    id: str | None = Field(
        None,
        description="kind/slug of the row's first variable when it names one of our entities",
        examples=["chip/nvidia-h20"],
    )
    values: dict[str, str]


class NamedQueryResult(BaseModel):
    """Every row of a named query's run (capped at MAX_RESULT_ROWS), in the query's order."""

    name: str
    variables: list[str]
    total: int
    items: list[NamedQueryRow]


class Error(BaseModel):
    """Every error the API answers: a stable code (its status follows from it), a message, and details."""

    code: str = Field(
        examples=["entity-not-found"],
        description="What went wrong; the status follows from it",
        json_schema_extra={"enum": list[JsonValue](sorted(STATUS))},
    )
    message: str
    context: dict[str, Any] = Field(description="Details of the error: the ids suggested, the problems found...")


class ShaclResult(BaseModel):
    """One SHACL result: which node broke which constraint of which shape, and why."""

    focus_node: str
    path: str | None
    value: str | None
    source_shape: str
    constraint: str
    severity: str = Field(examples=["Violation", "Warning"])
    message: str


class ValidationReport(BaseModel):
    """The SHACL verdict on a changeset: conforms, and every result."""

    conforms: bool
    results: list[ShaclResult]


class MergeAnswer(ValidationReport):
    """A merge or revert: the ids of the changesets written (none when nothing changed) and the report."""

    merged: list[str] = Field(examples=[["c-000042"]])
