"""SHACL validation of a changeset's neighbourhood in a worker process (issue 14 item 5; docs/adr/0017).

pyshacl and rdflib are pure Python: validating a changeset in the server's process holds the
GIL for hundreds of milliseconds, and every reader waits. ``ValidationWorker.check`` is a
``validate.NeighbourhoodCheck`` that ships the neighbourhood the gate selected (the quads after
the change, as N-Quads) and the focus nodes to one worker process, which runs exactly the code
the server would run (``validate.check_neighbourhood``), and reads back its verdict and the
standard report graph. The verdict and results are therefore those in-process validation gives
(tests/test_validation_worker.py compares them).

What it promises:
- one worker process (spawned, so that no lock or thread of the server is copied into it),
  started on first use or by ``start``; checks from several threads queue for it; it exits
  within a second of its server's death, even a kill -9;
- a worker that dies (killed, out of memory, a crash) refuses the check under way, and any
  check sent before the death was noticed, with ValidationWorkerError, never with a verdict:
  the merge it belonged to writes nothing. The dead worker is replaced, and the next check runs
  on a fresh one.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

import pyoxigraph as ox
import rdflib

from kg.gate.validate import ValidationReport, check_neighbourhood, read_report, shapes_graph

log = logging.getLogger("chipgraph.validation")


class ValidationWorkerError(RuntimeError):
    """Raised when the validation worker stopped before it gave a verdict; nothing was written."""


def _started(niceness: int, server: int) -> None:
    """In the worker, as it starts: lower its CPU priority by ``niceness``; exit when ``server`` is gone."""
    if niceness:
        os.nice(niceness)

    def watch() -> None:
        while os.getppid() == server:
            time.sleep(1.0)
        os._exit(1)  # the server died (kill -9 too): nobody will ask any more

    threading.Thread(target=watch, name="server-watch", daemon=True).start()


def _ready() -> int:
    """In the worker: load the shapes and the libraries; return the worker's process id."""
    shapes_graph()
    return os.getpid()


Report = list[tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]]


def _check(nquads: bytes, focus: list[str], allow_warnings: bool) -> tuple[bool, Report]:
    """In the worker: validate the neighbourhood; return the verdict and the report graph's triples.

    The triples travel as rdflib terms (pickled), so that blank nodes keep their names: a
    result names an anonymous shape by its blank node (the same in every process, see
    validate.shapes_graph).
    """
    quads = set(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    report = check_neighbourhood(quads, set(focus), allow_warnings)
    return report.conforms, list(report.graph)


class ValidationWorker:
    """One worker process that validates neighbourhoods for the gate; replaced when it dies."""

    def __init__(self, niceness: int = 0) -> None:
        """``niceness``: added to the worker's (so that it yields the CPU to the server's readers)."""
        self._niceness = niceness
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise ValidationWorkerError("the validation worker is closed")
            if self._executor is None:
                started = (self._niceness, os.getpid())
                self._executor = ProcessPoolExecutor(1, get_context("spawn"), initializer=_started, initargs=started)
            return self._executor

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    def start(self) -> int:
        """Start the worker (if not running) and wait until it is ready; return its process id.

        Raises ValidationWorkerError if it dies while starting.
        """
        pool = self._pool()
        try:
            return pool.submit(_ready).result()
        except BrokenProcessPool as error:
            self._replace(pool)
            raise ValidationWorkerError("the validation worker stopped while starting") from error

    def check(self, quads: set[ox.Quad], focus: set[str], allow_warnings: bool) -> ValidationReport:
        """``validate.check_neighbourhood`` run in the worker: the same verdict and results.

        Raises ValidationWorkerError (never a verdict) if the worker dies before it answers;
        the worker is then replaced for the next check.
        """
        if not focus:
            return ValidationReport(conforms=True, results=[], graph=rdflib.Graph())
        payload = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
        pool = self._pool()
        try:
            conforms, report = pool.submit(_check, payload, sorted(focus), allow_warnings).result()
        except BrokenProcessPool as error:
            self._replace(pool)
            log.error("the validation worker stopped; the change was refused and the worker replaced")
            raise ValidationWorkerError(
                "the validation worker stopped before it gave a verdict; nothing was written (send the change again)"
            ) from error
        graph = rdflib.Graph()
        for triple in report:
            graph.add(triple)
        return read_report(graph, conforms)

    def close(self) -> None:
        """Stop the worker; later checks raise ValidationWorkerError."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
