"""``tmpipe tm import|export|lookup|stats`` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.exchange.tmx import iter_tus


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


SRC = "2015年浙江日报发表了这篇文章。"


def _tsv(tmp_path: Path) -> Path:
    path = tmp_path / "pairs.tsv"
    path.write_text(f"{SRC}\tIn 2015 Zhejiang Daily published this article.\n"
                    "今天天气很好。\tThe weather is fine today.\n", encoding="utf-8")
    return path


def test_import_lookup_export_stats(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "tm.sqlite"
    result = runner.invoke(main, ["tm", "import", str(_tsv(tmp_path)), "--tm", str(db),
                                  "--origin", "human"])
    assert result.exit_code == 0, result.output
    assert "imported 2 new units" in result.output

    result = runner.invoke(main, ["tm", "lookup", SRC.replace("2015", "2016"), "--tm", str(db)])
    assert result.exit_code == 0, result.output
    assert "fuzzy" in result.output and "%" in result.output
    assert "number 2015 → 2016" in result.output
    assert "In 2015 Zhejiang Daily" in result.output

    out = tmp_path / "out.tmx"
    result = runner.invoke(main, ["tm", "export", "--tm", str(db), "-o", str(out),
                                  "--origin", "human"])
    assert result.exit_code == 0, result.output
    assert [tu.source for tu in iter_tus(out)] == [SRC, "今天天气很好。"]

    result = runner.invoke(main, ["tm", "stats", "--tm", str(db), "--json", "-"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["by_origin"] == {"human": 2}
    stats = tmp_path / "stats.json"
    result = runner.invoke(main, ["tm", "stats", "--tm", str(db), "--json", str(stats)])
    assert "2 units" in result.stdout
    assert json.loads(stats.read_text(encoding="utf-8"))["units"] == 2


def test_reimport_exported_tmx(runner: CliRunner, tmp_path: Path) -> None:
    db, db2 = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    runner.invoke(main, ["tm", "import", str(_tsv(tmp_path)), "--tm", str(db)])
    out = tmp_path / "out.tmx"
    runner.invoke(main, ["tm", "export", "--tm", str(db), "-o", str(out)])
    result = runner.invoke(main, ["tm", "import", str(out), "--tm", str(db2)])
    assert result.exit_code == 0 and "imported 2 new units" in result.output
    lookup = runner.invoke(main, ["tm", "lookup", "今天天气很好。", "--tm", str(db2)])
    assert "100% exact" in lookup.output


@pytest.mark.parametrize("args, message", [
    (["tm", "lookup", "x", "--tm", "{tmp}/missing.sqlite"], "translation memory not found"),
    (["tm", "import", "{tmp}/missing.tmx", "--tm", "{tmp}/t.sqlite"], "not found"),
    (["tm", "import", "{tmp}/bad.tmx", "--tm", "{tmp}/t.sqlite"], "bad.tmx:2: malformed TMX"),
    (["tm", "stats", "--tm", "{tmp}/bad.tmx"], "not a translation memory"),
    (["tm", "import", "{tmp}/bad.csv", "--tm", "{tmp}/t.sqlite"], "unknown file type"),
])
def test_bad_input_is_one_line_exit_2(runner: CliRunner, tmp_path: Path, args, message) -> None:
    (tmp_path / "bad.tmx").write_text('<tmx version="1.4">\n<header srclang="zh"><body>',
                                      encoding="utf-8")
    (tmp_path / "bad.csv").write_text("a,b\n", encoding="utf-8")
    result = runner.invoke(main, [a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.output.count("\n") == 1
