"""Does pyshacl-turbo (a Rust SHACL engine) give pyshacl's verdicts? The evidence for docs/adr/0016.

Compares the two engines result by result (focus node, path, value, constraint component,
severity, source shape; and separately the message) on:

1. every example under tests/data (ontology + file + the build's inferences, as tests/test_shapes.py);
2. the curated build, and the graph after each of N changesets drawn from the pools of the
   hypothesis test tests/test_incremental.py (full validation of the graph after the change);
3. the synthetic ecosystem of bench/generate.py, as generated and with faults planted;
4. the W3C SHACL test suite (data-shapes-test-suite/tests, core and sparql), when a copy is
   given with --w3c: both engines' verdicts, and each engine's agreement with the expected report.

Run: ``.venv/bin/python -m bench.shacl_engines --draws 60 --w3c /tmp/w3c-shacl/data-shapes-test-suite/tests``.
Prints one line per case that differs and a summary table (Markdown) at the end.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib.namespace import RDF, SH

from kg.gate import fast_shacl
from kg.gate.changes import Changeset
from kg.gate.validate import (
    ValidationReport,
    apply_changes,
    scratch_store,
    stated_quads,
    store_graph,
    validate_graph,
)
from kg.store import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
Key = tuple[str | None, ...]


def keys(report: ValidationReport, messages: bool = False) -> set[Key]:
    """The results of a report as comparable tuples (with the message if ``messages``)."""
    return {
        (r.focus_node, r.path, r.value, r.constraint, r.severity, r.source_shape) + ((r.message,) if messages else ())
        for r in report.results
    }


class Tally:
    """Counts of cases compared, verdicts equal, results equal, messages equal; the differing cases."""

    def __init__(self) -> None:
        self.rows: dict[str, list[int]] = {}
        self.differences: list[str] = []

    def compare(self, group: str, name: str, data: OxigraphStore) -> None:
        """Validate ``data`` with both engines and count the agreement under ``group``."""
        graph = store_graph(data)
        row = self.rows.setdefault(group, [0, 0, 0, 0])
        fast = fast_shacl.validate_store(data, allow_warnings=True)
        try:
            reference = validate_graph(graph, allow_warnings=True)
        except RecursionError as error:  # rdflib's SPARQL arithmetic on an ill-formed decimal
            row[0] += 1
            self.differences.append(f"{group} {name}: pyshacl raised {type(error).__name__}; turbo {fast.conforms}")
            print(self.differences[-1], flush=True)
            return
        same = (
            reference.conforms == fast.conforms,
            keys(reference) == keys(fast),
            keys(reference, True) == keys(fast, True),
        )
        row[0] += 1
        for index, flag in enumerate(same, start=1):
            row[index] += flag
        if not all(same):
            self.differences.append(
                f"{group} {name}: conforms {reference.conforms}/{fast.conforms}; "
                f"only pyshacl {sorted(keys(reference, True) - keys(fast, True))}; "
                f"only turbo {sorted(keys(fast, True) - keys(reference, True))}"
            )
            print(self.differences[-1], flush=True)


def example_store(path: Path) -> OxigraphStore:
    """The ontology and one example file with the build's inferences (as tests/test_shapes.py)."""
    from kg import resources
    from kg.build import parse_file
    from kg.namespaces import ONTOLOGY_GRAPH

    quads = {quad for ontology in resources.ontology_files() for quad in parse_file(ontology, ONTOLOGY_GRAPH)}
    return scratch_store(quads | set(parse_file(path, "urn:example")))


def drawn_changes(rng: random.Random) -> list[Changeset]:
    """A changeset drawn from the pools of tests/test_incremental.py (as its hypothesis strategy draws)."""
    sys.path.insert(0, str(ROOT))
    from tests.test_incremental import ADD, REMOVE, G

    result = []
    for graph in ADD:
        add = {t for t in ADD[graph] if rng.random() < 0.3}
        remove = {t for t in REMOVE[graph] if rng.random() < 0.3}
        if add or remove:
            result.append(Changeset(G + graph, frozenset(add), frozenset(remove), "draw", "drawn change"))
    return result or [
        Changeset(G + "epoch-ml-hardware", frozenset({ADD["epoch-ml-hardware"][0]}), frozenset(), "d", "d")
    ]


def faults(quads: list[ox.Quad], rng: random.Random, count: int, ill_formed: bool = False) -> list[ox.Quad]:
    """The quads with ``count`` faults planted: figures out of range, dates as text, facts dropped.

    With ``ill_formed``, every other figure and date is ill-formed for its datatype instead.
    """
    out = list(quads)
    for index_number in range(count):
        number = index_number if ill_formed else 1
        index = rng.randrange(len(out))
        quad = out[index]
        if isinstance(quad.object, ox.Literal) and quad.object.datatype.value.endswith("decimal"):
            value = "-5.0" if number % 2 else "12.x"  # out of range, or ill-formed for its datatype
            out[index] = ox.Quad(
                quad.subject, quad.predicate, ox.Literal(value, datatype=quad.object.datatype), quad.graph_name
            )
        elif isinstance(quad.object, ox.Literal) and quad.object.datatype.value.endswith("date"):
            value = "not a date" if number % 2 else "2023-13-45"
            datatype = None if number % 2 else quad.object.datatype
            out[index] = ox.Quad(quad.subject, quad.predicate, ox.Literal(value, datatype=datatype), quad.graph_name)
        else:
            del out[index]
    return out


