"""The review workspace in headless Chromium: edit, confirm, reload, conflict, QA, XSS, token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chromium import BROWSER_MARKS, launched_browser
from review_fixtures import GLOSSARY, XSS, StoreDouble, make_long_run, make_run

from pipeline.review import BackgroundServer, open_workspace

pytestmark = BROWSER_MARKS
TOKEN = "browser-test-token-42"


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[BackgroundServer, StoreDouble]]:
    run_dir, tm_path = make_run(tmp_path_factory.mktemp("run"))
    store = StoreDouble(run_dir)
    workspace = open_workspace(run_dir, tm_path, GLOSSARY, "ann", store=store)
    with BackgroundServer(workspace, TOKEN) as server:
        yield server, store


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with launched_browser() as browser:
        yield browser


@pytest.fixture
def page(browser, served) -> Iterator[object]:
    server, _ = served
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    open_workspace_page(page, server)
    yield page
    assert page.errors == []
    context.close()


def open_workspace_page(page, server: BackgroundServer) -> None:
    """Open the workspace in document order (a run with risks opens sorted by risk)."""
    page.goto(server.url)
    page.wait_for_selector("body[data-ready=all]")
    page.select_option("#sort", "doc")


def active(page) -> int:
    return int(page.get_attribute(".row.unit.active", "data-n"))


def go_to(page, n: int) -> None:
    """Activate segment ``n`` and wait for its detail panel (the unit as the server has it
    now: a save racing that load would otherwise hand the page the newer version)."""
    page.click(f'.row.unit[data-n="{n}"] .num')
    page.wait_for_selector(f'.row.unit.active[data-n="{n}"] textarea')
    page.wait_for_function("n => document.getElementById('p-n').textContent === String(n)",
                           arg=n)


def target_cell(page, n: int) -> str:
    return page.eval_on_selector(f'.row.unit[data-n="{n}"] .tgt',
                                 "c => c.querySelector('textarea')?.value ?? c.textContent")


#: Three edits the browser tests type and confirm.
EDITS = {1: "Wuzhen Summit of the World Internet Conference opens.",
         2: "This year is the tenth World Internet Conference Wuzhen Summit.",
         3: "Building a community with a shared future in cyberspace is its theme."}


def edit_confirm_and_reload(page, edits: dict[int, str]) -> None:
    """Type each edit, confirm it (Ctrl+Enter moves on), reload, and check the page shows
    every edit as translated, at the risk of a target a person vouched for."""
    go_to(page, 1)
    chip = page.query_selector('.row.unit[data-n="1"] .chip.risk')
    assert chip.inner_text().startswith("risk ") and chip.get_attribute("title")
    for n, text in edits.items():
        assert active(page) == n
        page.fill(f'.row.unit[data-n="{n}"] textarea', text)
        page.keyboard.press("Control+Enter")
        page.wait_for_selector(f'.row.unit.active[data-n="{n + 1}"]')
    page.reload()
    page.wait_for_selector("body[data-ready=all]")
    for n, text in edits.items():
        assert target_cell(page, n) == text
        assert page.inner_text(f'.row.unit[data-n="{n}"] .state') == "translated"
        assert page.inner_text(f'.row.unit[data-n="{n}"] .chip.risk') == "risk 0.02"


def test_edit_three_segments_confirm_and_reload(page, served) -> None:
    server, store = served
    edits = EDITS
    edit_confirm_and_reload(page, edits)
    for n, text in edits.items():
        record = store.units[n]
        assert (record.target, record.state, record.changed_by) == (text, "translated", "ann")


def test_qa_result_of_a_dropped_number_shows_before_moving_on(page, served) -> None:
    go_to(page, 4)
    text = target_cell(page, 4)
    assert "24" in text
    page.fill('.row.unit[data-n="4"] textarea', text.replace("24 ", ""))
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#qa li.error")
    assert "numbers (error)" in page.inner_text("#qa")
    assert "24" in page.inner_text("#qa")
    assert active(page) == 4  # stays on the segment with the error
    assert "numbers" in page.inner_text('.row.unit[data-n="4"] .flag-cell')
    page.keyboard.press("Control+Enter")  # again: saved as it is, on to the next one
    page.wait_for_selector('.row.unit.active:not([data-n="4"])')


def test_two_reviewers_on_one_segment_get_the_conflict_view(browser, served) -> None:
    server, store = served
    pages = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        p = context.new_page()
        open_workspace_page(p, server)
        go_to(p, 5)
        pages.append(p)
    first, second = pages
    first.fill('.row.unit[data-n="5"] textarea', "First reviewer: GSMA John Hoffman, Shanghai.")
    first.keyboard.press("Control+Shift+Enter")
    first.wait_for_selector('.row.unit.active:not([data-n="5"])')
    assert store.units[5].state == "approved"
    second.fill('.row.unit[data-n="5"] textarea', "Second reviewer: GSMA John Hoffman.")
    second.keyboard.press("Control+Enter")
    second.wait_for_selector("#conflict:not([hidden])")
    assert second.inner_text("#conflict-yours") == "Second reviewer: GSMA John Hoffman."
    assert second.inner_text("#conflict-theirs") == "First reviewer: GSMA John Hoffman, Shanghai."
    assert store.units[5].target.startswith("First reviewer")  # nothing overwritten
    second.click("#keep-theirs")
    assert second.input_value('.row.unit[data-n="5"] textarea').startswith("First reviewer")
    for p in pages:
        p.context.close()


def test_keyboard_moves_reverts_and_searches(page) -> None:
    go_to(page, 6)
    page.keyboard.press("Control+ArrowDown")
    assert active(page) == 7
    page.keyboard.press("Control+ArrowUp")
    assert active(page) == 6
    original = target_cell(page, 6)
    page.fill('.row.unit[data-n="6"] textarea', "scratch")
    page.keyboard.press("Escape")
    assert page.input_value('.row.unit[data-n="6"] textarea') == original
    page.click("#bar")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search"
    page.keyboard.type("GSMA")
    assert page.inner_text("#count") == "1 of 8 segments"
    page.fill("#search", "")
    page.select_option("#f-check", "numbers")
    shown = page.eval_on_selector_all(".row.unit", "rs => rs.map(r => r.dataset.n)")
    assert shown and "1" not in shown
    page.select_option("#f-check", "")
    page.check("#f-terms")
    assert page.inner_text("#count").endswith("of 8 segments")
    page.uncheck("#f-terms")


def test_hostile_texts_stay_inert(page) -> None:
    for n, hostile in zip((6, 7, 8), (XSS[0], XSS[1], XSS[3]), strict=True):
        go_to(page, n)
        assert hostile in page.input_value(f'.row.unit[data-n="{n}"] textarea')
        assert hostile in page.inner_text(f'.row.unit[data-n="{n}"] .src')
    assert page.evaluate("window.__xss") is None
    assert page.locator("#pwn").count() == 0
    assert page.locator("#rows a, #panel a, #rows script, #rows b").count() == 0
    text = page.inner_text("#rows")
    assert XSS[0] in text and XSS[3] in text
    assert "{{7*7}}" in text and "49" not in text


def test_requests_without_the_token_fail(browser, served, page) -> None:
    server, store = served
    stranger = browser.new_context()
    assert stranger.request.get(server.base + "/").status == 403
    assert stranger.request.get(server.base + "/api/units").status == 403
    assert stranger.request.get(server.base + "/static/app.js").status == 403
    stranger.close()
    # The page's own cookie reads, but never writes without the header.
    version = store.units[8].version
    status = page.evaluate("""async (version) => (await fetch('/api/units/8', {method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({target: 'x', state: 'approved', version})})).status""", version)
    assert status == 403
    assert store.units[8].version == version


def test_a_long_run_is_paged_and_keys_cross_pages(browser, tmp_path) -> None:
    run_dir, tm_path = make_long_run(tmp_path, 450)
    workspace = open_workspace(run_dir, tm_path, GLOSSARY, "ann", store=StoreDouble(run_dir))
    with BackgroundServer(workspace, TOKEN) as server:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        open_workspace_page(page, server)
        assert page.inner_text("#count") == "450 of 450 segments"
        assert page.inner_text("#page") == "page 1 of 3"
        assert page.locator(".row.unit").count() == 200
        go_to(page, 200)
        page.keyboard.press("Control+ArrowDown")
        page.wait_for_selector('.row.unit.active[data-n="201"]')
        assert page.inner_text("#page") == "page 2 of 3"
        page.keyboard.press("Control+ArrowUp")
        page.wait_for_selector('.row.unit.active[data-n="200"]')
        page.fill("#search", "第44")  # 44 and 440-449
        assert page.inner_text("#count") == "11 of 450 segments"
        assert page.inner_text("#page") == "page 1 of 1"
        context.close()


def test_confirming_an_approved_unit_keeps_it_approved(page, served) -> None:
    server, store = served
    go_to(page, 6)
    page.keyboard.press("Control+Shift+Enter")
    page.wait_for_selector('.row.unit.active:not([data-n="6"])')
    approved = store.units[6]
    assert approved.state == "approved"
    go_to(page, 6)
    page.keyboard.press("Control+Enter")
    page.wait_for_selector('.row.unit.active:not([data-n="6"])')
    assert store.units[6] == approved  # no new version, not turned back into "translated"
