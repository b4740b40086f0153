"""OmegaT 3.6 (console mode) round trip: our XLIFF and TMX in, its target XLIFF back."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import FakeEngine
from lxml import etree

from pipeline import flow
from pipeline.cli import main
from pipeline.exchange.tmx import TU, write_tus

NS = {"x": "urn:oasis:names:tc:xliff:document:1.2"}
SOURCE = ("(上接第一版)\n\n世界互联网大会乌镇峰会开幕\n\n"
          "今年是世界互联网大会乌镇峰会第十年。构建网络空间命运共同体是峰会的永久主题。\n\n"
          "GSMA首席执行官洪耀庄坐上了前往上海的航班。\n")
EDITED_SOURCE = "世界互联网大会乌镇峰会开幕"
EDITED_TARGET = "The World Internet Conference Wuzhen Summit opens"
PROJECT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<omegat><project version="1.0">
  <source_dir>source</source_dir><source_dir_excludes></source_dir_excludes>
  <target_dir>target</target_dir><tm_dir>tm</tm_dir><glossary_dir>glossary</glossary_dir>
  <glossary_file>glossary/glossary.txt</glossary_file><dictionary_dir>dictionary</dictionary_dir>
  <source_lang>zh-CN</source_lang><target_lang>en</target_lang>
  <source_tok>org.omegat.tokenizer.LuceneSmartChineseTokenizer</source_tok>
  <target_tok>org.omegat.tokenizer.LuceneEnglishTokenizer</target_tok>
  <sentence_seg>false</sentence_seg>
  <support_default_translations>true</support_default_translations>
  <remove_tags>false</remove_tags>
</project></omegat>
"""


def _omegat() -> str:
    found = shutil.which("omegat")
    if found is None or shutil.which("java") is None:
        pytest.skip("OmegaT is not installed (Debian package omegat; make test installs it "
                    "as root)")
    return found


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_omegat_fills_from_our_tmx_and_nothing_is_laundered(tmp_path: Path) -> None:
    omegat = _omegat()
    source = tmp_path / "doc.zh.txt"
    source.write_text(SOURCE, encoding="utf-8")
    db, out = tmp_path / "tm.sqlite", tmp_path / "out"
    flow.run(flow.RunOptions(source=source, doc_id="doc", out_dir=out, tm_path=db,
                             glossary=None),
             flow.Hooks(engine_factory=lambda name, **kw: FakeEngine()))
    project = tmp_path / "project"
    for folder in ("source", "target", "tm/auto", "glossary", "dictionary", "omegat"):
        (project / folder).mkdir(parents=True)
    (project / "omegat.project").write_text(PROJECT, encoding="utf-8")
    result = _cli("xliff", "export", out, "--tm", db, "--target", "source",
                  "-o", project / "source" / "doc.xlf")
    assert result.exit_code == 0, result.output
    shutil.copy(out / "doc.tmx", project / "tm" / "auto" / "doc.tmx")
    # the translator's own work in OmegaT: one segment translated differently
    write_tus(project / "omegat" / "project_save.tmx",
              [TU(tuid="", source=EDITED_SOURCE, target=EDITED_TARGET, srclang="zh-CN",
                  tgtlang="en", changeid="translator")], {})
    done = subprocess.run([omegat, str(project), "--mode=console-translate"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    written = project / "target" / "doc.xlf"
    units = etree.parse(str(written)).getroot().findall(".//x:trans-unit", NS)
    translatable = [u for u in units if u.get("translate") != "no"]
    texts = {u.get("id"): ("".join(u.find("x:source", NS).itertext()),
                           "".join(u.find("x:target", NS).itertext())) for u in translatable}
    assert len(texts) == 4 and all(src != tgt for src, tgt in texts.values())  # all filled

    result = _cli("xliff", "import", written, "--tm", db, "--reviewer", "Om")
    assert result.exit_code == 0, result.output
    assert "1 edited (stored as human), 0 confirmed, 3 unchanged" in result.output
    stats = json.loads(_cli("tm", "stats", "--tm", db, "--json", "-").output)["by_origin_state"]
    assert stats == {"human": {"translated": 1}, "mt": {"draft": 3}}  # laundered: none
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    origins = {u["source"]: u["origin"] for u in report["units"]}
    assert origins.pop(EDITED_SOURCE) == "human"
    assert set(origins.values()) == {"mt"}
