"""``batch.html`` in headless Chromium: it opens offline, rows link to the reports."""

from __future__ import annotations

import pytest
from chromium import BROWSER_MARKS, open_page, save_screenshot
from test_batch import Recorder, batch_options, write_documents

from pipeline.batch.driver import BatchHooks, run_batch

pytestmark = BROWSER_MARKS


def test_batch_summary_opens_offline_and_links_each_report(tmp_path) -> None:
    docs = write_documents(tmp_path / "docs")
    (docs / "broken.txt").write_bytes(b"abc\x80\x81\xfe\xff\x80\n")
    run_batch(batch_options(tmp_path, docs), BatchHooks(engine_factory=Recorder()))
    page_path = tmp_path / "out" / "batch.html"
    with open_page(page_path) as (page, requests, errors):
        assert errors == []
        assert all(url.startswith("file://") for url in requests), requests
        links = page.eval_on_selector_all("tbody a", "as => as.map(a => a.href)")
        assert [link.rsplit("/", 2)[-2] for link in links] == ["a", "b", "c"]
        assert page.locator("tr.failed").count() == 1
        assert "3 / 4" in page.inner_text(".cards")
        save_screenshot(page, tmp_path / "batch.png")
        page.goto(links[0])
        assert "Review" in page.title()
    if not (tmp_path / "batch.png").stat().st_size:
        pytest.fail("empty screenshot")