def w3c_cases(root: Path) -> list[Path]:
    """The test files of the W3C SHACL suite under ``root`` (core and sparql)."""
    return sorted(path for path in root.rglob("*.ttl") if path.name != "manifest.ttl")


def w3c_key(graph: rdflib.Graph, node: rdflib.term.Node) -> Key:
    """A W3C result as comparable text (blank nodes as _)."""

    def text(value: rdflib.term.Node | None) -> str | None:
        return None if value is None else ("_" if isinstance(value, rdflib.BNode) else str(value))

    return tuple(
        text(graph.value(node, p))
        for p in (SH.focusNode, SH.resultPath, SH.value, SH.sourceConstraintComponent, SH.resultSeverity)
    )


def w3c_results(graph: rdflib.Graph) -> tuple[bool | None, set[Key]]:
    """The conforms flag and results of the one report in ``graph``."""
    report = next(iter(graph.subjects(RDF.type, SH.ValidationReport)), None)
    if report is None:
        return None, set()
    conforms = graph.value(report, SH.conforms)
    return (None if conforms is None else str(conforms).lower() in ("true", "1")), {
        w3c_key(graph, r) for r in graph.objects(report, SH.result)
    }


def run_w3c(root: Path, tally: Tally) -> None:
    """Both engines on each W3C test file (data and shapes graph are the file); counted under 'W3C'."""
    import pyshacl_turbo

    mf = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
    row = tally.rows.setdefault("W3C SHACL suite (core, sparql)", [0, 0, 0, 0])
    expected_ok = [0, 0]
    for path in w3c_cases(root):
        test = rdflib.Graph().parse(path, format="turtle")
        result = next(iter(test.objects(None, mf.result)), None)
        expected = (None, set()) if result is None else w3c_results(_subgraph(test, result))
        outcomes: list[tuple[object, object]] = []
        for engine in (pyshacl, pyshacl_turbo):
            try:
                conforms, report, _ = engine.validate(
                    rdflib.Graph().parse(path, format="turtle"),
                    shacl_graph=rdflib.Graph().parse(path, format="turtle"),
                    inference="none",
                    advanced=True,
                )
                outcomes.append((bool(conforms), w3c_results(report)[1]))
            except Exception as error:
                outcomes.append(("error", {type(error).__name__}))
        row[0] += 1
        row[1] += outcomes[0][0] == outcomes[1][0]
        row[2] += outcomes[0] == outcomes[1]
        row[3] += outcomes[0] == outcomes[1]
        for index, outcome in enumerate(outcomes):
            expected_ok[index] += outcome[0] == expected[0] and outcome[1] == expected[1]
        if outcomes[0] != outcomes[1]:
            tally.differences.append(f"W3C {path.relative_to(root)}: pyshacl {outcomes[0]} turbo {outcomes[1]}")
            print(tally.differences[-1], flush=True)
    print(f"W3C: expected report reproduced by pyshacl {expected_ok[0]}, by turbo {expected_ok[1]} of {row[0]}")


def _subgraph(graph: rdflib.Graph, node: rdflib.term.Node) -> rdflib.Graph:
    """The triples reachable from ``node`` (the expected report of a test entry)."""
    out, todo, seen = rdflib.Graph(), [node], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for p, o in graph.predicate_objects(current):
            out.add((current, p, o))
            if isinstance(o, rdflib.BNode | rdflib.URIRef) and p != RDF.type:
                todo.append(o)
    return out


def main() -> None:
    """Compare the engines on every case and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=60)
    parser.add_argument("--synthetic", type=int, default=20_000)
    parser.add_argument("--w3c", type=Path, default=None)
    args = parser.parse_args()
    tally = Tally()
    started = time.perf_counter()
    for path in sorted((ROOT / "tests" / "data").glob("*/*.t*")):
        tally.compare("tests/data examples", path.name, example_store(path))
    from kg.build import build, load_plan

    _, curated = build(None, plan=load_plan())
    assert curated is not None
    tally.compare("curated build", "as built", curated)
    rng = random.Random(14)
    stated = stated_quads(curated)
    for draw in range(args.draws):
        tally.compare(
            "hypothesis pools, drawn changes", str(draw), scratch_store(apply_changes(stated, drawn_changes(rng)))
        )
    from bench.generate import ecosystem
    from kg import resources
    from kg.build import parse_file
    from kg.namespaces import ONTOLOGY_GRAPH

    ontology = {q for o in resources.ontology_files() for q in parse_file(o, ONTOLOGY_GRAPH)}
    quads, _ = ecosystem(args.synthetic)
    tally.compare("synthetic ecosystem", "as generated", scratch_store(set(quads) | ontology))
    for seed in range(10):
        faulty = scratch_store(set(faults(quads, random.Random(seed), 40)) | ontology)
        tally.compare("synthetic ecosystem with faults", f"faults {seed}", faulty)
    for seed in range(5):
        faulty = scratch_store(set(faults(quads, random.Random(seed), 40, ill_formed=True)) | ontology)
        tally.compare("synthetic ecosystem with ill-formed literals", f"ill-formed {seed}", faulty)
    if args.w3c is not None:
        run_w3c(args.w3c, tally)
    print(
        f"\n{time.perf_counter() - started:.0f} s, pyshacl {pyshacl.__version__}, "
        f"pyshacl-turbo {fast_shacl.version()}\n"
    )
    print("| cases | compared | same verdict | same results | same results and messages |")
    print("|---|---:|---:|---:|---:|")
    for group, (count, verdict, results, messages) in tally.rows.items():
        print(f"| {group} | {count} | {verdict} | {results} | {messages} |")


if __name__ == "__main__":
    main()
