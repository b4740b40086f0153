"""Issue 10, property tests (hypothesis, moderate budget; ``bench/fuzz/run.py`` runs the
large one): segmenter, glossary matcher, TMX write/read round trip, number QA."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from pipeline.errors import UserError
from pipeline.exchange.tmx import TU, iter_tus, read_units_tmx, write_tus, write_units_tmx
from pipeline.glossary import Glossary
from pipeline.glossary.core import source_key
from pipeline.numbers import english_numbers, find_numbers, match_numbers
from pipeline.qa import check_numbers
from pipeline.segment import segment_document
from pipeline.units import Segment, Term, Unit

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

# Text that looks like a newspaper page: Chinese, punctuation, quotes, digits, Latin, blanks.
PIECES = ["世界", "互联网", "大会", "乌镇", "峰会", "开幕", "本报记者", "摄", "（上接第一版）",
          "。", "，", "；", "！", "？", "……", "“", "”", "《", "》", "（", "）", "、", "：",
          "2023年", "11月8日", "15.6%", "0571-85910479", "www.wicinternet.org", "U.S.", "Mr.",
          "GSMA", "5G", " ", "\u3000", "\n", "\n\n", "责任编辑：张三", "a@b.cn", "!", "?", ".",
          "编者按", "第十届", "3万多", "\t"]
newspaper = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=80).map("".join)
# What read_text can hand over: any text minus the control characters it refuses.
decoded = newspaper.map(lambda t: re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\r]", "", t))


# ----------------------------------------------------------------------------- segmenter


def check_segmentation(text: str, layout: str) -> None:
    """Invariants of ``segment_document`` on any decoded text."""
    doc = segment_document(text, layout=layout)
    covered: list[tuple[int, int]] = []
    for number, segment in enumerate(doc.segments, start=1):
        assert segment.number == number
        assert 1 <= segment.paragraph <= doc.paragraphs
        assert segment.text and segment.text == segment.text.strip()
        assert segment.spans and "".join(text[a:b] for a, b in segment.spans) == segment.text
        for a, b in segment.spans:
            assert 0 <= a < b <= len(text) and "\n" not in text[a:b]
            covered.append((a, b))
    paragraphs = [s.paragraph for s in doc.segments]
    assert paragraphs == sorted(paragraphs)
    covered.sort()
    for (_, end), (start, _) in zip(covered, covered[1:], strict=False):
        assert end <= start, "two segments share characters"
    # nothing is lost: every non-blank character is in exactly one segment
    kept = "".join(text[a:b] for a, b in covered)
    assert re.sub(r"\s", "", kept) == re.sub(r"\s", "", text)


@SETTINGS
@given(text=decoded, layout=st.sampled_from(["auto", "lines"]))
@example(text="“……成功。”随后离开。\n\n本报讯（记者 张三）今天", layout="auto")
@example(text="世界互联网大会" * 60 + "，" + "乌镇峰会" * 60, layout="auto")
def test_segmenter_invariants(text: str, layout: str) -> None:
    check_segmentation(text, layout)


def test_segmenter_on_long_unpunctuated_line_is_linear_enough() -> None:
    """200,000 characters without a boundary: one piece per split, done in seconds."""
    doc = segment_document("世界互联网大会乌镇峰会" * 20_000)
    assert "".join(s.text for s in doc.segments) == "世界互联网大会乌镇峰会" * 20_000


# ----------------------------------------------------------------------------- glossary

cjk_term = st.text(alphabet="网络空间命运共同体数字经济", min_size=2, max_size=6)
latin_term = st.text(alphabet="ABCGMSX5", min_size=2, max_size=4)
filler = st.text(alphabet="的了在是和与及，。 \u3000abc123（）", max_size=8)


@SETTINGS
@given(sources=st.lists(cjk_term | latin_term, min_size=1, max_size=8, unique_by=source_key),
       parts=st.lists(st.tuples(filler, st.integers(0, 7)), max_size=12),
       noise=st.text(max_size=20))
def test_glossary_matcher(sources: list[str], parts: list[tuple[str, int]], noise: str) -> None:
    terms = [Term(s, f"T{i}", line=i + 2) for i, s in enumerate(sources)]
    glossary = Glossary(terms)
    text, planted = "", []
    for fill, index in parts:
        text += fill
        term = terms[index % len(terms)]
        planted.append((len(text), len(text) + len(term.source), term))
        text += term.source
    for candidate in (text, noise + text, text + noise, noise):
        matches = glossary.match(candidate)
        last_end = 0
        for m in matches:
            assert last_end <= m.start < m.end <= len(candidate)  # ordered, non-overlapping
            assert source_key(candidate[m.start:m.end]) == source_key(m.term.source)
            last_end = m.end
    # every planted CJK occurrence is found or covered by an overlapping (longer) match
    matches = glossary.match(text)
    for start, end, term in planted:
        if re.search(r"[A-Za-z0-9]", term.source):
            continue  # Latin terms need word boundaries, which random filler may break
        assert any(m.start < end and start < m.end for m in matches), (text, term)


# ----------------------------------------------------------------------------- TMX round trip

any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@SETTINGS
@given(source=any_text, target=any_text, tuid=any_text, note=any_text,
       props=st.dictionaries(st.text(min_size=1, max_size=8), any_text, max_size=3))
@example(source="a\x00b\x1f\r\n\t c", target="\ud800\ufffe]]>&amp;<seg>", tuid="1", note="",
         props={"x-qa": "\x0b"})
def test_tmx_round_trip_any_text(tmp_path_factory: pytest.TempPathFactory, source: str,
                                 target: str, tuid: str, note: str,
                                 props: dict[str, str]) -> None:
    """Any text, XML-forbidden characters included, is written as a well-formed TMX and read
    back exactly (segment text) or with U+FFFD for the forbidden ones (ids, notes, props)."""
    path = tmp_path_factory.mktemp("tmx") / "t.tmx"
    tu = TU(tuid=tuid, source=source, target=target, srclang="zh-CN", tgtlang="en",
            props=props, notes=[note])
    assert write_tus(path, [tu], {"x-doc": tuid}) == 1
    etree.parse(str(path), etree.XMLParser(resolve_entities=False))  # well-formed XML 1.0
    (back,) = list(iter_tus(path))
    assert (back.source, back.target) == (source, target)
    clean = lambda s: FORBIDDEN.sub("\ufffd", s)  # noqa: E731
    assert back.props == {clean(k): clean(v) for k, v in props.items()}
    assert back.notes == [clean(note)]
    assert back.tuid == (clean(tuid) or "1")


@SETTINGS
@given(texts=st.lists(st.tuples(any_text.filter(str.strip), any_text), min_size=1, max_size=5))
def test_units_tmx_round_trip(tmp_path_factory: pytest.TempPathFactory,
                              texts: list[tuple[str, str]]) -> None:
    units = [Unit(segment=Segment(number=i, paragraph=i, text=s, spans=[(0, len(s))]),
                  target=t, origin="mt", engine="argos")
             for i, (s, t) in enumerate(texts, start=1)]
    path = tmp_path_factory.mktemp("units") / "u.tmx"
    write_units_tmx(path, units, "doc", {"x-doc": "doc"})
    header, back = read_units_tmx(path)
    assert header["x-doc"] == "doc"
    assert [(u.number, u.source, u.target, u.origin, u.engine) for u in back] == [
        (u.number, u.source, u.target, "mt", "argos") for u in units]


@SETTINGS
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_tmx_reader_never_crashes(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("raw") / "r.tmx"
    path.write_bytes(b'<?xml version="1.0"?><tmx version="1.4"><header srclang="zh"/><body>'
                     + data + b"</body></tmx>")
    try:
        list(iter_tus(path))
    except UserError as exc:
        assert str(exc).startswith(str(path))


# ----------------------------------------------------------------------------- numbers

amount = st.integers(min_value=0, max_value=10**9)


@SETTINGS
@given(source=st.text(max_size=60), target=st.text(max_size=60))
def test_number_check_never_crashes(source: str, target: str) -> None:
    problems = match_numbers(source, target)
    assert all(p.severity in ("error", "warning") for p in problems)
    unit = Unit(segment=Segment(1, 1, source, [(0, len(source))]), target=target)
    for flag in check_numbers(unit):
        assert flag.check == "numbers" and flag.message


@SETTINGS
@given(n=amount, pct=st.decimals(min_value=0, max_value=100, places=1, allow_nan=False),
       before=st.sampled_from(["", "今年", "共有", "约"]))
def test_number_copied_is_accepted_and_changed_is_caught(n: int, pct: Decimal,
                                                         before: str) -> None:
    source = f"{before}{n:,}人参加，增长{pct}%。"
    good = f"{n:,} people took part, up {pct}%."
    assert [p for p in match_numbers(source, good) if p.severity == "error"] == []
    bad = f"{2 * n + 7:,} people took part, up {pct}%."  # beyond the 1 % rounding
    errors = [p for p in match_numbers(source, bad) if p.severity == "error"]
    assert errors and errors[0].kind == "missing"
    assert find_numbers(source) and english_numbers(good)


@SETTINGS
@given(n=st.integers(min_value=1, max_value=9999), scale=st.sampled_from(["万", "亿"]))
def test_scale_words(n: int, scale: str) -> None:
    value = Decimal(n) * (10**4 if scale == "万" else 10**8)
    source = f"投资{n}{scale}元。"
    target = f"an investment of {value:,f} yuan".replace(".0", "")
    assert [p for p in match_numbers(source, target) if p.severity == "error"] == []


def test_fuzz_harness_is_importable() -> None:
    """``bench/fuzz/run.py`` (the large-budget harness) imports and lists its targets."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "bench" / "fuzz" / "run.py"
    spec = importlib.util.spec_from_file_location("fuzz_run", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert set(module.TARGETS) == {"tmx", "glossary", "segment", "doc-id", "control",
                                   "numbers", "damaged-memory", "fifo"}


def test_segmentation_check_itself_catches_a_lost_character(monkeypatch) -> None:
    """The coverage invariant is not vacuous: a segmenter that drops text fails it."""
    import pipeline.segment as seg

    real = seg.segment_document

    def lossy(text: str, layout: str = "auto"):
        doc = real(text, layout=layout)
        doc.segments = doc.segments[:-1]
        return doc

    monkeypatch.setitem(globals(), "segment_document", lossy)
    with pytest.raises(AssertionError):
        check_segmentation("第一句。第二句。", "auto")
