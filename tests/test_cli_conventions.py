"""Conventions every command follows: help texts as printed, and ``--json FILE``."""

from __future__ import annotations

from collections.abc import Iterator

import click
from click.testing import CliRunner

from pipeline.cli import main

#: Commands not yet following the conventions; none left.
_NOT_YET: set[str] = set()


def _commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from _commands(command, path + " ")


def test_help_texts_print_no_doubled_percent() -> None:
    runner = CliRunner()
    doubled = set()
    for path, _ in _commands(main):
        result = runner.invoke(main, [*path.split(), "--help"])
        assert result.exit_code == 0, (path, result.output)
        if "%%" in result.output:
            doubled.add(path)
    assert doubled <= _NOT_YET, sorted(doubled - _NOT_YET)


def test_json_option_takes_a_file_or_dash() -> None:
    flags = set()
    for path, command in _commands(main):
        for param in command.params:
            if isinstance(param, click.Option) and "--json" in param.opts:
                if param.is_flag or not getattr(param.type, "allow_dash", False):
                    flags.add(path)
    assert flags <= _NOT_YET, sorted(flags - _NOT_YET)


def test_tm_stats_json_dash_is_json_only(tmp_path) -> None:
    db = tmp_path / "tm.sqlite"
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text("你好。\tHello.\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["tm", "import", str(tsv), "--tm", str(db)]).exit_code == 0
    result = runner.invoke(main, ["tm", "stats", "--tm", str(db), "--json", "-"])
    assert result.exit_code == 0
    assert result.stdout.lstrip().startswith("{") and result.stdout.rstrip().endswith("}")
