"""report.html in headless Chromium: counts, filters, search, keyboard, no network, screenshot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import BROWSER_MARKS, open_page, save_screenshot, visible_numbers
from report_fixtures import make_result

from pipeline.qa import run_checks
from pipeline.report import write_report_html
from pipeline.risk import assess, load_model

SCREENSHOT = Path(__file__).resolve().parent.parent / "output" / "report-screenshot.png"

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def report_page(tmp_path_factory) -> Iterator[tuple[object, list[str], object]]:
    """One Chromium launch for the module: the fixture report, opened from a file URL."""
    result = make_result()
    result.qa = run_checks(result.units)
    assess(result.units)
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report_html(path, result)
    with open_page(path) as (page, requests, errors):
        yield page, requests, result
        assert errors == []


def _reset(page) -> None:
    page.evaluate("""() => {
        for (const id of ['only-flagged', 'only-violations', 'only-errors', 'only-risk']) {
            document.getElementById(id).checked = false;
        }
        document.getElementById('origin').value = '';
        document.getElementById('check').value = '';
        document.getElementById('search').value = '';
        document.getElementById('sort').value = 'doc';
        document.getElementById('sort').dispatchEvent(new Event('change'));
    }""")


def test_counts_and_summary(report_page) -> None:
    page, _, result = report_page
    total = len(result.units)
    assert page.inner_text("#count") == f"{total} of {total} segments"
    assert page.inner_text("#qa-errors") == str(result.qa["errors"])
    assert len(visible_numbers(page)) == total
    assert page.locator("mark.term.violated").count() >= 2  # in source and target
    assert page.locator("mark.term.met").count() > 10


def test_only_flagged_filter(report_page) -> None:
    page, _, result = report_page
    _reset(page)
    page.get_by_label("Only flagged").check()
    flagged = [u.number for u in result.units if u.flags]
    assert visible_numbers(page) == flagged
    assert page.inner_text("#count") == f"{len(flagged)} of {len(result.units)} segments"
    page.get_by_label("Only term violations").check()
    assert visible_numbers(page) == [4]
    _reset(page)


def test_errors_only_and_qa_chips_filter(report_page) -> None:
    page, _, result = report_page
    _reset(page)
    page.get_by_label("Errors only").check()
    with_errors = [u.number for u in result.units if any(f.severity == "error" for f in u.flags)]
    assert visible_numbers(page) == with_errors
    _reset(page)
    page.click('#qa-chips button[data-check="repetition"]')
    repeated = [u.number for u in result.units if any(f.check == "repetition" for f in u.flags)]
    assert visible_numbers(page) == repeated
    chip = page.locator('#qa-chips button[data-check="repetition"]')
    assert chip.get_attribute("aria-pressed") == "true"
    page.click('#qa-chips button[data-check="repetition"]')  # a second click clears it
    assert len(visible_numbers(page)) == len(result.units)
    _reset(page)


def test_risk_sort_and_high_risk_filter(report_page) -> None:
    page, _, result = report_page
    _reset(page)
    page.select_option("#sort", "risk-desc")
    risks = {u.number: u.risk for u in result.units}
    assert [risks[n] for n in visible_numbers(page)] == sorted(risks.values(), reverse=True)
    page.get_by_label("High risk").check()
    high = load_model().high
    assert sorted(visible_numbers(page)) == sorted(n for n, r in risks.items() if r >= high)
    _reset(page)


def test_origin_filter_and_sort(report_page) -> None:
    page, _, result = report_page
    _reset(page)
    page.select_option("#origin", "tm-exact")
    assert visible_numbers(page) == [u.number for u in result.units if u.origin == "tm-exact"]
    page.select_option("#origin", "")
    page.select_option("#sort", "chrf-asc")
    order = visible_numbers(page)
    chrf = {u.number: u.scores.get("chrf") for u in result.units}
    scored = [chrf[n] for n in order if chrf[n] is not None]
    assert scored == sorted(scored)
    assert order[0] == 24  # empty target scored 0
    _reset(page)


def test_search_wuzhen(report_page) -> None:
    page, _, result = report_page
    _reset(page)
    page.fill("#search", "乌镇")
    expected = [u.number for u in result.units
                if "乌镇" in u.source or "乌镇" in u.target or "乌镇" in (u.reference or "")]
    assert visible_numbers(page) == expected and len(expected) >= 5
    assert page.inner_text("#count") == f"{len(expected)} of {len(result.units)} segments"
    _reset(page)


def test_keyboard(report_page) -> None:
    page, _, result = report_page
    _reset(page)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search"
    page.keyboard.type("Hikvision")
    assert visible_numbers(page) == [16, 17]  # case-insensitive, target and reference
    page.keyboard.press("Escape")
    assert len(visible_numbers(page)) == len(result.units)
    page.keyboard.press("f")
    assert page.is_checked("#only-flagged")
    page.keyboard.press("j")
    page.keyboard.press("j")
    flagged = [u.number for u in result.units if u.flags]
    assert page.evaluate("document.activeElement.dataset.n") == str(flagged[1])
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.dataset.n") == str(flagged[0])
    page.keyboard.press("f")
    page.keyboard.press("Tab")  # rows stay reachable with Tab
    assert page.evaluate("document.activeElement.tagName") == "TR"
    _reset(page)


def test_screenshot_and_no_network(report_page) -> None:
    page, requests, _ = report_page
    _reset(page)
    save_screenshot(page, SCREENSHOT)
    assert SCREENSHOT.stat().st_size > 10_000
    assert len(requests) == 1 and requests[0].startswith("file://")
