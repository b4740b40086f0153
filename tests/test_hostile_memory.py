"""Hostile TMX props, memories and terminal output, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pipeline.cli import main


def invoke(args: list[object]) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result: Result, *needles: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def no_crash(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.output


def tmx(path: Path, units: list[tuple[str, str, dict[str, str], str]],
        header_props: dict[str, str] | None = None) -> Path:
    """A TMX of (source, target, props, tuid) units."""
    def props(items: dict[str, str]) -> str:
        return "".join(f'<prop type="{k}">{v}</prop>' for k, v in items.items())
    body = "".join(
        f'<tu tuid="{tuid}">{props(p)}<tuv xml:lang="zh-CN"><seg>{s}</seg></tuv>'
        f'<tuv xml:lang="en"><seg>{t}</seg></tuv></tu>' for s, t, p, tuid in units)
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><tmx version="1.4"><header srclang="zh-CN" '
        'adminlang="en" datatype="plaintext" segtype="sentence" o-tmf="x" creationtool="t" '
        f'creationtoolversion="1">{props(header_props or {})}</header><body>{body}</body></tmx>',
        encoding="utf-8")
    return path


HOSTILE_NUMBERS = ["²", "³", "1" * 4301, "٣", "-1", " 7"]


# ----------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
def test_unicode_or_huge_numbers_in_props_do_not_crash_review_score_compare(
        tmp_path: Path, value: str) -> None:
    props = {"x-paragraph": value, "x-retries": value}
    path = tmx(tmp_path / "run.tmx", [("今天天气很好。", "The weather is fine today.", props,
                                       f"doc:{value}"),
                                      ("我们去公园。", "We go to the park.", props, "doc:2")])
    ref = tmp_path / "ref.en.txt"
    ref.write_text("The weather is fine today.\nWe go to the park.\n", encoding="utf-8")
    result = invoke(["review", path, "-o", tmp_path / "report.html"])
    assert result.exit_code == 0, result.output
    no_crash(invoke(["review", path, "--format", "text"]))
    no_crash(invoke(["review", path, "--ref", ref, "-o", tmp_path / "r2.html"]))
    no_crash(invoke(["score", path, "--ref", ref]))
    no_crash(invoke(["compare", path, path, "--ref", ref]))


@pytest.mark.parametrize("value", ["³", "1" * 4301])
def test_imported_unicode_retries_do_not_poison_the_memory(tmp_path: Path, value: str) -> None:
    db = tmp_path / "tm.sqlite"
    path = tmx(tmp_path / "in.tmx", [("今天天气很好。", "The weather is fine today.",
                                      {"x-retries": value, "x-paragraph": value}, value)])
    assert invoke(["tm", "import", path, "--tm", db]).exit_code == 0
    result = invoke(["tm", "lookup", "今天天气很好。", "--tm", db])
    assert result.exit_code == 0, result.output
    assert "The weather is fine today." in result.output
    source = tmp_path / "doc.zh.txt"
    source.write_text("今天天气很好。\n", encoding="utf-8")
    result = invoke(["run", source, "--out", tmp_path / "out", "--tm", db, "-q"])
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert invoke(["tm", "export", "-o", tmp_path / "out.tmx", "--tm", db]).exit_code == 0
