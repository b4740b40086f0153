"""Hostile input, round two: each finding of the adversarial probe, through the CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import SEED

from pipeline.cli import main


def invoke(args: list[object]) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result: Result, *needles: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# ----------------------------------------------------------------------------- doc-id


@pytest.mark.parametrize("doc_id", ["../../escaped", "/some/dir/victim", "a/b", "a\\b",
                                    ".hidden", "line\nbreak", "esc\x1b[2J", "x" * 101, ""])
def test_doc_id_must_be_a_file_name_safe_token(tmp_path: Path, doc_id: str) -> None:
    out = tmp_path / "jail" / "out"
    result = invoke(["run", SEED, "--out", out, "--tm", tmp_path / "tm.sqlite",
                     "--doc-id", doc_id, "-q"])
    one_line_error(result, "--doc-id")
    assert not (tmp_path / "escaped.tmx").exists()
    assert not out.exists()
    assert not (tmp_path / "tm.sqlite").exists()


@pytest.mark.parametrize("option", ["--fill-min", "--fuzzy-min"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
def test_non_finite_thresholds_are_refused(tmp_path: Path, option: str, value: str) -> None:
    result = invoke(["run", SEED, "--out", tmp_path / "out", "--tm", tmp_path / "tm.sqlite",
                     option, value, "-q"])
    one_line_error(result, option)


def test_tm_lookup_refuses_nan(tmp_path: Path) -> None:
    one_line_error(invoke(["tm", "lookup", "世界", "--tm", tmp_path / "tm.sqlite",
                           "--fuzzy-min", "nan"]), "--fuzzy-min")


def test_folder_where_a_file_is_expected_is_one_line(tmp_path: Path) -> None:
    one_line_error(invoke(["run", tmp_path, "-q"]), str(tmp_path), "directory")


# ----------------------------------------------------------------------------- glossaries

TBX_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE martif [ <!ENTITY x "World Internet Conference"> ]>
<martif type="TBX"><text><body><termEntry id="&x;">
<langSet xml:lang="zh"><tig><term>世界互联网大会</term></tig></langSet>
<langSet xml:lang="en"><tig><term>&x;</term></tig></langSet>
</termEntry></body></text></martif>
"""

TBX_UNDEFINED = "\n".join(line for line in TBX_ENTITY.split("\n") if "DOCTYPE" not in line)


@pytest.mark.parametrize("text", [TBX_ENTITY, TBX_UNDEFINED], ids=["declared", "undefined"])
def test_tbx_entities_are_refused(tmp_path: Path, text: str) -> None:
    tbx = tmp_path / "g.tbx"
    tbx.write_text(text, encoding="utf-8")
    one_line_error(invoke(["glossary", "convert", tbx, "-o", tmp_path / "g.tsv"]),
                   str(tbx), "entit")
    assert not (tmp_path / "g.tsv").exists()
    result = invoke(["run", SEED, "--glossary", tbx, "--tm", tmp_path / "tm.sqlite",
                     "--out", tmp_path / "out", "-q"])
    one_line_error(result, str(tbx), "entit")


FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)"]


