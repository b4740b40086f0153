"""Golden tests: the segmenter on the whole Zhejiang Daily seed page."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.segment import segment_document
from pipeline.units import SEGMENT_KINDS

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "segments" / "zjrb-2023-11-07" / "source.zh.txt"
SHARED_SEED = REPO.parent / "shared" / "corpus" / "zjrb-2023-11-07.zh.txt"
GOLDEN = REPO / "tests" / "golden" / "segment_seed.jsonl"

#: Reviewed by hand: 84 non-empty lines, 4 of them continuations moved into the
#: paragraph they continue → 80 output paragraphs; 159 segments.
SEGMENTS = 159
PARAGRAPHS = 80

HEADLINES = [
    "人类比以往更需要开放共享",
    "重塑版图,打造“国际互联网小镇”",
    "乌镇里的“小镇”,怎样链接世界",
    "专访世界互联网大会秘书长任贤良",
    "全球互联网从业者与网友寄语——",
    "十年,他们想对乌镇峰会说",
    "世界互联网大会副理事长弗朗西斯·高锐:希望世界互联网大会为推进国际互联网治理作出更大贡献",
    "中国工程院院士、2023年世界互联网领先科技成果评审委员会主席邬贺铨:乌镇峰会十年,打造网络空间"
    "命运共同体交流平台",
    "复旦大学中国研究院院长张维为:中国优秀传统文化为互联网发展贡献智慧",
    "印度IPV6协会主席萨蒂亚·古普塔:世界对国际数字合作的需求更加迫切",
    "创业创新主阵地",
    "国内外互联网大咖热盼峰会启幕——",
    "期待与新老朋友相会在乌镇",
    "富民惠民主跑道",
]


@pytest.fixture(scope="module")
def seed() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def doc(seed):
    return segment_document(seed)


def _record(segment) -> dict:
    return {
        "number": segment.number,
        "paragraph": segment.paragraph,
        "kind": segment.kind,
        "flags": segment.flags,
        "source_paragraphs": segment.source_paragraphs,
        "text": segment.text,
    }


def test_golden_counts(doc):
    assert len(doc.segments) == SEGMENTS
    assert doc.paragraphs == PARAGRAPHS
    assert [s.number for s in doc.segments] == list(range(1, SEGMENTS + 1))
    assert all(s.kind in SEGMENT_KINDS for s in doc.segments)


def test_golden_file(doc):
    """Every segment matches the reviewed golden listing.

    After a deliberate change, regenerate with ``TMPIPE_UPDATE_GOLDEN=1`` and review the diff.
    """
    records = [_record(s) for s in doc.segments]
    if os.environ.get("TMPIPE_UPDATE_GOLDEN"):
        GOLDEN.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
        )
    golden = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]
    assert records == golden


def test_four_joins_with_evidence(doc):
    joins = [note for note in doc.layout if note.kind == "join"]
    assert [note.paragraphs for note in joins] == [[42, 56], [44, 60], [61, 62], [73, 77]]
    words = ["重要", "尽管", "多多", "速办"]
    pieces = ["的重要作用", "尽管洪耀庄", "拼多多、滴滴", "智能速办应用"]
    for note, word, piece in zip(joins, words, pieces, strict=True):
        assert f"jieba word {word} spans the junction" in note.evidence
        segment = doc.segments[note.segment - 1]
        assert piece in segment.text
        assert segment.flags == ["joined"] and len(segment.spans) == 2
        assert segment.source_paragraphs == note.paragraphs


def test_joined_spans_point_into_both_lines(doc, seed):
    for segment in doc.segments:
        assert segment.text == "".join(seed[s:e] for s, e in segment.spans)
    joined = doc.segments[85]
    (a, b), (c, d) = joined.spans
    assert seed[a:b].endswith("的重") and seed[c:d].startswith("要作用")
    assert seed.count("\n", 0, a) + 1 == 85 and seed.count("\n", 0, c) + 1 == 116


def test_continuation_follows_its_head_in_reading_order(doc):
    head = next(s for s in doc.segments if "尽管洪耀庄" in s.text)
    after = doc.segments[head.number]  # the next segment
    assert after.paragraph == head.paragraph and after.source_paragraphs == [60]
    assert after.text.startswith("“今年互联网领域")
    marker = next(s for s in doc.segments if s.kind == "marker")
    assert marker.number > after.number + 1


def test_two_incomplete_fragments(doc):
    notes = [note for note in doc.layout if note.kind == "incomplete"]
    assert [note.paragraphs for note in notes] == [[57], [63]]
    texts = [doc.segments[note.segment - 1].text for note in notes]
    assert texts[0].endswith("在乌镇先行先") and texts[1].endswith("一直致力于推动两岸")
    flagged = [s.number for s in doc.segments if "incomplete" in s.flags]
    assert flagged == [note.segment for note in notes]


def test_page_furniture_marker_ellipsis(doc):
    by_kind = {}
    for segment in doc.segments:
        by_kind.setdefault(segment.kind, []).append(segment.text)
    assert by_kind["furniture"] == [
        "2023年11月7日 星期二 责任编辑:李鹤林 联系电话:0571-85910479 邮箱:zjrb_C@163.com"
    ]
    assert by_kind["marker"] == ["(上接第一版)"]
    assert by_kind["ellipsis"] == ["……"]
    assert not any(s.translatable for s in doc.segments if s.kind in ("furniture", "marker"))


def test_caption_and_bylines(doc):
    captions = [s for s in doc.segments if s.kind == "caption"]
    assert len({s.paragraph for s in captions}) == 1
    assert captions[-1].text == "本报记者 倪耀强 王志杰 摄"
    bylines = [s.text for s in doc.segments if s.kind == "byline"]
    assert bylines == [
        "本报记者",
        "(本报记者 姜晓蓉 整理)",
        "本报讯(记者 宋彬彬 共享联盟·桐乡 陈厚文 钱丹妮)",
        "本报乌镇11月6日电(记者 朱承)",
    ]
    dateline = next(s for s in doc.segments if s.text.startswith("本报讯"))
    lead = doc.segments[dateline.number]
    assert lead.paragraph == dateline.paragraph and lead.text.startswith("在老一辈人的记忆里")


def test_headlines(doc):
    assert [s.text for s in doc.segments if s.kind == "headline"] == HEADLINES


def test_whitespace_only_line_is_not_a_paragraph(doc, seed):
    line_101 = seed.split("\n")[100]
    assert line_101.strip() == ""
    cloud = next(s for s in doc.segments if s.text.startswith("云栖魅力不减"))
    assert cloud.source_paragraphs == [50]


def test_lines_layout_keeps_file_order(seed):
    doc = segment_document(seed, layout="lines")
    lines = [line for line in seed.split("\n") if line.strip()]
    assert doc.paragraphs == len(lines) == 84
    assert {s.kind for s in doc.segments} == {"body"}
    assert not [n for n in doc.layout if n.kind in ("join", "incomplete")]
    for segment in doc.segments:
        assert segment.source_paragraphs == [segment.paragraph]
        assert segment.text in lines[segment.paragraph - 1]


def test_repeated_seed_has_no_cross_copy_joins(seed):
    doc = segment_document("\n".join([seed] * 5))
    assert sum(n.kind == "join" for n in doc.layout) == 20
    assert sum(n.kind == "incomplete" for n in doc.layout) == 10
    assert len(doc.segments) == 5 * SEGMENTS


def test_shared_copy_segments_the_same(doc):
    if not SHARED_SEED.is_file():
        pytest.skip("../shared is not present on this machine")
    from pipeline.textio import read_text

    shared = segment_document(read_text(SHARED_SEED))
    assert [s.text for s in shared.segments] == [s.text for s in doc.segments]


def test_glossary_words_in_jieba_do_not_change_layout(seed_text) -> None:
    """Words other stages add to jieba's global dictionary must not create joins."""
    import jieba

    before = [s.text for s in segment_document(seed_text).segments]
    jieba.add_word("智慧乌镇")
    try:
        after = [s.text for s in segment_document(seed_text).segments]
    finally:
        jieba.del_word("智慧乌镇")
    assert after == before
