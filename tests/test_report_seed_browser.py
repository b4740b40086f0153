"""The report of the bundled article, opened in headless Chromium.

The article runs through the real stages (segmenter, glossary, TM, QA, alignment to the
hand-written reference, scoring, report) with the fake engine standing in for MT, so the
page has the article's real size, kinds, layout notes and glossary highlights.
"""

from __future__ import annotations

import json

import pytest
from chromium import BROWSER_MARKS, open_page, save_screenshot, visible_numbers
from conftest import REPO, SEED
from fakes import FakeEngine

from pipeline import flow

SCREENSHOT = REPO / "output" / "report-seed-screenshot.png"

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("seed")
    options = flow.RunOptions(
        source=SEED, doc_id="zjrb-2023-11-07", out_dir=tmp / "out", tm_path=tmp / "tm.sqlite",
        glossary=REPO / "glossary" / "wic.tsv",
        reference=SEED.parent / "reference.en.txt",
    )
    result = flow.run(options, flow.Hooks(engine_factory=lambda name, **kw: FakeEngine()))
    report = json.loads((tmp / "out" / "report.json").read_text(encoding="utf-8"))
    with open_page(tmp / "out" / "report.html") as (page, requests, errors):
        risks = [report["units"][0]["risk"], *(u["risk"] for u in report["units"])]
        assert all(r is not None for r in risks)  # so the page opens sorted by risk
        page.select_option("#sort", "doc")  # these tests read the rows in document order
        yield page, result, report, requests
        assert errors == []


def test_counts_match_the_run(seed_report) -> None:
    page, result, report, _ = seed_report
    total = len(result.units)
    assert total > 100
    assert page.inner_text("#count") == f"{total} of {total} segments"
    assert page.inner_text("#qa-errors") == str(report["qa"]["errors"])
    assert visible_numbers(page) == [u.number for u in result.units]
    assert report["scores"] is not None and page.locator("text=BLEU").count() >= 1


def test_only_flagged_shows_exactly_the_flagged_units(seed_report) -> None:
    page, result, _, _ = seed_report
    page.get_by_label("Only flagged").check()
    flagged = [u.number for u in result.units if any(f.severity != "info" for f in u.flags)]
    assert flagged and visible_numbers(page) == flagged
    page.get_by_label("Only flagged").uncheck()
    assert len(visible_numbers(page)) == len(result.units)


def test_search_wuzhen_and_screenshot(seed_report) -> None:
    page, result, _, requests = seed_report
    page.fill("#search", "乌镇")
    expected = [u.number for u in result.units
                if "乌镇" in u.source or "乌镇" in u.target or "乌镇" in (u.reference or "")]
    assert len(expected) > 20 and visible_numbers(page) == expected
    page.fill("#search", "")
    save_screenshot(page, SCREENSHOT)
    assert SCREENSHOT.stat().st_size > 10_000
    assert len(requests) == 1 and requests[0].startswith("file://")


def test_layout_notes_are_visible(seed_report) -> None:
    page, result, _, _ = seed_report
    joins = [n for n in result.layout if n.kind == "join"]
    assert len(joins) == 4
    body = page.inner_text("body")
    assert "incomplete" in body.lower()
