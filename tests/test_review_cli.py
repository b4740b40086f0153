"""``tmpipe review RUN_DIR --serve/--export`` as users meet it: options, errors, the server."""

from __future__ import annotations

from click.testing import CliRunner

from pipeline.cli import main


def test_other_addresses_need_a_chosen_token(tmp_path) -> None:
    result = CliRunner().invoke(main, ["review", str(tmp_path), "--serve", "--host", "0.0.0.0"],
                                env={"TMPIPE_REVIEW_TOKEN": None})
    assert result.exit_code == 2
    assert "needs an access token chosen by you" in result.output
    for token in ("", "short"):
        result = CliRunner().invoke(main, ["review", str(tmp_path), "--serve", "--host",
                                           "0.0.0.0", "--token", token])
        assert result.exit_code == 2 and "at least 8 characters" in result.output


def test_a_folder_needs_serve_or_export_and_a_run(tmp_path) -> None:
    result = CliRunner().invoke(main, ["review", str(tmp_path)])
    assert result.exit_code == 2 and "needs --serve or --export" in result.output
    result = CliRunner().invoke(main, ["review", str(tmp_path), "--export",
                                       "--tm", str(tmp_path / "tm.sqlite")])
    assert result.exit_code == 2 and "translation memory not found" in result.output
    assert not (tmp_path / "tm.sqlite").exists()
    (tmp_path / "tm.sqlite").write_bytes(b"")
    result = CliRunner().invoke(main, ["review", str(tmp_path), "--export",
                                       "--tm", str(tmp_path / "tm.sqlite")])
    assert result.exit_code == 2 and "report.json missing" in result.output
    assert "Traceback" not in result.output
