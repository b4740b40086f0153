"""``tmpipe glossary validate|convert`` and ``tmpipe check`` (the terminology CI gate)."""

from __future__ import annotations

from pathlib import Path

import click

from ..glossary import (
    check_tmx,
    load_glossary,
    result_json,
    validate_glossary,
    write_glossary,
    write_junit,
)
from ..glossary.check import (
    CheckResult,
    accept_all,
    describe,
    github_annotations,
    write_baseline,
)
from ..glossary.formats import FORMATS, format_for_output
from .jsonout import emit_json, json_option, to_stdout

_FILE = click.Path(path_type=Path, dir_okay=False)


@click.group("glossary")
def glossary_group() -> None:
    """Validate and convert term glossaries (TSV, CSV, TBX)."""


@glossary_group.command("validate")
@click.argument("file", type=_FILE)
@click.option("--against", type=_FILE,
              help="Text file (e.g. the source article): warn about terms that never occur.")
@click.pass_context
def validate_command(ctx: click.Context, file: Path, against: Path | None) -> None:
    """Check FILE; exit 2 with file:line messages when it has errors."""
    report = validate_glossary(file, against)
    for message in report.errors:
        click.echo(f"error: {message}", err=True)
    for message in report.warnings:
        click.echo(f"warning: {message}", err=True)
    summary = f"{file}: {report.terms} terms, {len(report.errors)} errors, " \
              f"{len(report.warnings)} warnings"
    if report.occurring is not None:
        summary += f"; {report.occurring} terms occur in {against}"
    click.echo(summary)
    if not report.ok:
        ctx.exit(2)


@glossary_group.command("convert")
@click.argument("source", metavar="IN", type=_FILE)
@click.option("-o", "--output", "output", type=_FILE, required=True,
              help="Output file; format from its extension (.tsv, .csv, .tbx).")
@click.option("--to", type=click.Choice(FORMATS), help="Output format [default: from -o].")
def convert_command(source: Path, output: Path, to: str | None) -> None:
    """Convert a glossary between TSV, CSV and TBX, or write it for OmegaT (--to omegat)."""
    fmt = format_for_output(output, to)
    glossary = load_glossary(source)
    write_glossary(output, glossary.terms, fmt, source=source)
    click.echo(f"wrote {len(glossary.terms)} terms to {output} ({fmt})")


@click.command("check")
@click.argument("tmx", nargs=-1, required=True, type=_FILE)
@click.option("--glossary", "glossary_path", type=_FILE, required=True,
              envvar="TMPIPE_GLOSSARY",
              help="Glossary (TSV, CSV or TBX), e.g. glossary/wic.tsv [env: TMPIPE_GLOSSARY].")
@json_option("the findings")
@click.option("--junit", "junit_path", type=_FILE, help="Write JUnit XML (one case per unit).")
@click.option("--baseline", type=_FILE,
              help="Accepted violations (a file written by --update-baseline, or an older "
              "TMX): fail only on violations not in it.")
@click.option("--update-baseline", "update_path", type=_FILE,
              help="Write every current violation to this file as accepted and exit 0; "
              "pass it as --baseline from then on.")
@click.option("--format", "output_format", type=click.Choice(["text", "github"]),
              default="text", show_default=True,
              help="text: file:line lines; github: GitHub Actions error annotations.")
@click.pass_context
def check_command(ctx: click.Context, tmx: tuple[Path, ...], glossary_path: Path,
                  json_path: str | None, junit_path: Path | None, baseline: Path | None,
                  update_path: Path | None, output_format: str) -> None:
    """Fail (exit 1) when a TMX unit breaks a glossary rendering; exit 2 on bad input."""
    glossary = load_glossary(glossary_path)
    result = check_tmx(list(tmx), glossary, baseline)
    if update_path is not None:
        entries = write_baseline(update_path, result)
        accept_all(result)
        click.echo(f"wrote {entries} accepted violations to {update_path}", err=True)
    emit_json(json_path, result_json(result))
    if junit_path is not None:
        write_junit(junit_path, result)
    if not to_stdout(json_path):
        _print_result(result, output_format)
    ctx.exit(result.exit_code)


def _print_result(result: CheckResult, output_format: str) -> None:
    if output_format == "github":
        for line in github_annotations(result):
            click.echo(line)
    else:
        for unit, violation in result.failures:
            click.echo(f"{unit.file}:{unit.line}: {unit.tuid}: {violation.kind}: "
                       f"{describe(violation)}")
    summary = (f"checked {result.checked} of {result.scanned} units, "
               f"{result.terms_checked} term occurrences: {len(result.failures)} violations")
    if result.baseline:
        summary += f" ({result.suppressed} already in the baseline, ignored)"
    click.echo(summary)


COMMANDS: list[click.Command] = [glossary_group, check_command]
