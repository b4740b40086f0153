"""``tmpipe review``: the reviewer's report for any TMX, or the workspace for a run folder."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from ..errors import UserError
from ..flow import DEFAULT_GLOSSARY, DEFAULT_TM
from ..qa import IGNORABLE


@click.command("review")
@click.argument("tmx", metavar="TMX|RUN_DIR", type=click.Path(path_type=Path))
@click.option("--ref", type=click.Path(dir_okay=False, path_type=Path),
              help="English reference to align and score against.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("report.html"), show_default=True, help="HTML report to write.")
@click.option("--format", "fmt", type=click.Choice(["html", "text"]), default="html",
              show_default=True, help="html: write the report file; text: print to the terminal.")
@click.option("--qa-ignore", multiple=True, type=click.Choice(IGNORABLE),
              help="Leave out a QA check (repeatable).")
@click.option("--limit", type=int, default=None, help="text: show at most this many segments.")
@click.option("--serve", is_flag=True, help="RUN_DIR: open the post-editing workspace in the "
              "browser (a local web app).")
@click.option("--export", is_flag=True, help="RUN_DIR: rebuild the run's outputs from the memory.")
@click.option("--xliff", is_flag=True, help="With --export: also write RUN_DIR/<doc-id>.xlf.")
@click.option("--tm", "tm_path", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_TM, show_default=True, help="Translation memory (SQLite).")
@click.option("--glossary", type=click.Path(dir_okay=False, path_type=Path),
              help=f"Glossary to verify edits with [default: {DEFAULT_GLOSSARY} when present].")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to serve on; any but loopback needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port to serve on (0: a free one).")
@click.option("--token", envvar="TMPIPE_REVIEW_TOKEN", help="Access token [default: random; "
              "env: TMPIPE_REVIEW_TOKEN].")
@click.option("--reviewer", default=lambda: getpass.getuser(), show_default="your user name",
              help="Name stored with every edit.")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the browser.")
def review_command(tmx: Path, ref: Path | None, output: Path, fmt: str,
                   qa_ignore: tuple[str, ...], limit: int | None, serve: bool, export: bool,
                   xliff: bool, tm_path: Path, glossary: Path | None, host: str, port: int,
                   token: str | None, reviewer: str, open_browser: bool) -> None:
    """Re-check a TMX (QA, optional reference scores) and write or print the review report;
    with a run folder, --serve opens the workspace and --export rebuilds the outputs."""
    from ..report import print_text_report, write_report_html
    from ..services.review import build_review

    if serve or export:
        from .. import review as workspace

        if glossary is None and DEFAULT_GLOSSARY.is_file():
            glossary = DEFAULT_GLOSSARY
        access = workspace.access_token(host, token) if serve else ""
        opened = workspace.open_workspace(tmx, tm_path, glossary, reviewer)
        if export:
            for path in opened.export(xliff):
                click.echo(f"wrote {path}")
        if serve:
            workspace.serve(opened, host, port, access, open_browser=open_browser,
                            announce=lambda url: click.echo(
                                f"Review workspace for {opened.doc_id} (Ctrl-C to stop):\n"
                                f"    {url}"))
        return
    if tmx.is_dir():
        raise UserError("a run folder needs --serve or --export (a TMX file gives the report)",
                        tmx)

    result = build_review(tmx, ref, qa_ignore)
    if fmt == "text":
        print_text_report(result, limit=limit)
        return
    write_report_html(output, result)
    qa = result.qa
    click.echo(f"{output}: {len(result.units)} segments, {qa['errors']} QA errors, "
               f"{qa['warnings']} warnings, {qa['flagged_units']} flagged")


COMMANDS: list[click.Command] = [review_command]
