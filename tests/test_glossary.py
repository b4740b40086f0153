"""Glossary: file formats, matching, verification, DNT repair, validation, seed data."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.cli import main
from pipeline.errors import UserError
from pipeline.glossary import (
    Glossary,
    TermViolation,
    insert_do_not_translate,
    load_glossary,
    validate_glossary,
    verify_terms,
)
from pipeline.glossary.folding import fold_source
from pipeline.units import Term, TermMatch

REPO = Path(__file__).resolve().parents[1]
WIC = REPO / "glossary" / "wic.tsv"
SEED = REPO / "segments" / "zjrb-2023-11-07" / "source.zh.txt"
SAMPLE_TBX = Path(__file__).resolve().parents[2] / "shared" / "interop" / "sample.tbx"
HEADER = "source\ttarget\tvariants\tforbidden\tnote\n"


def _tsv(tmp_path: Path, body: str, name: str = "g.tsv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _g(*terms: Term) -> Glossary:
    return Glossary(list(terms))


def _spans(glossary: Glossary, text: str) -> list[str]:
    return [text[m.start:m.end] for m in glossary.match(text)]


WIC_TERM = Term("世界互联网大会", "World Internet Conference", ("WIC",))
WIC_ORG = Term("世界互联网大会国际组织", "World Internet Conference International Organization")
CSF = Term("网络空间命运共同体", "community with a shared future in cyberspace", (),
           ("cyberspace community of common destiny",))
GSMA = Term("GSMA", "GSMA")
IPV6 = Term("IPv6", "IPv6")


# ----------------------------------------------------------------------------- matching


def test_longest_match_wins() -> None:
    g = _g(WIC_TERM, WIC_ORG)
    text = "世界互联网大会国际组织成立后,世界互联网大会"
    assert [m.term for m in g.match(text)] == [WIC_ORG, WIC_TERM]
    assert _spans(g, text) == ["世界互联网大会国际组织", "世界互联网大会"]


def test_overlaps_resolved_left_to_right() -> None:
    g = _g(Term("互联网大会", "Internet Conference"), Term("大会国际组织", "X"))
    assert _spans(g, "互联网大会国际组织") == ["互联网大会"]


def test_offsets_map_back_through_nfkc() -> None:
    g = _g(GSMA, Term("协会", "association"))
    text = "㈱ＧＳＭＡ协会"  # ㈱ expands to 3 characters under NFKC
    matches = g.match(text)
    assert [text[m.start:m.end] for m in matches] == ["ＧＳＭＡ", "协会"]


def test_latin_sources_are_case_insensitive_with_word_edges() -> None:
    g = _g(IPV6, Term("5G", "5G"))
    assert _spans(g, "印度IPV6协会,5G网络") == ["IPV6", "5G"]
    assert _spans(g, "5GHz频段和xIPv6") == []
    assert _spans(g, "xIPv6 5G") == ["5G"]


def test_middle_dot_variants_match() -> None:
    g = _g(Term("弗朗西斯·高锐", "Francis Gurry"))
    for dot in ("·", "・", "•", "‧"):
        assert len(g.match(f"副理事长弗朗西斯{dot}高锐:")) == 1


def test_no_terms_or_empty_text() -> None:
    assert _g().match("世界互联网大会") == []
    assert _g(WIC_TERM).match("") == []


_ALPHABET = st.sampled_from(list(
    "世界互联网大会国际组织ＧＳＭＡgsmaＡ㈱ﬁ①·・ e\u0301\u0323가\u1100\u1161\u11a8ｶﾞ\u0b47\u0b3e…"))


@settings(max_examples=150, deadline=None)
@given(text=st.text(_ALPHABET, max_size=30),
       sources=st.lists(st.text(_ALPHABET, min_size=1, max_size=5), min_size=1, max_size=6))
def test_matcher_properties(text: str, sources: list[str]) -> None:
    terms = [Term(s, f"t{i}") for i, s in enumerate(sources) if fold_source(s).strip()]
    matches = Glossary(terms).match(text)
    previous_end = 0
    for m in matches:
        assert previous_end <= m.start < m.end <= len(text)
        previous_end = m.end
        fold = unicodedata.normalize("NFKC", text[m.start:m.end])
        assert fold_source(fold) == fold_source(m.term.source).strip()


# ----------------------------------------------------------------------------- verification


def _check(term: Term, target: str) -> list[TermViolation]:
    return verify_terms(target, [TermMatch(term, 0, len(term.source))])


@pytest.mark.parametrize("target", [
    "the world internet conference opened",
    "WORLD INTERNET CONFERENCE",
    "two World-Internet Conferences",
    "the WIC's members",
])
def test_accepted_renderings_case_hyphen_plural(target: str) -> None:
    assert _check(WIC_TERM, target) == []


@pytest.mark.parametrize("target", ["the World Internet", "WICKED", "worldinternetconference"])
def test_missing_needs_whole_words(target: str) -> None:
    [v] = _check(WIC_TERM, target)
    assert (v.kind, v.found) == ("missing", "")


def test_curly_and_straight_quotes_are_equivalent() -> None:
    term = Term("磐安", "Pan'an")
    assert _check(term, "in Pan’an county") == []
    assert _check(Term("x", "Mao Dun’s Former Residence"), "Mao Dun's former residence") == []


def test_forbidden_anywhere_even_with_approved() -> None:
    target = ("a community with a shared future in cyberspace, "
              "not a Cyberspace Community of Common Destiny")
    [v] = _check(CSF, target)
    assert v.kind == "forbidden" and v.found == "Cyberspace Community of Common Destiny"


def test_forbidden_and_missing_both_reported() -> None:
    kinds = [v.kind for v in _check(CSF, "a cyberspace community of common destiny")]
    assert kinds == ["forbidden", "missing"]


def test_dnt_must_appear_unchanged() -> None:
    assert _check(GSMA, "The GSMA said") == []
    [v] = _check(GSMA, "The Gsma said")
    assert (v.kind, v.found) == ("missing", "Gsma")
    [v] = _check(IPV6, "deploying IP-V6 widely")
    assert v.found == "IP-V6"


def test_each_term_reported_once_per_unit() -> None:
    matches = [TermMatch(WIC_TERM, 0, 7), TermMatch(WIC_TERM, 10, 17)]
    assert len(verify_terms("nothing here", matches)) == 1


@pytest.mark.parametrize("target", [
    "World \u0131nternet Conference",  # dotless i: re.IGNORECASE equates it with i
    "WORLD \u0130NTERNET CONFERENCES",
    "the \uff37\uff29\uff23 met",  # full-width letters fold to ASCII
])
def test_non_ascii_targets_keep_ignorecase_semantics(target: str) -> None:
    assert _check(WIC_TERM, target) == []


def test_forbidden_found_keeps_the_targets_case_and_position() -> None:
    target = "Before: WIC. After: the CYBERSPACE community of Common Destiny, again."
    [v, _] = _check(CSF, target)
    assert (v.kind, v.found) == ("forbidden", "CYBERSPACE community of Common Destiny")


def test_fast_fold_agrees_with_character_by_character_folding() -> None:
    from pipeline.glossary.folding import fold_with_offsets

    for text in ["ＧＤＰ增长，５Ｇ（测试）", "\u3000中国・浙江", "\uf900\u2f00ﾊﾟ", "e\u0301x，",
                 "가나，", "𠀀，A"]:
        folded, bounds = fold_with_offsets(text)
        assert folded == fold_source(text) or bounds is not None
        if bounds is None:
            assert folded == fold_source(text) and len(folded) == len(text)
    assert fold_with_offsets("ＧＤＰ增长，５Ｇ") == ("gdp增长,5g", None)


# ----------------------------------------------------------------------------- DNT repair


def test_repair_fixes_dnt_spelling() -> None:
    violations = _check(IPV6, "IPV6 and ipv6 adoption")
    assert insert_do_not_translate("IPV6 and ipv6 adoption", violations) == \
        "IPv6 and IPv6 adoption"


def test_repair_refuses_ordinary_words_and_plain_drops() -> None:
    fun = Term("FUN", "FUN")
    assert insert_do_not_translate("it was fun", _check(fun, "it was fun")) is None
    assert insert_do_not_translate("The association said", _check(GSMA, "x")) is None


def test_repair_inserts_dropped_abbreviation_after_its_expansion() -> None:
    long_form = Term("全球移动通信系统协会", "GSMA", ("GSM Association",))
    source = "全球移动通信系统协会(GSMA)首席执行官"
    matches = _g(long_form, GSMA).match(source)
    target = "The CEO of the GSM Association flew to Shanghai."
    violations = verify_terms(target, matches)
    repaired = insert_do_not_translate(target, violations, source=source, matches=matches)
    assert repaired == "The CEO of the GSM Association (GSMA) flew to Shanghai."
    assert verify_terms(repaired, matches) == []
    assert insert_do_not_translate(target, violations) is None  # no source: no anchor


def test_repair_ignores_non_dnt_violations() -> None:
    assert insert_do_not_translate("x", _check(WIC_TERM, "x")) is None


# ----------------------------------------------------------------------------- formats


def test_tsv_columns_lists_and_comments(tmp_path: Path) -> None:
    path = _tsv(tmp_path, "# comment\n乌镇峰会\tWuzhen Summit\t| Wuzhen summit meeting |\t"
                          "Wuzhen Peak Meeting\tnote here\n\nGSMA\tGSMA\n")
    g = load_glossary(path)
    summit, gsma = g.terms
    assert summit == Term("乌镇峰会", "Wuzhen Summit", ("Wuzhen summit meeting",),
                          ("Wuzhen Peak Meeting",), "note here", 3)
    assert gsma.do_not_translate and gsma.line == 5


def test_csv_with_quoted_commas(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text('source,target,variants,forbidden,note\n'
                    '共商共建共享,"extensive consultation, joint contribution",,,"a, b"\n',
                    encoding="utf-8")
    [term] = load_glossary(path).terms
    assert term.target == "extensive consultation, joint contribution" and term.note == "a, b"


def test_extra_column_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "g.tsv"
    path.write_text("source\ttarget\tdomain\n乌镇\tWuzhen\tplace\n", encoding="utf-8")
    g = load_glossary(path)
    assert g.terms[0].target == "Wuzhen"
    assert any("extra column 'domain'" in w for w in g.warnings)


def test_tbx_statuses_map_to_target_variants_forbidden(tmp_path: Path) -> None:
    path = tmp_path / "g.tbx"
    path.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<martif type="TBX" xml:lang="en"><text><body>
<termEntry id="a"><note>chosen form</note>
 <langSet xml:lang="zh-CN"><tig><term>乌镇峰会</term></tig></langSet>
 <langSet xml:lang="en-US">
  <tig><term>Wuzhen Peak Meeting</term>
   <termNote type="administrativeStatus">deprecatedTerm-admn-sts</termNote></tig>
  <tig><term>WIC Wuzhen Summit</term>
   <termNote type="administrativeStatus">admittedTerm-admn-sts</termNote></tig>
  <tig><term>Wuzhen Summit</term>
   <termNote type="administrativeStatus">preferredTerm-admn-sts</termNote></tig>
 </langSet></termEntry>
<termEntry id="b"><langSet xml:lang="fr"><tig><term>x</term></tig></langSet></termEntry>
</body></text></martif>""", encoding="utf-8")
    g = load_glossary(path)
    assert g.terms == [Term("乌镇峰会", "Wuzhen Summit", ("WIC Wuzhen Summit",),
                            ("Wuzhen Peak Meeting",), "chosen form", 3)]
    assert any(":13:" in w and "skipped" in w for w in g.warnings)


