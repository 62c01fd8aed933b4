"""Where the ontology, shapes and curated data are, in a checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_CANDIDATES = (_PACKAGE_DIR / "_resources", _PACKAGE_DIR.parent)


class ResourceError(RuntimeError):
    """Raised when the ontology, shapes or data folder cannot be found."""


def resource_dir(name: str) -> Path:
    """Return the folder ``name`` (ontology, shapes or data).

    A wheel carries the folders under ``kg/_resources``; a checkout or editable install has
    them at the repository root. Raises ResourceError when neither exists.
    """
    for base in _CANDIDATES:
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise ResourceError(f"cannot find the {name}/ folder next to the kg package ({_PACKAGE_DIR})")


def ontology_files() -> list[Path]:
    """The ontology and its alignments, in load order."""
    folder = resource_dir("ontology")
    return [folder / "chipgraph.ttl", folder / "alignments.ttl"]


def check_files() -> list[Path]:
    """The ontology quality checks, ontology/checks/*-violation.rq, sorted by name."""
    return sorted((resource_dir("ontology") / "checks").glob("*-violation.rq"))


def data_files() -> list[Path]:
    """The curated fact files (TriG), sorted by name; sources.ttl is not among them."""
    return sorted(resource_dir("data").glob("*.trig"))


def sources_file() -> Path:
    """The main description of sources (data/sources.ttl), loaded into the metadata graph."""
    return resource_dir("data") / "sources.ttl"


def source_files() -> list[Path]:
    """Every file describing sources: data/sources.ttl, then data/sources/*.ttl sorted by name."""
    return [sources_file(), *sorted((resource_dir("data") / "sources").glob("*.ttl"))]


def shape_files() -> list[Path]:
    """The SHACL shapes (shapes/*.ttl), sorted by name."""
    return sorted(resource_dir("shapes").glob("*.ttl"))
