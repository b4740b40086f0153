"""Per-segment risk: signals, the committed model, and risk through run, TMX, report, review."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO
from fakes import ScriptedEngine
from rich.console import Console

from pipeline import flow
from pipeline.cli import main
from pipeline.engines.llamacpp import Completion, confidence
from pipeline.engines.llm import LlmEngine, LlmSettings
from pipeline.exchange.tmx import read_units_tmx
from pipeline.flow import Hooks, RunOptions
from pipeline.qa import document_stats, run_checks
from pipeline.report import build_report_json, print_text_report, render_report_html
from pipeline.risk import (
    SIGNALS,
    VOUCHED_RISK,
    RiskModel,
    assess,
    explain,
    load_model,
    settle,
    unit_signals,
    vouched_by_person,
)
from pipeline.units import MTRequest, Segment, TMMatch, Unit

GOOD = "The summit opened in Wuzhen on Tuesday with leaders from many countries attending."
SOURCES = [f"乌镇峰会于周二开幕，来自许多国家的领导人出席了第{i}次会议。" for i in range(1, 11)]


def _units() -> list[Unit]:
    units = []
    for i, source in enumerate(SOURCES, start=1):
        unit = Unit(Segment(i, i, source, [(0, len(source))]), origin="mt")
        unit.target = GOOD.replace("Tuesday", f"Tuesday, meeting {i}")
        units.append(unit)
    return units


def test_confidence_summarises_token_logprobs() -> None:
    got = confidence([-0.01, -0.5, -3.0, -0.2])
    assert got["tokens"] == 4 and got["min"] == -3.0
    assert got["low_share"] == 0.25 and math.isclose(got["mean"], -0.9275, abs_tol=1e-4)
    assert confidence([]) == {}


def test_llm_engine_asks_for_logprobs_and_carries_confidence() -> None:
    seen = []

    def complete(messages, settings):
        seen.append(settings)
        return Completion(text="The summit opened.", token_logprobs=[-0.1, -2.5, -0.05])

    engine = LlmEngine(settings=LlmSettings(word_repair=False), complete=complete)
    translation = engine.translate_batch([MTRequest(source="峰会开幕。")], [[]])[0]
    assert seen[0]["n_probs"] == 1
    assert translation.confidence["tokens"] == 3 and translation.confidence["low_share"] > 0.3
    quiet = LlmEngine(settings=LlmSettings(word_repair=False, logprobs=False),
                      complete=complete)
    quiet.translate_batch([MTRequest(source="峰会开幕。")], [[]])
    assert "n_probs" not in seen[-1]


def test_signals_measure_the_unit_against_its_document() -> None:
    units = _units()
    units[3].target = "The summit."  # most of the sentence left out
    units[5].target = "The summit opened in 乌镇 on Tuesday with leaders attending."
    units[2].confidence = {"mean": -0.2, "min": -4.0, "low_share": 0.1, "tokens": 20}
    stats = document_stats(units)
    signals = [unit_signals(u, stats) for u in units]
    assert set(signals[0]) == set(SIGNALS)
    assert signals[3]["content_short"] > 3 and signals[3]["length_short"] > 3
    assert signals[0]["content_short"] == 0
    assert signals[5]["untranslated"] == 1.0
    assert signals[2]["lp_min"] == 4.0 and signals[2]["lp_missing"] == 0.0
    assert math.isnan(signals[0]["lp_mean"]) and signals[0]["lp_missing"] == 1.0


def test_model_prediction_is_a_logistic_of_standardised_signals() -> None:
    model = RiskModel(features=("a", "b"), mean=(1.0, 0.0), scale=(2.0, 1.0),
                      weights=(2.0, -1.0), bias=0.5, impute={"b": 3.0}, high=0.5)
    z = 0.5 + 2.0 * (3.0 - 1.0) / 2.0 - 1.0 * 3.0  # b missing: imputed
    assert math.isclose(model.predict({"a": 3.0, "b": math.nan}), 1 / (1 + math.exp(-z)))
    assert RiskModel.from_dict(model.as_dict()) == model


def test_committed_model_ranks_broken_segments_above_clean_ones() -> None:
    model = load_model()
    assert len(model.features) == len(model.weights) == len(model.mean) == len(model.scale)
    assert 0 < model.high < 1
    units = _units()
    units[3].target = "The summit."
    units[5].target = "The summit opened in 乌镇 on Tuesday with 领导人 attending."
    run_checks(units)
    assess(units)
    clean = [u.risk for i, u in enumerate(units) if i not in (3, 5)]
    assert all(0.0 <= r <= 1.0 for r in clean)
    assert units[3].risk > max(clean) and units[5].risk > max(clean)


def test_high_risk_units_say_why_in_words() -> None:
    units = _units()
    units[3].target = "The summit of meeting 4."
    units[5].target = "The summit opened in 乌镇 on Tuesday with 领导人 attending."
    run_checks(units)
    assess(units)
    model = load_model()
    assert units[3].risk >= model.high and units[5].risk >= model.high
    assert units[3].risk_reasons == [
        "QA error: omission", "shorter than this document's translations usually are",
        "source words with no rendering found: 开幕, 来自, 国家, 领导人"]
    assert "QA error: untranslated" in units[5].risk_reasons
    assert all(not u.risk_reasons for u in units if u.risk < model.high)
    stats = document_stats(units)
    assert explain(units[0], unit_signals(units[0], stats), model) == []  # nothing stands out
    from pipeline.roundtrip import _risk_note

    note = _risk_note(units[3])
    assert note[2] == 1 and note[1].endswith(f"({'; '.join(units[3].risk_reasons)})")
    assert settle([units[3]]) == 0  # unconfirmed MT keeps its risk and reasons
    units[3].state = "approved"
    assert settle([units[3]]) == 1 and units[3].risk_reasons == []


def test_human_exact_match_is_low_risk_and_empty_target_is_certain() -> None:
    units = _units()
    units[0].origin = "tm-exact"
    units[0].tm_match = TMMatch(units[0].source, units[0].target, 100.0, "exact", "human")
    units[1].target = ""
    furniture = Unit(Segment(11, 11, "责任编辑:张三", [(0, 7)], kind="furniture"))
    assess([*units, furniture])
    assert units[0].risk == VOUCHED_RISK
    assert units[1].risk == 1.0
    assert furniture.risk is None


def test_a_persons_decision_replaces_the_estimate_unconfirmed_mt_keeps_it() -> None:
    units = _units()
    for unit in units:
        unit.risk, unit.state = 0.7, "draft"
    units[0].origin, units[0].state = "human", "translated"
    units[1].state = "approved"  # MT a person approved
    units[2].origin = "tm-exact"  # a fill from MT nobody confirmed
    units[2].tm_match = TMMatch(units[2].source, units[2].target, 100.0, "exact", "mt",
                                state="draft")
    units[3].origin = "tm-exact"
    units[3].tm_match = TMMatch(units[3].source, units[3].target, 100.0, "exact", "mt",
                                state="approved")
    units[4].origin = "tm-fuzzy"  # a fuzzy fill is never vouched for
    units[4].tm_match = TMMatch(units[4].source, units[4].target, 90.0, "fuzzy", "human")
    assert [vouched_by_person(u) for u in units[:5]] == [True, True, False, True, False]
    differs = Unit(units[0].segment, target="x", origin="tm-exact", tm_match=TMMatch(
        "x", "x", 100.0, "exact", "human", differences=("number 2015→2016",)))
    assert not vouched_by_person(differs)
    assert settle(units) == 3
    assert [u.risk for u in units[:5]] == [VOUCHED_RISK, VOUCHED_RISK, 0.7, VOUCHED_RISK, 0.7]
    assert all(u.risk == 0.7 for u in units[5:]) and settle(units) == 0


# --------------------------------------------------------------------------- through a run


def _source(tmp_path: Path) -> Path:
    path = tmp_path / "doc.zh.txt"
    path.write_text("\n\n".join(SOURCES) + "\n", encoding="utf-8")
    return path


def _answer(request: MTRequest) -> str:
    number = next(i for i, s in enumerate(SOURCES, start=1) if s == request.source)
    if number == 4:
        return "The summit."
    return GOOD.replace("Tuesday", f"Tuesday, meeting {number}")


def _run(tmp_path: Path, **options):
    opts = RunOptions(source=_source(tmp_path), doc_id="doc", out_dir=tmp_path / "out",
                      tm_path=tmp_path / "tm.sqlite", glossary=None, **options)
    engine = ScriptedEngine(_answer)
    return flow.run(opts, Hooks(engine_factory=lambda name, **kw: engine))


def test_risk_is_in_the_report_tmx_and_memory(tmp_path: Path) -> None:
    from pipeline.memory import TranslationMemory

    result = _run(tmp_path)
    out = tmp_path / "out"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    risks = {u["number"]: u["risk"] for u in report["units"]}
    assert all(isinstance(r, float) for r in risks.values())
    assert max(risks, key=risks.get) == 4
    assert report["risk"]["high"] == load_model().high and report["risk"]["high_units"] >= 1
    _, units = read_units_tmx(out / "doc.tmx")
    assert [u.risk for u in units] == [pytest.approx(u.risk, abs=1e-3) for u in result.units]
    assert [u.risk_reasons for u in units] == [u.risk_reasons for u in result.units]
    worst = report["units"][3]
    assert worst["risk_reasons"] and worst["risk_reasons"] == result.units[3].risk_reasons
    assert f"why: {worst['risk_reasons'][0]}" in (out / "report.html").read_text(
        encoding="utf-8")
    with TranslationMemory(tmp_path / "tm.sqlite") as tm:
        stored = {u.source: float(u.props["x-risk"]) for u in tm.iter_units()}
    assert stored[SOURCES[3]] == pytest.approx(risks[4], abs=1e-3)


def test_risk_max_with_strict_fails_the_run(tmp_path: Path) -> None:
    result = _run(tmp_path, risk_max=0.99)
    worst = max(u.risk for u in result.units)
    result.qa["errors"] = 0  # judge the risk threshold alone
    assert flow.exit_code(result, strict=True) == (1 if worst > 0.99 else 0)
    result.options["risk_max"] = worst - 0.001
    assert flow.exit_code(result, strict=True) == 1
    assert flow.exit_code(result, strict=False) == 0
    result.options["risk_max"] = 1.0
    assert flow.exit_code(result, strict=True) == 0


def test_run_command_accepts_risk_max_in_range(tmp_path: Path) -> None:
    bad = CliRunner().invoke(main, ["run", "--risk-max", "1.5", "--tm",
                                    str(tmp_path / "tm.sqlite")])
    assert bad.exit_code == 2 and "--risk-max" in bad.output


def test_report_sorts_by_risk_and_review_text_lists_riskiest_first(tmp_path: Path) -> None:
    result = _run(tmp_path)
    html = render_report_html(result)
    assert '<option value="risk-desc" selected>' in html
    assert 'id="only-risk"' in html and "risk 0." in html
    buffer = io.StringIO()
    print_text_report(result, console=Console(file=buffer, width=200))
    assert _numbers(buffer.getvalue())[0] == "4"
    data = build_report_json(result)
    assert data["units"][3]["risk"] == max(u["risk"] for u in data["units"])


def test_review_text_of_a_tmx_lists_riskiest_first(tmp_path: Path) -> None:
    _run(tmp_path)
    result = CliRunner().invoke(main, ["review", str(tmp_path / "out" / "doc.tmx"),
                                       "--format", "text"])
    assert result.exit_code == 0, result.output
    assert _numbers(result.output)[0] == "4"


def _numbers(table: str) -> list[str]:
    """The segment numbers of a rich table, top to bottom."""
    cells = [line.split("│")[1].strip() for line in table.splitlines() if line.startswith("│")]
    return [c for c in cells if c.isdigit()]


def test_bench_fit_recovers_a_signal(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(REPO / "bench" / "quality"))
    import risk as bench

    rows = [{"signals": {"x": float(i % 10), "y": 0.0}, "chrf": 100.0 - 5 * (i % 10), "bad": []}
            for i in range(60)]
    model = bench.fit(rows, ("x", "y"))
    result = bench.evaluate(bench.predict(model, rows), rows)
    assert model["weights"][0] > 0 and result["rho"] < -0.9 and result["precision"] == 1.0


def test_bench_known_bad_judges_a_merged_reference_by_the_groups_text() -> None:
    import sys

    sys.path.insert(0, str(REPO / "bench" / "quality"))
    import risk as bench

    reference = ("The summit opened in Wuzhen on Tuesday, and leaders from many countries "
                 "attended its first session.")
    sources = ((1, "峰会周二在乌镇开幕。"), (2, "多国领导人出席了首场会议。"))
    first, second = (Unit(Segment(n, 1, text, [(0, len(text))]), origin="mt")
                     for n, text in sources)
    first.target, second.target = "The summit opened in Wuzhen on Tuesday.", "Leaders came."
    assert bench.known_bad(first, reference) == ["dropped"]  # alone against the whole
    joined = f"{first.target} Leaders from many countries attended its first session."
    assert bench.known_bad(first, reference, joined) == []
    assert bench.known_bad(second, reference, f"{first.target} {second.target}") == [
        "dropped"]


def test_mt_reused_from_the_memory_keeps_its_engine_confidence_and_risk(tmp_path: Path
                                                                       ) -> None:
    from pipeline.exchange.tmx import confidence_from_prop, confidence_prop

    assert confidence_from_prop(confidence_prop({"mean": -0.3125, "tokens": 22})) == {
        "mean": -0.3125, "tokens": 22.0}
    assert confidence_from_prop("mean=x;=1;min=-2;low_share=nan") == {"min": -2.0}

    class Confident(ScriptedEngine):
        def _translate(self, segments, terms):
            for i, output in super()._translate(segments, terms):
                output.confidence = {"mean": round(-0.05 * (i + 1), 4), "min": -1.0,
                                     "tokens": 9}
                yield i, output

    def run(engine):
        options = RunOptions(source=_source(tmp_path), doc_id="doc", out_dir=tmp_path / "out",
                             tm_path=tmp_path / "tm.sqlite", glossary=None)
        return flow.run(options, Hooks(engine_factory=lambda name, **kw: engine))

    first = run(Confident(_answer))
    assert all(u.confidence for u in first.units)
    second = run(ScriptedEngine(lambda request: "never asked"))
    assert [u.confidence for u in second.units] == [u.confidence for u in first.units]
    assert [u.risk for u in second.units] == [u.risk for u in first.units]
    _, read = read_units_tmx(tmp_path / "out" / "doc.tmx")
    assert [u.confidence for u in read] == [u.confidence for u in first.units]
