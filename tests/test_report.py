"""report.json content, report.html escaping and structure, the review command."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_fixtures import make_result, make_units
from rich.console import Console

from pipeline.cli import main
from pipeline.exchange.tmx import write_units_tmx
from pipeline.qa import run_checks
from pipeline.report import (
    build_report_json,
    highlight,
    print_text_report,
    render_report_html,
    safe_json,
    term_status,
    write_report_html,
    write_report_json,
)
from pipeline.services.review import build_review


@pytest.fixture()
def result():
    res = make_result()
    res.qa = run_checks(res.units)
    return res


def test_report_json_has_the_contract_keys(result, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    write_report_json(path, result)
    data = json.loads(path.read_text(encoding="utf-8"))
    for key in ("doc_id", "segments", "engine", "tm", "glossary", "scores", "timings", "layout",
                "qa", "units"):
        assert key in data
    assert data["segments"] == len(result.units) == len(data["units"])
    assert set(data["engine"]) >= {"name", "model", "sha256"}
    assert data["tm"]["exact"] == 2 and data["tm"]["fuzzy"] == 1 and data["tm"]["context"] == 1
    assert data["glossary"]["violations"] == 1
    assert set(data["scores"]) >= {"bleu", "chrf", "ter", "signature"}
    assert set(data["timings"]) >= {"total_s", "mt_s", "per_segment_s"}
    assert data["qa"]["by_check"]["repetition"] == 1
    unit = data["units"][4]
    assert unit["tuid"] == "zjrb-2023-11-07:5"
    assert unit["origin"] == "tm-fuzzy" and unit["match"] == 86.0
    assert {"number", "kind", "paragraph", "source", "target", "flags", "terms", "reference",
            "scores"} <= set(unit)


def test_term_status_met_and_violated(result) -> None:
    units = build_report_json(result)["units"]
    violated = [t for t in units[3]["terms"] if t["status"] == "violated"]
    assert [t["source"] for t in violated] == ["网络空间命运共同体"]
    assert violated[0]["found"] == "community of common destiny"
    met = units[4]["terms"]
    assert {t["status"] for t in met} == {"met"}
    assert "Ren Xianliang" in [t["found"] for t in met]


def test_report_json_without_reference_or_qa() -> None:
    res = make_result()
    res.scores = None
    data = build_report_json(res)
    assert data["scores"] is None
    assert data["qa"]["by_check"]["term-violation"] == 1  # counted from existing flags


def test_html_escapes_user_text(result) -> None:
    unit = result.units[0]
    unit.segment.text = "人类<script>alert('x')</script>需要"
    unit.target = "Humanity </script><b>needs</b> & more"
    html = render_report_html(result)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    assert "<b>needs</b>" not in html
    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html,
                     re.S).group(1)
    assert "</" not in data
    assert json.loads(data)["units"][0]["n"] == 1


def test_safe_json_round_trips_dangerous_text() -> None:
    text = str(safe_json({"a": "</script><!-- & \u2028"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028"}


def test_highlight_escapes_and_marks() -> None:
    marked = str(highlight("a<b> Wuzhen", [(5, 11, "term met", 'x "y"')]))
    assert marked == 'a&lt;b&gt; <mark class="term met" title="x &#34;y&#34;">Wuzhen</mark>'
    assert str(highlight("abc", [(0, 2, "t", ""), (1, 3, "t", "")])).count("<mark") == 1


def test_html_is_self_contained_and_complete(result, tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.html"
    write_report_html(path, result)
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html
    assert html.count('<tr class="unit') == len(result.units)
    assert 'class="term violated"' in html and 'class="term met"' in html
    assert "jieba word 变革 spans the column break" in html
    assert "nrefs:1|case:mixed|eff:no|tok:13a" in html
    for control in ('id="search"', 'id="only-flagged"', 'id="only-violations"', 'id="origin"',
                    'id="sort"', 'for="search"'):
        assert control in html
    assert "fuzzy 86 %" in html and "TM 100 %" in html


def test_text_report_puts_flagged_first(result) -> None:
    out = io.StringIO()
    print_text_report(result, Console(file=out, width=200, color_system=None), limit=8)
    text = out.getvalue()
    assert "QA errors" in text
    first_rows = [int(n) for n in re.findall(r"^│ (\d+) ", text, re.M)]
    flagged = [u.number for u in result.units if u.flags]
    assert first_rows[: len(flagged)] == flagged


def test_review_command(tmp_path: Path) -> None:
    """``tmpipe review`` on a TMX written by the tmx stage."""
    tmx_path = tmp_path / "doc.tmx"
    write_units_tmx(tmx_path, make_units(), "zjrb-2023-11-07", {"x-doc": "zjrb-2023-11-07"})
    out = tmp_path / "r.html"
    runner = CliRunner()
    review = ["review", str(tmx_path)]
    done = runner.invoke(main, [*review, "-o", str(out), "--qa-ignore", "punctuation"])
    assert done.exit_code == 0, done.output
    assert "24 segments" in done.output
    html = out.read_text(encoding="utf-8")
    assert "Review: zjrb-2023-11-07" in html and "punctuation 0" not in html
    text = runner.invoke(main, [*review, "--format", "text", "--limit", "3"])
    assert text.exit_code == 0 and "repetition" in text.output
    bad = runner.invoke(main, [*review, "--qa-ignore", "nonsense"])
    assert bad.exit_code == 2


def test_review_of_a_real_tmx_round_trip(tmp_path: Path) -> None:
    """Units written by the tmx stage come back with the same QA findings."""
    units = make_units()
    expected = run_checks(units)
    path = tmp_path / "zjrb.tmx"
    write_units_tmx(path, units, "zjrb-2023-11-07", {})
    result = build_review(path)
    assert len(result.units) == len(units)
    assert {k: result.qa[k] for k in ("errors", "warnings", "flagged_units")} == {
        k: expected[k] for k in ("errors", "warnings", "flagged_units")}


def test_term_status_is_the_verifiers_not_a_second_rule() -> None:
    from pipeline.units import Flag, Segment, Term, TermMatch, Unit

    wuzhen = Term("乌镇", "Wuzhen")
    account = Term("碳账户", "carbon account")
    source = "乌镇的碳账户"
    unit = Unit(Segment(1, 1, source, [(0, len(source))]),
                target="Carbon accounts in Wuzhen are growing.",
                terms=[TermMatch(wuzhen, 0, 2), TermMatch(account, 3, 6)])
    # a flag of another check that mentions 乌镇 must not paint the term red
    unit.flags = [Flag("engine", "info", "word repaired: 乌镇 → Wuzhen")]
    statuses = [term_status(unit, m) for m in unit.terms]
    assert [t["status"] for t in statuses] == ["met", "met"]
    assert statuses[1]["found"] == "Carbon accounts"  # the verifier's plural and case rule
    unit.flags.append(Flag("term-violation", "error", '碳账户: expected "carbon account"'))
    assert [term_status(unit, m)["status"] for m in unit.terms] == ["met", "violated"]


def test_html_has_qa_chip_filters_and_errors_only(result) -> None:
    html = render_report_html(result)
    assert 'id="only-errors"' in html
    assert 'data-check="repetition"' in html and 'id="check"' in html
    assert re.search(r'<span class="chip zero">[a-z-]+ 0</span>', html)  # nothing to filter


def test_report_counts_agree_with_violation_flags(result) -> None:
    data = build_report_json(result)
    painted = sum(t["status"] == "violated" for u in data["units"] for t in u["terms"])
    assert painted == data["glossary"]["violations"] == data["qa"]["by_check"]["term-violation"]
