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


# --------------------------------------------------------------------------- document checks

ARTICLE = [
    ("今年是世界互联网大会乌镇峰会第十年。",
     "This year marks the tenth year of the World Internet Conference Wuzhen Summit."),
    ("峰会期间,来自全球的嘉宾将围绕人工智能和数字经济展开深入交流。",
     "During the summit, guests from around the world will hold in-depth exchanges on "
     "artificial intelligence and the digital economy."),
    ("乌镇这座江南古镇因互联网而焕发新的活力。",
     "Wuzhen, an ancient town in Jiangnan, has gained new vitality thanks to the Internet."),
    ("浙江省积极推动数字经济高质量发展,建设全球数字贸易中心。",
     "Zhejiang Province actively promotes high-quality development of the digital economy "
     "and builds a global digital trade center."),
    ("互联网企业纷纷在乌镇设立研发中心和创新基地。",
     "Internet companies have set up research centers and innovation bases in Wuzhen."),
    ("当地政府持续优化营商环境,吸引大批青年人才前来创业。",
     "The local government keeps improving the business environment, attracting many "
     "young people to start businesses."),
    ("世界互联网大会国际组织成员覆盖六大洲多个国家和地区。",
     "Members of the World Internet Conference international organization cover many "
     "countries and regions on six continents."),
    ("数字技术正在深刻改变人们的生产生活方式。",
     "Digital technology is profoundly changing the way people work and live."),
    ("除了互联网行业大咖,网友们也纷纷寄语乌镇峰会十年。",
     "Messages for the Wuzhen Summit at Ten"),  # half the sentence dropped
    ("记者:乌镇峰会在过去十年为世界发展进步带来了哪些积极影响?",
     "Journalist: What positive impacts has the Wuzhen Summit had on the world?"),
    ("记者:过去十年,全球互联网发展呈现出哪些新特点?",
     "Journalist: What new features has global Internet development shown in the decade?"),
    ("记者:当今世界仍然面临治理赤字、信任赤字等挑战。",
     "Reporter: The world still faces a governance deficit, a trust deficit and more."),
    ("数字技术正在深刻改变人们的生产生活方式。",
     "Digital technology is deeply changing how people produce and live."),
    ("网络空间的发展需要各国携手合作,共同应对挑战。",
     "Wuzhen, an ancient town in Jiangnan, has gained new vitality thanks to the Internet."),
]


def _article() -> list[Unit]:
    return [_unit(zh, en, n) for n, (zh, en) in enumerate(ARTICLE, start=1)]


def test_omission_is_an_error_where_length_ratio_alone_was_a_warning() -> None:
    units = _article()
    run_checks(units)
    flags = {u.number: _checks(u.flags) for u in units}
    assert ("omission", "error") in flags[9]
    assert not any(check == "omission" for n, fs in flags.items() if n != 9 for check, _ in fs)
    omitted = next(f for f in units[8].flags if f.check == "omission")
    assert "content words" in omitted.message


def test_consistency_same_source_same_target_and_labels() -> None:
    units = _article()
    run_checks(units)
    messages = {u.number: [f.message for f in u.flags if f.check == "consistency"]
                for u in units}
    assert any("same source as segment 8" in m for m in messages[13])
    assert any("same translation as segment 3" in m for m in messages[14])
    assert messages[12] == ['记者: rendered "Reporter:" here, "Journalist:" in segment(s) 10, 11']
    assert messages[10] == messages[11] == [] and messages[8] == []


def test_engine_notes_are_information_and_ignorable() -> None:
    units = _article()
    units[0].flags.append(Flag("engine", "warning", "word repaired: 乌镇 → Wuzhen"))
    summary = run_checks(units)
    assert units[0].flags[0].severity == "info"
    assert summary["info"] == 1 and summary["by_check"]["engine"] == 1
    ignored = run_checks(units, ignore=["engine", "consistency", "omission"])
    assert "engine" not in ignored["by_check"] and ignored["info"] == 0
    assert not any(f.check in ("consistency", "omission") for u in units for f in u.flags)


def test_info_notes_do_not_make_a_unit_flagged() -> None:
    unit = _unit("今年是世界互联网大会乌镇峰会第十年。", ARTICLE[0][1])
    unit.flags.append(Flag("engine", "info", "cleaned quotes"))
    assert run_checks([unit])["flagged_units"] == 0


def test_qa_ignore_engine_is_accepted_by_review(tmp_path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    result = CliRunner().invoke(main, ["review", str(tmp_path / "none.tmx"), "--qa-ignore",
                                       "engine"])
    assert "Invalid value for '--qa-ignore'" not in result.output
