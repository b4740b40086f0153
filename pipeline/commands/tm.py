"""``tmpipe tm import|export|lookup|stats``: manage the translation memory."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rapidfuzz.distance import Levenshtein
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from ..errors import UserError
from ..memory import DEFAULT_TM_PATH, STORED_ORIGINS, TranslationMemory
from ..tmx import write_tus
from .jsonout import emit_json, json_option, to_stdout
from .params import FiniteFloatRange

_PATH = click.Path(path_type=Path, dir_okay=False)
_tm_option = click.option("--tm", "tm_path", type=_PATH, default=DEFAULT_TM_PATH,
                          show_default=True, help="Translation memory (SQLite).")


def _existing(tm_path: Path) -> TranslationMemory:
    if not tm_path.exists():
        raise UserError("translation memory not found (import into it or run first)", tm_path)
    return TranslationMemory(tm_path)


@click.group("tm")
def tm_group() -> None:
    """Translation memory: import, export, look up, statistics."""


@tm_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@_tm_option
@click.option("--origin", type=click.Choice(["human", "tm-import", "aligned"]),
              default="tm-import", show_default=True,
              help="Origin recorded for the units (TMX units marked x-origin=mt stay mt).")
def import_command(file: Path, tm_path: Path, origin: str) -> None:
    """Import FILE (.tmx, or .tsv/.tsv.gz with zh<TAB>en lines), streaming."""
    started = time.perf_counter()
    seen = 0

    def progress(count: int) -> None:
        nonlocal seen
        seen += count

    with TranslationMemory(tm_path) as tm:
        added = tm.import_file(file, origin=origin, progress=progress)
    seconds = time.perf_counter() - started
    click.echo(f"imported {added} new units from {file} into {tm_path} "
               f"({seen - added} already present; {seconds:.1f} s)")


@tm_group.command("export")
@_tm_option
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
        count = write_tus(output, (u.to_tu() for u in tm.iter_units(origin, doc_id)), header)
    click.echo(f"exported {count} units to {output}")


def _highlight(tm_source: str, query: str) -> Text:
    """The TM source with the characters that differ from the query highlighted."""
    text = Text()
    for op in Levenshtein.opcodes(tm_source, query):
        chunk = tm_source[op.src_start : op.src_end]
        if op.tag == "equal":
            text.append(chunk)
        elif op.tag == "insert":
            text.append("‸", style="bold red")
        else:
            text.append(chunk, style="bold red reverse")
    return text


@tm_group.command("lookup")
@click.argument("text")
@_tm_option
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
        console.print(f"[bold]{rank}. {match.score:g}%[/bold] {match.kind}  {escape(origin)}"
                      f"  #{match.unit_id}")
        console.print(Text("   TM: ").append_text(_highlight(match.source, text)))
        console.print(f"   en: {escape(match.target)}")
        for difference in match.differences:
            console.print(f"   [yellow]fix:[/yellow] {escape(difference)}")
    console.print(f"({len(matches)} matches, {ms:.1f} ms)")


@tm_group.command("stats")
@_tm_option
@json_option("the statistics")
def stats_command(tm_path: Path, json_path: str | None) -> None:
    """Units by origin, documents, languages, dates and size."""
    with _existing(tm_path) as tm:
        stats = tm.stats()
    emit_json(json_path, stats)
    if to_stdout(json_path):
        return
    click.echo(f"{stats['path']}: {stats['units']} units, {stats['documents']} documents, "
               f"{stats['bytes'] / 1e6:.1f} MB, schema {stats['schema_version']}")
    for origin, count in stats["by_origin"].items():
        click.echo(f"  {origin:10} {count}")
    if stats["units"]:
        click.echo(f"  languages  {', '.join(stats['languages'])}")
        click.echo(f"  dates      {stats['first']} … {stats['last']}")


COMMANDS: list[click.Command] = [tm_group]
