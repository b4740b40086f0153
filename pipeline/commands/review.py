"""``tmpipe review``: the reviewer's report for any TMX."""

from __future__ import annotations

from pathlib import Path

import click

from ..qa import CHECKS, TERM_CHECK


@click.command("review")
@click.argument("tmx", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--ref", type=click.Path(dir_okay=False, path_type=Path),
              help="English reference to align and score against.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("report.html"), show_default=True, help="HTML report to write.")
@click.option("--format", "fmt", type=click.Choice(["html", "text"]), default="html",
              show_default=True, help="html: write the report file; text: print to the terminal.")
@click.option("--qa-ignore", multiple=True, type=click.Choice([*CHECKS, TERM_CHECK]),
              help="Leave out a QA check (repeatable).")
@click.option("--limit", type=int, default=None, help="text: show at most this many segments.")
def review_command(tmx: Path, ref: Path | None, output: Path, fmt: str,
                   qa_ignore: tuple[str, ...], limit: int | None) -> None:
    """Re-check a TMX (QA, optional reference scores) and write or print the review report."""
    from ..report import print_text_report, write_report_html
    from ..services.review import build_review

    result = build_review(tmx, ref, qa_ignore)
    if fmt == "text":
        print_text_report(result, limit=limit)
        return
    write_report_html(output, result)
    qa = result.qa
    click.echo(f"{output}: {len(result.units)} segments, {qa['errors']} QA errors, "
               f"{qa['warnings']} warnings, {qa['flagged_units']} flagged")


COMMANDS: list[click.Command] = [review_command]
