"""TMX reader/writer: compliance kit, DTD validity, translate-toolkit, bad and unsafe input."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from pipeline.errors import UserError
from pipeline.exchange.tmx import TU, iter_tus, read_units_tmx, write_tus, write_units_tmx
from pipeline.units import Flag, Segment, Term, TermMatch, TMMatch, Unit

SHARED = Path(__file__).resolve().parents[2] / "shared"
KIT = SHARED / "interop" / "tmx-compliance-kit"
DTD = SHARED / "interop" / "tmx14.dtd"
KIT_FILES = sorted(p.name for p in KIT.glob("*.tmx")) if KIT.is_dir() else []


def _kit(name: str) -> Path:
    if not KIT.is_dir():
        pytest.skip("../shared/interop is not present")
    return KIT / name


def _txt_lines(path: Path) -> list[str]:
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16")
    else:
        text = data.decode("utf-8-sig")
    return text.replace("\r\n", "\n").removesuffix("\n").split("\n")


@pytest.mark.skipif(not KIT_FILES, reason="../shared/interop is not present")
@pytest.mark.parametrize("name", KIT_FILES)
def test_compliance_kit_imports_with_expected_text(name: str) -> None:
    tmx = _kit(name)
    tus = list(iter_tus(tmx))
    assert tus and all(tu.source and tu.target for tu in tus)
    expected_source = tmx.with_suffix(".txt")
    if expected_source.exists():
        assert [tu.source for tu in tus] == _txt_lines(expected_source)
    for other in KIT.glob(f"{tmx.stem}_*.txt"):
        lang = other.stem.split("_", 1)[1].lower()
        assert [tu.tuvs[lang] for tu in tus] == _txt_lines(other), other.name


def test_kit_language_selection_and_inline_tags() -> None:
    tus = list(iter_tus(_kit("ImportTest1C.tmx")))
    assert [tu.tgtlang for tu in tus] == ["en-gb"] * 3  # English preferred over fr/ja/es
    many = list(iter_tus(_kit("ImportTest1J_many.tmx"), tgtlang="en-gb"))
    assert [tu.source for tu in many] == ["First entry in US English",
                                          "Second entry in US English"]
    german = next(iter_tus(_kit("ImportTest1K.tmx")))
    assert (german.srclang, german.source) == ("de-de", "First Entry - German")
    tagged = next(iter_tus(_kit("ImportTest2A.tmx")))  # UTF-16 LE with BOM
    assert tagged.source == "The big black cat sleeps."
    assert '<bpt i="1" x="1" type="bold">&lt;b&gt;</bpt>black' in tagged.source_xml
    inverted = list(iter_tus(_kit("ImportTest2A.tmx")))[-1]
    assert inverted.source == "Some text with a part highlighted."
    assert inverted.target == "Du texte avec une portion délimitée."


def test_inline_tags_survive_import_export(tmp_path: Path) -> None:
    tus = list(iter_tus(_kit("ImportTest2C.tmx")))
    out = tmp_path / "round.tmx"
    write_tus(out, tus, srclang="en-us")
    again = list(iter_tus(out))
    assert [(t.source, t.target, t.source_xml, t.target_xml) for t in again] == [
        (t.source, t.target, t.source_xml, t.target_xml) for t in tus]
    assert "<sub>Start Here!</sub>" in again[0].source_xml


def _unit(number: int, source: str, target: str, **kw) -> Unit:
    segment = Segment(number=number, paragraph=kw.pop("paragraph", 1), text=source,
                      spans=[(0, len(source))], kind=kw.pop("kind", "body"),
                      flags=kw.pop("seg_flags", []))
    return Unit(segment=segment, target=target, **kw)


def _sample_units() -> list[Unit]:
    term = Term("乌镇", "Wuzhen")
    return [
        _unit(1, "乌镇峰会开幕", "Wuzhen Summit opens", origin="mt", engine="llm",
              model="tiny", model_sha256="ab" * 32, kind="headline", retries=1,
              terms=[TermMatch(term, 0, 2)], seg_flags=["joined"],
              flags=[Flag("numbers", "error", "2015 missing")],
              scores={"bleu": 41.5, "chrf": 60.25}, reference="The Wuzhen summit opens",
              alignment_confidence=0.9),
        _unit(2, "2015年，大会召开。", "In 2015, the conference opened.", origin="tm-fuzzy",
              match_score=88.3, paragraph=2,
              tm_match=TMMatch("2016年，大会召开。", "In 2016, the conference opened.", 88.3,
                               "fuzzy", "human")),
        _unit(5, "控制\x01字符 & <标签>", "control \x0c char & <tag>", origin="mt", paragraph=3),
    ]


def test_units_round_trip_with_props(tmp_path: Path) -> None:
    out = tmp_path / "run.tmx"
    units = _sample_units()
    write_units_tmx(out, units, "doc1", {"x-engine": "llm"}, creationdate="20240101T000000Z")
    header, back = read_units_tmx(out)
    assert header == {"x-engine": "llm"}
    assert [u.number for u in back] == [1, 2, 5]
    assert [(u.source, u.target) for u in back] == [(u.source, u.target) for u in units]
    first, second, _ = back
    assert (first.origin, first.engine, first.model_sha256, first.retries) == (
        "mt", "llm", "ab" * 32, 1)
    assert first.segment.kind == "headline" and first.segment.flags == ["joined"]
    assert [str(f) for f in first.flags] == ["numbers: 2015 missing"]
    assert [f.severity for f in first.flags] == [units[0].flags[0].severity]
    assert first.terms[0].term.target == "Wuzhen" and first.terms[0].start == 0
    assert first.scores == {"bleu": 41.5, "chrf": 60.25}
    assert first.reference == "The Wuzhen summit opens" and first.alignment_confidence == 0.9
    assert second.match_score == 88.3 and second.segment.paragraph == 2
    assert second.tm_match is not None and second.tm_match.source == "2016年，大会召开。"
    text = out.read_text(encoding="utf-8")
    assert 'tuid="doc1:5"' in text and 'creationdate="20240101T000000Z"' in text


def test_export_validates_against_tmx14_dtd(tmp_path: Path) -> None:
    if not DTD.exists():
        pytest.skip("../shared/interop is not present")
    out = tmp_path / "run.tmx"
    write_units_tmx(out, _sample_units(), "doc1", {"x-note": "a"})
    dtd = etree.DTD(str(DTD))
    doc = etree.parse(str(out), etree.XMLParser(load_dtd=False, no_network=True))
    assert dtd.validate(doc), dtd.error_log.filter_from_errors()
    header = doc.getroot().find("header")
    for attr in ("creationtool", "creationtoolversion", "segtype", "o-tmf", "adminlang",
                 "srclang", "datatype", "creationdate"):
        assert header.get(attr), attr
    tu = doc.getroot().find("body/tu")
    assert [c.tag for c in tu][-2:] == ["tuv", "tuv"]
    assert len(tu.get("creationdate")) == 16 and tu.get("creationdate").endswith("Z")


def test_export_loads_in_translate_toolkit(tmp_path: Path) -> None:
    tmx_storage = pytest.importorskip("translate.storage.tmx")
    out = tmp_path / "run.tmx"
    units = [u for u in _sample_units() if "\x01" not in u.source]
    write_units_tmx(out, units, "doc1", {})
    store = tmx_storage.tmxfile.parsefile(str(out))
    pairs = [(u.source, u.target) for u in store.units]
    assert pairs == [(u.source, u.target) for u in units]


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=texts, target=texts, prop=texts)
def test_any_text_round_trips_or_file_stays_valid(tmp_path_factory, source, target, prop):
    out = tmp_path_factory.mktemp("h") / "x.tmx"
    tu = TU(tuid="t:1", source=source, target=target, srclang="zh-CN", tgtlang="en",
            props={"x-reference": prop}, notes=[prop])
    write_tus(out, [tu])
    back = list(iter_tus(out))
    assert len(back) == 1
    assert (back[0].source, back[0].target) == (source, target)
    cleaned = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "\ufffd", prop)
    assert back[0].props == {"x-reference": cleaned} and back[0].notes == [cleaned]


BAD = {
    "malformed": ('<?xml version="1.0"?><tmx version="1.4"><header srclang="zh"/><body>'
                  '<tu><tuv xml:lang="zh"><seg>x</seg></tuv>\n</body></tmx>', "malformed"),
    "wrong_root": ('<?xml version="1.0"?><xliff><header srclang="zh"/></xliff>', "root"),
    "no_srclang": ('<tmx version="1.4"><header/>\n<body></body></tmx>', "srclang"),
    "no_source_tuv": ('<tmx version="1.4"><header srclang="zh-CN"/><body>\n<tu>'
                      '<tuv xml:lang="en"><seg>a</seg></tuv><tuv xml:lang="fr"><seg>b</seg>'
                      '</tuv></tu></body></tmx>', "source language"),
    "no_target_tuv": ('<tmx version="1.4"><header srclang="zh-CN"/><body>\n<tu>'
                      '<tuv xml:lang="zh"><seg>a</seg></tuv></tu></body></tmx>', "target"),
    "billion_laughs": ('<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY a "aaaaaaaaaa">'
                       '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                       '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
                       '<tmx version="1.4"><header srclang="zh"/><body><tu><tuv xml:lang="zh">'
                       '<seg>&c;</seg></tuv></tu></body></tmx>', "entities"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_tmx_is_a_user_error_with_file(tmp_path: Path, name: str) -> None:
    text, expected = BAD[name]
    path = tmp_path / f"{name}.tmx"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as info:
        list(iter_tus(path))
    message = str(info.value)
    assert message.startswith(str(path)) and expected in message and "\n" not in message


def test_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    path = tmp_path / "xxe.tmx"
    path.write_text(f'<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY x SYSTEM "{secret.as_uri()}">'
                    ']><tmx version="1.4"><header srclang="zh"/><body><tu>'
                    '<tuv xml:lang="zh"><seg>&x;</seg></tuv><tuv xml:lang="en"><seg>y</seg>'
                    '</tuv></tu></body></tmx>', encoding="utf-8")
    with pytest.raises(UserError, match="entities") as info:
        list(iter_tus(path))
    assert "TOP-SECRET" not in str(info.value)


def test_external_dtd_url_is_not_fetched_and_lang_attribute_any_case(tmp_path: Path) -> None:
    path = tmp_path / "old.tmx"
    text = ('<?xml version="1.0"?>\n<!DOCTYPE tmx SYSTEM "http://127.0.0.1:9/tmx11.dtd">\n'
            '<tmx version="1.1"><header srclang="ZH-cn" creationtool="x"/><body>'
            '<tu><tuv lang="EN-us"><seg>Hello</seg></tuv><tuv lang="zh-Hans"><seg>你好</seg>'
            '</tuv><tuv lang="ZH-CN"><seg>您好</seg></tuv></tu></body></tmx>')
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    (tu,) = iter_tus(path)
    assert (tu.source, tu.target, tu.tgtlang) == ("您好", "Hello", "EN-us")


def test_missing_file_is_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not found"):
        list(iter_tus(tmp_path / "none.tmx"))


def test_failed_write_keeps_previous_file(tmp_path: Path) -> None:
    out = tmp_path / "keep.tmx"
    out.write_text("previous", encoding="utf-8")

    def units():
        yield TU("a", "一", "one", "zh-CN", "en")
        raise RuntimeError("crash mid-export")

    with pytest.raises(RuntimeError):
        write_tus(out, units())
    assert out.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.tmx"]


def test_fast_and_element_paths_keep_order(tmp_path: Path) -> None:
    tus = [
        TU("a", "一 & <二>", 'one "&" two\r', "zh-CN", "en", props={"x-doc": 'd"1\t'}),
        TU("b", "加粗", "bold", "zh-CN", "en", source_xml='<ph x="1">&lt;br/&gt;</ph>加粗'),
        TU("c", "控制\x07", "ctrl", "zh-CN", "en"),
        TU("d", "四", "four", "zh-TW", "en", creationdate="20200101T000000Z"),
    ]
    out = tmp_path / "mixed.tmx"
    assert write_tus(out, tus) == 4
    back = list(iter_tus(out))
    assert [(t.tuid, t.source, t.target) for t in back] == [
        (t.tuid, t.source, t.target) for t in tus]
    assert back[0].props == {"x-doc": 'd"1\t'}
    assert back[1].source_xml == '<ph x="1">&lt;br/&gt;</ph>加粗'
    assert back[3].srclang == "zh-TW" and back[3].creationdate == "20200101T000000Z"
    if DTD.exists():
        doc = etree.parse(str(out), etree.XMLParser(load_dtd=False, no_network=True))
        assert etree.DTD(str(DTD)).validate(doc)


def test_reader_fast_path_matches_the_general_one(tmp_path: Path) -> None:
    """Plain segs, a seg after a prop, escaped text and inline tags read alike."""
    path = tmp_path / "mixed.tmx"
    path.write_text(
        '<?xml version="1.0"?>\n<!-- c --><tmx version="1.4"><header srclang="zh-CN"/><body>\n'
        '<tu tuid="a"><prop type="x-doc">d</prop><tuv xml:lang="zh-CN"><seg>一 &amp; &lt;二&gt;'
        '</seg></tuv><tuv xml:lang="en"><prop type="p">v</prop><seg>one</seg></tuv></tu>\n'
        '<tu><tuv xml:lang="en"><seg>b<ph x="1">&lt;br/&gt;</ph>c</seg></tuv>'
        '<tuv xml:lang="fr"><seg>fr</seg></tuv><tuv xml:lang="ZH-cn"><seg>乙</seg></tuv></tu>\n'
        "</body></tmx>\n", encoding="utf-8")
    first, second = iter_tus(path)
    assert (first.tuid, first.source, first.source_xml, first.target, first.line) == (
        "a", "一 & <二>", "一 &amp; &lt;二&gt;", "one", 3)
    assert first.props == {"x-doc": "d"} and first.tuvs == {"zh-cn": "一 & <二>", "en": "one"}
    assert (second.tuid, second.source, second.target, second.target_xml) == (
        "2", "乙", "bc", 'b<ph x="1">&lt;br/&gt;</ph>c')
    assert second.tuvs == {"en": "bc", "fr": "fr", "zh-cn": "乙"}


def test_reader_accepts_a_pipe(tmp_path: Path) -> None:
    import os
    import threading

    fifo = tmp_path / "in.tmx"
    os.mkfifo(fifo)
    text = ('<tmx version="1.4"><header srclang="zh"/><body><tu><tuv xml:lang="zh"><seg>一</seg>'
            '</tuv><tuv xml:lang="en"><seg>one</seg></tuv></tu></body></tmx>')
    writer = threading.Thread(target=lambda: fifo.write_text(text, encoding="utf-8"))
    writer.start()
    try:
        assert [(tu.source, tu.target) for tu in iter_tus(fifo)] == [("一", "one")]
    finally:
        writer.join(5)
