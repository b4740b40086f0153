"""The whole pipeline on real stages with a fake engine (pipeline logic, not MT quality)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, SEED
from fakes import FakeEngine, ScriptedEngine
from lxml import etree

from pipeline import flow
from pipeline.cli import main
from pipeline.errors import UserError
from pipeline.flow import Hooks, RunOptions

GLOSSARY = REPO / "glossary" / "wic.tsv"


def _options(tmp_path: Path, source: Path, **kw) -> RunOptions:
    return RunOptions(
        source=source,
        doc_id=kw.pop("doc_id", "doc"),
        out_dir=kw.pop("out_dir", tmp_path / "out"),
        tm_path=tmp_path / "tm.sqlite",
        glossary=kw.pop("glossary", GLOSSARY),
        **kw,
    )


def _hooks(engine: FakeEngine) -> Hooks:
    return Hooks(engine_factory=lambda name, **opts: engine)


@pytest.fixture
def small_source(tmp_path: Path) -> Path:
    path = tmp_path / "small.zh.txt"
    path.write_text(
        "世界互联网大会乌镇峰会开幕\n\n"
        "今年是世界互联网大会乌镇峰会第十年。构建网络空间命运共同体是峰会的永久主题。\n\n"
        "GSMA首席执行官洪耀庄坐上了前往上海的航班。\n",
        encoding="utf-8",
    )
    return path


def test_run_writes_the_five_outputs(tmp_path, small_source) -> None:
    engine = FakeEngine()
    result = flow.run(_options(tmp_path, small_source), _hooks(engine))
    out = tmp_path / "out"
    names = sorted(p.name for p in out.iterdir())
    assert names == ["doc.en.txt", "doc.tmx", "report.html", "report.json", "segments.jsonl"]
    assert engine.closed
    assert result.tm["mt"] == len(result.units) == 4

    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    for key in ("doc_id", "segments", "engine", "tm", "glossary", "scores", "timings"):
        assert key in report
    assert report["engine"]["name"] == "fake"
    assert report["glossary"]["checked"] >= 3
    assert report["scores"] is None

    tree = etree.parse(str(out / "doc.tmx"))
    tus = tree.findall(".//tu")
    assert [tu.get("tuid") for tu in tus] == [f"doc:{u.number}" for u in result.units]
    english = (out / "doc.en.txt").read_text(encoding="utf-8").splitlines()
    assert len(english) == 3  # headline + two body paragraphs
    assert "World Internet Conference" in english[1]

    lines = (out / "segments.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    text = small_source.read_text(encoding="utf-8")
    assert text[first["start"] : first["end"]] == first["text"]


def test_second_run_is_served_from_memory(tmp_path, small_source) -> None:
    first = flow.run(_options(tmp_path, small_source), _hooks(FakeEngine(drop_terms_first=True)))
    assert any(u.retries for u in first.units)
    tmx_first = (tmp_path / "out" / "doc.tmx").read_bytes()
    engine = FakeEngine()
    second = flow.run(_options(tmp_path, small_source), _hooks(engine))
    assert engine.calls == []  # no MT at all
    assert [u.target for u in second.units] == [u.target for u in first.units]
    assert second.tm["mt_reused"] == len(second.units)
    assert _without_dates(tmx_first) == _without_dates(
        (tmp_path / "out" / "doc.tmx").read_bytes()
    )


def _without_dates(data: bytes) -> bytes:
    root = etree.fromstring(data)
    for el in root.iter():
        for attr in ("creationdate", "changedate"):
            el.attrib.pop(attr, None)
    for prop in root.iter("prop"):
        if prop.get("type", "").endswith("-s") or "time" in prop.get("type", ""):
            prop.text = ""
    return etree.tostring(root)


def test_missing_term_is_retried_once_with_a_hint(tmp_path, small_source) -> None:
    engine = FakeEngine(drop_terms_first=True)
    result = flow.run(_options(tmp_path, small_source), _hooks(engine))
    hinted = [r for call in engine.calls for r in call if r.hint]
    assert hinted, "violating segments must be re-sent with a hint"
    assert result.glossary["violations_before_retry"] > 0
    assert result.glossary["violations"] == 0
    assert all(u.retries >= 1 for u in result.units if u.terms)


def test_no_glossary_means_no_term_checks(tmp_path, small_source) -> None:
    result = flow.run(_options(tmp_path, small_source, glossary=None), _hooks(FakeEngine()))
    assert result.glossary["checked"] == 0


def test_lines_layout_keeps_line_count(tmp_path) -> None:
    source = tmp_path / "lines.zh.txt"
    source.write_text("第一行。\n\n(上接第一版)\n第三行没有句号\n", encoding="utf-8")
    flow.run(_options(tmp_path, source, layout="lines"), _hooks(FakeEngine()))
    english = (tmp_path / "out" / "doc.en.txt").read_text(encoding="utf-8").splitlines()
    assert len(english) == 3


def test_missing_source_is_a_user_error(tmp_path) -> None:
    with pytest.raises(UserError, match="not found"):
        flow.run(_options(tmp_path, tmp_path / "nope.txt"), _hooks(FakeEngine()))


def test_seed_article_end_to_end_with_fake_engine(tmp_path) -> None:
    result = flow.run(_options(tmp_path, SEED, doc_id="zjrb"), _hooks(FakeEngine()))
    kinds = {s.kind for s in result.segments}
    assert {"headline", "body", "furniture", "marker"} <= kinds
    assert all(u.segment.translatable for u in result.units)
    english = (tmp_path / "out" / "zjrb.en.txt").read_text(encoding="utf-8")
    assert "(上接第一版)" not in english
    assert result.glossary["terms_checked"] > 20


def test_cli_bad_input_exits_2_with_one_line(tmp_path) -> None:
    bad = tmp_path / "bad.zh.txt"
    bad.write_bytes(b"\x00\x01\x02binary")
    runner = CliRunner()
    result = runner.invoke(main, ["run", str(bad), "--tm", str(tmp_path / "tm.sqlite")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "bad.zh.txt" in result.output


def test_memory_keeps_the_qa_flags_of_new_units(tmp_path, small_source) -> None:
    from pipeline.memory import TranslationMemory

    result = flow.run(_options(tmp_path, small_source), _hooks(FakeEngine()))
    expected = {u.source: sorted(f.check for f in u.flags) for u in result.units}
    assert any(expected.values())  # the fake engine's output trips the numbers check
    with TranslationMemory(tmp_path / "tm.sqlite") as tm:
        stored = {u.source: sorted(f["check"] for f in u.flags) for u in tm.iter_units()}
    assert stored == expected


def _seed_memory(tmp_path: Path, pairs: list[tuple[str, str]]) -> None:
    from pipeline.memory import TranslationMemory

    with TranslationMemory(tmp_path / "tm.sqlite") as tm:
        tm.import_pairs(pairs, origin="human")


EDITED = (
    "今年是世界互联网大会乌镇峰会第十年。\n\n"
    "2015年,第二届世界互联网大会开幕式上,中国提出“网络空间命运共同体”倡议。\n"
)
HUMAN = [
    ("今年是世界互联网大会乌镇峰会第十年。",
     "This year marks the 10th year of the World Internet Conference Wuzhen Summit."),
    ("2016年,第三届世界互联网大会开幕式上,中国提出“网络空间命运共同体”倡议。",
     "At the opening of the third World Internet Conference in 2016, China put forward "
     "the initiative of a community with a shared future in cyberspace."),
]


def test_edited_copy_gets_fuzzy_matches_with_number_differences(tmp_path) -> None:
    _seed_memory(tmp_path, HUMAN)
    source = tmp_path / "edited.zh.txt"
    source.write_text(EDITED, encoding="utf-8")
    result = flow.run(_options(tmp_path, source, fill_min=75), _hooks(FakeEngine()))
    exact, fuzzy = result.units
    assert (exact.origin, exact.match_score) == ("tm-exact", 100)
    assert fuzzy.origin == "tm-fuzzy" and 75 <= fuzzy.match_score < 100
    differences = [f.message for f in fuzzy.flags if f.check == "tm-difference"]
    assert any("2016" in d and "2015" in d for d in differences), differences
    assert result.tm["exact"] == 1 and result.tm["fuzzy"] == 1 and result.tm["mt"] == 0


def test_fuzzy_match_below_fill_becomes_an_engine_example(tmp_path) -> None:
    _seed_memory(tmp_path, HUMAN)
    source = tmp_path / "edited.zh.txt"
    source.write_text(EDITED, encoding="utf-8")
    engine = FakeEngine()
    result = flow.run(_options(tmp_path, source), _hooks(engine))
    requests = [r for call in engine.calls for r in call]
    assert len(requests) == 1 and requests[0].examples == ((HUMAN[1][0], HUMAN[1][1]),)
    assert result.units[1].origin == "mt" and result.units[1].tm_match is not None


def test_echo_of_the_previous_segment_is_retried_without_context(tmp_path) -> None:
    source = tmp_path / "echo.zh.txt"
    text = "第一句话有十个字符吗。第二句话比第一句话长得多一点。第三句。\n"
    source.write_text(text, encoding="utf-8")
    engine = FakeEngine(echo=True)
    result = flow.run(_options(tmp_path, source, glossary=None), _hooks(engine))
    targets = [u.target for u in result.units]
    assert len(set(targets)) == 3, targets
    retried = [r for call in engine.calls[1:] for r in call]
    assert retried and all(r.previous is None and r.hint for r in retried)
    assert not any(f.check == "echo" for u in result.units for f in u.flags)


def test_an_echo_that_survives_the_retry_is_flagged_and_stays_flagged(tmp_path) -> None:
    def stubborn_echo() -> ScriptedEngine:
        return ScriptedEngine(lambda request: "The same words every time.")

    source = tmp_path / "echo.zh.txt"
    source.write_text("第一句话。第二句话比较长。\n", encoding="utf-8")
    options = _options(tmp_path, source, glossary=None)
    first = flow.run(options, _hooks(stubborn_echo()))
    assert [f.check for f in first.units[1].flags if f.check == "echo"] == ["echo"]
    again = flow.run(options, _hooks(stubborn_echo()))  # served from the TM
    assert again.tm["mt_reused"] == 2
    assert [f.check for f in again.units[1].flags if f.check == "echo"] == ["echo"]


def test_number_copied_with_the_wrong_magnitude_is_repaired_and_noted(tmp_path) -> None:
    slip = ScriptedEngine(lambda request: "The exhibition covers 36,700 square meters.")
    source = tmp_path / "expo.zh.txt"
    source.write_text("展览面积达36.7万平方米。\n", encoding="utf-8")
    result = flow.run(_options(tmp_path, source, glossary=None), _hooks(slip))
    [unit] = result.units
    assert unit.target == "The exhibition covers 367,000 square meters."
    assert any("number repaired: 36,700 → 367,000" in f.message for f in unit.flags)
    assert not any(f.check == "numbers" for f in unit.flags)  # QA sees the repaired text


def drops_numbers_first() -> ScriptedEngine:
    """Leaves the numbers out unless the request says which ones it must include."""
    return ScriptedEngine(
        lambda r: "More than 3,400 companies took part."
        if r.hint and "must include these numbers" in r.hint else "Companies took part.")


def test_numbers_left_out_earn_the_hinted_retry(tmp_path) -> None:
    source = tmp_path / "expo.zh.txt"
    source.write_text("3400多家企业参展。\n", encoding="utf-8")
    engine = drops_numbers_first()
    result = flow.run(_options(tmp_path, source, glossary=None), _hooks(engine))
    [unit] = result.units
    assert unit.target == "More than 3,400 companies took part." and unit.retries == 1
    [retry] = engine.calls[1]
    assert "must include these numbers: 3400多" in retry.hint
    assert not any(f.check == "numbers" and f.severity == "error" for f in unit.flags)


def test_number_retry_can_be_switched_off(tmp_path) -> None:
    source = tmp_path / "expo.zh.txt"
    source.write_text("3400多家企业参展。\n", encoding="utf-8")
    engine = drops_numbers_first()
    result = flow.run(_options(tmp_path, source, glossary=None, number_retry=False),
                      _hooks(engine))
    assert len(engine.calls) == 1 and result.units[0].retries == 0
    assert any(f.check == "numbers" for f in result.units[0].flags)


def test_notes_about_a_replaced_translation_are_dropped(tmp_path) -> None:
    slips_then_fixes = ScriptedEngine(
        lambda r: "The World Internet Conference drew 367,000 visitors."
        if r.hint else "The conference drew 36,700 visitors.")
    source = tmp_path / "wic.zh.txt"
    source.write_text("世界互联网大会吸引了36.7万名观众。\n", encoding="utf-8")
    result = flow.run(_options(tmp_path, source), _hooks(slips_then_fixes))
    [unit] = result.units
    assert unit.target == "The World Internet Conference drew 367,000 visitors."
    assert not any("number repaired" in f.message for f in unit.flags)


def test_report_says_how_the_engine_translated(tmp_path, small_source) -> None:
    from pipeline.engines.llamacpp import Completion
    from pipeline.engines.llm import LlmEngine, LlmSettings

    def backend(messages, settings) -> Completion:
        return Completion("The World Internet Conference opened.")

    llm = LlmEngine(settings=LlmSettings(threads=1, max_retries=1), complete=backend,
                    show_progress=False)
    flow.run(_options(tmp_path, small_source), _hooks(llm))
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    settings = report["engine"]["settings"]
    assert settings["max_retries"] == 1 and settings["threads"] == 1
    assert settings["inline_terms"] is True and "ctx_size" in settings
    flow.run(_options(tmp_path, small_source, out_dir=tmp_path / "again"),
             _hooks(FakeEngine()))  # all from the memory: no engine loaded, no settings
    again = json.loads((tmp_path / "again" / "report.json").read_text(encoding="utf-8"))
    assert again["engine"]["loaded"] is False and again["engine"]["settings"] == {}
    faked = flow.run(_options(tmp_path / "x", small_source), _hooks(FakeEngine()))
    assert faked.engine["settings"] == {}
