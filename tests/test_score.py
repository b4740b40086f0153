"""Metrics (sacrebleu parity, sentence scores, score_units) and ``tmpipe score``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sacrebleu
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.score import corpus_scores, score_units, scoring_items, sentence_scores
from pipeline.units import Segment, Unit

HYPS = [
    "The summit has been held in Wuzhen for ten years.",
    "More than 120 institutions from 24 countries have joined.",
    "It discussed 5G, IPv6 and cloud computing.",
    "Mr. Ren said cooperation is needed more than ever.",
]
REFS = [
    "This year marks the tenth year of the Wuzhen Summit.",
    "More than 120 institutions from 24 countries and regions have joined as members.",
    "Dialogues were held on 5G, IPv6, cloud computing and artificial intelligence.",
    "Ren said that humanity needs cooperation more than ever.",
]


def unit(number: int, target: str, reference: str | None, confidence: float | None) -> Unit:
    segment = Segment(number, number, f"源{number}", [(0, 2)])
    return Unit(
        segment=segment, target=target, reference=reference, alignment_confidence=confidence
    )


def test_corpus_scores_equal_sacrebleu_api():
    ours = corpus_scores(HYPS, REFS)
    assert ours["bleu"] == sacrebleu.corpus_bleu(HYPS, [REFS]).score
    assert ours["chrf"] == sacrebleu.corpus_chrf(HYPS, [REFS], word_order=2).score
    assert ours["ter"] == sacrebleu.corpus_ter(HYPS, [REFS]).score
    assert "tok:13a" in ours["signature"]["bleu"]
    assert "nw:2" in ours["signature"]["chrf"]
    assert ours["signature"]["ter"].startswith("nrefs:1")


def test_sentence_scores_use_effective_order():
    expected = sacrebleu.sentence_bleu(HYPS[2], [REFS[2]]).score  # effective order by default
    assert sentence_scores(HYPS[2], REFS[2])["bleu"] == round(expected, 2)
    assert sentence_scores("Short.", "Short.")["bleu"] == 100.0
    chrf = sacrebleu.sentence_chrf(HYPS[0], [REFS[0]], word_order=2).score
    assert sentence_scores(HYPS[0], REFS[0])["chrf"] == round(chrf, 2)


def test_score_units_corpus_covers_all_links_sentence_only_confident():
    units = [
        unit(1, HYPS[0], REFS[0], 0.9),
        unit(2, HYPS[1], REFS[1], 0.2),  # low confidence: corpus yes, sentence no
        unit(3, HYPS[2], None, 0.0),  # source sentence missing from the reference
        unit(4, HYPS[3], REFS[3], 1.0),
    ]
    result = score_units(units)
    assert (
        result["bleu"]
        == sacrebleu.corpus_bleu([HYPS[0], HYPS[1], HYPS[3]], [[REFS[0], REFS[1], REFS[3]]]).score
    )
    assert result["excluded"] == [2]
    assert result["unreferenced"] == [3]
    assert result["segments_scored"] == 3 and result["sentence_scored"] == 2
    assert units[0].scores and units[3].scores
    assert units[1].scores == {} and units[2].scores == {}


def test_two_units_sharing_a_reference_are_scored_together():
    ref = "The summit opened, and the delegates arrived."
    units = [unit(1, "The summit opened.", ref, 0.8), unit(2, "Delegates arrived.", ref, 0.8)]
    items = scoring_items(units)
    assert len(items) == 1 and items[0].hyp == "The summit opened. Delegates arrived."
    result = score_units(units)
    assert result["segments_scored"] == 2
    assert units[0].scores == units[1].scores == sentence_scores(items[0].hyp, ref)


def test_score_units_none_without_reference():
    assert score_units([unit(1, "x", None, None)]) is None


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_score_command_text_files_with_comment_lines(tmp_path: Path):
    hyp = _write(tmp_path / "hyp.txt", "\n".join(HYPS) + "\n")
    ref = _write(
        tmp_path / "ref.txt", "# reference, by hand\n# second line\n\n" + "\n\n".join(REFS) + "\n"
    )
    out = tmp_path / "scores.json"
    result = CliRunner().invoke(main, ["score", str(hyp), "--ref", str(ref), "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["bleu"] == pytest.approx(sacrebleu.corpus_bleu(HYPS, [REFS]).score)
    assert "BLEU" in result.output and "chrF++" in result.output
    assert [u["reference"] for u in data["units"]] == REFS
    printed = CliRunner().invoke(main, ["score", str(hyp), "--ref", str(ref), "--json", "-"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == data


def test_score_command_output_folder_tmx(tmp_path: Path):
    tmx = pytest.importorskip("pipeline.exchange.tmx")
    folder = tmp_path / "doc-1"
    units = [unit(k + 1, h, None, None) for k, h in enumerate(HYPS)]
    tmx.write_units_tmx(folder / "doc-1.tmx", units, "doc-1", {})
    ref = _write(tmp_path / "ref.txt", "\n".join(REFS))
    result = CliRunner().invoke(main, ["score", str(folder), "--ref", str(ref)])
    assert result.exit_code == 0, result.output
    assert f"{sacrebleu.corpus_bleu(HYPS, [REFS]).score:.2f}" in result.output


@pytest.mark.parametrize(
    "ref_bytes",
    [
        b"",  # empty
        b"# only comments\n\n",  # nothing after the comments
        b"\x81\x30\xff\xfe bad \x00",  # undecodable / binary
        b"Completely unrelated text about cooking pasta at home.\nBoil water first.\n"
        b"Add salt and stir.\n",  # mismatched: unalignable
    ],
)
def test_score_command_bad_reference_exits_2(tmp_path: Path, ref_bytes: bytes):
    hyp = _write(
        tmp_path / "hyp.txt",
        "\n".join(HYPS[:3]) + "\n" + HYPS[3] + " Extra.\n" + "One more line.\n",
    )
    ref = tmp_path / "ref.txt"
    ref.write_bytes(ref_bytes)
    result = CliRunner().invoke(main, ["score", str(hyp), "--ref", str(ref)])
    assert result.exit_code == 2, result.output
    assert "tmpipe: error:" in result.output and "Traceback" not in result.output


def test_score_command_missing_hypothesis_exits_2(tmp_path: Path):
    ref = _write(tmp_path / "ref.txt", "\n".join(REFS))
    result = CliRunner().invoke(main, ["score", str(tmp_path / "nope.txt"), "--ref", str(ref)])
    assert result.exit_code == 2
    empty = tmp_path / "empty-run"
    empty.mkdir()
    result = CliRunner().invoke(main, ["score", str(empty), "--ref", str(ref)])
    assert result.exit_code == 2 and ".tmx" in result.output