def test_shared_sample_tbx_has_no_chinese(tmp_path: Path) -> None:
    if not SAMPLE_TBX.is_file():
        pytest.skip("../shared/interop/sample.tbx is not present")
    with pytest.raises(UserError, match=r"languages found: en, hu"):
        load_glossary(SAMPLE_TBX)
    data = SAMPLE_TBX.read_bytes().replace(b'xml:lang="hu"', b'xml:lang="zh"')
    (tmp_path / "s.tbx").write_bytes(data)
    [term] = load_glossary(tmp_path / "s.tbx").terms
    assert (term.source, term.target) == ("hu translation", "alpha smoothing factor")


@pytest.mark.parametrize("suffix", ["tbx", "csv", "tsv"])
def test_convert_round_trip(tmp_path: Path, suffix: str) -> None:
    src = _tsv(tmp_path, "乌镇峰会\tWuzhen Summit\tWIC Wuzhen Summit\tWuzhen Peak Meeting\tn, 1\n"
                         "GSMA\tGSMA\t\t\t\n")
    out = tmp_path / f"out.{suffix}"
    back = tmp_path / "back.tsv"
    runner = CliRunner()
    assert runner.invoke(main, ["glossary", "convert", str(src), "-o", str(out)]).exit_code == 0
    assert runner.invoke(main, ["glossary", "convert", str(out), "-o", str(back)]).exit_code == 0
    strip = [(t.source, t.target, t.variants, t.forbidden, t.note)
             for t in load_glossary(src).terms]
    assert [(t.source, t.target, t.variants, t.forbidden, t.note)
            for t in load_glossary(back).terms] == strip


