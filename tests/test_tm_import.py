"""``tmpipe tm import``: provenance that survives round trips, and import hygiene."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from fakes import FakeEngine

from pipeline import flow
from pipeline.cli import main
from pipeline.exchange.tmx import TU, iter_tus, write_tus

SOURCE = ("世界互联网大会乌镇峰会开幕\n\n"
          "今年是世界互联网大会乌镇峰会第十年。构建网络空间命运共同体是峰会的永久主题。\n")


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _stats(db: Path) -> dict:
    return json.loads(_cli("tm", "stats", "--tm", db, "--json", "-").output)["by_origin_state"]


def _run(tmp_path: Path) -> flow.RunResult:
    source = tmp_path / "doc.zh.txt"
    source.write_text(SOURCE, encoding="utf-8")
    options = flow.RunOptions(source=source, doc_id="doc", out_dir=tmp_path / "out",
                              tm_path=tmp_path / "tm.sqlite", glossary=None)
    return flow.run(options, flow.Hooks(engine_factory=lambda name, **kw: FakeEngine()))


def test_tsv_header_is_skipped_and_said(tmp_path: Path) -> None:
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text("source\ttarget\n今天天气很好。\tThe weather is fine today.\n",
                   encoding="utf-8")
    result = _cli("tm", "import", tsv, "--tm", tmp_path / "tm.sqlite", "--state", "approved")
    assert result.exit_code == 0, result.output
    assert "skipped header line 1: source | target" in result.output
    assert "imported 1 new units" in result.output
    assert _stats(tmp_path / "tm.sqlite") == {"tm-import": {"approved": 1}}


def test_failing_file_imports_nothing(tmp_path: Path) -> None:
    db = tmp_path / "tm.sqlite"
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text("今天天气很好。\tFine.\n好。\tGood.\n坏行\n", encoding="utf-8")
    result = _cli("tm", "import", tsv, "--tm", db)
    assert result.exit_code == 2
    assert f"{tsv}:3: expected 2 tab-separated columns" in result.output
    assert "nothing was imported" in result.output
    assert _stats(db) == {}


def test_reimporting_the_run_tmx_adds_nothing(tmp_path: Path) -> None:
    _run(tmp_path)
    db = tmp_path / "tm.sqlite"
    before = _stats(db)
    result = _cli("tm", "import", tmp_path / "out" / "doc.tmx", "--tm", db, "--origin", "human")
    assert result.exit_code == 0, result.output
    assert "imported 0 new units" in result.output
    assert _stats(db) == before == {"mt": {"draft": 3}}


def test_stripped_tmx_never_launders_mt(tmp_path: Path) -> None:
    """run → strip every prop (what OmegaT writes) → import → run: MT is still MT."""
    first = _run(tmp_path)
    db = tmp_path / "tm.sqlite"
    stripped = tmp_path / "omegat.tmx"
    tus = list(iter_tus(tmp_path / "out" / "doc.tmx"))
    edited = tus[0].source
    write_tus(stripped, [TU(tuid="", source=tu.source, srclang="zh-CN", tgtlang="en",
                            target="The Wuzhen Summit opens" if tu.source == edited
                            else tu.target) for tu in tus], {})
    result = _cli("tm", "import", stripped, "--tm", db, "--origin", "human")
    assert result.exit_code == 0, result.output
    assert "imported 1 new units" in result.output and "1 replacing" in result.output
    assert _stats(db) == {"human": {"translated": 1}, "mt": {"draft": 3}}
    second = _run(tmp_path)
    origins = {u.source: (u.origin, u.leverage) for u in second.units}
    assert origins[edited] == ("tm-exact", "human")
    assert all(origin == ("mt", "MT") for source, origin in origins.items() if source != edited)
    assert len(second.units) == len(first.units)


def test_mt_marks_and_conflicting_origin_are_counted(tmp_path: Path) -> None:
    db = tmp_path / "tm.sqlite"
    tmx = tmp_path / "mixed.tmx"
    write_tus(tmx, [
        TU(tuid="1", source="今天天气很好。", target="Fine today.", srclang="zh-CN",
           tgtlang="en", props={"x-origin": "mt"}),
        TU(tuid="2", source="明天下雨。", target="Rain tomorrow.", srclang="zh-CN",
           tgtlang="en", creationid="MT!"),
        TU(tuid="3", source="好。", target="Good.", srclang="zh-CN", tgtlang="en"),
    ], {})
    result = _cli("tm", "import", tmx, "--tm", db, "--origin", "human")
    assert result.exit_code == 0, result.output
    assert ("warning: 2 units are marked as machine translation, against --origin human; "
            "stored as mt") in result.output
    assert _stats(db) == {"human": {"translated": 1}, "mt": {"draft": 2}}
    refused = _cli("tm", "import", tmx, "--tm", db, "--origin", "mt")
    assert refused.exit_code == 2 and "--origin mt needs --engine" in refused.output
    other = tmp_path / "other.tsv"
    other.write_text("后天晴。\tSunny after tomorrow.\n", encoding="utf-8")
    result = _cli("tm", "import", other, "--tm", db, "--origin", "mt", "--engine", "deepl")
    assert result.exit_code == 0, result.output
    assert _stats(db)["mt"] == {"draft": 3}
    stats = _cli("tm", "stats", "--tm", db)
    assert "approved" not in stats.output and "draft" in stats.output


def test_glossary_for_omegat_marks_forbidden_in_comments(tmp_path: Path) -> None:
    out = tmp_path / "glossary.txt"
    result = _cli("glossary", "convert", "glossary/wic.tsv", "-o", out, "--to", "omegat")
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert not lines[0].startswith("source\t")  # no header
    rows = [line.split("\t") for line in lines]
    assert all(2 <= len(row) <= 3 for row in rows)
    first = [row for row in rows if row[0] == "世界互联网大会"]
    assert [row[1] for row in first] == ["World Internet Conference", "WIC"]
    assert first[0][2].startswith("not: World Internet Congress")
    suggestions = {row[1] for row in rows}
    assert "World Internet Congress" not in suggestions
