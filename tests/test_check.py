"""``tmpipe check``: the terminology gate over TMX files (exit codes, JSON, JUnit, baseline)."""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner
from lxml import etree

from pipeline.cli import main
from pipeline.glossary import check_tmx, load_glossary

GLOSSARY = (
    "source\ttarget\tvariants\tforbidden\tnote\n"
    "世界互联网大会\tWorld Internet Conference\tWIC\t\t\n"
    "网络空间命运共同体\tcommunity with a shared future in cyberspace\t\t"
    "cyberspace community of common destiny\t\n"
    "GSMA\tGSMA\t\t\t\n"
    "乌镇\tWuzhen\t\t\t\n"
)

CLEAN = [
    ("u1", "世界互联网大会在乌镇举行。", "The World Internet Conference is held in Wuzhen."),
    ("u2", "没有术语的句子。", "A sentence without terms."),
]
PLANTED = [
    ("u3", "构建网络空间命运共同体。", "Build a cyberspace community of common destiny."),
    ("u4", "世界互联网大会开幕。", "The internet meeting opened."),
    ("u5", "GSMA是创始成员。", "The Gsma is a founding member."),
]


def write_tmx(path: Path, units: list[tuple[str, str, str]], zh: str = "zh-CN",
              en: str = "en-US", srclang: str | None = None) -> Path:
    """A minimal TMX 1.4 file with the given language codes."""
    body = "".join(
        f'<tu tuid="{tuid}"><tuv xml:lang="{zh}"><seg>{escape(src)}</seg></tuv>'
        f'<tuv xml:lang="{en}"><seg>{escape(tgt)}</seg></tuv></tu>\n'
        for tuid, src, tgt in units
    )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n'
        f'<header creationtool="test" creationtoolversion="1" segtype="sentence" '
        f'o-tmf="test" adminlang="en" srclang="{srclang or zh}" datatype="plaintext"/>\n'
        f"<body>\n{body}</body>\n</tmx>\n", encoding="utf-8")
    return path


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
