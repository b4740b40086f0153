"""The workspace over a real memory (schema 2): edits land in it with the reviewer's name and
the text they replaced; export rebuilds the English edition; the command serves and exports."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import BROWSER_MARKS, launched_browser
from click.testing import CliRunner
from conftest import REPO
from review_fixtures import DOC_ID, GLOSSARY, make_run
from test_review_browser import (
    EDITS,
    edit_confirm_and_reload,
    go_to,
    open_workspace_page,
)

from pipeline.cli import main
from pipeline.memory import TranslationMemory
from pipeline.review import BackgroundServer, open_workspace

TOKEN = "memory-test-token-42"


class Memory:
    """Reads the fixture run's units back from the memory file."""

    def __init__(self, tm_path: Path, run_dir: Path):
        self.tm_path, self.run_dir = tm_path, run_dir

    def unit(self, n: int):
        with TranslationMemory(self.tm_path) as tm:
            return {u.tuid: u for u in tm.doc_units(DOC_ID)}[f"{DOC_ID}:{n}"]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[BackgroundServer, Memory]]:
    run_dir, tm_path = make_run(tmp_path_factory.mktemp("run"))
    workspace = open_workspace(run_dir, tm_path, GLOSSARY, "ann")
    with BackgroundServer(workspace, TOKEN) as server:
        yield server, Memory(tm_path, run_dir)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with launched_browser() as browser:
        yield browser


@pytest.fixture
def page(browser, served) -> Iterator[object]:
    server, _ = served
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    open_workspace_page(page, server)
    yield page
    context.close()


@BROWSER_MARKS[0]
def test_edit_three_segments_confirm_reload_and_export(page, served) -> None:
    server, memory = served
    edits = EDITS
    edit_confirm_and_reload(page, edits)
    for n, text in edits.items():
        stored = memory.unit(n)
        assert (stored.target, stored.state, stored.changed_by, stored.origin) == (
            text, "translated", "ann", "human")
        assert stored.mt_target and stored.mt_target != text  # the text it replaced
    page.click("#export")
    page.wait_for_selector("#status:has-text('Exported')")
    english = (memory.run_dir / f"{DOC_ID}.en.txt").read_text(encoding="utf-8")
    for text in edits.values():
        assert text in english


@BROWSER_MARKS[0]
def test_confirming_an_approved_unit_keeps_it_approved(page, served) -> None:
    server, memory = served
    go_to(page, 6)
    page.keyboard.press("Control+Shift+Enter")
    page.wait_for_selector('.row.unit.active:not([data-n="6"])')
    approved = memory.unit(6)
    assert (approved.state, approved.origin) == ("approved", "mt")  # confirmed MT stays MT
    go_to(page, 6)
    page.keyboard.press("Control+Enter")
    page.wait_for_selector('.row.unit.active:not([data-n="6"])')
    assert memory.unit(6).version == approved.version  # no new version
    assert memory.unit(6).state == "approved"


def test_serve_prints_a_token_url_and_export_rebuilds(tmp_path) -> None:
    import httpx

    run_dir, tm_path = make_run(tmp_path)
    before = _files(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("TMPIPE_REVIEW_TOKEN", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "review", str(run_dir), "--serve", "--tm",
         str(tm_path), "--glossary", str(GLOSSARY), "--reviewer", "cli-reviewer"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [server.stdout.readline() for _ in range(2)]
        url = lines[1].strip()
        assert url.startswith("http://127.0.0.1:") and "/?token=" in url
        base, token = url.split("/?token=")
        assert len(token) >= 32
        assert httpx.get(base + "/api/units").status_code == 403
        assert httpx.get(url).status_code == 200
        headers = {"X-Tmpipe-Token": token}
        units = httpx.get(base + "/api/units", headers=headers).json()["units"]
        response = httpx.post(base + "/api/units/2", headers=headers, json={
            "target": "Edited in the browser.", "state": "approved",
            "version": units[1]["version"]})
        assert response.status_code == 200
        assert response.json()["unit"]["changed_by"] == "cli-reviewer"
    finally:
        server.terminate()
        server.wait(timeout=20)
    result = CliRunner().invoke(main, ["review", str(run_dir), "--export", "--xliff", "--tm",
                                       str(tm_path), "--glossary", str(GLOSSARY)])
    assert result.exit_code == 0, result.output
    assert f"{DOC_ID}.xlf" in result.output and f"{DOC_ID}.en.txt" in result.output
    english = (run_dir / f"{DOC_ID}.en.txt").read_text(encoding="utf-8")
    assert "Edited in the browser." in english
    assert "Edited in the browser." in (run_dir / f"{DOC_ID}.xlf").read_text(encoding="utf-8")
    with TranslationMemory(tm_path) as tm:
        unit = {u.tuid: u for u in tm.doc_units(DOC_ID)}[f"{DOC_ID}:2"]
    assert (unit.state, unit.changed_by, unit.origin) == ("approved", "cli-reviewer", "human")
    written = {p for p, stamp in _files(tmp_path).items() if before.get(p) != stamp}
    assert written and all(p.parent == run_dir or p.name.startswith(tm_path.name)
                           for p in written), written


def _files(root: Path) -> dict[Path, tuple[int, int]]:
    return {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*") if p.is_file()}
