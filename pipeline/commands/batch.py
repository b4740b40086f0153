"""``tmpipe analyze`` and ``tmpipe batch``: many documents at once."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ..flow import DEFAULT_GLOSSARY, DEFAULT_TM
from .jsonout import emit_json, json_option, to_stdout

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
@json_option("the analysis")
@click.option("--layout", type=click.Choice(["auto", "lines"]), default="auto",
              show_default=True, help="Segmentation layout, as for `tmpipe run`.")
@click.option("--fill-min", type=click.FloatRange(0, 101), default=100, show_default=True,
              help="Lowest human TM match % that needs no MT, as for `tmpipe run`.")
@click.option("--engine", default="auto", show_default=True,
              help="Engine whose cached MT counts as reusable (not loaded).")
@click.option("--model", "model_path", type=_FILE, envvar="TMPIPE_LLM_MODEL",
              help="GGUF file the llm engine would use [env: TMPIPE_LLM_MODEL].")
@click.option("--seconds-per-segment", type=click.FloatRange(0.001, 3600), default=None,
              help="MT seconds per segment for the estimate [default: the embedded model's "
              "measured speed on 2 cores].")
@click.option("-q", "--quiet", is_flag=True, help="No table; only --json and problems.")
def analyze_command(inputs: tuple[str, ...], tm_path: Path, glossary: Path | None,
                    no_glossary: bool, json_path: str | None, layout: str, fill_min: float,
                    engine: str, model_path: Path | None, seconds_per_segment: float | None,
                    quiet: bool) -> None:
    """Count segments, characters, repetitions, memory matches, glossary terms and the
    MT still needed for INPUT (files, folders searched recursively, glob patterns),
    without loading a model. Exit 1 when some documents could not be read."""
    from ..batch.analyze import MT_SECONDS_PER_SEGMENT, analyze_documents
    from ..batch.inputs import collect_inputs, require_documents
    from ..errors import UserError

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
    emit_json(json_path, analysis.as_dict())
    if not quiet and not to_stdout(json_path):
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


@click.command("batch")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("output"), show_default=True,
              help="Output folder: one folder per document, batch.json and batch.html.")
@click.option("--tm", "tm_path", type=_FILE, default=DEFAULT_TM, show_default=True,
              help="Translation memory (SQLite) shared by the batch; created when missing.")
@click.option("--glossary", type=_FILE, help=f"Term glossary [default: {DEFAULT_GLOSSARY} "
              "when present].")
@click.option("--no-glossary", is_flag=True, help="Run without a glossary.")
@click.option("--engine", default="auto", show_default=True,
              help="MT engine: auto, llm or argos.")
@click.option("--model", "model_path", type=_FILE, envvar="TMPIPE_LLM_MODEL",
              help="GGUF file for the llm engine [env: TMPIPE_LLM_MODEL]; with Ray, the "
              "same path must exist on every node.")
@click.option("--threads", type=click.IntRange(1, 256), envvar="TMPIPE_THREADS",
              help="CPU threads per engine [default: all cores in process; with Ray, the "
              "CPUs each worker reserves].")
@click.option("--argos-package", metavar="NAME",
              help="Installed argos package for --engine argos.")
@click.option("--layout", type=click.Choice(["auto", "lines"]), default="auto",
              show_default=True, help="As for `tmpipe run`.")
@click.option("--fuzzy-min", type=click.FloatRange(0, 101), default=75, show_default=True,
              help="Lowest TM match % shown and given to the engine as an example.")
@click.option("--fill-min", type=click.FloatRange(0, 101), default=100, show_default=True,
              help="Lowest TM match % used as the translation without MT.")
@click.option("--batch-size", type=click.IntRange(1, 4096),
              help="Segments per MT step; the memory is committed after each "
              "[default: 8 per worker].")
@click.option("--context/--no-context", default=True, show_default=True,
              help="Show the engine the previous segment of the paragraph.")
@click.option("--qa-ignore", multiple=True, metavar="CHECK", help="Skip a QA check (repeatable).")
@click.option("--workers", type=click.IntRange(1, 1024), default=1, show_default=True,
              help="MT workers; more than one runs them as Ray actors on this machine.")
@click.option("--ray", "ray_address", metavar="ADDRESS|auto",
              help="Run the MT workers on a Ray cluster (auto: the one this node joined).")
@click.option("--resume/--redo", default=True, show_default=True,
              help="Skip documents finished earlier with the same source and settings; "
              "--redo runs them again (from the memory).")
@click.option("--strict", is_flag=True, help="Exit 1 when glossary or QA errors remain.")
@click.option("-q", "--quiet", is_flag=True, help="No progress display or summary table.")
def batch_command(inputs: tuple[str, ...], out_dir: Path, tm_path: Path, glossary: Path | None,
                  no_glossary: bool, engine: str, model_path: Path | None, threads: int | None,
                  argos_package: str | None, layout: str, fuzzy_min: float, fill_min: float,
                  batch_size: int | None, context: bool, qa_ignore: tuple[str, ...],
                  workers: int, ray_address: str | None, resume: bool, strict: bool,
                  quiet: bool) -> None:
    """Translate many documents (files, folders searched recursively, glob patterns) with
    one memory: a `tmpipe run` output folder per document, plus batch.json and batch.html.
    Exit 1 when a document failed (the others are done), 2 when none could start."""

    from ..batch.display import RichDisplay
    from ..batch.driver import BatchHooks, BatchOptions, run_batch
    from .run import _engine_options
    from .signals import stop_on_sigterm

    options = BatchOptions(
        inputs=inputs, out_dir=out_dir, tm_path=tm_path,
        glossary=_glossary_choice(glossary, no_glossary), engine=engine,
        engine_options=_engine_options(engine, model_path, argos_package, threads),
        layout=layout, fuzzy_min=fuzzy_min, fill_min=fill_min, batch_size=batch_size,
        context=context, qa_ignore=qa_ignore, workers=workers, ray_address=ray_address,
        resume=resume)
    stop_on_sigterm()
    display = RichDisplay(Console(stderr=True, quiet=quiet))
    result = run_batch(options, BatchHooks(display=display))
    if not quiet:
        Console().print(batch_table(result))
    for problem in result.problems:
        click.echo(f"tmpipe: warning: {problem}", err=True)
    for failure in result.failures:
        click.echo(f"tmpipe: failed: {failure.error}", err=True)
    errors = result.totals()["qa"].get("errors", 0)
    click.get_current_context().exit(1 if result.failures or (strict and errors) else 0)


def batch_table(result) -> Table:
    """The short table printed at the end of a batch: totals and where the outputs are."""
    totals = result.totals()
    table = Table(title=f"tmpipe batch: {totals['documents']} documents", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("documents", f"{totals['done']} done ({totals['done_earlier']} finished "
                  f"earlier), {totals['failed']} failed")
    lev = totals["leverage"]
    table.add_row("segments", f"{totals['translated']} ({totals['mt_translated']} translated "
                  f"now, {totals['batch_reused']} reused across the batch)")
    table.add_row("memory", f"{int(lev.get('exact', 0) + lev.get('context', 0))} exact, "
                  f"{int(lev.get('fuzzy', 0))} fuzzy, {int(lev.get('mt_reused', 0))} cached MT")
    table.add_row("glossary / QA", f"{totals['glossary_violations']} term violations, "
                  f"{int(totals['qa'].get('errors', 0))} QA errors")
    executor = result.executor
    table.add_row("time", f"{format_duration(result.elapsed_s)} total, MT "
                  f"{format_duration(totals['mt_s'])}, {executor['workers']} worker(s)")
    table.add_row("output", str(result.out_dir / "batch.html"))
    return table


COMMANDS = [analyze_command, batch_command]