def test_sniffs_content_over_extension(tmp_path: Path) -> None:
    tmx = tmp_path / "terms.tsv"
    tmx.write_text('<?xml version="1.0"?><tmx version="1.4"><header/><body/></tmx>',
                   encoding="utf-8")
    with pytest.raises(UserError, match="TMX translation memory, not a glossary"):
        load_glossary(tmx)
    headerless = tmp_path / "g"
    headerless.write_text("source\ttarget\n乌镇\tWuzhen\n", encoding="utf-8")
    assert load_glossary(headerless).terms[0].target == "Wuzhen"


@pytest.mark.parametrize("content, message", [
    (b"", "glossary is empty"),
    (b"  \n", "glossary is empty"),
    ("source\ttarget\n乌镇\tWuzhen\n".encode("utf-16-le"), "NUL byte"),
    (b"<martif><text><body>", "malformed XML"),
])
def test_unreadable_glossaries(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "g.tsv"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message):
        load_glossary(path)


def test_load_reports_first_error_with_line(tmp_path: Path) -> None:
    path = _tsv(tmp_path, "乌镇\tWuzhen\n \tTongxiang\n桐乡\t\n")
    with pytest.raises(UserError, match=r"g\.tsv:3: empty source \(and 1 more"):
        load_glossary(path)


