"""The browser tests' fixtures: a live chipgraph server, Debian's headless Chromium, a watched page per test.

One server (a real ``chipgraph serve`` on a free loopback port, over a copy of the real build,
writes off) and one browser serve the whole package; each test gets a new browser context and
page whose problems fail it (browsing.py). Playwright never downloads a browser: it starts the
Chromium that ``make browser`` installs from Debian (``$CHIPGRAPH_CHROMIUM`` names another).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from kg.store import OxigraphStore
from tests.http.live_server import serving

from .browsing import FAILURES, SCREENSHOTS, TIMEOUT_MS, assert_no_problems, watch, watch_of

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

CHROMIUM = (
    "/usr/lib/chromium/chromium-headless-shell",  # Debian's chromium-headless-shell (make browser)
    "/usr/lib/chromium/chromium",  # Debian's chromium, the fallback
)
# As root, on a machine whose only network is the package registries: no sandbox (root), no GPU, and
# none of Chromium's own connections (updates, sync, QUIC probes) that a closed network refuses.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


def chromium_binary() -> str:
    """The Chromium to drive: ``$CHIPGRAPH_CHROMIUM``, else Debian's headless shell, else Debian's chromium."""
    named = os.environ.get("CHIPGRAPH_CHROMIUM")
    candidates = [named] if named else list(CHROMIUM)
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    where = ", ".join(c for c in candidates if c)
    raise RuntimeError(f"no Chromium at {where}: run `make browser` (Debian's chromium-headless-shell)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


WRITE_TOKEN = "browser-test-token"


@pytest.fixture(scope="package")
def server(store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a live ``chipgraph serve`` over a private copy of the built store.

    Writes are on with the token WRITE_TOKEN (the changeset form's test merges with it; every other
    test only reads).
    """
    folder = tmp_path_factory.mktemp("browser")
    source = OxigraphStore.open(store_dir)
    try:
        source.backup(folder / "store")
    finally:
        source.close()
    with serving(folder / "store", folder / "serve.log", write_token=WRITE_TOKEN) as base:
        yield base


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium, started once for the package; fresh screenshot folders each run."""
    for folder in (SCREENSHOTS, FAILURES):
        shutil.rmtree(folder, ignore_errors=True)
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        # a new temporary profile (user data dir) for this launch, removed when it closes
        chromium = playwright.chromium.launch(executable_path=chromium_binary(), args=LAUNCH_ARGS, timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    """A new page in a new context (no cookies or cache shared between tests), watched for problems."""
    context = browser.new_context(base_url=server, viewport=VIEWPORT, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    new_page = context.new_page()
    watch(new_page, server)
    try:
        yield new_page
    finally:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After a browser test: its page's problems fail it; a failed test leaves a screenshot in test-results/failures."""
    page = getattr(item, "funcargs", {}).get("page")
    if not isinstance(page, Page):
        return (yield)
    try:
        result = yield
    except BaseException:
        _capture_failure(item, page)
        raise
    try:
        assert_no_problems(page)
    except AssertionError:
        _capture_failure(item, page)
        raise
    return result


def _capture_failure(item: pytest.Item, page: Page) -> None:
    """Keep what the page showed when the test failed, and the problems it had, in the report."""
    problems = watch_of(page).problems
    if problems:
        item.add_report_section("call", "page problems", "\n".join(problems))
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", item.nodeid.split("::", 1)[-1]).strip("-")
    FAILURES.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(FAILURES / f"{name}.png"), full_page=True, timeout=TIMEOUT_MS)
    except Exception as error:  # the page may be gone; the failure itself is what matters
        item.add_report_section("call", "failure screenshot", f"not taken: {error}")
    else:
        item.add_report_section("call", "failure screenshot", str(FAILURES / f"{name}.png"))
