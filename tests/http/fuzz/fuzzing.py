"""What the fuzz tests (tests/http/fuzz/test_fuzz_*.py) share: their size, the answer check, the store's fingerprint.

CI runs a fixed, small number of generated cases per test, the same cases on every run
(hypothesis' ``derandomize``). A longer run sets two variables:

    CHIPGRAPH_FUZZ_EXAMPLES=2000 CHIPGRAPH_FUZZ_RANDOM=1 .venv/bin/pytest tests/http/fuzz/test_fuzz_*.py

CHIPGRAPH_FUZZ_EXAMPLES replaces each test's number of cases; CHIPGRAPH_FUZZ_RANDOM=1 draws new
cases on every run (hypothesis then prints the seed of a failure and how to reproduce it).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, settings

from api.errors import STATUS
from kg.gate import merge as merging
from kg.store import OxigraphStore

Fingerprint = tuple[int, int]


def examples(in_ci: int) -> int:
    """The number of cases a test runs: ``in_ci``, unless CHIPGRAPH_FUZZ_EXAMPLES says otherwise."""
    given = os.environ.get("CHIPGRAPH_FUZZ_EXAMPLES", "")
    return int(given) if given.isdigit() and int(given) > 0 else in_ci


def fuzz_settings(in_ci: int) -> settings:
    """Hypothesis settings for a fuzz test: ``examples(in_ci)`` cases, no deadline, reproducible in CI."""
    return settings(
        max_examples=examples(in_ci),
        deadline=None,
        derandomize=os.environ.get("CHIPGRAPH_FUZZ_RANDOM") != "1",
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def fingerprint(store: OxigraphStore) -> Fingerprint:
    """A cheap summary of the store that any write changes: its size and the next history sequence number.

    A write that adds and removes as many quads still changes the sequence number (every merge
    records itself); the full N-Quads dump is compared once per module on top of it.
    """
    return store.quad_count(), merging.next_sequence(store)


def is_dry_run_report(body: Any) -> bool:
    """Whether ``body`` is the validation report a refused dry run answers (POST /changes?dry_run=true)."""
    return isinstance(body, dict) and set(body) == {"conforms", "results"} and body["conforms"] is False


def answer_problem(status: int, content: bytes, *, report_allowed: bool = False) -> str | None:
    """What is wrong with an answer, or None: a 5xx, or a 4xx not in the one error shape.

    ``report_allowed``: a 422 may be a dry run's validation report (its documented answer).
    """
    if status >= 500:
        return f"server error {status}: {content[:300]!r}"
    if status < 400:
        return None
    try:
        body = json.loads(content)
    except ValueError:
        return f"{status} with a body that is not JSON: {content[:300]!r}"
    if report_allowed and status == 422 and is_dry_run_report(body):
        return None
    if not isinstance(body, dict) or set(body) != {"code", "message", "context"}:
        return f"{status} not in the error shape: {content[:300]!r}"
    if STATUS.get(body["code"]) != status or not isinstance(body["message"], str):
        return f"{status} with code {body['code']!r}, which STATUS maps to {STATUS.get(body['code'])}"
    if not isinstance(body["context"], dict):
        return f"{status} whose context is not an object: {content[:300]!r}"
    return None


class StoreWatch:
    """The app's store, its whole dump as of the last accepted write (or the start), its fingerprint now."""

    def __init__(self, store: OxigraphStore) -> None:
        self.store = store
        self.before = store.dump_nquads()
        self.last: Fingerprint = fingerprint(store)
        self.accepted: list[str] = []

    def after(self, what: str, status: int, may_write: bool) -> None:
        """Raise AssertionError if the store changed although the call could not write or wrote nothing (no 201).

        After an accepted write that changed the store the dump is taken again, so that the final
        comparison checks the rest. (A 201 may change nothing: a backup.)
        """
        now = fingerprint(self.store)
        changed, self.last = now != self.last, now
        if changed and not (may_write and status == 201):
            raise AssertionError(f"{what}: answered {status}, and the store changed")
        if changed:
            self.accepted.append(what)
            self.before = self.store.dump_nquads()


@contextmanager
def ill_typed_literals_unlogged() -> Iterator[None]:
    """Keep rdflib from logging a traceback for each ill-typed literal ("x"^^xsd:integer) meanwhile.

    Such a record (exc_info) keeps the frames of the validating thread alive, and with them the
    pyoxigraph query result kg/validate.store_graph iterates. pytest's log capture drops the record
    later in its own thread, where pyoxigraph (an unsendable object) refuses to be freed: an
    "unraisable" RuntimeError, an error under filterwarnings=error. Reported with issue #10.
    """
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
