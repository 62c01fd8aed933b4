"""HTML for people at the API's own URLs: a browser's Accept header picks a page, a program's picks JSON.

A route's JSON payload is the page's data: the page of a route is its template (by route name)
filled with the very payload the JSON answer carries, plus what ``api.web.context`` adds for
people (history, conflicts). So a page can never disagree with the API about a fact.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import orjson
from fastapi import Request

from api.negotiation import acceptable
from kg.namespaces import ID_BASE, shorten

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
HTML = "text/html"
# route name -> template; a GET route not listed here gets the generic page of its JSON
PAGES = {
    "home": "home.html",
    "list_chips": "chips.html",
    "get_chip": "entity.html",
    "get_company": "entity.html",
    "get_regulation": "entity.html",
    "get_entity": "entity.html",
    "resolve": "entity.html",
    "search": "search.html",
    "get_export_status": "export_status.html",
    "chart_data": "charts.html",
    "list_named_queries": "queries.html",
    "run_named_query": "query.html",
    "list_changes": "changes.html",
    "get_change": "change.html",
    "changeset_form": "changeset_form.html",
}

VOCABULARIES = ("cg", "rdf", "rdfs", "owl", "xsd", "skos")  # terms shown as prefix:name, not as links
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=jinja2.select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _code_version() -> str:
    """A digest of the package version and every template and static file, part of each ETag.

    So a new release never has a browser keep a page of the old one.
    """
    digest = hashlib.sha256(version("chipgraph").encode())
    for path in sorted([*TEMPLATES.rglob("*"), *STATIC.rglob("*")]):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


CODE_VERSION = _code_version()


def wants_html(request: Request) -> bool:
    """True when the request's Accept header prefers HTML to JSON (a browser's does; ``*/*`` does not)."""
    offered = acceptable(request.headers.get("accept"), ["application/json", HTML])
    return bool(offered) and offered[0] == HTML


def _query_with(request: Request, **changes: Any) -> str:
    """The URL of the page with some query parameters changed (None removes one): for paging links."""
    params = {key: value for key, value in request.query_params.items() if key not in changes}
    params |= {key: value for key, value in changes.items() if value is not None}
    return f"{request.url.path}?{urlencode(params)}" if params else request.url.path


def _vocabulary_term(text: str) -> str:
    """``cg:GPU`` for a term of a vocabulary we name (ontology, RDF, OWL, ...); other text unchanged."""
    short = shorten(text)
    return short if short != text and short.partition(":")[0] in VOCABULARIES else text


def local_href(iri: str) -> str | None:
    """The page of one of our entities (/id/kind/slug), or None for any other IRI."""
    rest = iri.removeprefix(ID_BASE)
    return f"/id/{rest}" if iri.startswith(ID_BASE) and rest.count("/") == 1 else None


def iri_cell(value: str) -> dict[str, Any]:
    """A value of a result row as a cell: an IRI shortened (prefix:local), linked when it is ours."""
    if value.startswith(("http://", "https://", "urn:")):
        return {"text": shorten(value), "href": local_href(value), "kind": "iri", "title": value}
    return {"text": value, "href": None, "kind": "literal", "title": None}


def _as_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


_env.globals["query_with"] = _query_with
_env.globals["iri_cell"] = iri_cell
_env.filters["as_json"] = _as_json
_env.filters["term"] = _vocabulary_term


def render(name: str, request: Request, data: Any, **context: Any) -> str:
    """The HTML of template ``name`` for ``data``; ``context`` adds names the template may use."""
    return _env.get_template(name).render(request=request, data=data, **context)


def page(request: Request, data: Any) -> str:
    """The page of the route that answers ``request``, with ``data`` (its JSON payload)."""
    from api.web.context import extra_context  # late: it reads the graph through the route modules

    route = request.scope.get("route")
    name = getattr(route, "name", "")
    template = PAGES.get(name, "generic.html")
    context = extra_context(request, name, data) | {"parameters": query_parameters(route)}
    return render(template, request, data, route_name=name, **context)


def query_parameters(route: Any) -> list[dict[str, str]]:
    """The query parameters of a route (its own and its dependencies'), for the filter form of its page.

    Each is {"name", "description"}; paging (offset) is left to the page links.
    """
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return []
    found, pending = [], [dependant]
    while pending:
        current = pending.pop(0)
        for param in current.query_params:
            if param.alias != "offset":
                found.append({"name": param.alias, "description": param.field_info.description or ""})
        pending.extend(current.dependencies)
    return found


def error_page(request: Request, status: int, body: dict[str, Any]) -> str:
    """The HTML page of an error in our error shape (code, message, context)."""
    return render("error.html", request, body, status=status)
