"""Property tests: segments cover the source exactly, whatever the input."""

from __future__ import annotations

import os
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.segment import SegmentOptions, segment_document, split_sentences
from pipeline.units import SEGMENT_KINDS

#: Fragments chosen to exercise every rule: terminals of both widths, quotes and
#: brackets (balanced or not), ellipses, dashes, numbers, URLs, bylines, markers,
#: words that a column break could cut (重|要, 尽|管), whitespace of every kind.
FRAGMENTS = [
    "今天",
    "乌镇",
    "峰会",
    "数字经济",
    "的重",
    "要作用",
    "尽",
    "管",
    "拼多",
    "多",
    "两岸",
    "。",
    "！",
    "？",
    "!",
    "?",
    "；",
    ";",
    "，",
    ",",
    "、",
    ":",
    "：",
    "……",
    "…",
    "——",
    "“",
    "”",
    "‘",
    "’",
    "（",
    "）",
    "(",
    ")",
    "《",
    "》",
    "「",
    "」",
    '"',
    ".",
    "110.93",
    "30.7%",
    "0571-85910479",
    "zjrb_C@163.com",
    "https://a.cn/x?y=1",
    "IPv6",
    "5G",
    "U.S.",
    "Mr. ",
    "It works. ",
    "本报讯(记者 张三)",
    "本报记者",
    "(上接第一版)",
    "本报记者 王五 摄",
    "2023年11月7日 星期二 责任编辑:李四",
    " ",
    "\u3000",
    "\t",
    "\n",
    "\n\n",
    "\n \n",
]

#: Modest by default (fast suite); raise with TMPIPE_HYPOTHESIS_EXAMPLES for a deep run.
EXAMPLES = int(os.environ.get("TMPIPE_HYPOTHESIS_EXAMPLES", "60"))

documents = st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join)
options = st.builds(
    SegmentOptions,
    semicolon=st.sampled_from(["long", "always", "never"]),
    semicolon_min=st.integers(1, 50),
    max_chars=st.integers(5, 120),
    quote_keep=st.integers(1, 150),
    headline_max=st.integers(1, 80),
    join_distance=st.integers(0, 5),
)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _check(text, doc):
    spans = sorted(span for s in doc.segments for span in s.spans)
    for segment in doc.segments:
        assert segment.text, "no empty segment"
        assert segment.text == "".join(text[a:b] for a, b in segment.spans)
        assert segment.text == segment.text.strip()
        assert all("\n" not in text[a:b] for a, b in segment.spans)
        assert segment.kind in SEGMENT_KINDS
        assert len(segment.source_paragraphs) == len(segment.spans)
    # spans never overlap, and with joins undone they give back every visible character
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert _squeeze("".join(text[a:b] for a, b in spans)) == _squeeze(text)
    assert [s.number for s in doc.segments] == list(range(1, len(doc.segments) + 1))
    paragraphs = [s.paragraph for s in doc.segments]
    assert paragraphs == sorted(paragraphs)
    assert set(paragraphs) == set(range(1, doc.paragraphs + 1))


@settings(max_examples=EXAMPLES, deadline=None)
@given(documents, options)
def test_auto_layout_covers_source_exactly(text, opts):
    _check(text, segment_document(text, options=opts))


@settings(max_examples=max(10, EXAMPLES * 2 // 3), deadline=None)
@given(documents)
def test_lines_layout_maps_nth_line_to_paragraph_n(text):
    doc = segment_document(text, layout="lines")
    _check(text, doc)
    lines = [line for line in text.split("\n") if line.strip()]
    assert doc.paragraphs == len(lines)
    for segment in doc.segments:
        assert segment.source_paragraphs == [segment.paragraph]
        assert segment.text in lines[segment.paragraph - 1]


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(max_size=80), st.integers(5, 60))
def test_split_sentences_on_any_text(text, max_chars):
    pieces = split_sentences(text, max_chars=max_chars, semicolon="always")
    assert all(p.start < p.end for p in pieces)
    assert all(a.end <= b.start for a, b in zip(pieces, pieces[1:], strict=False))
    assert _squeeze("".join(text[p.start : p.end] for p in pieces)) == _squeeze(text)
