"""Real clients open what we write: LibreOffice converts the English DOCX, Chromium renders
the English HTML. Skipped, with the reason, where the client is not installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from chromium import BROWSER_MARKS, open_page
from documents_fixtures import (
    BOLD,
    HTML_PAGE,
    LINK,
    english,
    make_docx,
    run_cli,
    scripted_engine,
    use_engine,
)

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_office = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice missing: run `make office` (Debian libreoffice-writer-nogui)")


def _convert(document: Path, target: str, out: Path, profile: Path) -> Path:
    """``soffice --headless --convert-to`` with a private profile; the converted file."""
    done = subprocess.run(
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
         "--convert-to", target, "--outdir", str(out), str(document)],
        capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    converted = out / f"{document.stem}.{target.split(':')[0]}"
    assert converted.is_file(), done.stdout + done.stderr
    return converted


@needs_office
def test_libreoffice_converts_the_english_docx_and_reads_our_english(tmp_path, monkeypatch):
    use_engine(monkeypatch, scripted_engine())
    out = run_cli(tmp_path, make_docx(tmp_path / "article.docx"))
    english_docx = out / "article.en.docx"
    profile = tmp_path / "lo-profile"
    pdf = _convert(english_docx, "pdf", tmp_path / "pdf", profile)
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.stat().st_size > 1000
    text = _convert(english_docx, "txt:Text (encoded):UTF8", tmp_path / "txt", profile)
    extracted = text.read_text(encoding="utf-8-sig").split()
    ours = (out / "article.en.txt").read_text(encoding="utf-8").split()
    assert extracted == ours  # the same words in the same order (a line break splits a line)


def _browser(test):
    for mark in BROWSER_MARKS:
        test = mark(test)
    return test


@_browser
def test_chromium_renders_the_english_html(tmp_path, monkeypatch):
    use_engine(monkeypatch, scripted_engine())
    source = tmp_path / "page.html"
    source.write_text(HTML_PAGE, encoding="utf-8")
    out = run_cli(tmp_path, source)
    with open_page(out / "page.en.html") as (page, requests, errors):
        assert errors == []
        assert page.title() == english("乌镇峰会开幕")
        assert page.inner_text("strong") == english(BOLD)
        assert page.inner_text("p.lead a") == english(LINK)
        assert page.evaluate("document.documentElement.lang") == "en"
        visible = page.inner_text("body")
    assert english("世界互联网大会乌镇峰会开幕") in visible
    assert not any(r.startswith(("http:", "https:")) for r in requests), requests
