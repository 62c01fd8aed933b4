"""`chipgraph build`: load the ontology, the sources and the curated data into a fresh store.

The build writes into a new folder beside the target and swaps it in only when everything has
loaded, checked and been inferred, so a failed build leaves the previous store as it was, and
building twice from the same files gives the same store (no timestamps, no random ids).
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg import resources
from kg.gate.changes import Changeset, ChangesetError
from kg.gate.merge import MergeRefusedError, MergeResult, merge
from kg.gate.validate import ValidationReport, ValidationResult
from kg.importers import ImportFileError, default_imports, import_changesets
from kg.namespaces import GRAPH_BASE, INFERRED_GRAPH, META_GRAPH, ONTOLOGY_GRAPH, ONTOLOGY_NS, source_for_graph
from kg.rdf import rdf_format
from kg.store import AnyStore, OxigraphStore, RemoteStore, StoreLockedError, ensure_free, replace_store, term_text

PROV_PRIMARY_SOURCE = ox.NamedNode("http://www.w3.org/ns/prov#hadPrimarySource")

StepCallback = Callable[[str], None]
LoadPlan = list[tuple[Path, str | None]]
BUILD_AUTHOR = "chipgraph build"


class BuildError(RuntimeError):
    """Raised when a file cannot be parsed or the data break a build rule; nothing is swapped in."""


@dataclass
class BuildSummary:
    """What a build loaded: quads per graph, entities per class, sources and inferences."""

    store_path: Path | None
    quads_per_graph: dict[str, int]
    entities_per_class: dict[str, int]
    sources: int
    inferred_triples: int
    changesets: int
    warnings: list[ValidationResult] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def total_quads(self) -> int:
        """All quads in the store, inferred ones included."""
        return sum(self.quads_per_graph.values())


def parse_file(path: Path, target_graph: str | None = None) -> list[ox.Quad]:
    """Parse a Turtle or TriG file into quads; triples go to ``target_graph`` when given.

    Raises BuildError naming the file and the parser's line and column on malformed input, and
    when a TriG data file (no target graph) puts triples in the default graph or in a graph that
    is not a source graph (``graph/SLUG``; the system graphs are not).
    """
    try:
        quads = list(ox.parse(path=str(path), format=rdf_format(path)))
    except SyntaxError as error:
        raise BuildError(f"{path.name}: {error}") from error
    if target_graph is not None:
        graph = ox.NamedNode(target_graph)
        return [ox.Quad(quad.subject, quad.predicate, quad.object, graph) for quad in quads]
    stray = [quad for quad in quads if isinstance(quad.graph_name, ox.DefaultGraph)]
    if stray:
        raise BuildError(
            f"{path.name}: {len(stray)} triple(s) outside a named graph, e.g. {stray[0].triple}; "
            "every fact must lie in the graph of its source"
        )
    foreign = sorted({str(quad.graph_name) for quad in quads if source_for_graph(quad.graph_name.value) is None})
    if foreign:
        raise BuildError(
            f"{path.name}: graph(s) {', '.join(foreign)} are not source graphs; "
            f"name each graph {GRAPH_BASE}SLUG after the source it holds"
        )
    return quads


def load_plan() -> LoadPlan:
    """The files a build loads, each with the graph its triples go to (None: the file's own)."""
    plan: LoadPlan = [(path, ONTOLOGY_GRAPH) for path in resources.ontology_files()]
    plan.extend((path, META_GRAPH) for path in resources.source_files())
    plan.extend((path, None) for path in resources.data_files())
    return plan


def provenance_triples(graphs: Iterable[str]) -> set[ox.Triple]:
    """One ``<graph> prov:hadPrimarySource <source>`` triple per data graph (for the metadata graph)."""
    triples = set()
    for graph in graphs:
        source = source_for_graph(graph)
        if source is not None:
            triples.add(ox.Triple(ox.NamedNode(graph), PROV_PRIMARY_SOURCE, ox.NamedNode(source)))
    return triples


def build_changesets(plan: LoadPlan, on_step: StepCallback) -> tuple[list[ox.Quad], list[Changeset]]:
    """The ontology quads (loaded as they are) and one changeset per graph of the data files.

    The metadata changeset carries the sources' descriptions and each data graph's provenance.
    """
    system: list[ox.Quad] = []
    per_graph: dict[str, set[ox.Triple]] = defaultdict(set)
    files: dict[str, set[str]] = defaultdict(set)
    for path, target in plan:
        on_step(f"read {path.name}")
        for quad in parse_file(path, target):
            graph = str(quad.graph_name.value) if isinstance(quad.graph_name, ox.NamedNode) else ""
            if graph == ONTOLOGY_GRAPH:
                system.append(quad)
            else:
                per_graph[graph].add(quad.triple)
                files[graph].add(path.name)
    per_graph[META_GRAPH] |= provenance_triples(list(per_graph))
    changesets = [
        Changeset(graph, frozenset(triples), frozenset(), BUILD_AUTHOR, f"Build from {', '.join(sorted(files[graph]))}")
        for graph, triples in sorted(per_graph.items())
        if triples
    ]
    return system, changesets


ENTITIES_PER_CLASS = f"""
SELECT ?class (COUNT(DISTINCT ?entity) AS ?count) WHERE {{
  ?entity a ?class .
  FILTER(STRSTARTS(STR(?class), "{ONTOLOGY_NS}"))
  FILTER(STRSTARTS(STR(?entity), "https://w3id.org/chipgraph/id/"))
}}
GROUP BY ?class ORDER BY ?class
"""


def summarise(store: AnyStore) -> tuple[dict[str, int], dict[str, int]]:
    """Quads per named graph and chipgraph entities per class (inferred types included)."""
    per_graph = {graph: store.quad_count(graph) for graph in store.named_graphs()}
    per_class = {
        term_text(row["class"]).removeprefix(ONTOLOGY_NS): int(term_text(row["count"]))
        for row in store.select(ENTITIES_PER_CLASS)
    }
    return per_graph, per_class


def populate(
    store: OxigraphStore, plan: LoadPlan, on_step: StepCallback, imports: list[tuple[str, Path]] | None = None
) -> MergeResult:
    """Load the ontology, merge the data as changesets through the one validated path, import data sets.

    Each data set of ``imports`` is its own merge, reconciled against what is already merged.

    Warnings are allowed (and reported); a violation fails the build. Raises BuildError.
    """
    system, changesets = build_changesets(plan, on_step)
    store.add_quads(system)
    on_step(f"validate and merge {len(changesets)} changesets")
    results = [_merge(store, changesets)]
    for source, path in imports or []:
        on_step(f"import {source} from {path.name}")
        try:
            imported, _ = import_changesets(store, source, path)
        except ImportFileError as error:
            raise BuildError(str(error)) from error
        results.append(_merge(store, imported))
    merged = [change for result in results for change in result.merged]
    findings = [finding for result in results for finding in result.report.results]
    report = ValidationReport(conforms=True, results=findings, graph=results[0].report.graph)
    return MergeResult(merged=merged, report=report)


def _merge(store: OxigraphStore, changesets: list[Changeset]) -> MergeResult:
    try:
        return merge(store, changesets, allow_warnings=True)
    except MergeRefusedError as error:
        raise BuildError(f"the data do not conform to the shapes: {error}") from error
    except ChangesetError as error:
        raise BuildError(str(error)) from error


def build(
    target: Path | None,
    on_step: StepCallback = lambda _step: None,
    plan: LoadPlan | None = None,
    *,
    wait: float = 0.0,
) -> tuple[BuildSummary, OxigraphStore | None]:
    """Build the store at ``target`` (or in memory when None) and return its summary.

    ``plan`` defaults to ``load_plan()`` (the packaged ontology, sources and data); with the
    default plan the packaged data sets (kg.importers.DEFAULT_IMPORTS) are imported too. For an
    in-memory build the open store is returned too. Raises BuildError on bad input, and
    StoreLockedError if another process holds ``target`` (or builds beside it) for longer than
    ``wait`` seconds; an existing store at ``target`` is then left unchanged.
    """
    imports = default_imports() if plan is None else []
    plan = load_plan() if plan is None else plan
    if target is None:
        store = OxigraphStore.in_memory()
        result = populate(store, plan, on_step, imports)
        return _summary(store, None, plan, result), store
    ensure_free(target, wait=wait)
    staging = _fresh_staging(target)
    store = OxigraphStore.create(staging)
    try:
        result = populate(store, plan, on_step, imports)
        summary = _summary(store, target, plan, result)
    except BaseException:
        store.close()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    store.close()
    on_step("swap in the new store")
    try:
        replace_store(staging, target, wait=wait)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return summary, None


def build_on_server(server: RemoteStore, on_step: StepCallback = lambda _step: None) -> BuildSummary:
    """Build in memory (the default plan and imports), then make ``server`` hold exactly the result.

    The server's chipgraph graphs are replaced under its write lock (RemoteStore.replace_all: not
    one transaction; a failure part-way raises StoreError, and the build must be sent again).
    Raises BuildError on bad input, as ``build``.
    """
    summary, store = build(None, on_step)
    assert store is not None  # an in-memory build returns its store
    try:
        server.replace_all(store.all_quads(), on_step)
    finally:
        store.close()
    return summary


def _fresh_staging(target: Path) -> Path:
    """The empty folder beside ``target`` a build writes into; StoreLockedError if another build uses it."""
    staging = target.with_name(target.name + ".building")
    try:
        ensure_free(staging)
    except StoreLockedError as error:
        raise StoreLockedError(target) from error
    shutil.rmtree(staging, ignore_errors=True)
    return staging


def _summary(store: OxigraphStore, path: Path | None, plan: LoadPlan, result: MergeResult) -> BuildSummary:
    per_graph, per_class = summarise(store)
    sources = sum(1 for graph in per_graph if source_for_graph(graph))
    return BuildSummary(
        store_path=path,
        quads_per_graph=per_graph,
        entities_per_class=per_class,
        sources=sources,
        inferred_triples=store.quad_count(INFERRED_GRAPH),
        changesets=len(result.merged),
        warnings=list(dict.fromkeys(r for r in result.report.results if r.severity != "Violation")),
        files=[file.name for file, _ in plan],
    )
