"""``compare_units`` / ``tmpipe compare``: paired bootstrap on clear wins, losses and ties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.align import reference_lines, split_sentences
from pipeline.cli import main
from pipeline.score import compare_units, pair_units
from pipeline.units import Segment, Unit

REFERENCE = Path(__file__).resolve().parent.parent / "segments/zjrb-2023-11-07/reference.en.txt"


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    lines = [line for _, line in reference_lines(REFERENCE.read_text(encoding="utf-8"))]
    found = [s for line in lines for s in split_sentences(line) if len(s.split()) >= 8]
    return found[:40]


def good(sentence: str) -> str:
    """A close paraphrase: one function word changed."""
    return sentence.replace(" the ", " a ", 1)


def bad(sentence: str) -> str:
    """A poor translation: every third word dropped, two words swapped."""
    words = [w for k, w in enumerate(sentence.split()) if k % 3 != 1]
    words[0], words[-1] = words[-1], words[0]
    return " ".join(words)


def run(targets: list[str]) -> list[Unit]:
    return [
        Unit(segment=Segment(k, k, f"句子{k}。", [(0, 4)]), target=t)
        for k, t in enumerate(targets, start=1)
    ]


def test_clear_loss_is_a_significant_drop(sentences: list[str]):
    result = compare_units(
        run([good(s) for s in sentences]),
        run([bad(s) for s in sentences]),
        "\n".join(sentences),
        len(sentences),
        resamples=1000,
        seed=7,
    )
    assert result["delta"]["bleu"] < -20 and result["delta"]["ter"] > 10
    assert all(result["p_value"][k] < 0.05 for k in ("bleu", "chrf", "ter"))
    assert result["drop"] == {"bleu": True, "chrf": True, "ter": True}
    assert result["changed"] and result["changed"][0]["delta"] < 0
    assert len(result["changed"]) == 5


def test_clear_win_is_significant_but_no_drop(sentences: list[str]):
    result = compare_units(
        run([bad(s) for s in sentences]),
        run([good(s) for s in sentences]),
        "\n".join(sentences),
        len(sentences),
        resamples=1000,
        seed=7,
    )
    assert result["significant"]["bleu"] and result["significant"]["chrf"]
    assert not any(result["drop"].values())


def test_identical_runs_are_not_significant(sentences: list[str]):
    targets = [good(s) for s in sentences]
    result = compare_units(
        run(targets),
        run(list(targets)),
        "\n".join(sentences),
        len(sentences),
        resamples=1000,
        seed=7,
    )
    assert result["delta"] == {"bleu": 0.0, "chrf": 0.0, "ter": 0.0}
    assert result["p_value"] == {"bleu": 1.0, "chrf": 1.0, "ter": 1.0}
    assert not any(result["significant"].values())
    assert result["changed"] == []


def test_small_change_is_not_significant(sentences: list[str]):
    a = [good(s) for s in sentences]
    b = list(a)
    b[3] = bad(sentences[3])
    result = compare_units(
        run(a), run(b), "\n".join(sentences), len(sentences), resamples=1000, seed=7
    )
    assert result["delta"]["chrf"] < 0
    assert not result["drop"]["chrf"]
    assert result["changed"][0]["segments"] == [4]


def test_pair_units_falls_back_to_source_text():
    a = run(["x", "y"])
    b = [
        Unit(segment=Segment(7, 1, a[1].source, []), target="y2"),
        Unit(segment=Segment(9, 1, a[0].source, []), target="x2"),
    ]
    assert [(p.target, q.target) for p, q in pair_units(a, b)] == [("x", "x2"), ("y", "y2")]


def _text(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_compare_command_fail_on_drop(tmp_path: Path, sentences: list[str]):
    ref = _text(tmp_path / "ref.txt", ["# reference", *sentences])
    a = _text(tmp_path / "a.txt", [good(s) for s in sentences])
    b = _text(tmp_path / "b.txt", [bad(s) for s in sentences])
    out = tmp_path / "cmp.json"
    runner = CliRunner()
    loss = runner.invoke(
        main, ["compare", str(a), str(b), "--ref", str(ref), "--fail-on-drop", "--json", str(out)]
    )
    assert loss.exit_code == 1, loss.output
    assert json.loads(out.read_text(encoding="utf-8"))["drop"]["bleu"] is True
    win = runner.invoke(main, ["compare", str(b), str(a), "--ref", str(ref), "--fail-on-drop"])
    assert win.exit_code == 0, win.output
    same = runner.invoke(main, ["compare", str(a), str(a), "--ref", str(ref), "--fail-on-drop"])
    assert same.exit_code == 0, same.output
    assert "1.0000" in same.output
    fewer = runner.invoke(main, ["compare", str(a), str(b), "--ref", str(ref), "--resamples", "10"])
    assert fewer.exit_code == 2


def test_compare_command_on_output_folders(tmp_path: Path, sentences: list[str]):
    tmx = pytest.importorskip("pipeline.exchange.tmx")
    for name, make in (("a", good), ("b", bad)):
        folder = tmp_path / name / "doc"
        tmx.write_units_tmx(folder / "doc.tmx", run([make(s) for s in sentences]), "doc", {})
    ref = _text(tmp_path / "ref.txt", sentences)
    result = CliRunner().invoke(
        main,
        [
            "compare",
            str(tmp_path / "a" / "doc"),
            str(tmp_path / "b" / "doc"),
            "--ref",
            str(ref),
            "--fail-on-drop",
            "--metric",
            "chrf",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "significant drop in chrf" in result.output
