"""Headless Debian Chromium for the report tests (Playwright, no downloaded browser)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

MISSING = "/usr/bin/chromium missing: run `make browser` (Debian chromium)"

#: Marks for a module of browser tests: skipped, with the reason, where Chromium is missing.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING),
]


@contextmanager
def launched_browser() -> Iterator[object]:
    """Headless Debian Chromium through Playwright; skips the test where either is missing."""
    if not CHROMIUM.exists():
        pytest.skip(MISSING)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def open_page(path: Path) -> Iterator[tuple[object, list[str], list[str]]]:
    """Open ``path`` in headless Chromium; yield the page, requested URLs and page errors."""
    requests: list[str] = []
    errors: list[str] = []
    with launched_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        yield page, requests, errors


def visible_numbers(page) -> list[int]:
    """Segment numbers of the table rows currently shown."""
    return [int(n) for n in page.eval_on_selector_all(
        "tr.unit", "rows => rows.filter(r => r.offsetParent !== null).map(r => r.dataset.n)")]


def save_screenshot(page, path: Path) -> None:
    """Screenshot the top of ``page`` into ``path`` (for a human to look at), atomically."""
    page.evaluate("window.scrollTo(0, 0)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    page.screenshot(path=str(tmp), full_page=False)
    shutil.move(tmp, path)
