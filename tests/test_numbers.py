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
    repair_scale_slips,
    rewrite_dates_times,
    rewrite_for_mt,
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
        ("over the past two decades, 3 decades", [20, 30]),
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


# --------------------------------------------------------------------------- clock times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("中国地震台网测定，11月6日14时37分在台湾",
         [("11月6日", 6, "date", None), ("14时37分", 877, "time", None)]),
        ("14点37分", [("14点37分", 877, "time", None)]),
        ("9时开幕", [("9时", 540, "time", None)]),
        ("上午9点", [("上午9点", 540, "time", None)]),
        ("14时许", [("14时许", 840, "time", "about")]),
        ("下午2时37分", [("下午2时37分", 877, "time", None)]),
        ("晚上8点半", [("晚上8点半", 1230, "time", None)]),
        ("中午12时", [("中午12时", 720, "time", None)]),
        ("凌晨3时", [("凌晨3时", 180, "time", None)]),
        ("9点开始", [("9点", 540, "time", None)]),
        ("6日9点钟", [("6日", 6, "day", None), ("9点钟", 540, "time", None)]),
        ("时间：14:30", [("14:30", 870, "time", None)]),
        ("连续24小时监测", [("24", 24, "number", None)]),
        ("1小时30分钟", [("1", 1, "number", None), ("30", 30, "number", None)]),
        ("25时", [("25", 25, "number", None)]),
        ("5时代", [("5", 5, "number", None)]),
        ("2时期", [("2", 2, "number", None)]),
        ("提出3点建议", [("3", 3, "number", None)]),
        ("6日3点建议", [("6日", 6, "day", None), ("3", 3, "number", None)]),
        ("比分3:2", [("3", 3, "number", None), ("2", 2, "number", None)]),
    ],
)
def test_find_numbers_clock_times(text: str, expected: list) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize("text", ["时间", "同时", "小时", "时代", "准时到达"])
def test_time_words_without_digits_are_not_numbers(text: str) -> None:
    assert find_numbers(text) == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [("14时37分", "14时37分 (14:37)"), ("下午2时", "下午2时 (14:00)"), ("14:30", "14:30"),
     ("14时37分25秒", "14时37分25秒 (14:37:25)")],
)
def test_time_describe(text: str, shown: str) -> None:
    assert [n.describe() for n in find_numbers(text)] == [shown]


@pytest.mark.parametrize(
    ("text", "value", "ambiguous"),
    [
        ("at 2:37 p.m.", 877, False),
        ("14:37", 877, False),
        ("2:37pm", 877, False),
        ("2:37 PM", 877, False),
        ("2 p.m.", 840, False),
        ("9 a.m.", 540, False),
        ("12 a.m.", 0, False),
        ("9 in the morning", 540, False),
        ("10 at night", 1320, False),
        ("2 o'clock", 120, True),
        ("2:37", 157, True),
        ("09:30", 570, False),
        ("at noon", 720, False),
        ("12 noon", 720, False),
        ("midnight", 0, False),
        ("14:37:05", 877 + 5 / 60, False),
    ],
)
def test_english_times(text: str, value: float, ambiguous: bool) -> None:
    found = english_numbers(text)
    assert [(n.kind, n.ambiguous) for n in found] == [("time", ambiguous)]
    assert found[0].value == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("3:2 and 1:50,000", [3, 2, 1, 50000]),
        ("2.5 pm", [2.5]),
        ("2 amazing days this afternoon", [2]),
        ("25:00", [25, 0]),
    ],
)
def test_english_non_times(text: str, values: list[float]) -> None:
    assert all(n.kind == "number" for n in english_numbers(text))
    assert english_values(text) == pytest.approx(values)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("中国地震台网测定，11月6日14时37分在台湾",
         "The China Earthquake Networks Center said that at 2:37 p.m. on November 6, in Taiwan"),
        ("14时37分", "at 14:37"),
        ("14时37分", "at 2:37"),
        ("上午9时", "at 9 a.m."),
        ("下午2时", "at 2 o'clock"),
        ("14时许", "at around 2 p.m."),
        ("9时开幕", "opens at 9"),
        ("24时", "at midnight"),
        ("中午12时", "at noon"),
        ("连续24小时", "for 24 hours"),
        ("共2人", "at 2 p.m."),  # a time the source side did not recognise
    ],
)
def test_match_numbers_accepts_times(source: str, target: str) -> None:
    assert match_numbers(source, target) == []


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("14时37分", "at 2:37 a.m."),
        ("14时37分", "at 2:47 p.m."),
        ("2时37分", "at 14:37"),
        ("14时", "at 9 a.m."),
    ],
)
def test_match_numbers_catches_wrong_times(source: str, target: str) -> None:
    problems = match_numbers(source, target)
    assert [p.kind for p in problems] == ["missing", "extra"]
    assert "not found" in problems[0].message and "(" in problems[0].message


def test_time_is_not_split_into_numbers() -> None:
    assert english_values("at 2:37 p.m.") == [877]
    problems = match_numbers("11月6日14时37分", "at 2:37 p.m. on November 6")
    assert problems == []
    assert [n.kind for n in find_numbers("14时37分")] == ["time"]


