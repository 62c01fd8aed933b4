"""The documented JSON shapes of the REST resources (visible on the OpenAPI page, /docs)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Ref(BaseModel):
    """A linked entity: its id (kind/slug), its name, and where to read it."""

    id: str = Field(examples=["organization/nvidia"])
    label: str
    href: str = Field("", description="The entity's URL on this server")


class Fact(BaseModel):
    """One value of a property, with the named graphs (sources) that state it."""

    value: str
    datatype: str | None = None
    ref: Ref | None = Field(None, description="Set when the value is another entity")
    graphs: list[str] = Field(description="Named graphs stating the value; see sources")


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


class Chip(Entity):
    """A chip with its facts, sources, and the export-control facts known so far."""

    export_control: list[ExportFact]


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
