"""``tmpipe run`` end to end with the real embedded engine on the article's first paragraphs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SEED
from lxml import etree

from pipeline.engines.llm import LlmEngine

pytestmark = pytest.mark.model

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    why = LlmEngine.available()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"the embedded model must be available in CI: {why}")
        pytest.skip(why)
    tmp = tmp_path_factory.mktemp("e2e")
    lines = SEED.read_text(encoding="utf-8").splitlines(keepends=True)
    source = tmp / "first.zh.txt"
    # furniture line, three headlines and the first body paragraph with its question
    source.write_text("".join(lines[:11]), encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pipeline", "run", str(source), "--tm", str(tmp / "tm.sqlite"),
         "--out", str(tmp / "out"), "--doc-id", "e2e", "-q"],
        cwd=REPO, check=True, timeout=900,
    )
    return tmp / "out"


def test_outputs_exist_and_parse(run_dir: Path) -> None:
    names = {p.name for p in run_dir.iterdir()}
    assert names == {"e2e.tmx", "e2e.en.txt", "segments.jsonl", "report.json", "report.html"}
    tree = etree.parse(str(run_dir / "e2e.tmx"))
    assert tree.getroot().find("header").get("srclang") == "zh-CN"
    assert len(tree.findall(".//tu")) >= 6


def test_report_keys_and_engine(run_dir: Path) -> None:
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    for key in ("doc_id", "segments", "engine", "tm", "glossary", "scores", "timings"):
        assert key in report
    assert report["engine"]["name"] == "llm"
    assert report["engine"]["sha256"] == (
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046")
    assert report["tm"]["mt"] >= 6
    assert report["glossary"]["terms_checked"] >= 3


def test_every_target_is_english(run_dir: Path) -> None:
    tree = etree.parse(str(run_dir / "e2e.tmx"))
    targets = [tu.findall("tuv")[1].findtext("seg") for tu in tree.findall(".//tu")]
    assert all(t and t.strip() for t in targets)
    assert [t for t in targets if CJK.search(t)] == []
    assert all(re.search(r"[A-Za-z]{3}", t) for t in targets)
    english = (run_dir / "e2e.en.txt").read_text(encoding="utf-8")
    assert "World Internet Conference" in english
