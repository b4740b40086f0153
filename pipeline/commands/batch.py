"""``tmpipe analyze`` and ``tmpipe batch``: many documents at once."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ..flow import DEFAULT_GLOSSARY, DEFAULT_TM

_FILE = click.Path(path_type=Path, dir_okay=False)


def _glossary_choice(glossary: Path | None, no_glossary: bool) -> Path | None:
    if no_glossary:
        return None
    if glossary is None and DEFAULT_GLOSSARY.is_file():
        return DEFAULT_GLOSSARY
    return glossary


def format_duration(seconds: float) -> str:
    """``42`` → ``42s``; ``95`` → ``1m35s``; ``7300`` → ``2h01m``."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


@click.command("analyze")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--tm", "tm_path", type=_FILE, default=DEFAULT_TM, show_default=True,
              help="Translation memory (SQLite) to match against; not created when missing.")
@click.option("--glossary", type=_FILE, help=f"Term glossary [default: {DEFAULT_GLOSSARY} "
              "when present].")
@click.option("--no-glossary", is_flag=True, help="Do not count glossary terms.")
@click.option("--json", "json_path", type=_FILE, help="Also write the analysis as JSON here.")
@click.option("--layout", type=click.Choice(["auto", "lines"]), default="auto",
              show_default=True, help="Segmentation layout, as for `tmpipe run`.")
@click.option("--fill-min", type=click.FloatRange(0, 101), default=100, show_default=True,
              help="Lowest human TM match %% that needs no MT, as for `tmpipe run`.")
@click.option("--engine", default="auto", show_default=True,
              help="Engine whose cached MT counts as reusable (not loaded).")
@click.option("--model", "model_path", type=_FILE, envvar="TMPIPE_LLM_MODEL",
              help="GGUF file the llm engine would use [env: TMPIPE_LLM_MODEL].")
@click.option("--seconds-per-segment", type=click.FloatRange(0.001, 3600), default=None,
              help="MT seconds per segment for the estimate [default: the embedded model's "
              "measured speed on 2 cores].")
@click.option("-q", "--quiet", is_flag=True, help="No table; only --json and problems.")
def analyze_command(inputs: tuple[str, ...], tm_path: Path, glossary: Path | None,
                    no_glossary: bool, json_path: Path | None, layout: str, fill_min: float,
                    engine: str, model_path: Path | None, seconds_per_segment: float | None,
                    quiet: bool) -> None:
    """Count segments, characters, repetitions, memory matches, glossary terms and the
    MT still needed for INPUT (files, folders searched recursively, glob patterns),
    without loading a model. Exit 1 when some documents could not be read."""
    from ..batch.analyze import MT_SECONDS_PER_SEGMENT, analyze_documents
    from ..batch.inputs import collect_inputs, require_documents
    from ..errors import UserError
    from ..fsutil import atomic_write_text

    found = collect_inputs(inputs)
    documents = require_documents(found)
    err = Console(stderr=True)
    for problem in found.problems:
        err.print(f"tmpipe: warning: {problem}", markup=False, highlight=False)
    analysis = analyze_documents(
        documents, tm_path=tm_path, glossary_path=_glossary_choice(glossary, no_glossary),
        layout=layout, fill_min=fill_min, engine=engine,
        engine_options={"model_path": model_path} if model_path else {},
        seconds_per_segment=seconds_per_segment or MT_SECONDS_PER_SEGMENT)
    if not analysis.analysed:
        raise UserError(analysis.failures[0].error or "nothing could be analysed")
    if json_path is not None:
        atomic_write_text(json_path, json.dumps(analysis.as_dict(), ensure_ascii=False,
                                                indent=1) + "\n")
    if not quiet:
        out = Console()
        for table in analysis_tables(analysis):
            out.print(table)
    for failure in analysis.failures:
        err.print(f"tmpipe: skipped: {failure.error}", markup=False, highlight=False)
    click.get_current_context().exit(1 if analysis.failures else 0)


def analysis_tables(analysis) -> list[Table]:
    """The analysis as two tables: one row per document with totals, then the match bands
    of the whole batch (segments, Chinese characters, words, share of words)."""
    from ..batch.analyze import BANDS

    documents = Table(title=f"tmpipe analyze: {len(analysis.analysed)} documents")
    for header in ("document", "segments", "Han chars", "words", "repeated", "TM ≥ 100 %",
                   "fuzzy", "terms", "needs MT", "MT time"):
        documents.add_column(header, justify="left" if header == "document" else "right")
    rows = [*analysis.analysed, analysis.totals()]
    for doc in rows:
        bands = {name: doc.bands[name].segments for name, *_ in BANDS}
        documents.add_row(
            doc.doc_id, str(doc.total.segments), f"{doc.total.han:,}", f"{doc.total.words:,}",
            str(bands["repetition"] + bands["batch_repetition"]),
            str(bands["context"] + bands["exact"]),
            str(sum(bands[n] for n in ("95-99", "85-94", "75-84", "50-74"))),
            str(doc.terms_found), str(doc.mt_segments), format_duration(doc.mt_seconds),
            style="bold" if doc is rows[-1] else None,
            end_section=len(rows) > 1 and doc is rows[-2])
    engine = analysis.engine
    documents.caption = (f"MT time at {analysis.seconds_per_segment:g} s/segment"
                         + (f" ({engine[0]} {engine[1] or ''})".replace(" )", ")")
                            if engine else "") + "; repeated segments are translated once")
    total = rows[-1]
    bands = Table(title="match bands, all documents")
    for header in ("band", "segments", "Han chars", "words", "% of words"):
        bands.add_column(header, justify="left" if header == "band" else "right")
    for name, label, *_ in BANDS:
        counts = total.bands[name]
        share = 100 * counts.words / total.total.words if total.total.words else 0.0
        bands.add_row(label, str(counts.segments), f"{counts.han:,}", f"{counts.words:,}",
                      f"{share:.1f}")
    bands.add_row("total", str(total.total.segments), f"{total.total.han:,}",
                  f"{total.total.words:,}", "100.0", style="bold", end_section=False)
    return [documents, bands]


COMMANDS = [analyze_command]
