"""``score``/``compare`` pair units with the reference by tuid/source, never by file order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.exchange.tmx import TU, iter_tus, write_tus, write_units_tmx
from pipeline.units import Segment, Unit

GOLDEN = Path(__file__).parent / "golden" / "alignment.tsv"


def _pairs() -> list[tuple[str, str]]:
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(line.split("\t")) for line in lines if "\t" in line][:40]


def _hyp(text: str, k: int) -> str:
    words = text.split()
    return " ".join(w for i, w in enumerate(words) if (i + k) % 5) or text


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    pairs = _pairs()
    units = []
    for k, (zh, en) in enumerate(pairs, start=1):
        seg = Segment(number=k, paragraph=k, text=zh, spans=[(0, len(zh))])
        units.append(Unit(segment=seg, target=_hyp(en, k), origin="mt"))
    ordered = tmp_path / "ordered.tmx"
    write_units_tmx(ordered, units, "doc", {})
    tus = sorted(iter_tus(ordered), key=lambda tu: tu.source)  # what OmegaT does
    shuffled = tmp_path / "sorted.tmx"
    write_tus(shuffled, tus, {})
    stripped = tmp_path / "stripped.tmx"
    write_tus(stripped, [TU(tuid="", source=tu.source, target=tu.target, srclang="zh-CN",
                            tgtlang="en") for tu in tus], {})
    ref = tmp_path / "ref.en.txt"
    ref.write_text("".join(en + "\n" for _, en in pairs), encoding="utf-8")
    ref_tmx = tmp_path / "ref.tmx"
    write_tus(ref_tmx, sorted((TU(tuid="", source=zh, target=en, srclang="zh-CN", tgtlang="en")
                               for zh, en in pairs), key=lambda tu: tu.source), {})
    return {"ordered": ordered, "sorted": shuffled, "stripped": stripped, "ref": ref,
            "ref_tmx": ref_tmx}


def _score(hyp: Path, ref: Path) -> dict:
    result = CliRunner().invoke(main, ["score", str(hyp), "--ref", str(ref), "--json", "-"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_score_follows_tuids_not_file_order(files: dict[str, Path]) -> None:
    ordered = _score(files["ordered"], files["ref"])
    shuffled = _score(files["sorted"], files["ref"])
    assert ordered["bleu"] > 40
    assert shuffled["bleu"] == ordered["bleu"] and shuffled["chrf"] == ordered["chrf"]


def test_score_refuses_units_without_positions_against_text(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(main, ["score", str(files["stripped"]), "--ref",
                                       str(files["ref"])])
    assert result.exit_code == 2
    assert "sorted by source" in result.stderr and str(files["ref"]) in result.stderr
    by_source = _score(files["stripped"], files["ref_tmx"])  # matched by source: fine
    assert by_source["bleu"] == _score(files["ordered"], files["ref"])["bleu"]


def _compare(a: Path, b: Path, ref: Path) -> dict:
    result = CliRunner().invoke(main, ["compare", str(a), str(b), "--ref", str(ref),
                                       "--resamples", "1000", "--json", "-"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_compare_pairs_by_source_and_orders_a_tmx_reference(files: dict[str, Path]) -> None:
    same = _compare(files["ordered"], files["ordered"], files["ref"])
    assert _compare(files["ordered"], files["stripped"], files["ref"])["b"] == same["b"]
    assert _compare(files["stripped"], files["ordered"], files["ref"])["a"] == same["a"]
    assert _compare(files["ordered"], files["ordered"], files["ref_tmx"])["a"] == same["a"]
    both = CliRunner().invoke(main, ["compare", str(files["stripped"]), str(files["stripped"]),
                                     "--ref", str(files["ref"])])
    assert both.exit_code == 2 and "sorted by source" in both.stderr
