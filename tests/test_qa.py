"""QA checks: each check on small units, and run_checks on the realistic fixture."""

from __future__ import annotations

import pytest
from report_fixtures import make_units

from pipeline.errors import UserError
from pipeline.qa import (
    check_identical,
    check_numbers,
    check_punctuation,
    check_repetition,
    check_untranslated,
    learn_length_range,
    run_checks,
)
from pipeline.units import Flag, Segment, Unit


def _unit(source: str, target: str, number: int = 1, kind: str = "body") -> Unit:
    return Unit(Segment(number, 1, source, [(0, len(source))], kind=kind), target=target)


def _checks(flags: list[Flag]) -> list[tuple[str, str]]:
    return [(f.check, f.severity) for f in flags]


def test_numbers_check_errors_name_the_number() -> None:
    flags = check_numbers(_unit("拥有员工超过3万人", "has more than 3,000 employees"))
    assert _checks(flags) == [("numbers", "error"), ("numbers", "warning")]
    assert "3万" in flags[0].message and "30,000" in flags[0].message


def test_numbers_check_accepts_scale_words_and_dates() -> None:
    unit = _unit("11月6日,约215万个,增长109%", "On 6 November, about 2.15 million, up 109 percent")
    assert check_numbers(unit) == []


def test_untranslated_and_identical() -> None:
    assert _checks(check_untranslated(_unit("在乌镇", "in 乌镇"))) == [("untranslated", "error")]
    same = _unit("乌镇峰会", "乌镇峰会")
    assert _checks(check_identical(same)) == [("identical", "error")]
    assert check_untranslated(same) == []  # reported once, as identical
    assert check_identical(_unit("5G", "5G")) == []


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("In Zhejiang，life is good.", "Chinese punctuation"),
        ('He said "hello.', "straight quotes"),
        ("He said “hello.", "“”"),
        ("The (new town.", "()"),
        ("A  doubled space.", "doubled space"),
    ],
)
def test_punctuation_problems(target: str, reason: str) -> None:
    flags = check_punctuation(_unit("源文。", target))
    assert _checks(flags) == [("punctuation", "warning")]
    assert reason in flags[0].message


def test_punctuation_clean_english_passes() -> None:
    assert check_punctuation(_unit("源文", "It’s the “Wuzhen” town (Zhejiang) — fine.")) == []


def test_repetition() -> None:
    runaway = check_repetition(_unit("源", "the digital economy, the digital economy, "
                                           "the digital economy, the digital economy"))
    assert _checks(runaway) == [("repetition", "error")]
    assert "4 times" in runaway[0].message
    doubled = check_repetition(_unit("源", "We visited the the town."))
    assert _checks(doubled) == [("repetition", "warning")]
    assert "the" in doubled[0].message
    assert check_repetition(_unit("源", "He had had enough of that.")) == []


def test_length_range_is_learned_from_the_document() -> None:
    short = [_unit("这是一个测试句子啊", "x" * 27, n) for n in range(1, 11)]  # ratio 3.0
    long = [_unit("这是一个测试句子啊", "x" * 54, n) for n in range(1, 11)]  # ratio 6.0
    low, high = learn_length_range(short), learn_length_range(long)
    assert low is not None and high is not None
    assert low.as_dict()["median"] == pytest.approx(3.0)
    assert high.as_dict()["median"] == pytest.approx(6.0)
    assert learn_length_range(short[:5]) is None  # too few units to learn from


def test_run_checks_on_fixture() -> None:
    units = make_units()
    summary = run_checks(units)
    by_number = {u.number: _checks(u.flags) for u in units}
    assert ("term-violation", "error") in by_number[4]
    assert ("repetition", "error") in by_number[13]
    assert ("length-ratio", "warning") in by_number[13]
    assert ("numbers", "error") in by_number[17]
    assert by_number[20] == [("punctuation", "warning")]
    assert by_number[21] == [("untranslated", "error")]
    assert by_number[24] == [("empty", "error")]
    assert summary["by_check"]["term-violation"] == 1
    assert summary["flagged_units"] == sum(bool(flags) for flags in by_number.values())
    assert summary["errors"] == sum(f.severity == "error" for u in units for f in u.flags)
    assert summary["length_ratio"]["units"] >= 8
    clean = [n for n, flags in by_number.items() if not flags]
    assert len(clean) >= 15  # well-translated units stay quiet


def test_run_checks_is_idempotent_and_ignores() -> None:
    units = make_units()
    first = run_checks(units)
    assert run_checks(units) == first
    summary = run_checks(units, ignore=["numbers", "length-ratio"])
    assert "numbers" not in summary["by_check"]
    assert not any(f.check in ("numbers", "length-ratio") for u in units for f in u.flags)
    assert summary["length_ratio"] is None


def test_run_checks_rejects_unknown_check() -> None:
    with pytest.raises(UserError, match="unknown QA check spelling"):
        run_checks(make_units(), ignore=["spelling"])


def test_untranslatable_segments_are_skipped() -> None:
    unit = _unit("2023年11月7日 星期二", "", kind="furniture")
    assert run_checks([unit])["flagged_units"] == 0
