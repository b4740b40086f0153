"""Numbers in Chinese and English text, scale-word rewriting and matching."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.numbers import (
    english_numbers,
    english_values,
    find_numbers,
    match_numbers,
    parse_chinese_numeral,
    rewrite_scale_words,
)


def _found(text: str) -> list[tuple[str, float, str, str | None]]:
    return [(n.text, n.value, n.kind, n.approx) for n in find_numbers(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "2万多人增至3万人",
            [("2万多", 20000, "number", "more than"), ("3万", 30000, "number", None)],
        ),
        ("约215万个", [("约215万", 2150000, "number", "about")]),
        ("13.21万亿", [("13.21万亿", 13.21e12, "number", None)]),
        ("2.3亿条", [("2.3亿", 230e6, "number", None)]),
        ("近9万,会展", [("近9万", 90000, "number", "nearly")]),
        ("超50%,居全", [("超50%", 50, "percent", "more than")]),
        ("８万余人", [("８万余", 80000, "number", "more than")]),
        ("共1,500家", [("1,500", 1500, "number", None)]),
        ("十年积淀", [("十年", 10, "count", None)]),
        ("第十年", [("第十年", 10, "ordinal", None)]),
        ("连续三年发布", [("三年", 3, "count", None)]),
        ("百余个国家", [("百余个", 100, "count", "more than")]),
        ("22年前", [("22年", 22, "count", None)]),
        ("0.75毫瓦", [("0.75", 0.75, "number", None)]),
    ],
)
def test_find_numbers(text: str, expected: list) -> None:
    assert _found(text) == expected


def test_find_numbers_years_and_dates() -> None:
    found = find_numbers("2023年11月7日,2015年,8月,6日")
    assert [(n.kind, n.text) for n in found] == [
        ("year", "2023年"), ("date", "11月7日"), ("year", "2015年"), ("month", "8月"),
        ("day", "6日"),
    ]
    assert (found[1].month, found[1].day) == (11, 7)


@pytest.mark.parametrize("text", ["千家万户", "同一件事", "十分重要", "十四五规划", "一二"])
def test_ambiguous_chinese_numerals_are_skipped(text: str) -> None:
    assert find_numbers(text) == []


def test_parse_chinese_numeral() -> None:
    assert parse_chinese_numeral("二十三") == 23
    assert parse_chinese_numeral("两百零五") == 205
    assert parse_chinese_numeral("十") == 10
    assert parse_chinese_numeral("一二") is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("2万多", "more than 20,000"),
        ("215万", "2.15 million"),
        ("13.21万亿", "13.21 trillion"),
        ("1000万", "10 million"),
        ("2.3亿", "230 million"),
        ("14.66万", "146,600"),
        ("近9万", "nearly 90,000"),
        ("15亿", "1.5 billion"),
        ("来自2万多人的超1000万人次", "来自more than 20,000人的more than 10 million人次"),
    ],
)
def test_rewrite_scale_words(source: str, expected: str) -> None:
    assert rewrite_scale_words(source) == expected


@given(st.text(alphabet="乌镇峰会年月日第十三%,。abc 12.", max_size=30))
def test_rewrite_leaves_text_without_scale_words_unchanged(text: str) -> None:
    assert rewrite_scale_words(text) == text


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("more than 30,000 people, 30 thousand", [30000, 30000]),
        ("2.15 million, 13.21 trillion and 230 million", [2.15e6, 13.21e12, 230e6]),
        ("109% and 109 percent and 0.75", [109, 109, 0.75]),
        ("ten years, the tenth, a decade, the 18th", [10, 10, 10, 18]),
        ("twenty-four countries and a million users", [24, 1e6]),
        ("the G20 and 5G", [20, 5]),
    ],
)
def test_english_values(text: str, values: list[float]) -> None:
    assert english_values(text) == pytest.approx(values)


def test_english_dates() -> None:
    found = english_numbers("On November 6, 2023 and 6 November and Nov. 6th. May we go in May?")
    dates = [(n.kind, n.month, n.day) for n in found if n.kind in ("date", "month")]
    assert dates == [("date", 11, 6), ("date", 11, 6), ("date", 11, 6), ("month", 5, None)]
    assert 2023 in [n.value for n in found]


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("约215万个,占30.7%", "about 2.15 million, or 30.7 percent"),
        ("11月6日,在2023年", "On 6 November 2023"),
        ("今年是峰会第十年。十年积淀", "This is the summit's tenth year. A decade of"),
        ("3万人", "30 thousand people"),
        ("1000万", "10,000,000"),
        ("6日,来自", "On November 6, people from"),
        ("第二届大会", "the 2nd conference"),
    ],
)
def test_match_numbers_accepts_good_renderings(source: str, target: str) -> None:
    assert match_numbers(source, target) == []


def test_match_numbers_reports_missing_rounded_and_extra() -> None:
    problems = match_numbers("近9万,增长109%", "nearly 89,900, up 190% in 5 years")
    kinds = [(p.kind, p.severity) for p in problems]
    assert ("rounded", "warning") in kinds  # 89,900 vs 90,000
    assert ("missing", "error") in kinds  # 109% → 190%
    assert ("extra", "warning") in kinds  # 190, 5
    missing = next(p for p in problems if p.kind == "missing")
    assert "109%" in missing.message


def test_match_numbers_wrong_date_is_missing() -> None:
    problems = match_numbers("11月6日", "On November 7")
    assert [p.kind for p in problems] == ["missing"]
    assert "November 6" in problems[0].message
