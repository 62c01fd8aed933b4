"""One id form everywhere: a slug, kind/slug, the full IRI or an exact label, resolved to an IRI.

``resolve`` is what every route and command that takes an entity id uses. The input never enters
a query as text: a slug is checked against catalog.SLUG and written by catalog.entity_iri; a label
is looked up in the search index, in Python. An unknown id raises UnknownIdError with up to five
suggestions (ids of the same kind, from the search index and difflib).
"""

from __future__ import annotations

import difflib

from kg.catalog import KINDS, SLUG, InvalidFilterError, NotFoundError, SearchIndex, entity_id, entity_iri, fold
from kg.namespaces import ID_BASE
from kg.rdf import sparql_iri
from kg.store import AnyStore

MAX_ID = 300  # longer than any IRI, id or label of the graph
SUGGESTIONS = 5


class UnknownIdError(NotFoundError):
    """No entity of the kind has the id; ``suggestions`` are close ids (slugs) of that kind."""

    def __init__(self, kind: str, text: str, suggestions: list[str]) -> None:
        self.kind, self.text, self.suggestions = kind, text, suggestions
        hint = f"; did you mean {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"{kind}/{text[:80]}{hint}")


def split(kind: str, text: str) -> str:
    """The slug part of ``text`` (a slug, kind/slug or full IRI); InvalidFilterError for another kind."""
    rest = text.removeprefix(ID_BASE) if text.startswith(ID_BASE) else text
    if "/" in rest:
        given, _, slug = rest.partition("/")
        if given in KINDS and given != kind:
            raise InvalidFilterError(f"{given}/{slug[:80]!r} is not a {kind} id: its kind is {given}")
        if given == kind:
            return slug
        if text.startswith(ID_BASE):
            raise InvalidFilterError(f"unknown kind {given[:80]!r}; kinds are {', '.join(KINDS)}")
    return rest


def exists(store: AnyStore, iri: str) -> bool:
    """Whether the store states anything about ``iri`` (an IRI already checked, written by sparql_iri)."""
    return bool(store.query(f"ASK {{ {sparql_iri(iri)} ?p ?o }}"))


def resolve(store: AnyStore, kind: str, text: str, index: SearchIndex | None = None) -> str:
    """The IRI of the ``kind`` entity that ``text`` names: slug, kind/slug, IRI or exact label (any case).

    ``index`` is a SearchIndex to reuse (built from the store when needed). Raises
    InvalidFilterError for an unknown kind, a wrong kind, a malformed or too long id, and
    UnknownIdError (a NotFoundError) with suggestions for an unknown one.
    """
    if kind not in KINDS:
        raise InvalidFilterError(f"unknown kind {kind[:80]!r}; kinds are {', '.join(KINDS)}")
    text = text.strip()
    if not text or len(text) > MAX_ID:
        raise InvalidFilterError(f"an id has 1 to {MAX_ID} characters")
    slug = split(kind, text)
    if SLUG.fullmatch(slug):
        iri = entity_iri(kind, slug)
        if exists(store, iri):
            return iri
    index = index if index is not None else SearchIndex.build(store)
    prefix = f"{ID_BASE}{kind}/"
    folded = fold(text)
    labelled = sorted({iri for name, _, iri in index.entries if name == folded and iri.startswith(prefix)})
    if labelled:
        return labelled[0]
    if not SLUG.fullmatch(slug):
        raise InvalidFilterError(f"malformed id {text[:80]!r}: use a slug such as nvidia-h20, kind/slug, IRI or label")
    raise UnknownIdError(kind, slug, suggest(index, kind, slug))


def suggest(index: SearchIndex, kind: str, slug: str) -> list[str]:
    """Up to five ids (slugs) of ``kind`` close to ``slug``: those it begins, then difflib's, then by name."""
    prefix = f"{ID_BASE}{kind}/"
    slugs = sorted({iri.removeprefix(prefix) for _, _, iri in index.entries if iri.startswith(prefix)})
    wanted = slug.casefold()
    found = [known for known in slugs if known.casefold().startswith(wanted)]
    found += difflib.get_close_matches(wanted, slugs, n=SUGGESTIONS, cutoff=0.6)
    for hit in index.search(slug.replace("-", " "), 50):
        if hit["id"].startswith(f"{kind}/"):
            found.append(hit["id"].removeprefix(f"{kind}/"))
    return list(dict.fromkeys(found))[:SUGGESTIONS]


def slug_of(iri: str) -> str:
    """The slug of an entity IRI."""
    return entity_id(iri).partition("/")[2]


def kind_of(text: str) -> str | None:
    """The kind that ``text`` names itself (a full IRI or kind/slug), None for a bare slug or a label."""
    rest = text.strip()
    rest = rest.removeprefix(ID_BASE) if rest.startswith(ID_BASE) else rest
    given, sep, _ = rest.partition("/")
    return given if sep and given in KINDS else None


def resolve_any(store: AnyStore, text: str, index: SearchIndex | None = None) -> str:
    """The IRI of the entity of any kind that ``text`` names: kind/slug, IRI, slug or exact label.

    An id that names its kind is resolved as that kind; a bare slug or label is tried against
    every kind in KINDS order (chip first) and the first that has it wins. Raises
    InvalidFilterError for a malformed or too long id, and UnknownIdError when no entity has it
    (kind "entity" unless the id named one), its suggestions written kind/slug, the closest first.
    """
    named = kind_of(text)
    if named is not None:
        try:
            return resolve(store, named, text, index)
        except UnknownIdError as error:
            raise UnknownIdError(named, error.text, [f"{named}/{slug}" for slug in error.suggestions]) from None
    if not text.strip() or len(text.strip()) > MAX_ID:
        raise InvalidFilterError(f"an id has 1 to {MAX_ID} characters")
    index = index if index is not None else SearchIndex.build(store)
    candidates: list[str] = []
    for kind in KINDS:
        try:
            return resolve(store, kind, text, index)
        except UnknownIdError as error:
            candidates += [f"{kind}/{slug}" for slug in error.suggestions]
        except InvalidFilterError:  # neither a slug nor a label of that kind
            candidates += [hit["id"] for hit in index.search(text, SUGGESTIONS) if hit["id"].startswith(f"{kind}/")]
    wanted = text.strip().casefold()
    if not SLUG.fullmatch(text.strip()):  # a label with a typo: the entities of the closest labels
        names = {folded: iri for folded, _, iri in index.entries}
        candidates += [entity_id(names[name]) for name in difflib.get_close_matches(fold(text), names, SUGGESTIONS)]
    closest = sorted(
        dict.fromkeys(candidates),
        key=lambda known: -difflib.SequenceMatcher(None, wanted, known.partition("/")[2].casefold()).ratio(),
    )
    raise UnknownIdError("entity", text.strip(), closest[:SUGGESTIONS])
