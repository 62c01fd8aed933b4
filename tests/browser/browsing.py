"""Helpers for the browser tests: open a page and check it, check its accessibility, keep a screenshot.

Each page the ``page`` fixture (conftest.py) gives is watched: every console error, uncaught page
error, failed request and request to any host but the test server is recorded on it as a
*problem*. A problem fails the test (at the next helper call, and in any case when the test ends),
except the one console error Chromium itself logs for a document answered with an error status,
which a test expects by passing ``status=`` to ``goto_ok`` or calling ``expect_document_error``.

Reuse for a new page type::

    from .browsing import assert_accessible, goto_ok, screenshot

    def test_my_page(page: Page) -> None:
        goto_ok(page, "/my-page")
        ...  # what a user sees: locators and ``expect``
        assert_accessible(page)
        screenshot(page, "my-page")
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any

from playwright.sync_api import ConsoleMessage, Error, Page, Request, Response, Route

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "test-results"
SCREENSHOTS = RESULTS / "screenshots"
FAILURES = RESULTS / "failures"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "KTSJmUUM3yhJqOcLeRL8LahahJ2jnA0NU5T1HUqe2Vw="  # sri-history.json of axe-core 4.14.1
FAILING_IMPACTS = ("serious", "critical")
TIMEOUT_MS = 15_000  # every action, navigation and expect
WATCH = "_chipgraph_watch"  # the attribute of a Page that holds its Watch


@dataclass
class Watch:
    """What went wrong on one page, and the document errors its test expects."""

    base: str
    problems: list[str] = field(default_factory=list)
    expected: list[tuple[str, int]] = field(default_factory=list)  # (document URL, status)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        for expected_url, status in self.expected:
            if url == expected_url and message.text == _status_message(status):
                return  # Chromium's own line for a document the test asked for with this status
        self.problems.append(f"console error: {message.text} (at {url or 'unknown'})")

    def on_page_error(self, error: Error) -> None:
        self.problems.append(f"uncaught page error: {error.message}\n{error.stack or ''}".rstrip())

    def on_request_failed(self, request: Request) -> None:
        if request.url.startswith(self.base + "/"):
            self.problems.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def on_outside_request(self, route: Route) -> None:
        """A request to anything but the test server: aborted (the pages must need nothing from outside)."""
        self.problems.append(f"request outside the test server: {route.request.method} {route.request.url}")
        route.abort()

    def take(self) -> list[str]:
        """The problems so far, forgotten once taken."""
        problems, self.problems = self.problems, []
        return problems


def _status_message(status: int) -> str:
    return f"Failed to load resource: the server responded with a status of {status} ({HTTPStatus(status).phrase})"


def watch(page: Page, base: str) -> Watch:
    """Record the problems of ``page``, whose server is ``base`` (conftest's page fixture calls it)."""
    watched = Watch(base)
    setattr(page, WATCH, watched)
    page.on("console", watched.on_console)
    page.on("pageerror", watched.on_page_error)
    page.on("requestfailed", watched.on_request_failed)
    page.context.route(lambda url: not url.startswith(base + "/"), watched.on_outside_request)
    return watched


def watch_of(page: Page) -> Watch:
    watched = getattr(page, WATCH, None)
    assert isinstance(watched, Watch), "not a page of the `page` fixture"
    return watched


def assert_no_problems(page: Page) -> None:
    """Fail, listing them, if the page had console errors, page errors or failed requests."""
    problems = watch_of(page).take()
    assert not problems, "the page had problems:\n" + "\n".join(f"- {p}" for p in problems)


def expect_document_error(page: Page, path: str, status: int) -> None:
    """The test will load ``path`` and expects ``status``: Chromium's console line for it is not a problem.

    ``path`` is relative to the server, query included, exactly as the browser requests it; it may
    be a page or a script's ``fetch`` (a form that shows a 4xx answer). Only that line, for that URL
    and status, is excused.
    """
    watched = watch_of(page)
    watched.expected.append((watched.base + path, status))


def goto_ok(page: Page, path: str, status: int = 200) -> Response:
    """Open ``path`` (relative to the test server), assert its status and an HTML answer, and no problems."""
    if status != 200:
        expect_document_error(page, path, status)
    response = page.goto(path)
    assert response is not None, f"no response for {path}"
    assert response.status == status, f"{path}: HTTP {response.status}, expected {status}"
    content_type = response.headers.get("content-type", "")
    assert content_type.startswith("text/html"), f"{path}: {content_type}, expected an HTML page"
    assert_no_problems(page)
    return response


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as test-results/screenshots/NAME.png and return its path."""
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", name), f"screenshot name {name!r}: lower case, digits and dashes"
    path = SCREENSHOTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


@cache
def axe_source() -> str:
    """The vendored axe-core, checked against its published hash."""
    data = AXE.read_bytes()
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert digest == AXE_SHA256, f"{AXE} is not axe-core 4.14.1 (sha256-{digest})"
    return data.decode("utf-8")


def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    """Every axe-core violation on the page as it is now (all rules axe runs by default, all impacts)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())  # through the DevTools protocol: no script tag, no CSP in the way
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await window.axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary})),
            }));
        }"""
    )
    return violations


def assert_accessible(page: Page) -> list[dict[str, Any]]:
    """Fail on any axe-core violation of impact serious or critical, listing each; return the others."""
    violations = accessibility_violations(page)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    assert not failing, f"accessibility violations on {page.url}:\n" + "\n".join(_describe(v) for v in failing)
    assert_no_problems(page)
    return violations


def _describe(violation: dict[str, Any]) -> str:
    nodes = "\n".join(
        f"    at {n['target']}: {n['html'][:160]}\n      {(n['summary'] or '').replace(chr(10), ' ')}"
        for n in violation["nodes"][:5]
    )
    more = f"\n    ... and {len(violation['nodes']) - 5} more" if len(violation["nodes"]) > 5 else ""
    return f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})\n{nodes}{more}"
