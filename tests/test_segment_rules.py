"""Table tests for sentence boundaries, paragraph kinds, joins, and ``tmpipe segment``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import UserError
from pipeline.segment import SegmentOptions, junction_word, segment_document, split_sentences


def cut(text: str, **options) -> list[str]:
    return [text[p.start : p.end] for p in split_sentences(text, **options)]


BOUNDARIES = [
    # full-width terminals
    ("今天天气很好。我们出去玩吧！你去吗？", ["今天天气很好。", "我们出去玩吧！", "你去吗？"]),
    # half-width terminals and mixed punctuation
    ("今天,天气很好!我们出去玩吧?好的。", ["今天,天气很好!", "我们出去玩吧?", "好的。"]),
    # closing quote stays with the sentence it closes
    ("“……成功。”随后离开。", ["“……成功。”", "随后离开。"]),
    ("他说:“我们成功了！”大家都笑了。", ["他说:“我们成功了！”", "大家都笑了。"]),
    ("（注：见上文。）然后继续。", ["（注：见上文。）", "然后继续。"]),
    # a quote inside a sentence does not end it
    ("“乌镇时刻。”的说法流传很广。", ["“乌镇时刻。”的说法流传很广。"]),
    ("他说“好！”，然后走了。", ["他说“好！”，然后走了。"]),
    # numbers, phone numbers, percentages
    ("规划面积110.93平方公里的小镇。下一句。", ["规划面积110.93平方公里的小镇。", "下一句。"]),
    (
        "浙江30.7%的企业属于数字经济。居全国第一。",
        ["浙江30.7%的企业属于数字经济。", "居全国第一。"],
    ),
    ("电话:0571-85910479 邮箱:zjrb_C@163.com。", ["电话:0571-85910479 邮箱:zjrb_C@163.com。"]),
    # URLs and e-mail with sentence punctuation around them
    (
        "访问 https://example.com/a?b=1 了解详情。下一句。",
        ["访问 https://example.com/a?b=1 了解详情。", "下一句。"],
    ),
    ("请发邮件到 news@zjol.com.cn. 谢谢。", ["请发邮件到 news@zjol.com.cn.", "谢谢。"]),
    # Latin abbreviations
    ("围绕5G、IPv6、AI等议题。GSMA是成员。", ["围绕5G、IPv6、AI等议题。", "GSMA是成员。"]),
    ("Mr. Smith 和 the U.S. team 来到乌镇。", ["Mr. Smith 和 the U.S. team 来到乌镇。"]),
    # an English sentence inside Chinese text
    (
        "他用英语说 Connectivity is key. 全场响起掌声。",
        ["他用英语说 Connectivity is key.", "全场响起掌声。"],
    ),
    (
        "他说:“AI is changing the world. We must adapt.”全场鼓掌。",
        ["他说:“AI is changing the world. We must adapt.”", "全场鼓掌。"],
    ),
    ("version 2.0 is out. It works well.", ["version 2.0 is out.", "It works well."]),
    # dashes never break
    ("乌镇,变了一——会展经济异军突起。", ["乌镇,变了一——会展经济异军突起。"]),
    ("全球互联网从业者与网友寄语——", ["全球互联网从业者与网友寄语——"]),
    # ellipsis: ends a sentence only when something follows and nothing binds it
    ("主旨演讲……他们已进入“乌镇时刻”。", ["主旨演讲……", "他们已进入“乌镇时刻”。"]),
    ("还有磐安“浙中药”、龙泉“益林富农”……", ["还有磐安“浙中药”、龙泉“益林富农”……"]),
    ("等等……，然后走了。", ["等等……，然后走了。"]),
    ("……开始了。", ["……开始了。"]),
    ("……", ["……"]),
    # speaker labels stay with their answer
    ("任贤良:2015年,中国提出倡议。现场掌声。", ["任贤良:2015年,中国提出倡议。", "现场掌声。"]),
    ("记者：过去十年有哪些新挑战？", ["记者：过去十年有哪些新挑战？"]),
    # a credit in brackets after a sentence
    ("共同的繁荣和发展。(本报记者 姜晓蓉 整理)", ["共同的繁荣和发展。", "(本报记者 姜晓蓉 整理)"]),
    # whitespace at edges is trimmed; inner whitespace kept
    ("  甲乙丙。 \u3000丁 戊己。  ", ["甲乙丙。", "丁 戊己。"]),
]


@pytest.mark.parametrize(("text", "expected"), BOUNDARIES)
def test_sentence_boundaries(text, expected):
    assert cut(text) == expected


LEFT = "这是一个相当长的分句" * 4 + "它说明了第一件事"  # 48 characters
RIGHT = "那是另一个同样很长的分句" * 4 + "说明第二件事。"  # 55 characters


@pytest.mark.parametrize(
    ("text", "mode", "expected"),
    [
        (f"{LEFT}；{RIGHT}", "long", [f"{LEFT}；", RIGHT]),
        (f"{LEFT};{RIGHT}", "long", [f"{LEFT};", RIGHT]),
        (f"短句；{RIGHT}", "long", [f"短句；{RIGHT}"]),
        (f"{LEFT}；短句。", "long", [f"{LEFT}；短句。"]),
        (f"短句；{RIGHT}", "always", ["短句；", RIGHT]),
        (f"{LEFT}；{RIGHT}", "never", [f"{LEFT}；{RIGHT}"]),
    ],
)
def test_semicolon_rule(text, mode, expected):
    assert cut(text, semicolon=mode) == expected


def test_semicolon_minimum_is_configurable():
    text = "甲乙丙丁戊己庚辛；子丑寅卯辰巳午未。"
    assert cut(text) == [text]
    assert cut(text, semicolon_min=5) == ["甲乙丙丁戊己庚辛；", "子丑寅卯辰巳午未。"]


def test_long_sentence_split_near_middle():
    clause = "数字经济高质量发展强省总目标持续推进"  # 18 characters
    text = "，".join([clause] * 14) + "。"  # 265 characters, no sentence boundary
    pieces = split_sentences(text)
    assert len(pieces) == 2
    assert all(p.flags == ["split-long"] and p.split_group == 1 for p in pieces)
    first, second = (text[p.start : p.end] for p in pieces)
    assert first.endswith("，") and first + second == text
    assert abs(len(first) - len(second)) <= len(clause) + 1
    assert all(len(text[p.start : p.end]) <= 200 for p in pieces)


def test_long_sentence_prefers_semicolon_and_records_the_split():
    first, second = "，".join(["乌镇峰会聚焦共同体理念"] * 10), "，".join(["浙江数字经济"] * 15)
    text = f"{first}；{second}。"
    splits = {}
    pieces = split_sentences(text, semicolon="never", splits=splits)
    assert text[pieces[0].start : pieces[0].end].endswith("；")
    assert splits[1].parts == 2 and splits[1].marks == "；" and splits[1].length == len(text)


def test_long_sentence_without_any_cut_point_is_kept():
    text = "数" * 300 + "。"
    assert cut(text) == [text]


def test_long_split_in_document_is_flagged_and_noted():
    text = "，".join(["世界互联网大会乌镇峰会十年"] * 20) + "。\n"
    doc = segment_document(text)
    assert [s.flags for s in doc.segments] == [["split-long"]] * 2
    assert [(n.kind, n.paragraphs, n.segment) for n in doc.layout] == [("split", [1], 1)]


# ---------------------------------------------------------------- paragraph kinds


def kinds(text: str) -> list[tuple[str, str]]:
    return [(s.kind, s.text) for s in segment_document(text).segments]


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("2023年11月7日 星期二 责任编辑:李鹤林 联系电话:0571-85910479", "furniture"),
        ("第3版 2024年1月2日 星期五", "furniture"),
        ("(上接第一版)", "marker"),
        ("（下转第3版）", "marker"),
        ("……", "ellipsis"),
        ("…", "ellipsis"),
        ("本报记者", "byline"),
        ("本报记者 张三 李四", "byline"),
        ("本报讯(记者 宋彬彬)", "byline"),
        ("会场一角。本报记者 倪耀强 王志杰 摄", "caption"),
        ("乌镇的夜景 新华社记者 王斌 摄", "caption"),
        ("人类比以往更需要开放共享", "headline"),
        ("全球互联网从业者与网友寄语——", "headline"),
        ("今年是世界互联网大会乌镇峰会第十年。", "body"),
        ("记者:乌镇峰会带来了哪些积极影响?", "body"),
    ],
)
def test_paragraph_kinds(line, kind):
    assert kinds(f"今天是个好日子。\n\n{line}\n")[-1][0] == kind


def test_dateline_split_off_in_the_same_paragraph():
    doc = segment_document("本报乌镇11月6日电(记者 朱承)6日,大咖们忙碌了起来。他们已进入状态。\n")
    assert [(s.kind, s.paragraph) for s in doc.segments] == [
        ("byline", 1),
        ("body", 1),
        ("body", 1),
    ]
    assert doc.segments[0].text == "本报乌镇11月6日电(记者 朱承)"
    keep = segment_document(
        "本报讯(记者 甲乙)今天下雨。\n", options=SegmentOptions(split_datelines=False)
    )
    assert [s.text for s in keep.segments] == ["本报讯(记者 甲乙)今天下雨。"]


def test_whitespace_only_lines_do_not_count():
    doc = segment_document("第一段话。\n \n\u3000\u3000\n\t\n第二段话。\n")
    assert [(s.paragraph, s.source_paragraphs) for s in doc.segments] == [(1, [1]), (2, [2])]


def test_lines_layout_numbers_every_nonempty_line():
    text = "标题\n\n本报讯(记者 甲)正文。\n(上接第一版)\n推动两岸\n岸边很美。\n"
    doc = segment_document(text, layout="lines")
    assert [(s.paragraph, s.kind) for s in doc.segments] == [(i, "body") for i in range(1, 6)]
    assert doc.paragraphs == 5 and doc.layout == []


def test_bad_layout_and_options_are_user_errors():
    with pytest.raises(UserError, match="unknown layout"):
        segment_document("文本。", layout="columns")
    with pytest.raises(UserError, match="semicolon"):
        SegmentOptions(semicolon="sometimes")
    with pytest.raises(UserError, match="max-chars"):
        SegmentOptions(max_chars=0)


# ---------------------------------------------------------------- joins

BODY = "这是另一篇文章的正文段落,讲述了完全不同的事情。"


def test_join_across_other_paragraphs():
    head, tail = "记者了解到,这项工作在全省发挥了重", "要作用,大家都很满意。后来又怎样?"
    text = f"{head}\n\n{BODY}\n\n{BODY}\n\n{tail}\n"
    doc = segment_document(text)
    joined = doc.segments[0]
    assert joined.text == "记者了解到,这项工作在全省发挥了重要作用,大家都很满意。"
    assert joined.flags == ["joined"] and joined.source_paragraphs == [1, 4]
    assert doc.segments[1].text == "后来又怎样?" and doc.segments[1].paragraph == 1
    assert doc.paragraphs == 3
    (note,) = doc.layout
    assert note.kind == "join" and note.paragraphs == [1, 4] and "重要" in note.evidence


def test_no_join_without_a_word_across_the_junction():
    # 和平|安全: 平安 is a word, but jieba's best path reads 和平 + 安全
    text = "大家都来了。他说这片土地需要长久的和平\n\n安全是发展的前提,这一点毋庸置疑。\n"
    doc = segment_document(text)
    assert not any("joined" in s.flags for s in doc.segments)
    assert [(n.kind, n.paragraphs, n.segment) for n in doc.layout] == [("incomplete", [1], 2)]
    assert [s.flags for s in doc.segments] == [[], ["incomplete"], []]


def test_short_unterminated_line_without_continuation_is_a_headline():
    doc = segment_document("他说这片土地需要长久的和平\n\n安全是发展的前提,这一点毋庸置疑。\n")
    assert [s.kind for s in doc.segments] == ["headline", "body"] and doc.layout == []


def test_no_join_into_a_speaker_label_or_headline():
    text = "智能嫁接机让人们的工作更加高效,也更加智\n\n能网友:我觉得很好。\n\n能源革命\n"
    doc = segment_document(text)
    assert not any("joined" in s.flags for s in doc.segments)


def test_join_distance_is_bounded():
    filler = "\n".join([BODY] * 5)
    text = f"大家都来了。这项工作在全省发挥了重\n{filler}\n要作用,大家都很满意。\n"
    near = segment_document(text, options=SegmentOptions(join_distance=6))
    far = segment_document(text, options=SegmentOptions(join_distance=4))
    assert [n.kind for n in near.layout] == ["join"]
    assert [n.kind for n in far.layout] == ["incomplete"]


def test_short_unterminated_line_becomes_body_when_joined():
    tail = "办应用,涵盖了出生、入学、就业等事项。"
    text = f"浙里民生“关键小事”智能速\n\n{BODY}\n\n{tail}\n\n创业创新主阵地\n"
    doc = segment_document(text)
    assert doc.segments[0].kind == "body" and "速办应用" in doc.segments[0].text
    assert doc.segments[-1].kind == "headline"


def test_junction_word():
    assert junction_word("发挥了重", "要作用") == "重要"
    assert junction_word("峰会,尽", "管洪耀庄") == "尽管"
    assert junction_word("推动两岸", "富民惠民") is None
    assert junction_word("结束。", "要作用") is None


# ---------------------------------------------------------------- CLI


def test_cli_jsonl_to_stdout(tmp_path):
    source = tmp_path / "doc.txt"
    source.write_text("标题\n\n第一句。第二句！\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["segment", str(source)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["text"] for r in records] == ["标题", "第一句。", "第二句！"]
    assert records[1] == {
        "number": 2,
        "paragraph": 2,
        "kind": "body",
        "flags": [],
        "text": "第一句。",
        "start": 4,
        "end": 8,
        "spans": [[4, 8]],
        "source_paragraphs": [2],
        "lines": [3],
    }


def test_cli_output_file_and_text_format(tmp_path):
    source = tmp_path / "doc.txt"
    source.write_text(f"发挥了重\n\n{BODY}\n\n要作用。\n", encoding="utf-8")
    out = tmp_path / "out" / "segments.txt"
    result = CliRunner().invoke(main, ["segment", str(source), "-o", str(out), "--format", "text"])
    assert result.exit_code == 0, result.output
    listing = out.read_text(encoding="utf-8")
    assert "[joined] 发挥了重要作用。" in listing
    assert "# join source ¶1+3 segment 1: jieba word 重要" in listing
    assert "1 joins" in result.output


def test_cli_layout_lines(tmp_path):
    source = tmp_path / "doc.txt"
    source.write_text("发挥了重\n要作用。\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["segment", str(source), "--layout", "lines"])
    assert [json.loads(x)["paragraph"] for x in result.output.splitlines()] == [1, 2]


@pytest.mark.parametrize(
    ("content", "message"), [(None, "not found"), (b"  \n", "empty"), (b"\xff\xfe\x00\x00bad", "")]
)
def test_cli_bad_input_is_one_line_exit_2(tmp_path, content, message):
    source = tmp_path / "doc.txt"
    if content is not None:
        source.write_bytes(content)
    result = CliRunner().invoke(main, ["segment", str(source)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    if message:
        assert message in result.output
