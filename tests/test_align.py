"""Reference alignment: sentence splitting, comment lines, extra/missing/empty/reordered lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from pipeline.align import (
    align_reference,
    number_anchors,
    read_reference,
    reference_lines,
    split_sentences,
)
from pipeline.cli import main
from pipeline.units import Segment, Unit

# (Chinese source, machine translation, reference) per sentence, grouped in paragraphs.
DOC = [
    [
        (
            "2015年，中国提出了这一倡议。",
            "In 2015, China proposed this initiative.",
            "In 2015, China put forward the initiative.",
        ),
        (
            "现场掌声经久不息。",
            "The applause at the scene lasted a long time.",
            "The applause in the hall went on and on.",
        ),
    ],
    [
        (
            "目前已有24个国家的120余家机构加入。",
            "At present, more than 120 institutions from 24 countries have joined.",
            "To date, more than 120 institutions from 24 countries have joined.",
        ),
        (
            "围绕5G、IPv6等议题开展对话。",
            "Dialogues were held on 5G, IPv6 and other topics.",
            "It held dialogues on topics such as 5G and IPv6.",
        ),
    ],
    [
        (
            "浙江30.7%的高新技术企业属于数字经济领域。",
            "30.7% of Zhejiang's high-tech companies are in the digital economy.",
            "Of Zhejiang's high-tech enterprises, 30.7% are in the digital economy.",
        ),
        (
            "今年3月，代表团前往巴塞罗那。",
            "In March this year, the delegation went to Barcelona.",
            "In March, the delegation traveled to Barcelona.",
        ),
        (
            "GSMA是创始成员之一。",
            "GSMA is one of the founding members.",
            "The GSMA is one of the founding members.",
        ),
    ],
    [
        (
            "乌镇峰会不仅是一个会议。",
            "The Wuzhen Summit is not only a meeting.",
            "The Wuzhen Summit is more than a conference.",
        ),
        (
            "我相信合作能够应对挑战。",
            "I believe cooperation can meet the challenges.",
            "I believe that cooperation lets us meet the challenges.",
        ),
    ],
]


def make_units(doc=DOC, mt: bool = True) -> list[Unit]:
    units = []
    for p, paragraph in enumerate(doc, start=1):
        for zh, hyp, _ in paragraph:
            segment = Segment(len(units) + 1, p, zh, [(0, len(zh))])
            units.append(Unit(segment=segment, target=hyp if mt else ""))
    return units


def reference(doc=DOC, order=None) -> list[str]:
    lines = [" ".join(ref for _, _, ref in paragraph) for paragraph in doc]
    return [lines[k] for k in order] if order else lines


def refs_by_number(units: list[Unit]) -> dict[int, str | None]:
    return {u.number: u.reference for u in units}


def expected() -> dict[int, str]:
    return {n: ref for n, (_, _, ref) in enumerate((s for p in DOC for s in p), start=1)}


def test_split_sentences_abbreviations_decimals_quotes():
    text = (
        'Mr. Smith visited the U.S. on Monday. Growth was 3.5 percent. He said, "Go." '
        "Then he left! Dr. Wu met Prof. Li at 3 p.m. yesterday. The U.S. The end?"
    )
    assert split_sentences(text) == [
        "Mr. Smith visited the U.S. on Monday.",
        "Growth was 3.5 percent.",
        'He said, "Go."',
        "Then he left!",
        "Dr. Wu met Prof. Li at 3 p.m. yesterday.",
        "The U.S.",
        "The end?",
    ]


def test_reference_lines_skip_leading_comments_and_empty_lines():
    text = "# produced by hand\n#  second note\n\nFirst line.\n\n  \nSecond # not a comment\n"
    assert reference_lines(text) == [(4, "First line."), (7, "Second # not a comment")]
    assert [s.paragraph for s in read_reference(text)] == [1, 2]


def test_number_anchors_normalise_months_and_separators():
    assert number_anchors("今年3月，4,515家企业") >= {"month:3", "4515"}
    assert number_anchors("In March, 4,515 firms and the 18th forum") >= {"month:3", "4515", "18"}


def test_paragraph_mode_distributes_sentences_within_paragraphs():
    units = make_units()
    text = "# comment line\n" + "\n".join(reference())
    links = align_reference(units, text, paragraphs=len(DOC))
    assert refs_by_number(units) == expected()
    assert {link.method for link in links} == {"paragraph"}
    assert all(u.alignment_confidence >= 0.5 for u in units)


def test_empty_reference_lines_are_ignored():
    units = make_units()
    lines = reference()
    text = "\n\n".join(lines[:2]) + "\n\n\n" + "\n".join(lines[2:]) + "\n\n"
    align_reference(units, text, paragraphs=len(DOC))
    assert refs_by_number(units) == expected()


def test_missing_reference_sentence_leaves_unit_unreferenced():
    units = make_units()
    doc = [list(p) for p in DOC]
    doc[2] = [doc[2][0], doc[2][2]]  # the translator left out the Barcelona sentence
    align_reference(units, "\n".join(reference(doc)), paragraphs=len(DOC))
    want = expected()
    want[6] = None
    assert refs_by_number(units) == want
    assert units[5].alignment_confidence == 0.0


def test_extra_reference_sentence_and_paragraph_are_skipped():
    units = make_units()
    lines = reference()
    lines[1] += " Both figures come from the organizers."
    lines.insert(3, "Editor's note: this interview has been condensed.")
    links = align_reference(units, "\n".join(lines), paragraphs=len(DOC))
    assert refs_by_number(units) == expected()
    unmatched = [link for link in links if not link.segments]
    assert unmatched and all(link.confidence == 0.0 for link in unmatched)


def test_reference_in_different_paragraph_order():
    units = make_units()
    lines = reference(order=[2, 0, 3, 1])
    lines.append("A closing remark with no source.")  # counts differ: sentence mode
    align_reference(units, "\n".join(lines), paragraphs=len(DOC))
    assert refs_by_number(units) == expected()


def test_reordered_lines_with_equal_count_are_put_back():
    units = make_units()
    align_reference(units, "\n".join(reference(order=[1, 0, 3, 2])), paragraphs=len(DOC))
    assert refs_by_number(units) == expected()


def test_sentence_mode_one_to_two_and_two_to_one():
    units = make_units()
    lines = reference()
    # One source sentence rendered as two; two source sentences merged into one.
    lines[1] = (
        "To date, more than 120 institutions from 24 countries have joined. "
        "It held dialogues on several topics. The topics included 5G and IPv6."
    )
    lines[3] = "The Wuzhen Summit is more than a conference, and cooperation meets challenges."
    lines.insert(0, "Headline without source")
    align_reference(units, "\n".join(lines), paragraphs=len(DOC))
    got = refs_by_number(units)
    assert got[4] == "It held dialogues on several topics. The topics included 5G and IPv6."
    assert got[8] == got[9] == lines[4]
    assert got[3] == expected()[3]


def test_without_mt_length_and_anchors_still_align():
    units = make_units(mt=False)
    lines = reference()
    lines.append("An extra closing paragraph that has no counterpart in the source.")
    align_reference(units, "\n".join(lines), paragraphs=len(DOC))
    assert refs_by_number(units) == expected()


def test_untranslatable_units_are_left_out():
    units = make_units()
    furniture = Unit(segment=Segment(99, 5, "责任编辑:李鹤林", [(0, 8)], kind="furniture"))
    align_reference([*units, furniture], "\n".join(reference()), paragraphs=5)
    assert furniture.reference is None
    assert refs_by_number(units) == expected()


def test_align_command_writes_aligned_tmx(tmp_path: Path):
    source = tmp_path / "doc" / "source.zh.txt"
    source.parent.mkdir()
    source.write_text("\n\n".join("".join(zh for zh, _, _ in p) for p in DOC), encoding="utf-8")
    ref = tmp_path / "ref.en.txt"
    ref.write_text("# by hand\n" + "\n".join(reference()), encoding="utf-8")
    out = tmp_path / "pairs.tmx"
    result = CliRunner().invoke(main, ["align", str(source), str(ref), "-o", str(out)])
    assert result.exit_code == 0, result.output
    tree = etree.parse(str(out))
    tus = tree.findall(".//tu")
    assert len(tus) >= 7
    origins = {tu.findtext("prop[@type='x-origin']") for tu in tus}
    assert origins == {"aligned"}
    pairs = {tuple(seg.text for seg in tu.iter("seg")) for tu in tus}
    assert ("GSMA是创始成员之一。", "The GSMA is one of the founding members.") in pairs


@pytest.mark.parametrize("content", [b"", b"# only a comment\n", b"abc\x00def"])
def test_align_command_bad_reference_exits_2(tmp_path: Path, content: bytes):
    source = tmp_path / "source.zh.txt"
    source.write_text("今年是第十年。", encoding="utf-8")
    ref = tmp_path / "ref.txt"
    ref.write_bytes(content)
    result = CliRunner().invoke(
        main, ["align", str(source), str(ref), "-o", str(tmp_path / "o.tmx")]
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not (tmp_path / "o.tmx").exists()