# ----------------------------------------------------------------------------- validate


def test_validate_lists_every_error_with_line(tmp_path: Path) -> None:
    path = _tsv(tmp_path, "乌镇\tWuzhen\n"                       # 2
                          "桐乡\t\n"                              # 3 empty target
                          "乌镇\tWu Town\n"                       # 4 duplicate, other target
                          "乌镇\twuzhen\n"                        # 5 duplicate, same: warning
                          "峰会\tsummit\t\tSummit\n"              # 6 forbidden == accepted
                          "乌镇峰会\tWuzhen Summit\t\tWuzhen\n"   # 7 forbidden inside accepted
                          "a\tb\tc\td\te\tf\n")                   # 8 too many fields
    report = validate_glossary(path)
    assert not report.ok
    assert [e.split(": ", 1)[0] for e in report.errors] == [
        f"{path}:{n}" for n in (3, 4, 6, 7, 8)]
    assert "empty target" in report.errors[0]
    assert "different target" in report.errors[1]
    assert "equals accepted" in report.errors[2]
    assert "matches inside" in report.errors[3]
    assert any(f"{path}:5:" in w for w in report.warnings)


def test_validate_wrong_header(tmp_path: Path) -> None:
    path = tmp_path / "g.tsv"
    path.write_text("zh,en\n乌镇,Wuzhen\n", encoding="utf-8")
    [error] = validate_glossary(path).errors
    assert error.startswith(f"{path}:1: wrong header") and "CSV" in error


def test_validate_against_corpus_warns_for_unused(tmp_path: Path) -> None:
    path = _tsv(tmp_path, "世界互联网大会\tWorld Internet Conference\n"
                          "世界互联网大会国际组织\tWorld Internet Conference\n"
                          "火星\tMars\n")
    corpus = tmp_path / "c.txt"
    corpus.write_text("世界互联网大会国际组织成立。\n", encoding="utf-8")
    report = validate_glossary(path, corpus)
    assert report.ok and report.occurring == 1
    assert any("only inside longer terms" in w and ":2:" in w for w in report.warnings)
    assert any("'火星' never occurs" in w for w in report.warnings)


def test_validate_cli_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    good = _tsv(tmp_path, "乌镇\tWuzhen\n", "good.tsv")
    bad = _tsv(tmp_path, "乌镇\t\n", "bad.tsv")
    assert runner.invoke(main, ["glossary", "validate", str(good)]).exit_code == 0
    result = runner.invoke(main, ["glossary", "validate", str(bad)])
    assert result.exit_code == 2 and f"{bad}:2: empty target" in result.output
    missing = runner.invoke(main, ["glossary", "validate", str(tmp_path / "nope.tsv")])
    assert missing.exit_code == 2 and "glossary not found" in missing.output


# ----------------------------------------------------------------------------- the seed glossary


def test_wic_glossary_is_valid_against_the_seed() -> None:
    report = validate_glossary(WIC, SEED)
    assert report.errors == []
    assert report.terms >= 120 and report.occurring >= report.terms - 5
    for required in ("世界互联网大会", "世界互联网大会国际组织", "乌镇峰会", "网络空间命运共同体",
                     "全球移动通信系统协会", "GSMA", "弗朗西斯·高锐"):
        assert any(t.source == required for t in load_glossary(WIC).terms), required


def test_wic_terms_pass_with_their_own_renderings() -> None:
    for term in load_glossary(WIC).terms:
        for rendering in term.accepted:
            match = TermMatch(term, 0, len(term.source))
            assert verify_terms(f"Text with {rendering} in it.", [match]) == [], rendering


def test_wic_forbids_literal_renderings_of_the_key_concept() -> None:
    glossary = load_glossary(WIC)
    matches = glossary.match("构建网络空间命运共同体")
    assert [v.kind for v in verify_terms("build a network space community of destiny",
                                         matches)] == ["forbidden", "missing"]