# --------------------------------------------------------------------------- MT rewriting


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("2023年11月6日", "November 6, 2023"),
        ("11月6日", "November 6"),
        ("11月6号", "November 6"),
        ("2023年11月", "November 2023"),
        ("11月份", "November"),
        ("在11月6日举行", "在 November 6 举行"),
        ("在 11月6日 举行", "在 November 6 举行"),
        ("（11月6日）", "（November 6）"),
        ("1-10月", "January-October"),
        ("1至10月", "January to October"),
        ("11月6-8日", "November 6-8"),
        ("14时37分", "14:37"),
        ("下午2时37分开会", "14:37 开会"),
        ("上午9时", "9:00"),
        ("晚上8点半", "20:30"),
        ("14时许", "about 14:00"),
        ("11月6日14时37分在台湾", "November 6 14:37 在台湾"),
        ("2023年11月6日14时", "November 6, 2023 14:00"),
        ("13月", "13月"),
        ("11月32日", "11月32日"),
        ("6日和2023年", "6日和2023年"),
        ("连续24小时，时间", "连续24小时，时间"),
        ("提出3点建议", "提出3点建议"),
        ("3个月", "3个月"),
        ("14:30", "14:30"),
        ("215万", "215万"),
    ],
)
def test_rewrite_dates_times(source: str, expected: str) -> None:
    assert rewrite_dates_times(source) == expected


@pytest.mark.parametrize(
    "source",
    ["2023年11月6日14时37分", "上午9时", "下午2时37分", "14时许", "2023年11月", "中午12时"],
)
def test_rewritten_dates_and_times_read_back_the_same(source: str) -> None:
    assert match_numbers(source, rewrite_dates_times(source)) == []


_TOKENS = ["乌镇", "峰会", "年", "日", "号", "第十三", "%", ",", "。", "abc", " ", "1", "2", ".",
           "万", "亿", "小时", "时间", "时代", "点建议", "个月"]


@given(st.lists(st.sampled_from(_TOKENS), max_size=15).map("".join))
def test_rewrite_dates_times_leaves_other_text_unchanged(text: str) -> None:
    assert rewrite_dates_times(text) == text


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("2023年11月6日，营收达3.5万亿元", "November 6, 2023，营收达3.5 trillion元"),
        ("11月6日14时，2万多人", "November 6 14:00，more than 20,000人"),
        ("来自2万多人", "来自more than 20,000人"),
    ],
)
def test_rewrite_for_mt(source: str, expected: str) -> None:
    assert rewrite_for_mt(source) == expected
    assert rewrite_dates_times(rewrite_scale_words(source)) == expected  # order-independent


# --------------------------------------------------------------------------- scale slips


@pytest.mark.parametrize(
    ("source", "target", "repaired", "note"),
    [
        ("展览面积达36.7万平方米", "The exhibition area reached 36,700 square meters",
         "The exhibition area reached 367,000 square meters", "36,700 → 367,000"),
        ("拥有员工超过3万人", "has more than 3,000 employees",
         "has more than 30,000 employees", "3,000 → 30,000"),
        ("2.3亿条", "2.3 million items", "230 million items", "2.3 million → 230 million"),
        ("增长30.7%", "up 3.07%", "up 30.7%", "3.07% → 30.7%"),
        ("增长30.7%，达3万人", "30,000 people, up 307 percent", "30,000 people, up 30.7 percent",
         "307 percent → 30.7 percent"),
    ],
)
def test_repair_scale_slips(source: str, target: str, repaired: str, note: str) -> None:
    assert repair_scale_slips(source, target) == (repaired, [f"number repaired: {note}"])
    assert not [p for p in match_numbers(source, repaired) if p.severity == "error"]


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("你好", "Hello"),
        ("", ""),
        ("36.7万平方米", "367,000 square meters"),  # nothing missing
        ("36.7万平方米", "36,700 or 3,670,000 square meters"),  # two candidates
        ("36.7万，3670万", "36,700"),  # two missing numbers claim one candidate
        ("增长20.23万", "in 2023"),  # a year
        ("增长30.7%", "up 3.07 points"),  # percent vs number
        ("36.7万", "the 367th"),  # ordinal
        ("近9万", "nearly 89,900"),  # rounded, not a slip
        ("36.7万", "36,800"),  # other digits
        ("3万人", "3 people"),  # a single digit is too weak a clue
        ("11月6日", "November 60"),  # dates are not repaired
        ("14时37分", "at 1:437"),
    ],
)
def test_repair_scale_slips_leaves_ambiguous_cases(source: str, target: str) -> None:
    assert repair_scale_slips(source, target) == (target, [])


@given(source=st.text(max_size=40), target=st.text(max_size=40))
def test_repair_and_rewrites_never_crash(source: str, target: str) -> None:
    repaired, notes = repair_scale_slips(source, target)
    assert (repaired == target) == (not notes)
    assert isinstance(rewrite_for_mt(source), str)


def test_huge_numbers_do_not_crash() -> None:
    big = "9" * 400  # beyond float range
    assert match_numbers(f"{big}万", "a lot") and repair_scale_slips(big, "x") == ("x", [])
