"""``tmpipe tm import|export|lookup|stats``: manage the translation memory."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rapidfuzz.distance import Levenshtein
from rich.console import Console
from rich.text import Text

from ..errors import UserError
from ..exchange.tmx import write_tus
from ..memory import STATES, STORED_ORIGINS, TranslationMemory, check_memory
from ..terminal import rich_safe, visible
from .jsonout import emit_json, json_option, to_stdout
from .params import FiniteFloatRange, existing_memory, tm_option
from .signals import stop_on_sigterm

_PATH = click.Path(path_type=Path, dir_okay=False)


def _existing(tm_path: Path) -> TranslationMemory:
    return existing_memory(tm_path, "import into it or run first")


@click.group("tm")
def tm_group() -> None:
    """Translation memory: import, export, look up, statistics."""


@tm_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@tm_option
@click.option("--origin", type=click.Choice(["human", "tm-import", "aligned", "mt"]),
              default="tm-import", show_default=True,
              help="Who wrote the targets. Units marked as MT (x-origin, creationid/changeid) "
              "stay mt whatever this says; mt needs --engine.")
@click.option("--engine", default="", help="The engine that wrote the MT (with --origin mt).")
@click.option("--state", type=click.Choice(STATES), default="translated", show_default=True,
              help="Review state recorded for human-written units.")
def import_command(file: Path, tm_path: Path, origin: str, engine: str, state: str) -> None:
    """Import FILE (.tmx, or .tsv/.tsv.gz with zh<TAB>en lines) in one transaction.

    A unit whose source and target are already stored keeps the stored origin and state;
    a new target for a stored source is stored as a new unit linked to the one it replaces.
    """
    if origin == "mt" and not engine:
        raise UserError("--origin mt needs --engine NAME (the engine that wrote the MT)")
    started = time.perf_counter()
    stop_on_sigterm()
    with TranslationMemory(tm_path) as tm:
        try:
            summary = tm.import_path(file, origin, state=state, engine=engine)
        except UserError as exc:
            raise UserError(f"{exc.message}; nothing was imported", exc.path, exc.line) from exc
        except KeyboardInterrupt:
            click.echo("tmpipe: interrupted; nothing was imported", err=True)
            click.get_current_context().exit(130)
    seconds = time.perf_counter() - started
    if summary.header:
        line_no, line = summary.header
        click.echo(f"skipped header line {line_no}: {line.replace(chr(9), ' | ')}")
    if summary.empty:
        click.echo(f"skipped {summary.empty} units with an empty source or target")
    if summary.conflicts:
        marked = "human-written" if origin == "mt" else "machine translation"
        click.echo(f"warning: {summary.conflicts} units are marked as {marked}, against "
                   f"--origin {origin}; stored as mt", err=True)
    click.echo(f"imported {summary.added} new units from {file} into {tm_path} "
               f"({summary.present} already present, {summary.replaced} replacing a stored "
               f"target; {seconds:.1f} s)")


@tm_group.command("export")
@tm_option
@click.option("-o", "--output", type=_PATH, required=True, help="TMX file to write.")
@click.option("--origin", type=click.Choice(STORED_ORIGINS), default=None,
              help="Only units of this origin.")
@click.option("--doc", "doc_id", default=None, help="Only units of this document id.")
def export_command(tm_path: Path, output: Path, origin: str | None, doc_id: str | None) -> None:
    """Export the memory (or part of it) as TMX 1.4b."""
    with _existing(tm_path) as tm:
        header = {"x-tm": tm_path.name}
        if origin:
            header["x-filter-origin"] = origin
        if doc_id:
            header["x-filter-doc"] = doc_id
        tm.rescue = True
        count = write_tus(output, (u.to_tu() for u in tm.iter_units(origin, doc_id)), header)
    skipped = f" ({tm.unreadable} unreadable units skipped)" if tm.unreadable else ""
    click.echo(f"exported {count} units to {output}{skipped}")


def _highlight(tm_source: str, query: str) -> Text:
    """The TM source with the characters that differ from the query highlighted."""
    text = Text()
    for op in Levenshtein.opcodes(tm_source, query):
        chunk = tm_source[op.src_start : op.src_end]
        chunk = visible(chunk)
        if op.tag == "equal":
            text.append(chunk)
        elif op.tag == "insert":
            text.append("‸", style="bold red")
        else:
            text.append(chunk, style="bold red reverse")
    return text


@tm_group.command("lookup")
@click.argument("text")
@tm_option
@click.option("-n", "limit", type=click.IntRange(1, 100), default=5, show_default=True,
              help="Most matches shown.")
@click.option("--fuzzy-min", type=FiniteFloatRange(0, 101), default=75, show_default=True,
              help="Lowest fuzzy match % shown.")
@click.option("--previous", default=None, help="Previous source segment (for 101 % matches).")
def lookup_command(text: str, tm_path: Path, limit: int, fuzzy_min: float,
                   previous: str | None) -> None:
    """Look TEXT up: matches with %, origin and the differences to fix."""
    with _existing(tm_path) as tm:
        started = time.perf_counter()
        matches = tm.lookup(text, previous=previous, fuzzy_min=fuzzy_min, limit=limit)
        ms = (time.perf_counter() - started) * 1000
    console = Console(highlight=False, soft_wrap=True)
    if not matches:
        console.print(f"no match ≥ {fuzzy_min:g}% ({ms:.1f} ms)")
        return
    for rank, match in enumerate(matches, start=1):
        origin = match.origin + (" (MT: check before use)" if match.origin == "mt" else "")
        console.print(f"[bold]{rank}. {match.score:g}%[/bold] {match.kind}  {rich_safe(origin)}"
                      f"  #{match.unit_id}")
        console.print(Text("   TM: ").append_text(_highlight(match.source, text)))
        console.print(f"   en: {rich_safe(match.target)}")
        for difference in match.differences:
            console.print(f"   [yellow]fix:[/yellow] {rich_safe(difference)}")
    console.print(f"({len(matches)} matches, {ms:.1f} ms)")


@tm_group.command("check")
@tm_option
def check_command(tm_path: Path) -> None:
    """Check the memory file (SQLite integrity, schema, index, stored JSON): exit 1 if damaged."""
    if not tm_path.is_file():
        raise UserError("translation memory not found", tm_path)
    problems = check_memory(tm_path)
    for problem in problems:
        click.echo(f"{tm_path}: {visible(problem)}")
    if problems:
        click.echo(f"{tm_path}: damaged ({len(problems)} problems); export what can still be "
                   f"read with 'tmpipe tm export --tm {tm_path} -o FILE'", err=True)
        click.get_current_context().exit(1)
    click.echo(f"{tm_path}: ok")


@tm_group.command("stats")
@tm_option
@json_option("the statistics")
def stats_command(tm_path: Path, json_path: str | None) -> None:
    """Units by origin and state, documents, languages, dates and size."""
    with _existing(tm_path) as tm:
        stats = tm.stats()
    emit_json(json_path, stats)
    if to_stdout(json_path):
        return
    click.echo(f"{stats['path']}: {stats['units']} units, {stats['documents']} documents, "
               f"{stats['bytes'] / 1e6:.1f} MB, schema {stats['schema_version']}")
    states = [s for s in STATES if any(s in row for row in stats["by_origin_state"].values())]
    if states:
        click.echo(f"  {'origin':10} {'total':>7} " + " ".join(f"{s:>10}" for s in states))
    for origin, count in stats["by_origin"].items():
        row = stats["by_origin_state"].get(origin, {})
        click.echo(f"  {origin:10} {count:>7} "
                   + " ".join(f"{row.get(s, 0):>10}" for s in states))
    if stats["units"]:
        click.echo(f"  languages  {', '.join(stats['languages'])}")
        click.echo(f"  dates      {stats['first']} … {stats['last']}")


COMMANDS: list[click.Command] = [tm_group]
