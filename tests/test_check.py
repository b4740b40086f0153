"""``tmpipe check``: the terminology gate over TMX files (exit codes, JSON, JUnit, baseline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from check_fixtures import CLEAN, GLOSSARY, PLANTED, write_tmx
from click.testing import CliRunner
from lxml import etree

from pipeline.cli import main
from pipeline.glossary import check_tmx, load_glossary
from pipeline.glossary.check import escape_workflow_data, escape_workflow_property


@pytest.fixture
def glossary(tmp_path: Path) -> Path:
    path = tmp_path / "g.tsv"
    path.write_text(GLOSSARY, encoding="utf-8")
    return path


def _run(*args: object):
    return CliRunner().invoke(main, ["check", *map(str, args)])


def test_clean_tmx_exits_0(tmp_path: Path, glossary: Path) -> None:
    tmx = write_tmx(tmp_path / "clean.tmx", CLEAN)
    result = _run(tmx, "--glossary", glossary, "--json", tmp_path / "r.json")
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert (doc["checked"], doc["terms_checked"], doc["violations"]) == (1, 2, [])
    assert "checked 1 of" in result.stdout


def test_json_dash_prints_the_findings_instead_of_the_summary(tmp_path: Path,
                                                              glossary: Path) -> None:
    tmx = write_tmx(tmp_path / "bad.tmx", CLEAN + PLANTED)
    result = _run(tmx, "--glossary", glossary, "--json", "-")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["checked"] == 4 and doc["violations"]


def test_planted_violations_exit_1_with_json_and_junit(tmp_path: Path, glossary: Path) -> None:
    tmx = write_tmx(tmp_path / "bad.tmx", CLEAN + PLANTED)
    result = _run(tmx, "--glossary", glossary, "--json", tmp_path / "r.json",
                  "--junit", tmp_path / "r.xml")
    assert result.exit_code == 1, result.output
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert doc["checked"] == 4 and doc["terms_checked"] == 5
    got = [{k: v[k] for k in ("tuid", "term", "expected", "found", "kind")}
           for v in doc["violations"]]
    assert got == [
        {"tuid": "u3", "term": "网络空间命运共同体",
         "expected": "community with a shared future in cyberspace",
         "found": "cyberspace community of common destiny", "kind": "forbidden"},
        {"tuid": "u3", "term": "网络空间命运共同体",
         "expected": "community with a shared future in cyberspace", "found": "",
         "kind": "missing"},
        {"tuid": "u4", "term": "世界互联网大会", "expected": "World Internet Conference",
         "found": "", "kind": "missing"},
        {"tuid": "u5", "term": "GSMA", "expected": "GSMA", "found": "Gsma", "kind": "missing"},
    ]
    suite = etree.parse(str(tmp_path / "r.xml")).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["u1", "u3", "u4", "u5"]
    assert suite.get("tests") == "4" and suite.get("failures") == "3"
    assert cases[0].find("failure") is None
    assert "forbidden" in cases[1].find("failure").get("message")
    assert "u5" in result.output and "3 violations" not in result.output


@pytest.mark.parametrize("zh, en", [("zh", "en"), ("ZH-CN", "EN-GB"), ("zh-Hans", "en-US"),
                                    ("zh_CN", "en")])
def test_language_code_variants(tmp_path: Path, glossary: Path, zh: str, en: str) -> None:
    tmx = write_tmx(tmp_path / "l.tmx", PLANTED[1:2], zh=zh, en=en)
    assert check_tmx([tmx], load_glossary(glossary)).checked == 1
    assert _run(tmx, "--glossary", glossary).exit_code == 1


def test_english_source_tmx_is_read_from_its_chinese_side(tmp_path: Path,
                                                          glossary: Path) -> None:
    tmx = write_tmx(tmp_path / "r.tmx", CLEAN[:1], zh="zh-CN", en="en", srclang="en")
    result = check_tmx([tmx], load_glossary(glossary))
    assert result.checked == 1 and result.failures == []


def test_baseline_reports_only_new_violations(tmp_path: Path, glossary: Path) -> None:
    old = write_tmx(tmp_path / "old.tmx", PLANTED[:2])  # u3, u4 already violate
    new_units = PLANTED + [("u6", "乌镇很美。", "The town is beautiful.")]
    new = write_tmx(tmp_path / "new.tmx", new_units)
    result = _run(new, "--glossary", glossary, "--baseline", old, "--json", tmp_path / "r.json")
    assert result.exit_code == 1
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert sorted(v["tuid"] for v in doc["violations"]) == ["u5", "u6"]
    assert doc["suppressed"] == 3
    # The same legacy violations and nothing new: the gate passes.
    assert _run(old, "--glossary", glossary, "--baseline", old).exit_code == 0


def test_baseline_matches_by_source_text_not_tuid(tmp_path: Path, glossary: Path) -> None:
    old = write_tmx(tmp_path / "old.tmx", [("other-id", PLANTED[1][1], PLANTED[1][2])])
    new = write_tmx(tmp_path / "new.tmx", [("u4", " " + PLANTED[1][1], PLANTED[1][2])])
    assert _run(new, "--glossary", glossary, "--baseline", old).exit_code == 0
    fixed_old = write_tmx(tmp_path / "fixed.tmx", [("u4", PLANTED[1][1], "The WIC opened.")])
    assert _run(new, "--glossary", glossary, "--baseline", fixed_old).exit_code == 1


def test_bad_input_exits_2_with_one_line(tmp_path: Path, glossary: Path) -> None:
    broken = tmp_path / "broken.tmx"
    broken.write_text("<tmx><body><tu>", encoding="utf-8")
    for args in ([tmp_path / "missing.tmx", "--glossary", glossary],
                 [broken, "--glossary", glossary],
                 [write_tmx(tmp_path / "ok.tmx", CLEAN), "--glossary", tmp_path / "no.tsv"]):
        result = _run(*args)
        assert result.exit_code == 2, result.output
        assert result.output.count("\n") == 1 and "tmpipe: error:" in result.output
    not_glossary = write_tmx(tmp_path / "g.tsv", CLEAN)
    result = _run(not_glossary, "--glossary", not_glossary)
    assert result.exit_code == 2 and "not a glossary" in result.output


def test_several_files_and_seed_glossary(tmp_path: Path) -> None:
    wic = Path(__file__).resolve().parents[1] / "glossary" / "wic.tsv"
    a = write_tmx(tmp_path / "a.tmx", [("a1", "全球移动通信系统协会(GSMA)首席执行官洪耀庄",
                                        "GSMA CEO John Hoffman")])
    b = write_tmx(tmp_path / "b.tmx", [("b1", "印度IPV6协会主席萨蒂亚·古普塔",
                                        "Satya N. Gupta, president of IPv6 Forum India")])
    result = check_tmx([a, b], load_glossary(wic))
    assert (result.checked, result.terms_checked, result.failures) == (2, 5, [])



def test_github_format_annotates_each_violation_at_its_tu(
        tmp_path: Path, glossary: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tmx(tmp_path / "bad.tmx", CLEAN + PLANTED)
    monkeypatch.chdir(tmp_path)  # a CI job passes paths relative to the checkout
    result = _run("bad.tmx", "--glossary", glossary, "--format", "github")
    assert result.exit_code == 1, result.output
    # Lines 1-4 of the fixture: declaration, <tmx>, <header>, <body>; then one tu a line.
    assert result.output.splitlines() == [
        "::error file=bad.tmx,line=7,title=glossary%3A forbidden rendering::u3: "
        '网络空间命运共同体: forbidden "cyberspace community of common destiny" '
        '(use "community with a shared future in cyberspace")',
        "::error file=bad.tmx,line=7,title=glossary%3A missing rendering::u3: "
        '网络空间命运共同体: expected "community with a shared future in cyberspace"',
        "::error file=bad.tmx,line=8,title=glossary%3A missing rendering::u4: "
        '世界互联网大会: expected "World Internet Conference"',
        "::error file=bad.tmx,line=9,title=glossary%3A missing rendering::u5: "
        'GSMA: expected "GSMA" (found "Gsma")',
        "checked 4 of 5 units, 5 term occurrences: 4 violations",
    ]
    assert _run("bad.tmx", "--glossary", glossary).output.splitlines()[0] == (
        'bad.tmx:7: u3: forbidden: 网络空间命运共同体: forbidden "cyberspace community of '
        'common destiny" (use "community with a shared future in cyberspace")')


def test_github_format_escapes_properties_and_message(
        tmp_path: Path, glossary: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "a,b:c%"
    folder.mkdir()
    units = [("100%,x:1", "构建网络空间命运共同体。",
              "Build a cyberspace community of\r\ncommon destiny.")]
    write_tmx(folder / "m.tmx", units)
    monkeypatch.chdir(tmp_path)
    result = _run(folder / "m.tmx", "--glossary", glossary, "--format", "github")
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first == (
        "::error file=a%2Cb%3Ac%25/m.tmx,line=5,title=glossary%3A forbidden rendering::"
        '100%25,x:1: 网络空间命运共同体: forbidden "cyberspace community of%0Acommon '
        'destiny" (use "community with a shared future in cyberspace")')


def test_github_escaping_rules() -> None:
    assert escape_workflow_data("50%\r\n,:") == "50%25%0D%0A,:"
    assert escape_workflow_property("50%\r\n,:") == "50%25%0D%0A%2C%3A"


def test_update_baseline_then_only_new_violations_fail(tmp_path: Path, glossary: Path) -> None:
    memory = tmp_path / "memory.tmx"
    baseline = tmp_path / "glossary-baseline.jsonl"
    write_tmx(memory, CLEAN + PLANTED)
    adopt = _run(memory, "--glossary", glossary, "--update-baseline", baseline)
    assert adopt.exit_code == 0, adopt.output
    assert "4 violations" not in adopt.output and "(4 already in the baseline" in adopt.output
    lines = [json.loads(line) for line in baseline.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["tmpipe-check-baseline"] == 1
    assert sorted((e["source"], e["term"], e["kind"]) for e in lines[1:]) == [
        ("GSMA是创始成员。", "GSMA", "missing"),
        ("世界互联网大会开幕。", "世界互联网大会", "missing"),
        ("构建网络空间命运共同体。", "网络空间命运共同体", "forbidden"),
        ("构建网络空间命运共同体。", "网络空间命运共同体", "missing"),
    ]
    assert _run(memory, "--glossary", glossary, "--baseline", baseline).exit_code == 0

    # Unrelated edits (order, tuids, new clean units, spacing) keep the legacy ones accepted.
    edited = [("n1", "乌镇很美。", "Wuzhen is beautiful."), *reversed(PLANTED),
              ("n2", " " + CLEAN[0][1], CLEAN[0][2])]
    write_tmx(memory, [(f"x{i}", src, tgt) for i, (_, src, tgt) in enumerate(edited)])
    assert _run(memory, "--glossary", glossary, "--baseline", baseline).exit_code == 0

    # A new violation fails, and only it is listed.
    planted = ("new", "世界互联网大会在乌镇举行。", "The internet meeting is held in Wuzhen.")
    write_tmx(memory, [*edited, planted])
    result = _run(memory, "--glossary", glossary, "--baseline", baseline,
                  "--json", tmp_path / "r.json")
    assert result.exit_code == 1
    failing = [line for line in result.output.splitlines() if line.startswith(str(memory))]
    assert len(failing) == 1 and ": new: missing: 世界互联网大会" in failing[0]
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [(v["tuid"], v["term"]) for v in doc["violations"]] == [("new", "世界互联网大会")]
    assert doc["suppressed"] == 4

    # Fixed: the gate passes again.
    write_tmx(memory, [*edited, (planted[0], planted[1], "The WIC is held in Wuzhen.")])
    assert _run(memory, "--glossary", glossary, "--baseline", baseline).exit_code == 0


def test_update_baseline_drops_fixed_violations(tmp_path: Path, glossary: Path) -> None:
    memory = write_tmx(tmp_path / "m.tmx", PLANTED)
    baseline = tmp_path / "b.jsonl"
    assert _run(memory, "--glossary", glossary, "--update-baseline", baseline).exit_code == 0
    write_tmx(memory, PLANTED[:2] + [("u5", "GSMA是创始成员。", "GSMA is a founding member.")])
    result = _run(memory, "--glossary", glossary, "--baseline", baseline,
                  "--update-baseline", baseline)
    assert result.exit_code == 0
    assert "GSMA" not in baseline.read_text(encoding="utf-8")
    write_tmx(memory, PLANTED)  # the GSMA slip comes back: it is new again
    assert _run(memory, "--glossary", glossary, "--baseline", baseline).exit_code == 1


@pytest.mark.parametrize("content, message", [
    ('{"other": 1}\n', "not a tmpipe check baseline"),
    ('{"tmpipe-check-baseline": 1}\n{"source": "x"}\n', ":2: baseline entry needs"),
    ('{"tmpipe-check-baseline": 1}\nnot json\n', ":2: baseline line is not JSON"),
])
def test_malformed_baseline_exits_2_with_one_line(tmp_path: Path, glossary: Path,
                                                  content: str, message: str) -> None:
    baseline = tmp_path / "b.jsonl"
    baseline.write_text(content, encoding="utf-8")
    result = _run(write_tmx(tmp_path / "m.tmx", PLANTED), "--glossary", glossary,
                  "--baseline", baseline)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and message in result.output
