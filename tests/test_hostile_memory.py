"""Hostile TMX props, memories and terminal output, through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from test_hostile_input import invoke, one_line_error


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


# ----------------------------------------------------------------------------- scores, JSON


@pytest.mark.parametrize("props", [{"x-bleu": "40.5"}, {"x-chrf": "61.0"},
                                   {"x-bleu": "nan", "x-chrf": "inf"},
                                   {"x-bleu": "-Infinity", "x-match": "NaN"}])
def test_review_with_partial_or_non_finite_scores_writes_strict_json(
        tmp_path: Path, props: dict[str, str]) -> None:
    import json
    import re

    path = tmx(tmp_path / "run.tmx", [("今天天气很好。", "The weather is fine today.", props,
                                       "doc:1")])
    html = tmp_path / "report.html"
    result = invoke(["review", path, "-o", html])
    assert result.exit_code == 0, result.output
    embedded = re.search(r'<script type="application/json" id="report-data">(.*?)</script>',
                         html.read_text(encoding="utf-8"), re.DOTALL)
    assert embedded is not None

    def strict(token: str) -> None:
        raise ValueError(token)

    json.loads(embedded.group(1), parse_constant=strict)
    assert invoke(["review", path, "--format", "text"]).exit_code == 0


def test_report_json_maps_non_finite_floats_to_null(tmp_path: Path) -> None:
    import json

    from pipeline.report import write_report_json
    from pipeline.units import RunResult

    result = RunResult(doc_id="d", source_path="d.zh.txt", segments=[], units=[],
                       scores={"bleu": float("nan"), "chrf": float("inf")})
    write_report_json(tmp_path / "report.json", result)

    def strict(token: str) -> None:
        raise ValueError(token)

    data = json.loads((tmp_path / "report.json").read_text(), parse_constant=strict)
    assert data["scores"]["bleu"] is None and data["scores"]["chrf"] is None


# ----------------------------------------------------------------------------- terminal


def test_visible_leaves_no_control_characters() -> None:
    from pipeline.terminal import visible

    shown = visible("a\x1b]0;pwned\x07b\x9b2J\x7fc\u202ed\tx\ny")
    assert shown == "a\\x1b]0;pwned\\x07b\\x9b2J\\x7fc\\u202ed\tx\ny"


@pytest.mark.parametrize("char", ["\x1b", "\x07", "\x00", "\x7f"])
def test_tsv_import_refuses_control_characters(tmp_path: Path, char: str) -> None:
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text(f"今天\tToday\n天气{char}]0;x\tWeather\n", encoding="utf-8")
    db = tmp_path / "tm.sqlite"
    one_line_error(invoke(["tm", "import", tsv, "--tm", db]), str(tsv), ":2", "control character")


def test_lookup_and_text_review_show_controls_and_markup_literally(tmp_path: Path) -> None:
    db = tmp_path / "tm.sqlite"
    hostile = {"x-origin": "[/x][bold]human", "x-qa": "[/x]: [link=x]y"}
    path = tmx(tmp_path / "run.tmx",
               [("今天天气很好。", "The [/x] weather [red]is fine today.", hostile, "doc:1")],
               header_props={"x-doc": "[/x]doc"})
    result = invoke(["review", path, "--format", "text"])
    assert result.exit_code == 0, result.output
    assert "[/x]doc" in result.output and "\x1b" not in result.output
    assert invoke(["tm", "import", path, "--tm", db]).exit_code == 0
    result = invoke(["tm", "lookup", "今天天气很好。", "--tm", db])
    assert result.exit_code == 0, result.output
    assert "The [/x] weather [red]is fine today." in result.output


def test_lookup_shows_a_stored_escape_visibly(tmp_path: Path) -> None:
    from pipeline.memory import TranslationMemory

    db = tmp_path / "tm.sqlite"
    with TranslationMemory(db) as tm:
        tm.import_pairs([("今天天气很好。", "Fine\x1b]0;pwned\x07 today.")])  # an older import
    result = invoke(["tm", "lookup", "今天天气很好。", "--tm", db])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\\x1b]0;pwned\\x07" in result.output


# ----------------------------------------------------------------------------- non-regular


def test_tm_import_streams_a_named_pipe(tmp_path: Path) -> None:
    import os
    import threading

    fifo = tmp_path / "pairs.tsv"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "w", encoding="utf-8") as fh:
            fh.write("今天\tToday\n天气\tWeather\n")

    writer = threading.Thread(target=feed)
    writer.start()
    result = invoke(["tm", "import", fifo, "--tm", tmp_path / "tm.sqlite"])
    writer.join()
    assert result.exit_code == 0, result.output
    assert "imported 2 new units" in result.output


def test_tm_import_refuses_an_endless_line(tmp_path: Path) -> None:
    link = tmp_path / "zero.tsv"
    link.symlink_to("/dev/zero")
    one_line_error(invoke(["tm", "import", link, "--tm", tmp_path / "tm.sqlite"]), str(link))


def test_sigterm_during_tm_import_exits_130_with_one_line(tmp_path: Path) -> None:
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    fifo = tmp_path / "pairs.tsv"
    os.mkfifo(fifo)
    db = tmp_path / "tm.sqlite"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "tm", "import", str(fifo),
                             "--tm", str(db)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    with open(fifo, "w", encoding="utf-8") as feed:  # held open: the import waits for more
        feed.write("".join(f"句子{i}。\tSentence {i}.\n" for i in range(6000)))
        feed.flush()
        time.sleep(3)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err
    assert err.strip().splitlines() == ["tmpipe: interrupted; nothing was imported"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM units").fetchone()[0] == 0


# ----------------------------------------------------------------------------- TMX import


def test_tmx_units_with_empty_source_or_target_are_skipped_and_counted(tmp_path: Path) -> None:
    import sqlite3

    path = tmx(tmp_path / "in.tmx", [("", "", {}, "1"), ("今天。", " ", {}, "2"),
                                     ("今天天气很好。", "The weather is fine today.", {}, "3")])
    db = tmp_path / "tm.sqlite"
    result = invoke(["tm", "import", path, "--tm", db])
    assert result.exit_code == 0, result.output
    assert "skipped 2 units with an empty source or target" in result.output
    assert "imported 1 new units" in result.output
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM units").fetchone()[0] == 1


@pytest.mark.parametrize("command", [["tm", "import"], ["review"], ["score"]])
def test_undefined_entity_without_doctype_is_named_with_its_line(
        tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "nbsp.tmx"
    path.write_text('<?xml version="1.0"?><tmx version="1.4"><header srclang="zh-CN"/><body>\n'
                    '<tu><tuv xml:lang="zh-CN"><seg>今天&amp;明天</seg></tuv>\n'
                    '<tuv xml:lang="en"><seg>a&nbsp;b</seg></tuv></tu></body></tmx>',
                    encoding="utf-8")
    ref = tmp_path / "ref.en.txt"
    ref.write_text("a b\n", encoding="utf-8")
    extra = {"tm": ["--tm", tmp_path / "tm.sqlite"], "review": ["-o", tmp_path / "r.html"],
             "score": ["--ref", ref]}[command[0]]
    one_line_error(invoke([*command, path, *extra]), f"{path}:3", "undefined entity &nbsp;")


# ----------------------------------------------------------------------------- damaged memories


def _memory(tmp_path: Path, count: int = 3000) -> Path:
    from pipeline.memory import TranslationMemory

    db = tmp_path / "tm.sqlite"
    with TranslationMemory(db) as tm:
        tm.import_pairs([(f"第{i}句：今天天气很好，我们去公园散步。" * 3,
                          f"Sentence {i}: fine." * 3) for i in range(count)])
    import sqlite3
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


def _damage_pages(db: Path) -> None:
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for start in range(page * 3, len(data) - page, page * 7):  # header page intact
        data[start:start + page] = bytes([0xA5]) * page
    db.write_bytes(bytes(data))


def test_damaged_memory_is_one_line_and_tm_check_reports_it(tmp_path: Path) -> None:
    db = _memory(tmp_path)
    _damage_pages(db)
    source = tmp_path / "doc.zh.txt"
    source.write_text("第5句：今天天气很好，我们去公园散步。\n", encoding="utf-8")
    for args in (["tm", "lookup", "第5句：今天天气很好，我们去公园散步。" * 3, "--tm", db],
                 ["tm", "stats", "--tm", db],
                 ["tm", "import", tmp_path / "x.tsv", "--tm", db],
                 ["run", source, "--out", tmp_path / "out", "--tm", db, "-q"]):
        if args[:2] == ["tm", "import"]:
            (tmp_path / "x.tsv").write_text("新句子。\tNew.\n", encoding="utf-8")
        result = invoke(args)
        if result.exit_code != 0:
            one_line_error(result, str(db))
    result = invoke(["tm", "check", "--tm", db])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "damaged" in result.stderr
    out = tmp_path / "rescued.tmx"
    result = invoke(["tm", "export", "--tm", db, "-o", out])
    no_crash(result)
    if result.exit_code == 0:
        assert "unreadable units skipped" in result.output or "exported" in result.output
    else:
        one_line_error(result, str(db))


def test_healthy_memory_passes_tm_check(tmp_path: Path) -> None:
    db = _memory(tmp_path, 20)
    result = invoke(["tm", "check", "--tm", db])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(": ok")


def test_missing_search_index_is_one_line(tmp_path: Path) -> None:
    import sqlite3

    db = _memory(tmp_path, 20)
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE units_vocab")
        conn.execute("DROP TABLE units_fts")
    line = one_line_error(invoke(["tm", "lookup", "第5句：今天天气很好", "--tm", db]), str(db))
    assert "tm check" in line
    assert invoke(["tm", "check", "--tm", db]).exit_code == 1


def test_invalid_json_in_stored_columns_is_read_as_empty(tmp_path: Path) -> None:
    import sqlite3

    db = _memory(tmp_path, 20)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE units SET props = '{not json', flags = '[1, 2'")
    query = "第5句：今天天气很好，我们去公园散步。" * 3
    result = invoke(["tm", "lookup", query, "--tm", db])
    assert result.exit_code == 0, result.output
    assert invoke(["tm", "export", "--tm", db, "-o", tmp_path / "o.tmx"]).exit_code == 0
    result = invoke(["tm", "check", "--tm", db])
    assert result.exit_code == 1 and "invalid JSON" in result.output


def test_missing_schema_version_row_is_named(tmp_path: Path) -> None:
    import sqlite3

    db = _memory(tmp_path, 5)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM schema_version")
    line = one_line_error(invoke(["tm", "stats", "--tm", db]), str(db), "schema_version")
    assert "already exists" not in line


def test_read_only_memory_can_be_looked_up_and_exported(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from pipeline.memory import TranslationMemory

    db = _memory(tmp_path, 20)

    def read_only(self: TranslationMemory, timeout: float) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(TranslationMemory, "_setup", read_only)
    query = "第5句：今天天气很好，我们去公园散步。" * 3
    result = invoke(["tm", "lookup", query, "--tm", db])
    assert result.exit_code == 0, result.output
    assert "Sentence 5: fine." in result.output
    result = invoke(["tm", "export", "--tm", db, "-o", tmp_path / "o.tmx"])
    assert result.exit_code == 0, result.output
    assert "exported 20 units" in result.output
    (tmp_path / "x.tsv").write_text("新句子。\tNew.\n", encoding="utf-8")
    one_line_error(invoke(["tm", "import", tmp_path / "x.tsv", "--tm", db]), str(db),
                   "read-only")
