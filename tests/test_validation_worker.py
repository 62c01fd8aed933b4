"""Validation in a worker process: the same verdicts as in process; a dead worker refuses, then is replaced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.compare import isomorphic

from kg.gate.changes import Changeset
from kg.gate.merge import MergeRefusedError, merge
from kg.gate.validate import validate_changes
from kg.gate.validation_worker import ValidationWorker, ValidationWorkerError
from kg.store import OxigraphStore
from tests.conftest import wait_for

CG = "https://w3id.org/chipgraph/ontology#"
ID = "https://w3id.org/chipgraph/id/"
EPOCH = "https://w3id.org/chipgraph/graph/epoch-ml-hardware"
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DECIMAL = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")


def chip(slug: str, designer: str, **figures: str) -> frozenset[ox.Triple]:
    node = ox.NamedNode(ID + "chip/" + slug)
    triples = {
        ox.Triple(node, TYPE, ox.NamedNode(CG + "GPU")),
        ox.Triple(node, LABEL, ox.Literal(slug.upper())),
        ox.Triple(node, ox.NamedNode(CG + "designedBy"), ox.NamedNode(ID + "organization/" + designer)),
    }
    triples |= {
        ox.Triple(node, ox.NamedNode(CG + name), ox.Literal(value, datatype=DECIMAL)) for name, value in figures.items()
    }
    return frozenset(triples)


def change(add: frozenset[ox.Triple], remove: frozenset[ox.Triple] = frozenset()) -> Changeset:
    return Changeset(EPOCH, add, remove, "tester", "worker test")


@pytest.fixture(scope="module")
def worker() -> Iterator[ValidationWorker]:
    started = ValidationWorker()
    yield started
    started.close()


CHANGES = {
    "conforms": [change(chip("w-good", "nvidia"))],
    "violation": [change(chip("w-good", "nvidia") | chip("w-bad", "tsmc"))],
    "warning": [change(chip("w-fast", "nvidia", memoryBandwidthGBps="99999"))],
    "removal": [
        change(
            frozenset(),
            frozenset({ox.Triple(ox.NamedNode(ID + "chip/nvidia-h100-sxm5"), LABEL, ox.Literal("NVIDIA H100 SXM5"))}),
        )
    ],
}


@pytest.mark.parametrize("name", sorted(CHANGES))
@pytest.mark.parametrize("allow_warnings", [False, True])
def test_the_worker_gives_the_verdict_and_results_of_validation_in_process(
    curated: OxigraphStore, worker: ValidationWorker, name: str, allow_warnings: bool
) -> None:
    in_process = validate_changes(curated, CHANGES[name], allow_warnings=allow_warnings)
    in_worker = validate_changes(curated, CHANGES[name], allow_warnings=allow_warnings, check=worker.check)
    assert in_worker.conforms == in_process.conforms
    assert in_worker.results == in_process.results
    assert isomorphic(in_worker.graph, in_process.graph)
    if name == "violation":
        assert not in_worker.conforms and in_worker.violations == 1
    if name == "warning":
        assert in_worker.warnings_only and in_worker.conforms == allow_warnings


def test_the_worker_runs_in_another_process(worker: ValidationWorker) -> None:
    assert worker.start() != os.getpid()


def test_a_killed_worker_refuses_the_merge_writes_nothing_and_the_next_merge_works(
    fresh_curated: OxigraphStore,
) -> None:
    worker = ValidationWorker()
    try:
        os.kill(worker.start(), signal.SIGKILL)
        before = fresh_curated.dump_nquads()
        with pytest.raises(ValidationWorkerError, match="stopped before it gave a verdict; nothing was written"):
            merge(fresh_curated, [change(chip("w-after-kill", "nvidia"))], check=worker.check)
        assert fresh_curated.dump_nquads() == before
        result = merge(fresh_curated, [change(chip("w-after-kill", "nvidia"))], check=worker.check)
        assert len(result.merged) == 1
        assert fresh_curated.contains(
            ox.Quad(ox.NamedNode(ID + "chip/w-after-kill"), LABEL, ox.Literal("W-AFTER-KILL"), ox.NamedNode(EPOCH))
        )
        with pytest.raises(MergeRefusedError):  # and the fresh worker still refuses what does not conform
            merge(fresh_curated, [change(chip("w-bad-after", "tsmc"))], check=worker.check)
    finally:
        worker.close()


def test_a_closed_worker_refuses_to_check() -> None:
    worker = ValidationWorker()
    worker.close()
    with pytest.raises(ValidationWorkerError):
        worker.check(set(), {ID + "chip/x"}, False)


def test_the_worker_exits_when_its_server_is_killed() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", SERVER], stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True, cwd=Path.cwd()
    ) as server:
        assert server.stdout is not None
        worker = int(server.stdout.readline())
        assert alive(worker)
        server.kill()
        server.wait(30)
        wait_for(lambda: not alive(worker), "the worker gone after its server's kill -9")


SERVER = (
    "from kg.gate.validation_worker import ValidationWorker; import sys; "
    "print(ValidationWorker().start(), flush=True); sys.stdin.read()"
)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by init, counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return status != "Z"