def test_csv_export_neutralises_formulas_and_reads_back(tmp_path: Path) -> None:
    tsv = tmp_path / "g.tsv"
    rows = ["source\ttarget\tvariants\tforbidden\tnote"]
    rows += [f"术语{i}\t{f}\t\t\t{f}" for i, f in enumerate(FORMULAS)]
    tsv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    validated = invoke(["glossary", "validate", tsv])
    assert validated.exit_code == 0, validated.output
    assert validated.output.count("formula") >= len(FORMULAS)
    out = tmp_path / "g.csv"
    assert invoke(["glossary", "convert", tsv, "-o", out]).exit_code == 0
    cells = [cell for row in csv.reader(out.open(encoding="utf-8")) for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    back = tmp_path / "back.tsv"
    assert invoke(["glossary", "convert", out, "-o", back]).exit_code == 0
    assert back.read_text(encoding="utf-8") == tsv.read_text(encoding="utf-8")


def test_unclosed_csv_quote_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "g.csv"
    bad.write_text('source,target\n世界互联网大会,"World Internet Conference\n乌镇,Wuzhen\n',
                   encoding="utf-8")
    result = invoke(["glossary", "validate", bad])
    assert result.exit_code == 2, result.output
    assert "never closed" in result.output
    assert "empty target" not in result.output


def test_zero_width_character_in_a_term_is_warned(tmp_path: Path) -> None:
    tsv = tmp_path / "g.tsv"
    tsv.write_text("source\ttarget\n乌\u200b镇\tWuzhen\n", encoding="utf-8")
    result = invoke(["glossary", "validate", tsv])
    assert "U+200B" in result.output, result.output


# ----------------------------------------------------------------------------- bounded readers


@pytest.mark.parametrize("args", [["segment", "/dev/zero"], ["glossary", "validate", "/dev/zero"],
                                  ["segment", "/dev/urandom"]])
def test_endless_inputs_are_refused_at_the_cap(args: list[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    if not Path(args[-1]).exists():
        pytest.skip(f"{args[-1]} is not on this system")
    monkeypatch.setenv("TMPIPE_MAX_INPUT_MB", "1")
    result = invoke(args)
    assert result.exit_code == 2, result.output
    assert "larger than 1 MB" in result.output
    assert "Traceback" not in result.output


def test_large_regular_file_is_refused_before_reading(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.txt"
    big.write_text("世界互联网大会。\n" * 100_000, encoding="utf-8")
    monkeypatch.setenv("TMPIPE_MAX_INPUT_MB", "1")
    one_line_error(invoke(["segment", big]), str(big), "TMPIPE_MAX_INPUT_MB")


def test_convert_error_names_the_input_line(tmp_path: Path) -> None:
    bad = tmp_path / "g.csv"
    bad.write_text('source,target\n世界,"World\tWide"\n', encoding="utf-8")
    out = tmp_path / "g.tsv"
    one_line_error(invoke(["glossary", "convert", bad, "-o", out]), f"{bad}:2:", str(out))
    assert not out.exists()


def test_check_refuses_a_tmx_without_chinese_english_units(tmp_path: Path) -> None:
    tmx = tmp_path / "fr.tmx"
    tmx.write_text(
        '<?xml version="1.0"?><tmx version="1.4"><header srclang="de" datatype="plaintext" '
        'segtype="sentence" adminlang="en" o-tmf="t" creationtool="t" creationtoolversion="1"/>'
        '<body><tu><tuv xml:lang="de"><seg>Hallo</seg></tuv><tuv xml:lang="fr"><seg>Bonjour'
        '</seg></tuv></tu></body></tmx>', encoding="utf-8")
    one_line_error(invoke(["check", tmx, "--glossary", "glossary/wic.tsv"]), str(tmx),
                   "nothing to check")


def test_doc_id_from_an_odd_file_name_is_refused(tmp_path: Path) -> None:
    odd = tmp_path / "-rf\x1b.zh.txt"
    odd.write_text("世界互联网大会开幕。\n", encoding="utf-8")
    result = invoke(["run", odd, "--out", tmp_path / "out", "--tm", tmp_path / "tm.sqlite",
                     "-q", "--no-glossary"])
    one_line_error(result, "--doc-id")
    assert not (tmp_path / "out").exists()


def test_symlink_loop_is_named_as_such(tmp_path: Path) -> None:
    first, second = tmp_path / "a.tmx", tmp_path / "b.tmx"
    first.symlink_to(second)
    second.symlink_to(first)
    reference = tmp_path / "ref.txt"
    reference.write_text("World Internet Conference.\n", encoding="utf-8")
    one_line_error(invoke(["score", first, "--ref", reference]), str(first), "symbolic link")
    one_line_error(invoke(["score", reference, "--ref", first]), str(first), "symbolic link")
