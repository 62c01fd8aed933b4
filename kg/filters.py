"""The chip-list filters by name: what a person types, resolved to the ids the query needs.

``resolve_chip_filter`` turns the filters of GET /chips, GET /export-status and `chipgraph
export-status-all` into ids, comparing case- and format-insensitively (kg.catalog.compact:
"Nvidia", "NVIDIA" and "nvidia" alike; "TSMC 5 nm", "tsmc-5nm" and "TSMC 5nm" alike):

- designer, foundry: an organisation id, kind/id, IRI or name (label or alternative label);
- country: an ISO 3166-1 alpha-2 code in any case (cn, CN) or a country's name (China);
- workload: training or inference, in any case;
- process_node: a node's id or name (tsmc-5nm, TSMC 5 nm); a foundry's own name for a node
  without the foundry (N7+, 4N, N+2); or a size (5nm, 5 nm, 7.0nm, 5) which selects every node
  of that nominal size, whichever foundry offers it. A name that several nodes share selects
  them all: a chip filter asks "made on any of these", so no choice is made for the user.

A value that names nothing raises UnknownFilterValueError (an InvalidFilterError: a filter value
is not the resource asked for, so HTTP answers 400, never 404 or an empty list) with up to five
close values. A value naming several organisations (designer, foundry) raises it too, listing
them. No value enters a query as text: resolved ids are written by kg.catalog.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from kg import ids
from kg.catalog import WORKLOADS, ChipFilter, InvalidFilterError, SearchIndex, compact, fold, rest_query
from kg.namespaces import ID_BASE
from kg.store import AnyStore, term_text

SIZE = re.compile(r"\s*(\d{1,3}(?:\.\d{1,3})?)\s*-?\s*(?:nm|nanometres?|nanometers?)?\s*", re.IGNORECASE)


class UnknownFilterValueError(InvalidFilterError):
    """A filter value that names nothing (or, for one organisation, several): ``suggestions`` are close values."""

    def __init__(self, parameter: str, value: str, problem: str, suggestions: list[str]) -> None:
        self.parameter, self.value, self.suggestions = parameter, value[:80], suggestions
        hint = f"; did you mean {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"{parameter} {value[:80]!r} {problem}{hint}")


def resolve_chip_filter(store: AnyStore, filters: ChipFilter, index: SearchIndex | None = None) -> ChipFilter:
    """``filters`` with every name replaced by the ids it names (see the module docstring).

    ``index`` is a SearchIndex to reuse (built from the store when a name needs it). Raises
    UnknownFilterValueError for a value that names nothing, InvalidFilterError for a malformed one.
    """
    lazy: list[SearchIndex] = [index] if index is not None else []

    def search_index() -> SearchIndex:
        if not lazy:
            lazy.append(SearchIndex.build(store))
        return lazy[0]

    return dataclasses.replace(
        filters,
        designer=_organisation(store, "designer", filters.designer, search_index),
        foundry=_organisation(store, "foundry", filters.foundry, search_index),
        country=_country(store, filters.country, search_index),
        workload=_workload(filters.workload),
        process_node=_process_nodes(store, filters.process_node, search_index),
    )


def _named(index: SearchIndex, kind: str, text: str) -> list[str]:
    """The IRIs of ``kind`` whose slug, label or alternative label equals ``text`` once compacted."""
    prefix, wanted = f"{ID_BASE}{kind}/", compact(text)
    found = {iri for _, name, iri in index.entries if iri.startswith(prefix) and compact(name) == wanted}
    found |= {iri for _, _, iri in index.entries if iri.startswith(prefix) and compact(iri[len(prefix) :]) == wanted}
    return sorted(found)


def _exact(store: AnyStore, kind: str, text: str, index: SearchIndex) -> str | None:
    """The IRI ids.resolve finds for ``text``, None when it names nothing; a wrong kind still raises."""
    try:
        return ids.resolve(store, kind, text, index)
    except ids.UnknownIdError:
        return None
    except InvalidFilterError:
        if "/" in text and not text.startswith(ID_BASE):
            raise
        return None


def _organisation(store: AnyStore, parameter: str, text: str | None, index: Callable[[], SearchIndex]) -> str | None:
    if text is None:
        return None
    search = index()
    iri = _exact(store, "organization", text, search)
    if iri is None:
        found = _named(search, "organization", text)
        if len(found) > 1:
            slugs = [ids.slug_of(one) for one in found]
            raise UnknownFilterValueError(parameter, text, "names several organisations: give one id", slugs[:5])
        if not found:
            close = _close(search, "organization", text)
            raise UnknownFilterValueError(parameter, text, "names no organisation", close)
        iri = found[0]
    return ids.slug_of(iri)


def _country(store: AnyStore, text: str | None, index: Callable[[], SearchIndex]) -> str | None:
    if text is None:
        return None
    stripped = text.strip()
    if re.fullmatch(r"[A-Za-z]{2}", stripped) and ids.exists(store, f"{ID_BASE}country/{stripped.upper()}"):
        return stripped.upper()
    search = index()
    iri = _exact(store, "country", stripped, search) if len(stripped) > 2 else None
    found = [iri] if iri is not None else _named(search, "country", stripped)
    if len(found) != 1:
        close = _close(search, "country", stripped.upper() if len(stripped) <= 3 else stripped)
        raise UnknownFilterValueError("country", text, "names no country (an ISO 3166-1 alpha-2 code or a name)", close)
    return ids.slug_of(found[0])


def _workload(text: str | None) -> str | None:
    if text is None:
        return None
    folded = fold(text.strip())
    if folded not in WORKLOADS:
        raise UnknownFilterValueError("workload", text, "is not a workload", sorted(WORKLOADS))
    return folded


def _process_nodes(
    store: AnyStore, text: str | tuple[str, ...] | None, index: Callable[[], SearchIndex]
) -> str | tuple[str, ...] | None:
    if text is None or isinstance(text, tuple):
        return text
    search = index()
    sizes = {
        term_text(row["node"]): term_text(row["size"]) if "size" in row else None
        for row in store.select(rest_query("process-nodes"))
    }
    size = SIZE.fullmatch(text)
    if size:
        nanometres = Decimal(size.group(1))
        found = sorted(node for node, nm in sizes.items() if nm is not None and _same(nm, nanometres))
        if not found:
            known = sorted({Decimal(nm).normalize() for nm in sizes.values() if nm is not None})
            raise UnknownFilterValueError(
                "process_node", text, "matches no node of that size", [f"{format(nm, 'f')}nm" for nm in known][:5]
            )
        return tuple(ids.slug_of(node) for node in found)
    iri = _exact(store, "process-node", text, search)
    found = [iri] if iri is not None else _named(search, "process-node", text)
    if not found:  # a foundry's own name for its node, without the foundry: "N7+" for "TSMC N7+"
        prefix, short = f"{ID_BASE}process-node/", compact(text)
        found = sorted(
            {
                iri
                for _, name, iri in search.entries
                if iri.startswith(prefix) and " " in name.strip() and compact(name.strip().split(None, 1)[1]) == short
            }
        )
    if not found:
        close = _close(search, "process-node", text)
        numbers = [Decimal(number) for number in re.findall(r"\d{1,3}(?:\.\d{1,3})?", text)]
        close += sorted(
            ids.slug_of(node) for node, nm in sizes.items() if nm and any(_same(nm, number) for number in numbers)
        )
        raise UnknownFilterValueError("process_node", text, "names no process node", list(dict.fromkeys(close))[:5])
    return found[0].removeprefix(f"{ID_BASE}process-node/") if len(found) == 1 else tuple(ids.slug_of(n) for n in found)


def _same(stated: str, wanted: Decimal) -> bool:
    try:
        return Decimal(stated) == wanted
    except InvalidOperation:
        return False


def _close(index: SearchIndex, kind: str, text: str) -> list[str]:
    """Up to five ids of ``kind`` close to ``text``: ids.suggest's, then those whose name is close."""
    found = ids.suggest(index, kind, _slugish(text))
    prefix = f"{ID_BASE}{kind}/"
    names: dict[str, str] = {}
    for folded, _, iri in index.entries:
        if iri.startswith(prefix):
            names.setdefault(folded, iri.removeprefix(prefix))
    found += [names[name] for name in difflib.get_close_matches(fold(text.strip()), list(names), n=5, cutoff=0.6)]
    return list(dict.fromkeys(found))[: ids.SUGGESTIONS]


def _slugish(text: str) -> str:
    """``text`` as a slug for suggestions: spaces and punctuation as hyphens."""
    return re.sub(r"[^0-9A-Za-z.+]+", "-", text.strip()).strip("-")[:128] or "x"
