"""``tmpipe analyze``: counts, repetitions, memory bands, terms and MT estimate, no model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO

from pipeline.batch.analyze import band_of, count_text
from pipeline.batch.inputs import collect_inputs
from pipeline.cli import main
from pipeline.memory import TranslationMemory

GLOSSARY = REPO / "glossary" / "wic.tsv"
OPENING = "数字经济论坛在杭州举行。"
SHARED = "今年是世界互联网大会乌镇峰会第十年。"
FUZZY_TM = "今年是世界互联网大会乌镇峰会第九年。"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "b").mkdir(parents=True)
    (docs / "a.zh.txt").write_text(f"{OPENING}\n\n{SHARED}\n\n{OPENING}\n", encoding="utf-8")
    (docs / "b" / "source.zh.txt").write_text(
        f"{SHARED}\n\n数字经济发展迅速，GSMA发布了报告。\n", encoding="utf-8")
    (docs / "b" / "reference.en.txt").write_text("An English reference.\n", encoding="utf-8")
    (docs / "a.en.txt").write_text("English output.\n", encoding="utf-8")
    return docs


def _analyze(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["analyze", *args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def test_folder_is_searched_recursively_and_references_are_not_sources(folder) -> None:
    found = collect_inputs([folder])
    assert [d.doc_id for d in found.documents] == ["a", "b"]
    assert found.problems == []


def test_bands_repetitions_terms_and_mt_estimate(tmp_path, folder) -> None:
    tm = tmp_path / "tm.sqlite"
    with TranslationMemory(tm) as memory:
        memory.import_pairs([(FUZZY_TM, "This is the ninth year of the summit.")])
    out = tmp_path / "analysis.json"
    code, output = _analyze(str(folder), "--tm", str(tm), "--glossary", str(GLOSSARY),
                               "--json", str(out), "--seconds-per-segment", "2")
    assert code == 0, output
    data = json.loads(out.read_text(encoding="utf-8"))
    a, b = data["documents"]
    assert (a["doc_id"], a["segments"], b["segments"]) == ("a", 3, 2)
    # a: the opening, the shared sentence (a fuzzy match of the memory), the opening again
    assert a["bands"]["no_match"]["segments"] == 1
    assert a["bands"]["95-99"]["segments"] + a["bands"]["85-94"]["segments"] == 1
    assert a["bands"]["repetition"]["segments"] == 1
    # b: the shared sentence again (repeated across the batch), one new sentence
    assert b["bands"]["batch_repetition"]["segments"] == 1
    assert b["bands"]["no_match"]["segments"] == 1
    assert (a["mt"]["segments"], b["mt"]["segments"]) == (2, 1)
    assert data["totals"]["mt"] == {"segments": 3, "seconds": 6.0}
    assert a["han"] == 2 * len(OPENING) - 2 + len(SHARED) - 1
    assert a["glossary"]["occurrences"] >= 3 and b["glossary"]["terms"] >= 2
    assert "batch repetitions" in output and "no match" in output


def test_human_exact_match_needs_no_mt(tmp_path, folder) -> None:
    tm = tmp_path / "tm.sqlite"
    with TranslationMemory(tm) as memory:
        memory.import_pairs([(SHARED, "This is the tenth year of the summit.")])
    out = tmp_path / "analysis.json"
    code, _ = _analyze(str(folder / "b"), "--tm", str(tm), "--no-glossary", "--json",
                          str(out), "-q")
    assert code == 0
    doc = json.loads(out.read_text(encoding="utf-8"))["documents"][0]
    assert doc["bands"]["exact"]["segments"] == 1
    assert doc["mt"]["segments"] == 1


def test_missing_memory_is_not_created(tmp_path, folder) -> None:
    tm = tmp_path / "none.sqlite"
    code, _ = _analyze(str(folder), "--tm", str(tm), "-q")
    assert code == 0 and not tm.exists()


def test_unreadable_document_is_skipped_and_exit_1(tmp_path, folder) -> None:
    (folder / "broken.txt").write_bytes(b"abc\x80\x81\xfe\xff\x80\n")
    code, output = _analyze(str(folder), "--tm", str(tmp_path / "tm.sqlite"), "-q")
    assert code == 1
    assert "broken.txt" in output and "skipped" in output


def test_nothing_to_analyse_is_one_line_and_exit_2(tmp_path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01binary")
    for args in ([str(bad)], [str(tmp_path / "missing")], [str(tmp_path / "*.nothing")]):
        code, output = _analyze(*args, "--tm", str(tmp_path / "tm.sqlite"))
        assert code == 2, output
        assert len(output.strip().splitlines()) == 1 and output.startswith("tmpipe: error:")


def test_glob_input(tmp_path, folder) -> None:
    found = collect_inputs([str(folder / "**" / "*.zh.txt")])
    assert [d.path.name for d in found.documents] == ["a.zh.txt", "source.zh.txt"]


def test_band_edges_and_word_estimate() -> None:
    assert [band_of(s) for s in (99.9, 95, 94.9, 85, 84, 75, 74.9, 50, 49.9, None)] == [
        "95-99", "95-99", "85-94", "85-94", "75-84", "75-84", "50-74", "50-74", "no_match",
        "no_match"]
    counts = count_text("GSMA发布了2023年报告")
    assert counts.han == 6 and counts.words == round(6 * 0.75) + 2


def test_json_dash_prints_only_the_json(tmp_path, folder) -> None:
    result = CliRunner().invoke(main, ["analyze", str(folder), "--tm",
                                       str(tmp_path / "tm.sqlite"), "--json", "-"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["totals"]["documents"] == 2
